"""Each example app synthesizes from its folder, and its stack is what the example promises."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import cx_api
from aws_cdk.assertions import Match, Template

from batch_pipeline_construct.runtime import settings
from batch_pipeline_construct.runtime.job import resolver
from tests.examples.example_apps import EXAMPLES_DIR, synthesize


def _template(assembly: cx_api.CloudAssembly, stack_name: str) -> Template:
    return Template.from_json(assembly.get_stack_by_name(stack_name).template)


def _resources(template: Template, resource_type: str) -> dict[str, Any]:
    found: dict[str, Any] = template.find_resources(resource_type)
    return found


def _only(template: Template, resource_type: str) -> dict[str, Any]:
    resources = list(_resources(template, resource_type).values())
    assert len(resources) == 1, f"expected one {resource_type}, found {len(resources)}"
    properties: dict[str, Any] = resources[0]["Properties"]
    return properties


def _image_asset_dirs(assembly: cx_api.CloudAssembly) -> list[Path]:
    """The staged build contexts of the assembly's container images."""
    outdir = Path(assembly.directory)
    asset_manifests = outdir.glob("*.assets.json")
    return [
        outdir / image["source"]["directory"]
        for manifest in asset_manifests
        for image in json.loads(manifest.read_text()).get("dockerImages", {}).values()
    ]


def _job_resources(job_definition: dict[str, Any]) -> dict[str, str]:
    requirements = job_definition["ContainerProperties"]["ResourceRequirements"]
    return {requirement["Type"]: requirement["Value"] for requirement in requirements}


def _queue_notifications(template: Template) -> list[dict[str, Any]]:
    notifications = _resources(template, "Custom::S3BucketNotifications").values()
    return [
        {"bucket": notification["Properties"]["BucketName"], **configuration}
        for notification in notifications
        for configuration in notification["Properties"]["NotificationConfiguration"][
            "QueueConfigurations"
        ]
    ]


def _arrival_environment(template: Template) -> dict[str, Any]:
    """The environment of the one arrival function (the bucket-notifications handler has none)."""
    (environment,) = [
        function["Properties"]["Environment"]["Variables"]
        for function in _resources(template, "AWS::Lambda::Function").values()
        if settings.JOB_QUEUE_ARN
        in function["Properties"].get("Environment", {}).get("Variables", {})
    ]
    found: dict[str, Any] = environment
    return found


def _key_filter(configuration: dict[str, Any]) -> dict[str, str]:
    rules = configuration["Filter"]["Key"]["FilterRules"]
    return {rule["Name"]: rule["Value"] for rule in rules}


# --- minimal ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    return synthesize("minimal", tmp_path_factory.mktemp("minimal"))


def test_minimal_example_runs_on_fargate_with_its_own_buckets(
    minimal: cx_api.CloudAssembly,
) -> None:
    template = _template(minimal, "MinimalBatchPipeline")
    assert _only(template, "AWS::Batch::ComputeEnvironment")["ComputeResources"]["Type"] == (
        "FARGATE"
    )
    template.resource_count_is("AWS::Batch::JobQueue", 1)
    # Input, output and the access-log bucket: the pipeline creates them all.
    template.resource_count_is("AWS::S3::Bucket", 3)
    assert set(template.find_outputs("*")) == {"InputBucket", "OutputBucket", "CompletionTopic"}


def test_minimal_example_builds_its_image_from_its_container_folder(
    minimal: cx_api.CloudAssembly,
) -> None:
    (context,) = _image_asset_dirs(minimal)
    assert (context / "process.py").read_bytes() == (
        EXAMPLES_DIR / "minimal" / "container" / "process.py"
    ).read_bytes()
    assert "batch_pipeline_job.resolver" in (context / "Dockerfile").read_text()
    # The resolver the image runs is the construct's own copy, staged beside the user's files.
    assert (context / "batch_pipeline_job" / "resolver.py").read_bytes() == (
        Path(resolver.__file__).read_bytes()
    )


# --- gpu_spot -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gpu_spot(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    return synthesize("gpu_spot", tmp_path_factory.mktemp("gpu_spot"))


def test_gpu_example_runs_on_g5_spot_instances_with_the_gpu_ami(
    gpu_spot: cx_api.CloudAssembly,
) -> None:
    template = _template(gpu_spot, "GpuSpotBatchPipeline")
    compute = _only(template, "AWS::Batch::ComputeEnvironment")
    assert compute["Type"] == "managed"
    resources = compute["ComputeResources"]
    assert resources["Type"] == "SPOT"
    assert resources["AllocationStrategy"] == "SPOT_PRICE_CAPACITY_OPTIMIZED"
    assert sorted(resources["InstanceTypes"]) == ["g5.2xlarge", "g5.xlarge"]
    assert resources["MinvCpus"] == 0
    assert resources["MaxvCpus"] == 64
    assert [config["ImageType"] for config in resources["Ec2Configuration"]] == [
        "ECS_AL2023_NVIDIA"
    ]


def test_gpu_example_jobs_ask_for_one_gpu_4_vcpus_and_15_gib_for_6_hours(
    gpu_spot: cx_api.CloudAssembly,
) -> None:
    template = _template(gpu_spot, "GpuSpotBatchPipeline")
    job_definition = _only(template, "AWS::Batch::JobDefinition")
    assert job_definition["PlatformCapabilities"] == ["EC2"]
    assert _job_resources(job_definition) == {"GPU": "1", "VCPU": "4", "MEMORY": "15360"}
    assert job_definition["Timeout"] == {"AttemptDurationSeconds": 6 * 3600}
    assert {"Name": "REQUIRE_GPU", "Value": "true"} in job_definition["ContainerProperties"][
        "Environment"
    ]


def test_gpu_example_triggers_on_csv_datasets_and_emails_the_team(
    gpu_spot: cx_api.CloudAssembly,
) -> None:
    template = _template(gpu_spot, "GpuSpotBatchPipeline")
    filters = [_key_filter(config) for config in _queue_notifications(template)]
    assert sorted(filters, key=lambda rules: rules["suffix"]) == [
        {"prefix": "datasets/", "suffix": ".csv"},
        {"prefix": "datasets/", "suffix": ".csv.gz"},
    ]
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ml-team@example.com"}
    )


def test_gpu_example_is_per_file_by_default_and_its_image_holds_the_gpu_job(
    gpu_spot: cx_api.CloudAssembly,
) -> None:
    template = _template(gpu_spot, "GpuSpotBatchPipeline")
    assert settings.BULK_MODE not in _arrival_environment(template)
    (context,) = _image_asset_dirs(gpu_spot)
    assert (context / "analyse.py").is_file()
    assert "nvidia-smi" in (context / "analyse.py").read_text()


def test_gpu_example_switches_to_bulk_mode_from_the_bulk_context(tmp_path: Path) -> None:
    assembly = synthesize("gpu_spot", tmp_path, bulk=True)
    environment = _arrival_environment(_template(assembly, "GpuSpotBatchPipeline"))
    assert environment[settings.BULK_MODE] == "true"
    assert environment[settings.BULK_MAX_FILES] == "1000"
    # One dataset at a time on the GPU, at most 5 minutes of 20-second datasets per container.
    packing = settings.ArrivalSettings.from_environ(environment).packing
    assert (packing.parallelism, packing.files_per_child) == (1, 15)


def test_minimal_example_shows_packed_bulk_mode_from_the_bulk_context(tmp_path: Path) -> None:
    assembly = synthesize("minimal", tmp_path, bulk=True)
    environment = _arrival_environment(_template(assembly, "MinimalBatchPipeline"))
    received = settings.ArrivalSettings.from_environ(environment)
    assert received.bulk_mode is True
    assert received.packing.files_per_child == 150


# --- existing_resources -------------------------------------------------------------------------

EXISTING = EXAMPLES_DIR / "existing_resources"
EXISTING_STACK = "ExistingResourcesBatchPipelines"
EXISTING_BUCKETS = {
    "acme-invoices-inbox-eu-west-1",
    "acme-sensor-exports-eu-west-1",
    "acme-s3-access-logs-eu-west-1",
}


def _cached_vpc() -> dict[str, Any]:
    context = json.loads((EXISTING / "cdk.context.json").read_text())
    (key,) = [key for key in context if key.startswith("vpc-provider:")]
    vpc: dict[str, Any] = context[key]
    return vpc


def _cached_subnets(group_type: str) -> list[str]:
    return [
        subnet["subnetId"]
        for group in _cached_vpc()["subnetGroups"]
        if group["type"] == group_type
        for subnet in group["subnets"]
    ]


@pytest.fixture(scope="module")
def existing_resources(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    return synthesize("existing_resources", tmp_path_factory.mktemp("existing_resources"))


def test_existing_resources_example_needs_no_lookup_and_targets_its_account(
    existing_resources: cx_api.CloudAssembly,
) -> None:
    manifest = json.loads((Path(existing_resources.directory) / "manifest.json").read_text())
    assert "missing" not in manifest, "cdk.context.json must answer every lookup"
    stack = existing_resources.get_stack_by_name(EXISTING_STACK)
    assert (stack.environment.account, stack.environment.region) == (
        "123456789012",
        "eu-west-1",
    )


def test_existing_resources_example_runs_both_pipelines_in_the_looked_up_private_subnets(
    existing_resources: cx_api.CloudAssembly,
) -> None:
    template = _template(existing_resources, EXISTING_STACK)
    for resource_type in ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::NatGateway"):
        template.resource_count_is(resource_type, 0)
    environments = _resources(template, "AWS::Batch::ComputeEnvironment").values()
    assert len(environments) == 2
    private = _cached_subnets("Private")
    assert private and set(private).isdisjoint(_cached_subnets("Public"))
    for environment in environments:
        assert environment["Properties"]["ComputeResources"]["Subnets"] == private
    vpc_id = _cached_vpc()["vpcId"]
    groups = _resources(template, "AWS::EC2::SecurityGroup").values()
    assert [group["Properties"]["VpcId"] for group in groups] == [vpc_id, vpc_id]


def test_existing_resources_example_creates_no_bucket_that_exists(
    existing_resources: cx_api.CloudAssembly,
) -> None:
    template = _template(existing_resources, EXISTING_STACK)
    # The one bucket it makes is the invoices pipeline's output, logging to the existing log bucket.
    (bucket,) = _resources(template, "AWS::S3::Bucket").values()
    assert "BucketName" not in bucket["Properties"]
    assert bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == (
        "acme-s3-access-logs-eu-west-1"
    )
    notified = {config["bucket"] for config in _queue_notifications(template)}
    assert notified == {"acme-invoices-inbox-eu-west-1", "acme-sensor-exports-eu-west-1"}
    for notification in _resources(template, "Custom::S3BucketNotifications").values():
        # Unmanaged: the existing buckets' other notifications are kept.
        assert notification["Properties"]["Managed"] is False


def test_existing_resources_example_keeps_results_of_the_shared_bucket_out_of_its_trigger(
    existing_resources: cx_api.CloudAssembly,
) -> None:
    template = _template(existing_resources, EXISTING_STACK)
    (sensor_trigger,) = [
        config
        for config in _queue_notifications(template)
        if config["bucket"] == "acme-sensor-exports-eu-west-1"
    ]
    assert _key_filter(sensor_trigger) == {"prefix": "incoming/"}
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                                "Resource": {
                                    "Fn::Join": [
                                        "",
                                        [
                                            "arn:",
                                            {"Ref": "AWS::Partition"},
                                            ":s3:::acme-sensor-exports-eu-west-1/archived/*",
                                        ],
                                    ]
                                },
                            }
                        )
                    ]
                )
            }
        },
    )


def test_existing_resources_example_shares_one_completion_topic_between_two_queues(
    existing_resources: cx_api.CloudAssembly,
) -> None:
    template = _template(existing_resources, EXISTING_STACK)
    template.resource_count_is("AWS::Batch::JobQueue", 2)
    (topic_id,) = _resources(template, "AWS::SNS::Topic")
    completion_rules = [
        rule
        for rule in _resources(template, "AWS::Events::Rule").values()
        if any(
            target["Arn"] == {"Ref": topic_id} for target in rule["Properties"].get("Targets", [])
        )
    ]
    # One rule per message shape (with or without a status reason, an exit code) per queue.
    rules_per_queue = Counter(
        json.dumps(rule["Properties"]["EventPattern"]["detail"]["jobQueue"])
        for rule in completion_rules
    )
    assert len(rules_per_queue) == 2
    assert len(set(rules_per_queue.values())) == 1


def test_existing_resources_example_stays_far_below_the_stack_resource_limit(
    existing_resources: cx_api.CloudAssembly,
) -> None:
    resources = existing_resources.get_stack_by_name(EXISTING_STACK).template["Resources"]
    # Two pipelines in a shared VPC; CloudFormation allows 500 resources per stack.
    assert len(resources) < 500 // 5, f"{len(resources)} resources"


# --- large_files --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large_files(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    return synthesize("large_files", tmp_path_factory.mktemp("large_files"))


def test_large_files_example_runs_small_fargate_jobs_on_the_free_20_gib_disk(
    large_files: cx_api.CloudAssembly,
) -> None:
    template = _template(large_files, "LargeFilesBatchPipeline")
    assert _only(template, "AWS::Batch::ComputeEnvironment")["ComputeResources"]["Type"] == (
        "FARGATE"
    )
    job_definition = _only(template, "AWS::Batch::JobDefinition")
    assert _job_resources(job_definition) == {"VCPU": "1", "MEMORY": "2048"}
    assert "EphemeralStorage" not in job_definition["ContainerProperties"]
    assert job_definition["Timeout"] == {"AttemptDurationSeconds": 3 * 3600}


def test_large_files_example_image_holds_the_streaming_job(
    large_files: cx_api.CloudAssembly,
) -> None:
    (context,) = _image_asset_dirs(large_files)
    assert (context / "compress.py").read_bytes() == (
        EXAMPLES_DIR / "large_files" / "container" / "compress.py"
    ).read_bytes()
    assert "/app/compress.py" in (context / "Dockerfile").read_text()
