"""Idle cost: what a deployed pipeline bills per month while no file arrives.

Reads synthesized templates (every example under ``examples/`` and the variants of
``benchmarks/_apps.py``: default, KMS keys, a VPC with NAT gateways and interface endpoints,
EC2 compute, bulk mode), lists every resource that bills by the hour or month whatever the
traffic, prices it from ``benchmarks/prices.json`` (us-east-1 list prices, with their source),
and totals it. Storage (buckets, logs, the table and its point-in-time recovery, the image) is
listed per GB, and costs nothing while empty. Everything else in the templates (queues, topic,
rules, functions, roles, Batch compute environment, job queue and job definition, the VPC
without NAT) has no idle charge.

Run alone: ``python -m benchmarks.idle_cost [--assembly DIR]``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._util import EXAMPLES, ROOT, heading, synth, table

PRICES = Path(__file__).resolve().parent / "prices.json"


@dataclass(frozen=True)
class Charge:
    """One resource that bills while idle."""

    resource: str
    kind: str
    detail: str
    monthly: float


def load_prices() -> dict[str, Any]:
    """The price table."""
    return json.loads(PRICES.read_text())


def idle_charges(
    template: dict[str, Any], prices: dict[str, Any]
) -> tuple[list[Charge], list[str], Counter[str]]:
    """(charges while idle, storage billed per GB, resource types with no idle charge)."""
    p = {name: item["price"] for name, item in prices["items"].items()}
    hours = prices["hours_per_month"]
    assumptions = prices["assumptions"]
    charges: list[Charge] = []
    storage: list[str] = []
    free: Counter[str] = Counter()
    resources = template.get("Resources", {})
    for logical_id, resource in resources.items():
        kind = resource["Type"]
        props = resource.get("Properties", {}) or {}
        if kind == "AWS::EC2::NatGateway":
            charges.append(
                Charge(
                    logical_id,
                    "NAT gateway",
                    f"${p['nat_gateway_hour']}/h",
                    p["nat_gateway_hour"] * hours,
                )
            )
        elif kind == "AWS::EC2::EIP":
            charges.append(
                Charge(
                    logical_id,
                    "public IPv4",
                    f"${p['public_ipv4_hour']}/h",
                    p["public_ipv4_hour"] * hours,
                )
            )
        elif kind == "AWS::EC2::VPCEndpoint" and props.get("VpcEndpointType") == "Interface":
            azs = len(props.get("SubnetIds", [])) or 1
            service = _service_name(props.get("ServiceName"))
            charges.append(
                Charge(
                    logical_id,
                    "interface endpoint",
                    f"{service}, {azs} AZs x ${p['interface_endpoint_az_hour']}/h",
                    p["interface_endpoint_az_hour"] * hours * azs,
                )
            )
        elif kind == "AWS::KMS::Key":
            charges.append(
                Charge(logical_id, "KMS key", "customer managed key", p["kms_key_month"])
            )
        elif kind == "AWS::CloudWatch::Alarm":
            high_resolution = int(props.get("Period", 60)) < 60
            price = (
                p["cloudwatch_high_resolution_alarm_month"]
                if high_resolution
                else p["cloudwatch_alarm_month"]
            )
            charges.append(
                Charge(logical_id, "alarm", "CloudWatch alarm, billed while idle", price)
            )
        elif kind == "AWS::Batch::ComputeEnvironment":
            compute = props.get("ComputeResources", {})
            minimum = int(compute.get("MinvCpus", 0) or 0)
            if minimum > 0:
                charges.append(
                    Charge(
                        logical_id,
                        "warm EC2",
                        f"{minimum} vCPUs kept by minvCpus",
                        minimum * p["ec2_vcpu_hour"] * hours,
                    )
                )
            else:
                free[f"{kind} ({compute.get('Type', '?')}, minvCpus 0)"] += 1
        elif kind == "AWS::Lambda::EventSourceMapping" and _is_queue(
            props.get("EventSourceArn"), resources
        ):
            requests = (
                assumptions["idle_sqs_pollers"]
                * (60 / assumptions["idle_sqs_poll_seconds"])
                * 60
                * hours
            )
            charges.append(
                Charge(
                    logical_id,
                    "SQS idle polling",
                    f"~{requests / 1e6:.2f}M empty long polls; $0 inside the 1M free requests",
                    requests / 1e6 * p["sqs_million_requests"],
                )
            )
        elif kind in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
            pitr = "PointInTimeRecoveryEnabled" in json.dumps(
                props
            ) and '"PointInTimeRecoveryEnabled": true' in json.dumps(props)
            storage.append(
                f"{logical_id}: DynamoDB storage ${p['dynamodb_storage_gb_month']}/GB-month"
                + (f" + PITR ${p['dynamodb_pitr_gb_month']}/GB-month" if pitr else "")
                + " (items expire by TTL: ~$0 idle)"
            )
        elif kind == "AWS::S3::Bucket":
            storage.append(f"{logical_id}: S3 ${p['s3_standard_gb_month']}/GB-month")
        elif kind == "AWS::Logs::LogGroup":
            storage.append(
                f"{logical_id}: CloudWatch Logs ${p['cloudwatch_logs_gb_month']}/GB-month"
            )
        else:
            free[kind] += 1
    return charges, storage, free


def _is_queue(arn: Any, resources: dict[str, Any]) -> bool:
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        return resources.get(arn["Fn::GetAtt"][0], {}).get("Type") == "AWS::SQS::Queue"
    return ":sqs:" in json.dumps(arn)


def pipelines_in(template: dict[str, Any]) -> int:
    """How many arrival functions (so pipelines) ``template`` holds."""
    return sum(
        1
        for r in template.get("Resources", {}).values()
        if r["Type"] == "AWS::Lambda::Function"
        and r.get("Properties", {}).get("Handler") == "runtime.arrival.handler.handler"
    )


def _service_name(value: Any) -> str:
    text = json.dumps(value)
    for marker in ("ecr.dkr", "ecr.api", "logs", "s3", "sts", "ecs"):
        if f".{marker}" in text:
            return marker
    return text[-20:]


def templates(
    assembly: Path | None, example_assemblies: dict[str, Path] | None = None
) -> dict[str, dict[str, Any]]:
    """Every template to price, named ``example:<name>/<stack>`` or ``variant:<stack>``."""
    out: dict[str, dict[str, Any]] = {}
    example_assemblies = dict(example_assemblies or {})
    for app in sorted(EXAMPLES.glob("*/app.py")):
        name = app.parent.name
        outdir = example_assemblies.get(name) or synth(["app.py"], cwd=app.parent).outdir
        for path in sorted(outdir.glob("*.template.json")):
            out[f"example:{name}/{path.name.removesuffix('.template.json')}"] = json.loads(
                path.read_text()
            )
    if assembly is None:
        assembly = synth(["-m", "benchmarks._apps", "variants"], cwd=ROOT).outdir
    for path in sorted(assembly.glob("*.template.json")):
        out[f"variant:{path.name.removesuffix('.template.json')}"] = json.loads(path.read_text())
    return out


def run(
    assembly: Path | None = None, example_assemblies: dict[str, Path] | None = None
) -> dict[str, Any]:
    """Price every template."""
    prices = load_prices()
    results = {}
    for name, template in templates(assembly, example_assemblies).items():
        charges, storage, free = idle_charges(template, prices)
        results[name] = {
            "resources": len(template.get("Resources", {})),
            "pipelines": pipelines_in(template),
            "charges": [c.__dict__ for c in charges],
            "monthly": sum(c.monthly for c in charges),
            "storage": storage,
            "free": dict(free),
        }
    return {"as_of": prices["as_of"], "templates": results}


def report(results: dict[str, Any]) -> str:
    """The benchmark's part of the report."""
    lines = [heading("Idle cost: monthly us-east-1 list price of what bills while no file arrives")]
    lines.append(f"prices: benchmarks/prices.json ({results['as_of']})")
    summary = []
    for name, r in results["templates"].items():
        kinds = Counter(c["kind"] for c in r["charges"])
        summary.append(
            [
                name,
                r["pipelines"],
                r["resources"],
                r["monthly"],
                ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "-",
            ]
        )
    lines.append(
        table(["template", "pipelines", "resources", "$/month idle", "what bills"], summary)
    )
    for name, r in results["templates"].items():
        if not r["charges"] or not name.startswith("variant:"):
            continue
        lines.append(f"\n{name}")
        lines.append(
            table(
                ["resource", "charge", "detail", "$/month"],
                [[c["resource"], c["kind"], c["detail"], c["monthly"]] for c in r["charges"]],
            )
        )
    first = next(iter(results["templates"].values()), None)
    default = results["templates"].get("variant:Default") or first
    if default:
        lines.append(
            "\nstorage, billed per GB stored ($0 while empty), in variant:Default:\n  "
            + "\n  ".join(default["storage"])
        )
    if default:
        lines.append(
            "\nno idle charge (variant:Default): "
            + ", ".join(f"{n} {kind}" for kind, n in sorted(default["free"].items()))
        )
    per_pipeline = {
        sum(1 for c in r["charges"] if c["kind"] == "alarm") // r["pipelines"]
        for r in results["templates"].values()
        if r["pipelines"]
    }
    count = max(per_pipeline, default=0)
    if count:
        lines.append(
            f"\nFinding: with alarms on (the default) each pipeline has {count} CloudWatch alarms: "
            f"${count * 0.10:.2f}/month (${count * 0.10 * 12:.2f}/year) per pipeline while idle, unless "
            "the account's 10 free-tier alarms cover them. AlarmOptions(enabled=False) removes them."
        )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's command-line options (none besides --assembly)."""


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--assembly", type=Path, default=None, help="a synthesized variants app (skips the synth)"
    )
    args = parser.parse_args()
    print(report(run(args.assembly)))
