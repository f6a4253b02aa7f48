"""The operator commands look in the Region ``cdk deploy`` used: ``--region``, else ``AWS_REGION``,
else ``AWS_DEFAULT_REGION`` or the profile's, the order of the CDK CLI and the AWS CLI; a
``--function`` ARN names its own Region.

boto3 alone reads only ``AWS_DEFAULT_REGION``: a user who set ``AWS_REGION`` (as the README's
"Before you deploy" says) was told there was no Region, or was sent to another one.
"""

from __future__ import annotations

import os

import pytest

from batch_pipeline_construct.runtime.operator.cli import main
from batch_pipeline_construct.runtime.operator.errors import EXIT_UNUSABLE, OperatorError
from batch_pipeline_construct.runtime.operator.session import use_session


@pytest.fixture(autouse=True)
def _no_region_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)


def test_aws_region_alone_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    assert use_session(region=None, profile=None) == "eu-west-1"


def test_aws_region_comes_before_aws_default_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    assert use_session(region=None, profile=None) == "eu-west-1"


def test_the_region_option_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    assert use_session(region="ap-southeast-2", profile=None) == "ap-southeast-2"


def test_aws_default_region_still_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    assert use_session(region=None, profile=None) == "us-east-1"


def test_no_region_anywhere_says_where_to_set_one() -> None:
    with pytest.raises(OperatorError, match="pass --region, set AWS_REGION"):
        use_session(region=None, profile=None)


def test_a_function_arn_names_its_region(capsys: pytest.CaptureFixture[str]) -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:lab-arrival"

    assert main(["redrive", "--function", arn]) == EXIT_UNUSABLE
    assert capsys.readouterr().err == (
        f"batch-pipeline: error: no Lambda function {arn!r} in eu-west-1"
        " (deployed to another Region? pass --region)\n"
    )
