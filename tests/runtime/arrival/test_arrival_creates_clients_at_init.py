"""In Lambda the arrival handler creates its boto3 clients when its module is imported (INIT),
not in the first invocation; elsewhere (tests, the operator) a client is made on first use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import batch_pipeline_construct

ASSET = Path(batch_pipeline_construct.__file__).parent  # holds runtime/, as the Lambda asset does

SCRIPT = """
import json
import runtime.arrival.handler
from runtime import clients
factories = (clients.batch, clients.dynamodb, clients.s3, clients.sqs)
print(json.dumps([factory.cache_info().currsize for factory in factories]))
"""


def clients_made_at_import(extra_env: dict[str, str]) -> list[int]:
    env = {
        "PYTHONPATH": str(ASSET),
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        **extra_env,
    }
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return list(json.loads(completed.stdout))


def test_in_lambda_every_client_exists_before_the_first_invocation() -> None:
    assert clients_made_at_import({"AWS_LAMBDA_FUNCTION_NAME": "arrival"}) == [1, 1, 1, 1]


def test_outside_lambda_no_client_is_made_at_import() -> None:
    assert clients_made_at_import({}) == [0, 0, 0, 0]
