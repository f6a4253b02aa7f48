"""One local run of a pipeline, end to end (see the package documentation)."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..job.manifest import outcomes_uri, read_manifest, split_s3_uri
from . import docker, jobs
from .assembly import Pipeline, assembly_dir, is_assembly, pipelines
from .completion import CompletionRule, completion_rules
from .emulator import Emulator
from .errors import LocalRunError
from .event_source import ArrivalFunction, Mapping, poll_once
from .resources import LocalStack
from .shared_data import Mount, shared_data_mount
from .uploads import Upload, queue_notifications, test_event, upload, uploads

MESSAGES_FILE = "completion-messages.jsonl"
"""The file of the run's output folder that holds the completion messages, one JSON per line."""


@dataclass
class FileOutcome:
    """What happened to one uploaded file."""

    key: str
    status: str
    seconds: float = 0.0
    exit_code: int | None = None
    log: str = ""


@dataclass
class Report:
    """The run's result: one outcome per file, the messages published, and timings."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    messages: list[Any] = field(default_factory=list)
    dead_letters: int = 0
    first_output_seconds: float | None = None
    total_seconds: float = 0.0

    @property
    def failed(self) -> list[FileOutcome]:
        """The files whose job failed."""
        return [outcome for outcome in self.outcomes if outcome.status != "SUCCEEDED"]

    @property
    def ok(self) -> bool:
        """Whether every file's job succeeded and nothing was dead-lettered."""
        return not self.failed and not self.dead_letters


def choose_pipeline(found: Sequence[Pipeline], name: str | None) -> Pipeline:
    """The pipeline to run: the one named, or the only one."""
    names = [pipeline.name for pipeline in found]
    if not found:
        raise LocalRunError("the app has no BatchFilePipeline (no arrival function in any stack)")
    if name is not None:
        for pipeline in found:
            if name in (pipeline.name, pipeline.name.rsplit("/", 1)[-1]):
                return pipeline
        raise LocalRunError(f"no pipeline named {name}; the app has {', '.join(names)}")
    if len(found) > 1:
        raise LocalRunError(
            f"the app has {len(found)} pipelines ({', '.join(names)}); choose one with --pipeline"
        )
    return found[0]


def _of_type(resources: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {key: value for key, value in resources.items() if value.get("Type") == resource_type}


class LocalRun:
    """A pipeline served locally: resources, arrival function, job runner and completion rules."""

    def __init__(
        self,
        pipeline: Pipeline,
        emulator: Emulator,
        image_of: dict[str, str],
        executable: str,
        *,
        parallel: int,
        say: Callable[[str], None],
        disk_mib: int | None = None,
        mount: Mount | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.disk_mib = disk_mib
        self.mount = mount
        self.emulator = emulator
        self.executable = executable
        self.say = say
        resources = pipeline.resources
        self.stack = LocalStack(emulator, resources, image_of)
        self.stack.create()
        function = resources[pipeline.function_id]["Properties"]
        environment = {
            name: str(value)
            for name, value in self.stack.resolve(
                function.get("Environment", {}).get("Variables", {})
            ).items()
        }
        self.function = ArrivalFunction(
            pipeline.function_code,
            function["Handler"],
            {
                **environment,
                **emulator.environment,
                "AWS_LAMBDA_FUNCTION_NAME": pipeline.function_id,
            },
            float(function.get("Timeout", 3)),
        )
        self.mapping = self._mapping(resources)
        self.queue_urls = {
            self.stack.resolve({"Fn::GetAtt": [logical_id, "Arn"]}): self.stack.resolve(
                {"Ref": logical_id}
            )
            for logical_id in _of_type(resources, "AWS::SQS::Queue")
        }
        self.rules: list[CompletionRule] = completion_rules(resources, self.stack.resolve)
        self.job_queues = [
            self.stack.resolve({"Ref": logical_id})
            for logical_id in _of_type(resources, "AWS::Batch::JobQueue")
        ]
        self.pool = ThreadPoolExecutor(max_workers=parallel)
        self.s3 = emulator.client("s3")
        self.sqs = emulator.client("sqs")
        self.batch = emulator.client("batch")

    def _mapping(self, resources: dict[str, Any]) -> Mapping:
        for resource in _of_type(resources, "AWS::Lambda::EventSourceMapping").values():
            properties = resource["Properties"]
            if properties.get("FunctionName") != {"Ref": self.pipeline.function_id}:
                continue
            queue_arn = self.stack.resolve(properties["EventSourceArn"])
            queue_id = properties["EventSourceArn"]["Fn::GetAtt"][0]
            return Mapping(
                queue_url=self.stack.resolve({"Ref": queue_id}),
                queue_arn=queue_arn,
                batch_size=int(properties.get("BatchSize", 10)),
                window_seconds=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
                reports_item_failures="ReportBatchItemFailures"
                in properties.get("FunctionResponseTypes", []),
            )
        raise LocalRunError("the arrival function has no SQS event source in the template")

    def upload_all(self, items: Sequence[Upload]) -> str:
        """Upload ``items`` to the input bucket and notify as the bucket would; returns the bucket."""
        resources = self.pipeline.resources
        for resource in _of_type(resources, "Custom::S3BucketNotifications").values():
            properties = self.stack.resolve(resource["Properties"])
            notifications = queue_notifications(
                properties.get("NotificationConfiguration", {}), self.queue_urls
            )
            if not any(n.queue_url == self.mapping.queue_url for n in notifications):
                continue
            bucket = properties["BucketName"]
            for queue_url in {n.queue_url for n in notifications}:
                self.sqs.send_message(
                    QueueUrl=queue_url, MessageBody=json.dumps(test_event(bucket))
                )
            for item in items:
                upload(self.s3, self.sqs, bucket, item, notifications)
            return str(bucket)
        raise LocalRunError("no bucket of the template notifies the arrival queue")

    def _queue_depth(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def _dead_letter_urls(self) -> list[str]:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.mapping.queue_url, AttributeNames=["RedrivePolicy"]
        )
        policy = attributes.get("Attributes", {}).get("RedrivePolicy")
        if not policy:
            return []
        return [self.queue_urls[json.loads(policy)["deadLetterTargetArn"]]]

    def _files_of(self, run: jobs.Run) -> list[tuple[str, str | None]]:
        """The keys ``run`` processed, each with its own recorded status when the child kept one."""
        parameters = run.job.get("parameters", {})
        environment = {
            item["name"]: item["value"]
            for item in run.job.get("container", {}).get("environment", [])
        }
        manifest_uri = environment.get("MANIFEST_URI") or parameters.get("manifestUri")
        if run.index is None or not manifest_uri:
            return [
                (
                    environment.get("INPUT_KEY")
                    or str(parameters.get("inputUri", run.job["jobName"])),
                    None,
                )
            ]
        manifest = read_manifest(self._read(manifest_uri) or b"")
        recorded = json.loads(self._read(outcomes_uri(manifest_uri, run.index)) or b"{}").get(
            "files", {}
        )
        files: list[tuple[str, str | None]] = []
        for entry in manifest.share(run.index):
            outcome = recorded.get(str(entry), {})
            status = outcome.get("status")
            files.append(
                (
                    manifest.contracts[entry].input_key,
                    None if status is None else str(status).upper(),
                )
            )
        return files

    def _read(self, uri: str) -> bytes | None:
        bucket, key = split_s3_uri(uri)
        try:
            body: bytes = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        return body

    def _publish(self, event: dict[str, Any], report: Report) -> None:
        for rule in self.rules:
            report.messages.extend(rule.messages(event))

    def run(self, items: Sequence[Upload], *, timeout: float) -> Report:
        """Upload, process and wait until every file has an outcome (or ``timeout`` passes)."""
        report = Report()
        start = time.monotonic()
        self.upload_all(items)
        self.say(f"uploaded {len(items)} file(s); the arrival function takes them from the queue")
        seen: set[str] = set()
        running: list[Future[jobs.Run]] = []
        children: dict[str, list[jobs.Run]] = {}
        definitions: dict[str, dict[str, Any]] = {}
        dead_letter_urls = self._dead_letter_urls()
        while time.monotonic() - start < timeout:
            received = poll_once(self.sqs, self.mapping, self.function)
            for queue_arn in self.job_queues:
                for job in jobs.submitted_jobs(self.batch, queue_arn, seen):
                    definition = definitions.get(job["jobDefinition"])
                    if definition is None:
                        definition = self.batch.describe_job_definitions(
                            jobDefinitions=[job["jobDefinition"]]
                        )["jobDefinitions"][0]
                        definitions[job["jobDefinition"]] = definition
                    runs = jobs.runs_of(job)
                    if runs[0].index is not None:
                        children[job["jobId"]] = runs
                    for run in runs:
                        running.append(
                            self.pool.submit(
                                jobs.run_container,
                                self.executable,
                                run,
                                definition,
                                self.emulator.environment,
                                self.disk_mib,
                                self.mount,
                            )
                        )
                    self.say(f"job {job['jobName']} submitted ({len(runs)} container(s))")
            for future in [future for future in running if future.done()]:
                running.remove(future)
                self._finished(future.result(), report, start, children)
            report.dead_letters = sum(self._queue_depth(url) for url in dead_letter_urls)
            accounted = len(report.outcomes) + report.dead_letters
            if (
                accounted >= len(items)
                and not running
                and not self._queue_depth(self.mapping.queue_url)
            ):
                break
            if not received and not running:
                time.sleep(0.2)
        else:
            raise LocalRunError(
                f"the run did not finish within {timeout:.0f} s ({len(report.outcomes)} of {len(items)} files done)"
            )
        report.total_seconds = time.monotonic() - start
        return report

    def _finished(
        self, run: jobs.Run, report: Report, start: float, children: dict[str, list[jobs.Run]]
    ) -> None:
        status = "SUCCEEDED" if run.succeeded else "FAILED"
        finished = run.finished
        for key, recorded in self._files_of(run):
            outcome = FileOutcome(
                key=key,
                status=recorded or status,
                seconds=run.stopped_at - run.started_at,
                exit_code=finished.exit_code if finished else None,
                log=finished.log if finished else "",
            )
            report.outcomes.append(outcome)
            self.say(
                f"{outcome.status:<9} {key} ({outcome.seconds:.1f} s, exit code {outcome.exit_code})"
            )
        if run.succeeded and report.first_output_seconds is None:
            report.first_output_seconds = time.monotonic() - start
        self._publish(jobs.state_change(run, status=status), report)
        siblings = children.get(run.job["jobId"])
        if siblings is not None and all(sibling.finished is not None for sibling in siblings):
            # Children finish on worker threads: two of them can be seen done in one pass, and
            # the parent must be published once, so it leaves the watch list as it is published.
            del children[run.job["jobId"]]
            parent = "SUCCEEDED" if all(sibling.succeeded for sibling in siblings) else "FAILED"
            self._publish(jobs.state_change(run, status=parent, array_size=len(siblings)), report)

    def copy_outputs(self, bucket: str, destination: Path) -> int:
        """Copy every object of ``bucket`` under ``destination``; returns how many."""
        count = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                target = destination / item["Key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(
                    self.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                )
                count += 1
        return count

    def close(self) -> None:
        """Stop the arrival function's worker and the job pool."""
        self.pool.shutdown(wait=True)
        self.function.stop()


def run_locally(
    source: Path,
    files: Sequence[Path],
    out: Path,
    *,
    pipeline_name: str | None = None,
    prefix: str = "",
    parallel: int = 2,
    timeout: float = 900.0,
    disk_mib: int | None = None,
    shared_data: Path | None = None,
    say: Callable[[str], None] = print,
) -> Report:
    """Run the pipeline of the CDK app or cloud assembly at ``source`` on ``files``.

    Outputs are copied to ``out`` (one folder per output key) and the completion messages written
    to ``out / MESSAGES_FILE``. ``disk_mib`` gives each job container a read-only root and that
    much writable space in ``/tmp`` (default: Docker's, as much as the host has).
    ``shared_data`` is the folder jobs see where the pipeline mounts its shared data (EFS).
    """
    is_assembly(source)
    items = uploads(files, prefix)
    executable = docker.docker_command()
    with tempfile.TemporaryDirectory(prefix="batch-pipeline-local-") as scratch:
        root = assembly_dir(source, Path(scratch) / "cdk.out")
        pipeline = choose_pipeline(pipelines(root), pipeline_name)
        mount = shared_data_mount(pipeline, shared_data)
        say(f"pipeline {pipeline.name} (stack {pipeline.stack})")
        image_of = {}
        for asset_hash, asset in pipeline.images.items():
            tag = f"batch-pipeline-local:{asset_hash[:16]}"
            began = time.monotonic()
            docker.build(executable, asset, tag)
            say(f"built the job image {tag} in {time.monotonic() - began:.1f} s")
            image_of[asset_hash] = tag
        with Emulator() as emulator:
            local = LocalRun(
                pipeline,
                emulator,
                image_of,
                executable,
                parallel=parallel,
                say=say,
                disk_mib=disk_mib,
                mount=mount,
            )
            try:
                report = local.run(items, timeout=timeout)
                output_bucket = local.stack.resolve({"Ref": _output_bucket(pipeline)})
                out.mkdir(parents=True, exist_ok=True)
                copied = local.copy_outputs(output_bucket, out)
            finally:
                local.close()
    (out / MESSAGES_FILE).write_text(
        "".join(json.dumps(message) + "\n" for message in report.messages)
    )
    say(
        f"{copied} output object(s) copied to {out}; {len(report.messages)} completion message(s) in {out / MESSAGES_FILE}"
    )
    return report


def _output_bucket(pipeline: Pipeline) -> str:
    variables = (
        pipeline.resources[pipeline.function_id]["Properties"]
        .get("Environment", {})
        .get("Variables", {})
    )
    for name, value in variables.items():
        if name.endswith("OUTPUT_BUCKET") and isinstance(value, dict) and "Ref" in value:
            return str(value["Ref"])
    raise LocalRunError("the arrival function's environment names no output bucket")
