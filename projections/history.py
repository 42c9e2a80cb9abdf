"""The history of every registry entry: one row per event, with its position in the log.

This is the responsibility trail (责任可追溯) of the registries: for each event its position
(notification id), entry, kind, version, type, time, the acting official with the role and
department under which they acted, and the payload. Token hashes are left out of payloads: the
log keeps them, the read side never serves them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Table

from ledger.aggregates import aggregate_kind
from ledger.catalogue import event_types

from . import tables as t
from .tracking import Handler, Projection, Writer, entry_id, event_time, payload

REGISTRY_KINDS = ("division", "official", "target", "inspector", "item", "itemlist")
_WITHHELD = {"official.token_issued": ("token_hash",)}


class RegistryHistoryProjection(Projection):
    name = "registry_history"
    tables: ClassVar[tuple[Table, ...]] = (t.registry_history,)
    kinds = REGISTRY_KINDS

    def handlers(self) -> dict[str, Handler]:
        return {
            type_name: self._record
            for type_name in event_types()
            if aggregate_kind(type_name) in REGISTRY_KINDS
        }

    def _record(self, w: Writer, e: Any, position: int) -> None:
        type_name = type(e).TOPIC
        data = withheld(type_name, payload(e))
        w.insert(
            t.registry_history,
            {
                "position": position,
                "aggregate_id": entry_id(e),
                "kind": aggregate_kind(type_name),
                "version": e.originator_version,
                "type": type_name,
                "time": event_time(e),
                "official": e.actor["official"],
                "role": e.actor["role"],
                "department": e.actor["department"],
                "payload": data,
            },
        )


def withheld(type_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The payload as the read side keeps it: token hashes left out."""
    for name in _WITHHELD.get(type_name, ()):
        data.pop(name, None)
    return data


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
