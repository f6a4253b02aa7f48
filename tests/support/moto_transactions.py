"""``TransactWriteItems`` in moto without copying whole tables: :func:`item_snapshot_transactions`.

Why it exists: moto (5.2) snapshots a transaction's tables for its rollback with
``copy.deepcopy(table)``, once for every item of every transaction, so each transaction costs time
in proportion to the whole table, and a run of N files written in transactions costs N squared:
the 10,000-file record check (``python -m benchmarks.records``) would take about 9 hours.
DynamoDB makes no such copy.

What it changes: while the context manager is active, moto's own ``transact_write_items`` runs
unchanged (every condition checked in its order, all-or-nothing, the same
``TransactionCanceledException`` with the same ``CancellationReasons``, the same
``ValidationException`` for two operations on one item), except that the "copy" of a table it
takes is a snapshot of only the items the transaction names (and the length of the table's stream,
when it has one). Where moto rolls back (puts its copy back into the backend), the wrapper puts the
table back with exactly those items restored, so the tables are left as moto leaves them. A
transaction whose keys cannot be read the way moto reads them (a missing key attribute) takes
moto's own path, copies and all.

``tests/support/test_moto_transactions_equal_plain_moto.py`` proves the equivalence: the same
transactions through real boto3 clients against plain moto and against moto with this path leave
identical tables and raise identical errors. It is a speed-up for what plain moto also passes, not
a way to make a test pass that plain moto would fail: use it where a run is large (benchmarks), not
to change an outcome. Transactions are serialized while it is active (moto's server threads).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

__all__ = ["item_snapshot_transactions"]

_ItemKey = tuple[DynamoType, DynamoType | None]
_Transact = Callable[[DynamoDBBackend, list[dict[str, Any]]], None]
_lock = threading.Lock()


@dataclass
class _TableSnapshot:
    """What a transaction can change in one table: the items it names, and its stream."""

    table: Table
    items: dict[_ItemKey, Item | None]
    stream: tuple[list[Any], int] | None
    """The stream's list of records and its length (a Lambda trigger may replace the list)."""

    def restore(self) -> Table:
        """The table, with the named items and its stream as they were when this was taken."""
        items: dict[Any, Any] = self.table.items  # [hash] -> Item, or [hash][range] -> Item
        for (hash_value, range_value), item in self.items.items():
            if range_value is None:
                if item is None:
                    items.pop(hash_value, None)
                else:
                    items[hash_value] = item
            elif item is None:
                items[hash_value].pop(range_value, None)
            else:
                items[hash_value][range_value] = item
        if self.table.stream_shard is not None and self.stream is not None:
            records, length = self.stream
            del records[length:]
            self.table.stream_shard.items = records
        return self.table


class _SnapshotCopier:
    """Stands in for the ``copy`` module inside moto's DynamoDB models during a transaction:
    "copying" a table gives its :class:`_TableSnapshot`; anything else is really copied."""

    def __init__(self, snapshots: dict[int, _TableSnapshot]) -> None:
        self._snapshots = snapshots

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        """The snapshot of a table the transaction names, else ``copy.deepcopy(value)``."""
        if isinstance(value, Table) and id(value) in self._snapshots:
            return self._snapshots[id(value)]
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _snapshots(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> dict[int, _TableSnapshot] | None:
    """A snapshot of every table the transaction names (by ``id``), as moto reads its keys;
    None when a key cannot be read (moto's own path decides what then happens)."""
    snapshots: dict[int, _TableSnapshot] = {}
    for transact_item in transact_items:
        operation_type, operation = next(iter(transact_item.items()))
        table = backend.tables.get(operation.get("TableName"))
        if table is None:
            continue  # moto neither copies nor restores a table it does not hold by this name
        if operation_type == "Put":
            attributes = operation["Item"]
            key = {name: attributes[name] for name in table.table_key_attrs if name in attributes}
        else:
            key = operation.get("Key") or {}
        if any(name not in key for name in table.table_key_attrs):
            return None
        hash_value, range_value = backend.get_keys_value(table, key)
        snapshot = snapshots.setdefault(
            id(table),
            _TableSnapshot(
                table,
                {},
                None
                if table.stream_shard is None
                else (table.stream_shard.items, len(table.stream_shard.items)),
            ),
        )
        items: dict[Any, Any] = table.items
        current: Item | None = (
            items.get(hash_value)
            if range_value is None
            else items.get(hash_value, {}).get(range_value)
        )
        snapshot.items.setdefault((hash_value, range_value), copy.deepcopy(current))
    return snapshots


def _restore_rolled_back(backend: DynamoDBBackend) -> None:
    """Put back every table moto rolled back to its snapshot, with the snapshot's items."""
    tables: dict[str, Any] = backend.tables
    for name, table in list(tables.items()):
        if isinstance(table, _TableSnapshot):
            tables[name] = table.restore()


def _item_snapshot_transact(original: _Transact) -> _Transact:
    def transact_write_items(
        backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
    ) -> None:
        with _lock:
            snapshots = _snapshots(backend, transact_items)
            if snapshots is None:
                original(backend, transact_items)
                return
            try:
                with mock.patch.object(dynamodb_models, "copy", _SnapshotCopier(snapshots)):
                    original(backend, transact_items)
            finally:
                _restore_rolled_back(backend)

    return transact_write_items


@contextmanager
def item_snapshot_transactions() -> Iterator[None]:
    """While active, moto's ``TransactWriteItems`` snapshots only the items a transaction names
    (not its whole tables) for its rollback; see the module's docstring."""
    original = DynamoDBBackend.transact_write_items
    DynamoDBBackend.transact_write_items = _item_snapshot_transact(original)  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
