"""Write the reference file of the shared data, then the input, to ``annotated.json``, and
whether the shared data could be written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3

shared = Path(os.environ["SHARED_DATA_DIR"])
s3 = boto3.client("s3")
body = s3.get_object(Bucket=os.environ["INPUT_BUCKET"], Key=os.environ["INPUT_KEY"])["Body"].read()
try:
    (shared / "written-by-a-job").write_text("x")
    writable = True
except OSError:
    writable = False
result = {
    "shared_data_dir": str(shared),
    "reference": (shared / "reference.txt").read_text(),
    "input": body.decode(),
    "shared_data_writable": writable,
}
s3.put_object(
    Bucket=os.environ["OUTPUT_BUCKET"],
    Key=os.environ["OUTPUT_PREFIX"] + "annotated.json",
    Body=json.dumps(result).encode(),
)
