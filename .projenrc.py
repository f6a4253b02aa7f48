"""Project definition: the source of truth for every file projen generates.

Run ``python .projenrc.py`` (or ``./scripts/test``, which does it for you) after editing.
"""

from projen.python import PythonProject

PROJEN_VERSION = "0.103.25"  # npm serves this release; the Python and npm sides must match

project = PythonProject(
    name="batch-pipeline-construct",
    module_name="batch_pipeline_construct",
    version="0.1.0",
    description="An AWS CDK construct: files that land in S3 are processed by AWS Batch jobs built from your Dockerfile.",
    author_name="batch-pipeline-construct maintainers",
    author_email="maintainers@batch-pipeline-construct.invalid",
    license="Apache-2.0",
    projen_command=f"npx projen@{PROJEN_VERSION}",
    uv=True,
    pip=False,
    venv=False,
    setuptools=False,
    sample=False,
    uv_options={
        "project": {
            "name": "batch-pipeline-construct",
            "requires_python": ">=3.11",
        },
        "build_system": {
            "requires": ["hatchling>=1.27"],
            "build_backend": "hatchling.build",
        },
    },
    deps=[
        "aws-cdk-lib@^2.275.0",
        "constructs@^10.8.1",
    ],
    dev_deps=[
        f"projen@{PROJEN_VERSION}",
        "pytest@^9.0.0",
        "pytest-xdist@^3.8.0",
        "syrupy@^7.0.0",
        "moto[s3,sqs,batch,dynamodb]@^5.2.0",
        "boto3@^1.40.0",
        "hypothesis@^6.150.0",
        "cdk-nag@^3.0.2",
        "cfn-lint@^1.58.0",
        "aws-cdk.integ-tests-alpha@2.275.0a0",
        "mypy@^2.4.0",
        "ruff@~0.17.0",
        "boto3-stubs[s3,sqs,batch,dynamodb,lambda]@^1.43.0",
        "twine@^7.0.0",
        "build@^1.6.0",
        "pyyaml@^6.0.0",
        "check-jsonschema@^0.39.0",
    ],
)

for pattern in ("/tools/node_modules/", "/.tools/", "cdk.out/", "/dist/", ".benchmarks/"):
    project.gitignore.exclude(pattern)

project.synth()
