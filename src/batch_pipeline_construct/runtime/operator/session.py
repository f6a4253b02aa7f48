"""The AWS session every operator command uses: ``--profile`` and ``--region`` applied once.

The commands call the arrival function's own code, which takes its clients from
:mod:`..clients`; those are created from boto3's default session, so configuring that session
here makes every client, the operator's and the arrival code's, use the same credentials and
Region.
"""

from __future__ import annotations

import os

from .. import clients
from .errors import OperatorError

INSTALL_HINT = 'pip install "batch-pipeline-construct[operator]"'
"""How to install what the operator commands need."""


def use_session(*, region: str | None, profile: str | None) -> str:
    """Make ``profile`` and ``region`` the default for every client; return the Region used.

    Without ``region``, ``AWS_REGION`` comes before ``AWS_DEFAULT_REGION`` and the profile's, as
    in the CDK CLI and the AWS CLI, so the commands look where ``cdk deploy`` put the pipeline.
    """
    try:
        import boto3
        from botocore.exceptions import ProfileNotFound
    except ModuleNotFoundError as error:
        raise OperatorError(f"the operator commands need {error.name}: {INSTALL_HINT}") from error
    try:
        boto3.setup_default_session(
            profile_name=profile, region_name=region or os.environ.get("AWS_REGION") or None
        )
    except ProfileNotFound as error:
        raise OperatorError(f"{error} (see ~/.aws/config, or leave out --profile)") from error
    clients.reset()
    session = boto3.DEFAULT_SESSION
    chosen = session.region_name if session is not None else None
    if not chosen:
        raise OperatorError(
            "no AWS Region: pass --region, set AWS_REGION, or set a region in your profile"
        )
    return chosen
