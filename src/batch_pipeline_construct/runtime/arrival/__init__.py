"""The arrival function: S3 notifications from SQS in, AWS Batch jobs out."""
