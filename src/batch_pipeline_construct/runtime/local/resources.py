"""The pipeline's stateful resources, created in the emulator from the template's own settings.

Buckets, queues (with their redrive policies), tables and the Batch job queue and definition are
created under names derived from their logical IDs; :class:`LocalStack.resolve` then turns the
template's intrinsic functions (``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``, ``Fn::Select``,
``Fn::Split``) into the local values, so the arrival function gets the environment the template
gives it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .emulator import ACCOUNT, REGION, Emulator
from .errors import LocalRunError

_PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
    "AWS::NoValue": None,
}
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")
_TABLES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")


def _bucket_name(logical_id: str) -> str:
    return logical_id.lower()[:63]


class LocalStack:
    """The local resources of one template, and the values its references resolve to."""

    def __init__(self, emulator: Emulator, resources: dict[str, Any], image_of: dict[str, str]):
        self._emulator = emulator
        self._resources = resources
        self._image_of = image_of
        self._refs: dict[str, str] = {}
        self._attributes: dict[str, dict[str, str]] = {}

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its local value."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref":
                return self._ref(argument)
            if name == "Fn::GetAtt":
                logical_id, attribute = (
                    argument if isinstance(argument, list) else argument.split(".", 1)
                )
                return self._attribute(logical_id, attribute)
            if name == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if name == "Fn::Select":
                index, items = self.resolve(argument)
                return items[int(index)]
            if name == "Fn::Split":
                separator, text = argument
                return str(self.resolve(text)).split(separator)
            if name == "Fn::Sub":
                return self._sub(argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {key: self.resolve(item) for key, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return str(self._attribute(logical_id, attribute))
            return str(self._ref(name))

        return _SUB.sub(replace, text)

    def _ref(self, name: str) -> Any:
        if name in _PSEUDO:
            return _PSEUDO[name]
        if name in self._refs:
            return self._refs[name]
        resource_type = self._resources.get(name, {}).get("Type", "")
        return f"local-{resource_type.split('::')[-1].lower()}-{name}"

    def _attribute(self, logical_id: str, attribute: str) -> Any:
        known = self._attributes.get(logical_id, {})
        if attribute in known:
            return known[attribute]
        if attribute == "Arn":
            resource_type = self._resources.get(logical_id, {}).get("Type", "")
            service = resource_type.split("::")[1].lower() if "::" in resource_type else "local"
            return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{logical_id}"
        return f"{logical_id}.{attribute}"

    def _of_type(self, *types: str) -> dict[str, Any]:
        return {
            logical_id: resource
            for logical_id, resource in self._resources.items()
            if resource.get("Type") in types
        }

    def create(self) -> None:
        """Create every bucket, queue, table, topic and Batch resource of the template."""
        self._buckets()
        self._queues()
        self._tables()
        self._topics()
        self._batch()

    def _buckets(self) -> None:
        s3 = self._emulator.client("s3")
        for logical_id, resource in self._of_type("AWS::S3::Bucket").items():
            name = _bucket_name(logical_id)
            s3.create_bucket(Bucket=name)
            versioning = resource.get("Properties", {}).get("VersioningConfiguration", {})
            if versioning.get("Status") == "Enabled":
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            self._refs[logical_id] = name
            self._attributes[logical_id] = {"Arn": f"arn:aws:s3:::{name}"}

    def _queues(self) -> None:
        sqs = self._emulator.client("sqs")
        queues = self._of_type("AWS::SQS::Queue")
        for logical_id in queues:
            url = sqs.create_queue(QueueName=logical_id)["QueueUrl"]
            self._refs[logical_id] = url
            arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{logical_id}"
            self._attributes[logical_id] = {"Arn": arn, "QueueName": logical_id, "QueueUrl": url}
        for logical_id, resource in queues.items():
            properties = resource.get("Properties", {})
            attributes = {
                name: str(self.resolve(properties[name]))
                for name in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")
                if name in properties
            }
            if "RedrivePolicy" in properties:
                attributes["RedrivePolicy"] = json.dumps(self.resolve(properties["RedrivePolicy"]))
            if attributes:
                sqs.set_queue_attributes(QueueUrl=self._refs[logical_id], Attributes=attributes)

    def _tables(self) -> None:
        dynamodb = self._emulator.client("dynamodb")
        for logical_id, resource in self._of_type(*_TABLES).items():
            properties = resource.get("Properties", {})
            indexes = [
                {name: index[name] for name in ("IndexName", "KeySchema", "Projection")}
                for index in properties.get("GlobalSecondaryIndexes", ())
            ]
            dynamodb.create_table(
                TableName=logical_id,
                KeySchema=properties["KeySchema"],
                AttributeDefinitions=properties["AttributeDefinitions"],
                BillingMode="PAY_PER_REQUEST",
                **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
            )
            self._refs[logical_id] = logical_id
            arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{logical_id}"
            self._attributes[logical_id] = {"Arn": arn}

    def _topics(self) -> None:
        for logical_id in self._of_type("AWS::SNS::Topic"):
            self._refs[logical_id] = f"arn:aws:sns:{REGION}:{ACCOUNT}:{logical_id}"
            self._attributes[logical_id] = {"TopicName": logical_id}

    def _batch(self) -> None:
        batch = self._emulator.client("batch")
        environments = self._of_type("AWS::Batch::ComputeEnvironment")
        service_role = self._emulator.client("iam").create_role(
            RoleName="batch-pipeline-local", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]
        for logical_id in environments:
            arn = batch.create_compute_environment(
                computeEnvironmentName=logical_id,
                type="UNMANAGED",
                state="ENABLED",
                serviceRole=service_role,
            )["computeEnvironmentArn"]
            self._refs[logical_id] = arn
            self._attributes[logical_id] = {"ComputeEnvironmentArn": arn}
        for logical_id in self._of_type("AWS::Batch::JobQueue"):
            arn = batch.create_job_queue(
                jobQueueName=logical_id,
                state="ENABLED",
                priority=1,
                computeEnvironmentOrder=[
                    {"order": index + 1, "computeEnvironment": self._refs[environment]}
                    for index, environment in enumerate(environments)
                ],
            )["jobQueueArn"]
            self._refs[logical_id] = arn
            self._attributes[logical_id] = {"JobQueueArn": arn, "JobQueueName": logical_id}
        for logical_id, resource in self._of_type("AWS::Batch::JobDefinition").items():
            properties = resource.get("Properties", {})
            container = properties.get("ContainerProperties", {})
            image = self.resolve(container.get("Image", ""))
            asset_hash = str(image).rsplit(":", 1)[-1]
            if asset_hash not in self._image_of:
                raise LocalRunError(
                    f"job definition {logical_id}: its image {image} is not a Docker image "
                    "asset of this assembly; only images built from a Dockerfile run locally"
                )
            arn = batch.register_job_definition(
                jobDefinitionName=logical_id,
                type="container",
                parameters=properties.get("Parameters", {}),
                containerProperties={
                    "image": self._image_of[asset_hash],
                    "command": container.get("Command", []),
                    "environment": [
                        {"name": item["Name"], "value": str(self.resolve(item["Value"]))}
                        for item in container.get("Environment", [])
                    ],
                    "resourceRequirements": [
                        {"type": item["Type"], "value": str(item["Value"])}
                        for item in container.get("ResourceRequirements", [])
                    ],
                },
            )["jobDefinitionArn"]
            self._refs[logical_id] = arn
