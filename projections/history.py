"""The history of every registry entry: one row per event, with its position in the log.

This is the responsibility trail (责任可追溯) of the registries: for each event its position
(notification id), entry, kind, version, type, time, the acting official with the role and
department under which they acted, and the payload. Token hashes are left out of payloads: the
log keeps them, the read side never serves them.

The history has no table of its own: its rows are the trail's acts (``trail_acts``,
``trail.py``) on registry entries, which hold the same columns and the same payload text
(``kept_payload``). Until drawledger's session 17 they were also written to a table
``registry_history`` (a projection of its own, copied from the trail in a rebuild): the same
payloads twice. A read database that still has that table loses it, and its tracking row, at
the runner's start (``RETIRED``, ``runner.py``); the trail's tables are unchanged, so nothing
is rebuilt for it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select

from verify.events import canonical

from . import tables as t
from .event_view import EventView
from .tracking import payload

REGISTRY_KINDS = ("division", "official", "target", "inspector", "item", "itemlist")
_WITHHELD = {"official.token_issued": ("token_hash",)}
# The projections and tables read models once had and no longer keep: dropped at set-up.
RETIRED = {"registry_history": ("registry_history",)}


def entry_events(aggregate_id: str, kind: str, upto: int | None = None) -> Select[Any]:
    """The history of one registry entry, in version order (which is the order of positions
    within an entry): its acts in the trail, those at or before position ``upto`` if given.
    Only registries have a history here (a plan's acts are in the trail, not in a history)."""
    acts = t.trail_acts.c
    registry = acts.kind == kind if kind in REGISTRY_KINDS else false()
    conditions = [acts.aggregate_id == aggregate_id, registry]
    if upto is not None:
        conditions.append(acts.position <= upto)
    return (
        select(
            acts.position,
            acts.version,
            acts.type,
            acts.time,
            acts.official,
            acts.role,
            acts.department,
            acts.payload,
        )
        .where(*conditions)
        .order_by(acts.position)
    )


def withheld(type_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The payload as the read side keeps it: token hashes left out."""
    for name in _WITHHELD.get(type_name, ()):
        data.pop(name, None)
    return data


def kept_payload(event: Any) -> tuple[dict[str, Any], bytes]:
    """The event's payload as the read side keeps it (``withheld``; not to be changed: it may
    be the event's own) and its JSON text as UTF-8 bytes: its canonical form (RFC 8785), which
    a record read for a rebuild holds already (``EventView.payload_bytes``: cut out, not
    encoded again), stored as text (Chinese as UTF-8, not escaped: half the bytes). Bytes, not
    a ``str``: made into one, the writer's driver would encode it back to UTF-8 to bind it
    (~1.6 µs an act of a rebuild, most of it holding the interpreter's lock); the writer
    stores them as text (``tables.GIVEN_AS_UTF8``)."""
    type_name = type(event).TOPIC
    if isinstance(event, EventView) and type_name not in _WITHHELD:
        text = event.payload_bytes()
        if text is not None:
            return event.payload, text
    data = withheld(type_name, payload(event))
    return data, canonical(data)


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
