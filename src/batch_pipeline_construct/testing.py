"""Helpers for snapshot tests of stacks that use ``BatchFilePipeline``.

A synthesized template changes whenever an asset changes: the handler's zip and the job image are
named by the hash of their contents, and a Lambda version's logical ID includes the hash of its
code. A snapshot of the raw template would therefore break on every edit of a Dockerfile or a
job script, although the infrastructure is the same. :func:`normalize_template` replaces those
values with stable placeholders, so a snapshot changes only when the infrastructure does.

With `syrupy <https://github.com/syrupy-project/syrupy>`_ installed (``pip install syrupy``),
:class:`TemplateSnapshotExtension` and the ``template_snapshot`` fixture do this for you::

    # conftest.py
    pytest_plugins = ["batch_pipeline_construct.testing"]

    # test_my_stack.py
    def test_my_stack_matches_snapshot(template_snapshot):
        assert template_snapshot == MyStack(App(), "MyStack")

Snapshots are written as readable ``.json`` files next to the test, in ``__snapshots__``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

__all__ = [
    "ASSET_HASH_PLACEHOLDER",
    "VERSION_HASH_PLACEHOLDER",
    "TemplateSnapshotExtension",
    "normalize_template",
    "template_snapshot",
]

ASSET_HASH_PLACEHOLDER = "<asset-hash-{n}>"
"""What an asset hash becomes; ``{n}`` numbers distinct hashes from 1, in order of first appearance."""

VERSION_HASH_PLACEHOLDER = "<version-hash-{n}>"
"""What the code hash at the end of a Lambda version's logical ID becomes, numbered like assets."""

_MISSING_DEPENDENCY = (
    "batch_pipeline_construct.testing.{name} needs {package}, which is not installed. "
    "Install it in your test environment: pip install {package}"
)

# A CDK asset hash is the SHA-256 of the asset's contents: 64 lowercase hex digits, found alone
# or inside a longer string (an S3 key "<hash>.zip", an image URI "...:<hash>", a template URL).
_ASSET_HASH = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
# `fn.current_version` is named <id>CurrentVersion<8 hex of the path><32 hex of the code+config>.
_VERSION_LOGICAL_ID = re.compile(r"^(?P<stem>.+?)(?P<hash>[0-9a-f]{32})$")
_BOOTSTRAP_PARAMETER = "BootstrapVersion"
_BOOTSTRAP_RULE = "CheckBootstrapVersion"
_CDK_METADATA_TYPE = "AWS::CDK::Metadata"
_CDK_METADATA_CONDITION = "CDKMetadataAvailable"
_DROPPED_METADATA_KEYS = ("aws:cdk:path",)
_DROPPED_METADATA_PREFIXES = ("aws:asset:",)


def normalize_template(template: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deep copy of a CloudFormation template that no longer changes with asset contents.

    What is replaced or removed:

    * every asset hash (64 hex digits, alone or inside a string such as an S3 key
      ``<hash>.zip``, an ECR image URI ``...container-assets-...:<hash>``, or a piece of an
      ``Fn::Sub`` / ``Fn::Join``) becomes ``<asset-hash-N>``;
    * the code hash at the end of an ``AWS::Lambda::Version`` logical ID (``fn.current_version``)
      becomes ``<version-hash-N>``, everywhere that ID is used (``Ref``, ``Fn::GetAtt``,
      ``DependsOn``, ``Fn::Sub``);
    * resource metadata ``aws:cdk:path`` and ``aws:asset:*`` are removed (and ``Metadata`` if
      nothing is left);
    * the ``BootstrapVersion`` parameter, the ``CheckBootstrapVersion`` rule, ``AWS::CDK::Metadata``
      resources and their ``CDKMetadataAvailable`` condition are removed (and the sections that
      become empty).

    ``N`` counts distinct hashes from 1 in order of first appearance, visiting keys in sorted
    order (the order of a JSON snapshot). The same hash always gets the same placeholder and
    different hashes get different ones, so two assets stay distinguishable and a snapshot still
    notices an asset being added or removed. Everything else, including logical IDs, is kept.

    :param template: A synthesized template, e.g. ``Template.from_stack(stack).to_json()``.
        It is not modified.
    :returns: The normalized copy.
    """
    result: dict[str, Any] = copy.deepcopy(dict(template))
    _drop_cdk_bookkeeping(result)
    renames = _version_logical_id_renames(result)

    def rename(value: str) -> str:
        for old, new in renames.items():
            value = value.replace(old, new)
        return value

    asset_numbers: dict[str, str] = {}
    for text in _strings_in_sorted_order(result):
        for match in _ASSET_HASH.finditer(text):
            _number(asset_numbers, match[0])

    def normalize_string(value: str) -> str:
        return _ASSET_HASH.sub(lambda match: asset_numbers[match[0]], rename(value))

    normalized: dict[str, Any] = _map_strings(result, normalize_string)
    return normalized


def _number(numbers: dict[str, str], hash_: str, placeholder: str = ASSET_HASH_PLACEHOLDER) -> str:
    if hash_ not in numbers:
        numbers[hash_] = placeholder.format(n=len(numbers) + 1)
    return numbers[hash_]


def _drop_cdk_bookkeeping(template: dict[str, Any]) -> None:
    """Remove what the CDK adds for itself rather than for the infrastructure."""
    _pop_and_prune(template, "Parameters", _BOOTSTRAP_PARAMETER)
    _pop_and_prune(template, "Rules", _BOOTSTRAP_RULE)
    _pop_and_prune(template, "Conditions", _CDK_METADATA_CONDITION)
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        return
    for logical_id in sorted(resources):
        resource = resources[logical_id]
        if not isinstance(resource, dict):
            continue
        if resource.get("Type") == _CDK_METADATA_TYPE:
            del resources[logical_id]
            continue
        metadata = resource.get("Metadata")
        if isinstance(metadata, dict):
            for key in sorted(metadata):
                if key in _DROPPED_METADATA_KEYS or key.startswith(_DROPPED_METADATA_PREFIXES):
                    del metadata[key]
            if not metadata:
                del resource["Metadata"]


def _pop_and_prune(template: dict[str, Any], section: str, key: str) -> None:
    entries = template.get(section)
    if isinstance(entries, dict):
        entries.pop(key, None)
        if not entries:
            del template[section]


def _version_logical_id_renames(template: Mapping[str, Any]) -> dict[str, str]:
    """Map each Lambda version logical ID that ends in a code hash to its stable form."""
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        return {}
    numbers: dict[str, str] = {}
    renames: dict[str, str] = {}
    for logical_id in sorted(resources):
        resource = resources[logical_id]
        if not (isinstance(resource, Mapping) and resource.get("Type") == "AWS::Lambda::Version"):
            continue
        match = _VERSION_LOGICAL_ID.match(logical_id)
        if match:
            placeholder = _number(numbers, match["hash"], VERSION_HASH_PLACEHOLDER)
            renames[logical_id] = match["stem"] + placeholder
    return renames


def _strings_in_sorted_order(value: Any) -> Iterator[str]:
    """Every string in ``value`` (keys included), visiting keys in sorted order."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key in sorted(value):
            yield key
            yield from _strings_in_sorted_order(value[key])
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in_sorted_order(item)


def _map_strings(value: Any, function: Callable[[str], str]) -> Any:
    """A copy of ``value`` with ``function`` applied to every string (keys included)."""
    if isinstance(value, str):
        return function(value)
    if isinstance(value, dict):
        return {function(key): _map_strings(item, function) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, function) for item in value]
    return value


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is there whenever the fixture can be used
    _HAVE_PYTEST = False
else:
    _HAVE_PYTEST = True

try:
    from syrupy.extensions.json import JSONSnapshotExtension
except ImportError:  # pragma: no cover - exercised only where syrupy is not installed
    _HAVE_SYRUPY = False
else:
    _HAVE_SYRUPY = True

if TYPE_CHECKING:
    from syrupy.assertion import SnapshotAssertion
    from syrupy.types import PropertyFilter, PropertyMatcher, SerializableData, SerializedData

if TYPE_CHECKING or _HAVE_SYRUPY:

    class TemplateSnapshotExtension(JSONSnapshotExtension):
        """A syrupy extension that snapshots CloudFormation templates with asset hashes normalized.

        It accepts an ``aws_cdk.Stack`` (synthesized with
        ``aws_cdk.assertions.Template.from_stack(stack).to_json()``) or a template ``dict``,
        passes it through :func:`normalize_template`, and writes it as an indented ``.json``
        file with sorted keys. Use it with ``snapshot.use_extension(TemplateSnapshotExtension)``
        or through the ``template_snapshot`` fixture.
        """

        def serialize(
            self,
            data: SerializableData,
            *,
            exclude: PropertyFilter | None = None,
            include: PropertyFilter | None = None,
            matcher: PropertyMatcher | None = None,
        ) -> SerializedData:
            """Normalize ``data`` (a Stack or a template dict) and render it as JSON.

            :param data: An ``aws_cdk.Stack`` or a template ``dict``.
            :param exclude: As in syrupy: properties to leave out of the snapshot.
            :param include: As in syrupy: the only properties to keep in the snapshot.
            :param matcher: As in syrupy: replaces values (e.g. with ``path_type``) before
                serializing.
            :raises TypeError: For any other value.
            """
            return super().serialize(
                normalize_template(_template_of(data)),
                exclude=exclude,
                include=include,
                matcher=matcher,
            )

    def _template_of(data: object) -> Mapping[str, Any]:
        import aws_cdk
        from aws_cdk.assertions import Template

        if isinstance(data, aws_cdk.Stack):
            return Template.from_stack(data).to_json()
        if isinstance(data, Mapping):
            return data
        raise TypeError(
            "TemplateSnapshotExtension snapshots an aws_cdk.Stack or a template dict, "
            f"not {type(data).__name__}"
        )


if TYPE_CHECKING or _HAVE_PYTEST:

    @pytest.fixture
    def template_snapshot(request: pytest.FixtureRequest) -> SnapshotAssertion:
        """syrupy's ``snapshot`` fixture using :class:`TemplateSnapshotExtension`.

        Enable it with ``pytest_plugins = ["batch_pipeline_construct.testing"]`` in your
        top-level ``conftest.py`` (or import it into a conftest), then
        ``assert template_snapshot == stack``. Needs syrupy installed.
        """
        if not _HAVE_SYRUPY:
            raise ImportError(
                _MISSING_DEPENDENCY.format(name="template_snapshot", package="syrupy")
            )
        snapshot: SnapshotAssertion = request.getfixturevalue("snapshot")
        return snapshot.use_extension(TemplateSnapshotExtension)


def __getattr__(name: str) -> Any:
    # Reached only when the optional test dependency behind a public name is missing.
    if name == "TemplateSnapshotExtension":
        raise ImportError(_MISSING_DEPENDENCY.format(name=name, package="syrupy"))
    if name == "template_snapshot":
        raise ImportError(_MISSING_DEPENDENCY.format(name=name, package="pytest"))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
