"""The public attributes are the resources the pipeline made, and a pipeline needs only a Dockerfile."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_batch, aws_events, aws_lambda, aws_s3, aws_sns, aws_sqs
from aws_cdk.assertions import Template

from tests.support.pipeline_builders import build_pipeline, only


def test_attributes_are_the_pipelines_resources(dockerfile_dir: Path) -> None:
    stack, pipeline = build_pipeline(dockerfile_dir)
    template = Template.from_stack(stack)
    assert isinstance(pipeline.input_bucket, aws_s3.Bucket)
    assert isinstance(pipeline.output_bucket, aws_s3.Bucket)
    assert pipeline.input_bucket is not pipeline.output_bucket
    assert isinstance(pipeline.job_queue, aws_batch.JobQueue)
    assert isinstance(pipeline.job_definition, aws_batch.EcsJobDefinition)
    assert isinstance(pipeline.compute_environment, aws_batch.FargateComputeEnvironment)
    assert isinstance(pipeline.arrival_function, aws_lambda.Function)
    assert isinstance(pipeline.completion_topic, aws_sns.Topic)
    assert len(pipeline.completion_rules) == 4, "per-file mode: the per-file shapes only"
    assert all(isinstance(rule, aws_events.Rule) for rule in pipeline.completion_rules)
    assert isinstance(pipeline.failed_job_events, aws_sqs.Queue)
    assert pipeline.file_records is not None
    assert len(pipeline.alarms) == 4
    queue_id, _ = only(template, "AWS::Batch::JobQueue")
    assert stack.get_logical_id(pipeline.job_queue.node.default_child) == queue_id  # type: ignore[arg-type]
    vpc_id, _ = only(template, "AWS::EC2::VPC")
    assert stack.resolve(pipeline.vpc.vpc_id) == {"Ref": vpc_id}


def _image_of(template: Template) -> object:
    _, definition = only(template, "AWS::Batch::JobDefinition")
    return definition["Properties"]["ContainerProperties"]["Image"]


def test_a_folder_or_its_dockerfile_build_the_same_image(dockerfile_dir: Path) -> None:
    from_folder, _ = build_pipeline(dockerfile_dir)
    from_file, _ = build_pipeline(dockerfile_dir / "Dockerfile")
    assert _image_of(Template.from_stack(from_folder)) == _image_of(Template.from_stack(from_file))


def test_a_dockerfile_with_another_name_is_built_from_its_folder(tmp_path: Path) -> None:
    (tmp_path / "gpu.Dockerfile").write_text("FROM public.ecr.aws/docker/library/python:3.12\n")
    stack, _ = build_pipeline(tmp_path / "gpu.Dockerfile")
    assembly = cdk.App.of(stack).synth()  # type: ignore[union-attr]
    manifest = (Path(assembly.directory) / "Stack.assets.json").read_text()
    assert '"dockerFile": "gpu.Dockerfile"' in manifest
