"""The pipeline's buckets: input and output (new or given) and the server access log bucket."""

from __future__ import annotations

from aws_cdk import Names, RemovalPolicy, aws_s3
from constructs import Construct

from ..errors import PipelineConfigurationError
from ..options import BucketOptions


class PipelineStorage(Construct):
    """Input, output and access-log buckets with the pipeline's secure defaults.

    Buckets the pipeline creates block public access, accept TLS only, are encrypted
    (S3-managed keys, or ``BucketOptions.encryption_key``) and log access to the log bucket.
    Buckets passed in are used as they are.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        input_bucket: aws_s3.IBucket | None,
        output_bucket: aws_s3.IBucket | None,
        bucket_options: BucketOptions | None,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        if bucket_options is not None and input_bucket is not None and output_bucket is not None:
            raise PipelineConfigurationError(
                "bucket_options",
                bucket_options,
                "bucket options apply only to buckets the pipeline creates, and both input_bucket "
                "and output_bucket were given; configure those buckets where they are defined",
            )
        # Grant S3's log delivery by bucket policy rather than the legacy LogDeliveryWrite ACL,
        # whatever the user's app sets: ACLs are deprecated and disabled on new buckets.
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        options = bucket_options or BucketOptions()
        self._options = options
        self._removal_policy = removal_policy
        creates_a_bucket = input_bucket is None or output_bucket is None

        self.access_logs_bucket: aws_s3.IBucket | None = options.access_logs_bucket
        """Where server access logs of the pipeline's own buckets go (None if it creates none)."""
        if self.access_logs_bucket is None and creates_a_bucket:
            self.access_logs_bucket = aws_s3.Bucket(
                self,
                "AccessLogs",
                # S3 server access logging can deliver only to SSE-S3 encrypted buckets.
                encryption=aws_s3.BucketEncryption.S3_MANAGED,
                block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                lifecycle_rules=[aws_s3.LifecycleRule(expiration=options.access_logs_retention)],
                removal_policy=removal_policy,
                auto_delete_objects=removal_policy == RemovalPolicy.DESTROY,
            )

        # Unique per pipeline, so pipelines that share a log bucket never mix their logs.
        logs_folder = Names.unique_id(self)
        self.input_bucket: aws_s3.IBucket = input_bucket or self._bucket(
            "Input", versioned=options.versioned_input, logs_prefix=f"{logs_folder}/input/"
        )
        """The bucket whose new objects start jobs."""
        self.output_bucket: aws_s3.IBucket = output_bucket or self._bucket(
            "Output", versioned=False, logs_prefix=f"{logs_folder}/output/"
        )
        """The bucket jobs write their results to."""

    def _bucket(self, construct_id: str, *, versioned: bool, logs_prefix: str) -> aws_s3.Bucket:
        key = self._options.encryption_key
        return aws_s3.Bucket(
            self,
            construct_id,
            encryption=aws_s3.BucketEncryption.KMS if key else aws_s3.BucketEncryption.S3_MANAGED,
            encryption_key=key,
            bucket_key_enabled=key is not None,
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=versioned,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix=logs_prefix,
            removal_policy=self._removal_policy,
            auto_delete_objects=self._removal_policy == RemovalPolicy.DESTROY,
        )
