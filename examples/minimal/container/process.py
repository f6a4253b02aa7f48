"""The example job: read the object at INPUT_URI, write a summary of it under OUTPUT_URI.

It needs no AWS knowledge beyond S3: everything comes from the job contract's environment
variables. The summary holds the size, SHA-256, line and word counts and the most common words.
A file that is not UTF-8 text fails the job with exit code 3, the job resolver's "this file is
bad, do not retry it" (the reason goes to standard error), so the pipeline reports it FAILED.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

import boto3

_WORD = re.compile(rb"[A-Za-z0-9']+")


def summarize(data: bytes) -> dict[str, Any]:
    """What the job computes for one file."""
    words = [w.lower().decode() for w in _WORD.findall(data)]
    return {
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "lines": data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0),
        "words": len(words),
        "top_words": collections.Counter(words).most_common(10),
    }


class NotText(Exception):
    """The input is not UTF-8 text: the job rejects it."""


def run(environ: Mapping[str, str], s3: Any) -> str:
    """Process the contract's input object; returns the key of the summary it wrote."""
    body = s3.get_object(Bucket=environ["INPUT_BUCKET"], Key=environ["INPUT_KEY"])["Body"].read()
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotText(f"{environ['INPUT_URI']} is not UTF-8 text (byte {error.start})") from None
    summary = {"input": environ["INPUT_URI"], **summarize(body)}
    key = environ["OUTPUT_PREFIX"] + "summary.json"
    s3.put_object(
        Bucket=environ["OUTPUT_BUCKET"],
        Key=key,
        Body=json.dumps(summary, indent=2).encode(),
        ContentType="application/json",
    )
    print(
        json.dumps(
            {
                "event": "summary_written",
                "input": environ["INPUT_URI"],
                "output": f"s3://{environ['OUTPUT_BUCKET']}/{key}",
            }
        )
    )
    return key


if __name__ == "__main__":
    try:
        run(os.environ, boto3.client("s3"))
    except NotText as reason:
        print(f"rejected: {reason}", file=sys.stderr)
        sys.exit(3)
