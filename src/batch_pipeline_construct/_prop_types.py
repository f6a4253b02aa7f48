"""One type check of every prop and option field, driven by their annotations.

Python does not check types at run time, so ``JobOptions(memory=4096)`` would otherwise end in an
``AttributeError`` deep inside the construct. Before anything is built, each value is compared
with its annotation (the constructor's signature, and the fields of each option dataclass), and
every mismatch becomes a :class:`PipelineConfigurationError` that says what to write instead.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import functools
import inspect
import os
import re
import shlex
import types
import typing
from collections.abc import Callable, Mapping, Sequence

from aws_cdk import Duration, Size, aws_ec2

from ._as_written import duration_call, plain, size_call, type_name
from .errors import PipelineConfigurationError

_NOT_CHECKED = frozenset(("self", "scope", "construct_id"))


RENAMED_PROPS: Mapping[str, str] = {
    "bulk": "mode=BulkOptions(...)",
    "notification_emails": "notifications=NotificationOptions(emails=[...])",
    "topic_encryption_key": "notifications=NotificationOptions(topic_encryption_key=...)",
    "vpc_subnets": "compute=ComputeOptions(subnets=...)",
}
"""Props of earlier versions, and what to write instead."""


def raise_for_wrong_types(constructor: Callable[..., object], given: Mapping[str, object]) -> None:
    """Raise one :class:`PipelineConfigurationError` listing every prop of the wrong type.

    A constructor's ``**keywords`` parameter collects names that are not props (an earlier
    version's, a typo): each is reported too, with what to write instead.
    """
    hints = typing.get_type_hints(constructor)
    problems: list[PipelineConfigurationError] = []
    parameters = inspect.signature(constructor).parameters
    props = [
        name
        for name, parameter in parameters.items()
        if name not in _NOT_CHECKED and parameter.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    for name, parameter in parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            unknown = given.get(name)
            if isinstance(unknown, Mapping):
                problems += [_not_a_prop(key, value, props) for key, value in unknown.items()]
        elif name not in _NOT_CHECKED and name in given:
            problems += _check(name, given[name], hints[name])
    _raise_all(problems)


_OptionGroup = typing.TypeVar("_OptionGroup", bound=type)


def checks_fields_given(group: _OptionGroup) -> _OptionGroup:
    """Make the option dataclass ``group`` refuse, with one :class:`PipelineConfigurationError`,
    every keyword that is none of its fields and every required field left out.

    Python's own ``TypeError: __init__() got an unexpected keyword argument`` (or ``missing 1
    required keyword-only argument``) comes with a traceback and names neither the class nor
    the field meant; this names both (``JobOptions(vcpu=2)``: did you mean ``vcpus``?).
    """
    init: Callable[..., None] = vars(group)["__init__"]
    fields = [field for field in dataclasses.fields(group) if field.init]
    names = [field.name for field in fields]
    positional = [field.name for field in fields if not field.kw_only]
    hints = typing.get_type_hints(group)
    required = [
        field.name
        for field in fields
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    ]

    @functools.wraps(init)
    def checked_init(self: object, *args: object, **keywords: object) -> None:
        given = {*keywords, *positional[: len(args)]}
        _raise_all(
            [
                _unknown_name(f"{group.__name__}.{name}", value, group.__name__, "field", names)
                for name, value in keywords.items()
                if name not in names
            ]
            + [
                PipelineConfigurationError(
                    f"{group.__name__}.{name}",
                    _NOT_GIVEN,
                    f"required, {_expected(hints[name])}; write "
                    f"{_instead(name, _NOT_GIVEN, hints[name])}",
                )
                for name in required
                if name not in given
            ]
        )
        init(self, *args, **keywords)

    setattr(group, "__init__", checked_init)  # noqa: B010 (mypy refuses assigning a method)
    return group


class _NotGiven:
    """The value of a required field left out, as an error message shows it."""

    def __repr__(self) -> str:
        return "(not given)"


_NOT_GIVEN = _NotGiven()


def _raise_all(problems: Sequence[PipelineConfigurationError]) -> None:
    """Raise one error listing every problem, if there is any."""
    if problems:
        first, *more = problems
        raise PipelineConfigurationError(first.prop, first.value, first.allowed, more=more)


def _not_a_prop(name: str, value: object, props: Sequence[str]) -> PipelineConfigurationError:
    if name in RENAMED_PROPS:
        return PipelineConfigurationError(
            name, value, f"a prop of 0.1.0, now {RENAMED_PROPS[name]}"
        )
    return _unknown_name(name, value, "BatchFilePipeline", "prop", props)


def _unknown_name(
    prop: str, value: object, owner: str, kind: str, names: Sequence[str]
) -> PipelineConfigurationError:
    """``prop`` is no ``kind`` (prop, field) of ``owner``: which of ``names`` was meant."""
    name = prop.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]}=? " if close else ""
    return PipelineConfigurationError(
        prop, value, f"not a {kind} of {owner}; {hint}the {kind}s are {', '.join(names)}"
    )


def _check(prop: str, value: object, hint: object) -> list[PipelineConfigurationError]:
    if _fits(value, hint):
        option_group = _dataclass_of(hint, value)
        if option_group is not None and value is not None:
            return _check_fields(prop, value, option_group)
        return _check_items(prop, value, hint)
    item_hint = _item_hint(hint, value)
    if item_hint is not None and isinstance(value, Sequence):
        # A list where a list is expected: name the wrong items (``job.sizes[0]``).
        return [
            problem
            for index, item in enumerate(value)
            for problem in _check(f"{prop}[{index}]", item, item_hint)
        ]
    return [PipelineConfigurationError(prop, value, _advice(prop, value, hint))]


def _item_hint(hint: object, value: object) -> object | None:
    """The items' type when ``hint`` is a list type and ``value`` a list (or tuple); else None."""
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return None
    for arm in _arms(hint):
        if typing.get_origin(arm) in (Sequence, list, tuple) and typing.get_args(arm):
            item: object = typing.get_args(arm)[0]
            return item
    return None


def _check_items(prop: str, value: object, hint: object) -> list[PipelineConfigurationError]:
    """The fields of each option dataclass in a sequence (``job.sizes[1].vcpus``)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) not in (Sequence, list, tuple) or not isinstance(value, Sequence):
        return []
    if not args or not (isinstance(args[0], type) and dataclasses.is_dataclass(args[0])):
        return []
    problems = []
    for index, item in enumerate(value):
        problems += _check_fields(f"{prop}[{index}]", item, args[0])
    return problems


def _check_fields(prop: str, value: object, option_group: type) -> list[PipelineConfigurationError]:
    hints = typing.get_type_hints(option_group)
    problems = []
    for field in dataclasses.fields(option_group):
        problems += _check(f"{prop}.{field.name}", getattr(value, field.name), hints[field.name])
    return problems


def _arms(hint: object) -> tuple[object, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _dataclass_of(hint: object, value: object) -> type | None:
    """The option dataclass of ``hint`` that ``value`` is (one of several, for the mode)."""
    for arm in _arms(hint):
        if isinstance(arm, type) and dataclasses.is_dataclass(arm) and isinstance(value, arm):
            return arm
    return None


def _fits(value: object, hint: object) -> bool:
    if hint is typing.Any:
        return True
    if len(_arms(hint)) > 1:
        return any(_fits(value, arm) for arm in _arms(hint))
    if hint is None or hint is type(None):
        return value is None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is not None:
        return _fits_generic(value, origin, args)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(hint, type) and getattr(hint, "_is_protocol", False):
        return _implements(value, hint)
    return isinstance(hint, type) and isinstance(value, hint)


def _fits_generic(value: object, origin: object, args: tuple[object, ...]) -> bool:
    if origin in (Sequence, list, tuple):
        return (
            isinstance(value, Sequence)
            and not isinstance(value, str | bytes)
            and all(_fits(item, args[0]) for item in value)
        )
    if origin in (Mapping, dict):
        return isinstance(value, Mapping) and all(
            _fits(key, args[0]) and _fits(item, args[1]) for key, item in value.items()
        )
    if origin is os.PathLike:
        return isinstance(value, os.PathLike)
    return isinstance(origin, type) and isinstance(value, origin)


def _implements(value: object, interface: type) -> bool:
    """Whether a jsii object (or a Python class decorated ``@jsii.implements``) is an ``interface``.

    jsii hands back an object it knows only by several interfaces as a dynamic proxy over one
    proxy per interface (its ``_delegates``): it is an ``interface`` if one of them is.
    """
    delegates = vars(value).get("_delegates") if hasattr(value, "__dict__") else None
    if isinstance(delegates, list):
        return any(_implements(delegate, interface) for delegate in delegates)
    declared = getattr(type(value), "__jsii_ifaces__", ())
    if any(interface in getattr(i, "__mro__", ()) for i in declared):
        return True
    proxy = getattr(interface, "__jsii_proxy_class__", lambda: None)()
    return proxy is not None and isinstance(value, proxy)


def _name(hint: object) -> str:
    """A type as a user writes it: ``Size``, ``aws_s3.IBucket``, ``list of str``."""
    arms = [arm for arm in _arms(hint) if arm is not type(None)]
    if len(arms) > 1:
        return " or ".join(_name(arm) for arm in arms)
    (hint,) = arms
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Sequence, list, tuple):
        return f"a list of {_name(args[0])}"
    if origin in (Mapping, dict):
        return f"a dict of {_name(args[0])} to {_name(args[1])}"
    if origin is os.PathLike:
        return "a pathlib.Path"
    if not isinstance(hint, type):
        return str(hint)
    module = hint.__module__
    if module.startswith("aws_cdk.aws_"):
        return f"{module.rsplit('.', 1)[1]}.{hint.__name__}"
    return hint.__name__


def _expected(hint: object) -> str:
    name = _name(hint)
    return (
        name
        if name.startswith(("a ", "an "))
        else f"{'an' if name[0] in 'AEIOUaeiou' else 'a'} {name}"
    )


def _advice(prop: str, value: object, hint: object) -> str:
    given = type_name(value)
    article = "an" if given[0] in "aeiouAEIOU" else "a"
    return (
        f"{article} {given} where {_expected(hint)} is expected; "
        f"write {_instead(prop, value, hint)}"
    )


def _instead(prop: str, value: object, hint: object) -> str:
    """What to write instead of ``value``, as close to the user's intent as can be guessed."""
    arms = [arm for arm in _arms(hint) if arm is not type(None)]
    expected = arms[0]
    if isinstance(value, type) and value in arms and dataclasses.is_dataclass(value):
        return f"{value.__name__}() (an instance, not the class)"
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if isinstance(value, str) and expected in (Size, Duration):
        amount, unit = _amount(value)
        method = _UNITS[expected].get(unit)
        if amount is not None and method is not None:
            return f"{expected.__name__}.{method}({amount:g}) (from aws_cdk import {expected.__name__})"
    if expected is Size:
        if number is not None:
            return f"{_size(prop, number)} (from aws_cdk import Size)"
        return "Size.gibibytes(2) or Size.mebibytes(2048) (from aws_cdk import Size)"
    if expected is Duration:
        if number is not None:
            return _duration(number)
        return "Duration.minutes(5) (from aws_cdk import Duration)"
    if isinstance(expected, type) and dataclasses.is_dataclass(expected):
        return _option_group(expected, value)
    if isinstance(expected, type) and issubclass(expected, enum.Enum):
        return _member(expected, value)
    if isinstance(expected, type) and getattr(expected, "_is_protocol", False):
        return _import(expected, prop, value)
    if expected is aws_ec2.SubnetSelection:
        return "aws_ec2.SubnetSelection(subnet_type=aws_ec2.SubnetType.PRIVATE_WITH_EGRESS)"
    if typing.get_origin(expected) in (Sequence, list, tuple):
        if isinstance(value, str) and prop.endswith("command"):
            # Batch runs a command's first word with the others as its arguments, no shell.
            return f"a list of its words, e.g. {shlex.split(value)!r}"
        (item,) = typing.get_args(expected)[:1] or (str,)
        if isinstance(value, str):
            example = repr(value)
        elif isinstance(item, type) and dataclasses.is_dataclass(item):
            example = f"{item.__name__}(...), ..."
        else:
            example = "'...'"
        return f"a list or tuple, e.g. [{example}]"
    if typing.get_origin(expected) in (Mapping, dict):
        return "a dict of strings, e.g. {'THREADS': '4'} (numbers quoted)"
    plain: dict[object, str] = {
        bool: "True or False",
        int: "a whole number, e.g. 4",
        float: "a number, e.g. 0.5",
        str: "a string (in quotes)",
    }
    return plain.get(expected, _name(hint))


_UNITS: dict[object, dict[str, str]] = {
    Size: {
        **dict.fromkeys(("gb", "gib", "g"), "gibibytes"),
        **dict.fromkeys(("mb", "mib", "m"), "mebibytes"),
    },
    Duration: {
        **dict.fromkeys(("h", "hr", "hour", "hours"), "hours"),
        **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "minutes"),
        **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "seconds"),
        **dict.fromkeys(("d", "day", "days"), "days"),
    },
}
"""How people write units in text (``"4GB"``, ``"30 min"``) -> the ``Size``/``Duration`` method."""


_NUMBER_UNITS: Mapping[str, str] = {
    "up_to": "bytes",
    "ephemeral_storage": "gibibytes",
    "root_volume_size": "gibibytes",
}
"""The unit a bare number for a ``Size`` field is taken in, by field name: a file's size in bytes,
a disk in GiB (as AWS Batch and the console give them); any other (memory) in MiB."""


def _size(prop: str, number: float) -> str:
    """``Size.<unit>(n)`` for a bare ``number`` given for the ``Size`` field ``prop``."""
    unit = _NUMBER_UNITS.get(prop.rsplit(".", 1)[-1], "mebibytes")
    if unit == "bytes":
        return size_call(number)
    return f"Size.{unit}({plain(number)})"


def _amount(text: str) -> tuple[float | None, str]:
    """``"4 GB"`` -> (4.0, "gb"); (None, "") when the text is not a number and a unit."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*", text)
    if match is None:
        return None, ""
    return float(match.group(1)), match.group(2).lower()


def _duration(seconds: float) -> str:
    # Rounded: 2.01 s is 2009.9999999999998 ms in floating point.
    return f"{duration_call(round(seconds * 1000, 3))} (from aws_cdk import Duration)"


def _option_group(group: type, value: object) -> str:
    if isinstance(value, enum.Enum):
        for field in dataclasses.fields(group):
            if typing.get_type_hints(group)[field.name] is type(value):
                return f"{group.__name__}({field.name}={type(value).__name__}.{value.name})"
    if isinstance(value, Mapping):
        arguments = ", ".join(f"{key}={item!r}" for key, item in value.items())
        return f"{group.__name__}({arguments})"
    return f"{group.__name__}(...)"


def _member(kind: type[enum.Enum], value: object) -> str:
    for member in kind:
        if value == member.value or (isinstance(value, str) and value.upper() == member.name):
            return f"{kind.__name__}.{member.name}"
    names = [f"{kind.__name__}.{member.name}" for member in kind]
    return " or ".join(names) if len(names) <= 3 else f"one of {', '.join(names[:6])}, ..."


def _import(interface: type, prop: str, value: object) -> str:
    """How to make an ``interface`` from a name or ARN the user has."""
    construct_id = "".join(part.capitalize() for part in prop.split(".")[-1].split("_"))
    text = f'"{value}"' if isinstance(value, str) else '"..."'
    calls = {
        "IBucket": f'aws_s3.Bucket.from_bucket_name(self, "{construct_id}", {text})',
        "ITopic": f'aws_sns.Topic.from_topic_arn(self, "{construct_id}", {text})',
        "IKey": f'aws_kms.Key.from_key_arn(self, "{construct_id}", {text})',
        "IVpc": f'aws_ec2.Vpc.from_lookup(self, "{construct_id}", vpc_id={text})',
        "IFileSystem": f'aws_efs.FileSystem.from_file_system_attributes(self, "{construct_id}", '
        f"file_system_id={text}, security_group=...)",
    }
    return calls.get(interface.__name__, f"an {_name(interface)} construct")
