"""Values as a user writes them in Python, for error messages.

jsii objects print as ``<aws_cdk.Size object at 0x...>``, which tells a user nothing: a ``Size``
reads ``Size.gibibytes(10)`` and a ``Duration`` ``Duration.minutes(5)`` here, also inside the
option groups, lists and dicts that hold them; an enum member ``ComputeType.EC2``, a construct
its type and path (``<aws_s3.Bucket Stack/Input>``), a jsii struct its fields. Everything else
reads as its ``repr``.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping

from aws_cdk import Duration, Size, SizeRoundingBehavior
from constructs import Construct

_SIZE_UNITS = (
    ("pebibytes", 1024**5),
    ("tebibytes", 1024**4),
    ("gibibytes", 1024**3),
    ("mebibytes", 1024**2),
    ("kibibytes", 1024),
)
_DURATION_UNITS = (
    ("days", 86_400_000),
    ("hours", 3_600_000),
    ("minutes", 60_000),
    ("seconds", 1000),
)


def as_written(value: object) -> str:
    """``value`` as Python source a user would write: ``Size.gibibytes(10)``, ``Duration.minutes(5)``."""
    if isinstance(value, Size):
        if value.is_unresolved():
            return "Size(<token>)"
        return size_call(value.to_bytes(rounding=SizeRoundingBehavior.NONE))
    if isinstance(value, Duration):
        if value.is_unresolved():
            return f"Duration(<token> {value.unit_label()})"
        return duration_call(value.to_milliseconds(integral=False))
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    path = _construct_path(value)
    if path is not None:
        return f"<{type_name(value)} {path}>"
    struct = getattr(value, "_values", None)
    if isinstance(struct, dict) and type(value).__module__.startswith("aws_cdk"):
        # A jsii struct (aws_ec2.SubnetSelection): its fields are kept in ``_values``.
        fields = ", ".join(f"{name}={as_written(item)}" for name, item in struct.items())
        return f"{type(value).__name__}({fields})"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ", ".join(
            f"{field.name}={as_written(getattr(value, field.name))}"
            for field in dataclasses.fields(value)
            if field.repr
        )
        return f"{type(value).__name__}({fields})"
    if isinstance(value, list | tuple):
        items = [as_written(item) for item in value]
        if isinstance(value, tuple):
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        return f"[{', '.join(items)}]"
    if isinstance(value, Mapping):
        pairs = ", ".join(f"{as_written(key)}: {as_written(item)}" for key, item in value.items())
        return f"{{{pairs}}}"
    return repr(value)


def type_name(value: object) -> str:
    """The type of ``value`` as a user writes it: ``aws_s3.Bucket``, ``Size``, ``int``; a jsii
    proxy (``_BucketBaseProxy``, what an imported resource is) by the class it stands for."""
    delegates = vars(value).get("_delegates") if hasattr(value, "__dict__") else None
    if isinstance(delegates, list) and delegates:
        # jsii's dynamic proxy of an object it knows by several interfaces (Resource and
        # aws_efs.IFileSystem): name it by the most specific, a service's.
        names = [type_name(delegate) for delegate in delegates]
        return next((name for name in names if "." in name), names[0])
    kind = type(value)
    name = kind.__name__
    if name.startswith("_") and name.endswith("Proxy") and kind.__module__.startswith("aws_cdk"):
        name = name[1 : -len("Proxy")]
    if kind.__module__.startswith("aws_cdk.aws_"):
        return f"{kind.__module__.rsplit('.', 1)[1]}.{name}"
    return name


def size_call(count: float) -> str:
    """``Size.<unit>(n)`` for ``count`` bytes, in the largest binary unit that holds it whole."""
    return _call("Size", count, _SIZE_UNITS, "bytes")


def duration_call(milliseconds: float) -> str:
    """``Duration.<unit>(n)`` for ``milliseconds``, in the largest unit that holds it whole."""
    if not milliseconds:
        return "Duration.seconds(0)"
    return _call("Duration", milliseconds, _DURATION_UNITS, "millis")


def plain(number: float) -> str:
    """A number as a user writes it: ``1500000000``, ``0.5`` (never ``1.5e+09``)."""
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def _call(kind: str, amount: float, units: tuple[tuple[str, int], ...], smallest: str) -> str:
    for unit, factor in units:
        if amount and amount % factor == 0:
            return f"{kind}.{unit}({plain(amount / factor)})"
    return f"{kind}.{smallest}({plain(amount)})"


def _construct_path(value: object) -> str | None:
    """The construct path of ``value``, if it is a construct (or jsii's proxy of one)."""
    if not isinstance(value, Construct) and not hasattr(value, "_delegates"):
        return None
    path = getattr(getattr(value, "node", None), "path", None)
    return path if isinstance(path, str) else None
