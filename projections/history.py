"""The history of every registry entry: one row per event, with its position in the log.

This is the responsibility trail (责任可追溯) of the registries: for each event its position
(notification id), entry, kind, version, type, time, the acting official with the role and
department under which they acted, and the payload. Token hashes are left out of payloads: the
log keeps them, the read side never serves them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Connection, Table, insert, select

from ledger.aggregates import aggregate_kind
from ledger.catalogue import event_types

from . import tables as t
from .tracking import (
    Encoded,
    Handler,
    Projection,
    Writer,
    encode_json,
    entry_id,
    event_time,
    payload,
)

REGISTRY_KINDS = ("division", "official", "target", "inspector", "item", "itemlist")
_WITHHELD = {"official.token_issued": ("token_hash",)}
_COLUMNS = (
    "position",
    "aggregate_id",
    "kind",
    "version",
    "type",
    "time",
    "official",
    "role",
    "department",
    "payload",
)
assert tuple(t.registry_history.c.keys()) == _COLUMNS  # the order of the rows' values


class RegistryHistoryProjection(Projection):
    name = "registry_history"
    version = 2  # 2: position is SQLite's rowid (one B-tree per row, not two)
    tables: ClassVar[tuple[Table, ...]] = (t.registry_history,)
    kinds = REGISTRY_KINDS
    # Its rows are the trail's acts on registry entries, column for column (the same payload
    # text, ``kept_payload``): a rebuild of both copies them batch by batch (``derive``).
    derived_from = "trail"

    def derive(self, conn: Connection, after: int, upto: int) -> None:
        acts = t.trail_acts.c
        conn.execute(
            insert(t.registry_history).from_select(
                list(_COLUMNS),
                select(*(acts[name] for name in _COLUMNS))
                .where(
                    acts.position > after,
                    acts.position <= upto,
                    acts.kind.in_(REGISTRY_KINDS),
                )
                .order_by(acts.position),
            )
        )

    def handlers(self) -> dict[str, Handler]:
        return {
            type_name: self._record
            for type_name in event_types()
            if aggregate_kind(type_name) in REGISTRY_KINDS
        }

    def _record(self, w: Writer, e: Any, position: int) -> None:
        type_name = type(e).TOPIC
        actor = e.actor
        w.row(
            t.registry_history,
            (
                position,
                entry_id(e),
                aggregate_kind(type_name),
                e.originator_version,
                type_name,
                event_time(e),
                actor["official"],
                actor["role"],
                actor["department"],
                kept_payload(e)[1],
            ),
        )


def withheld(type_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The payload as the read side keeps it: token hashes left out."""
    for name in _WITHHELD.get(type_name, ()):
        data.pop(name, None)
    return data


# The payloads of the events being applied, as kept: the history and the trail both store them.
_KEPT: dict[int, tuple[Any, dict[str, Any], Encoded]] = {}
_KEPT_AT_MOST = 20_000


def kept_payload(event: Any) -> tuple[dict[str, Any], Encoded]:
    """The event's payload as the read side keeps it (``withheld``) and its JSON text, made
    once per event however many projections store it. The dict is shared: never change it."""
    found = _KEPT.get(id(event))
    if found is not None and found[0] is event:
        return found[1], found[2]
    data = withheld(type(event).TOPIC, payload(event))
    text = encode_json(data)
    if len(_KEPT) >= _KEPT_AT_MOST:
        _KEPT.clear()
    _KEPT[id(event)] = (event, data, text)
    return data, text


def history_row(row: Any) -> dict[str, Any]:
    """One history row as served: the event with its position and the actor's authority."""
    return {
        "position": row.position,
        "version": row.version,
        "type": row.type,
        "time": row.time,
        "actor": {"official": row.official, "role": row.role, "department": row.department},
        "payload": row.payload,
    }
