"""What a registry entry looks like to a reader, from a read-model row or from an aggregate.

Both give the same dictionary for the same state (a test holds them to it): the columns of the
entry's table in order, plus an official's token ids and an inspector's declared conflicts. The
aggregate form is what "as of" answers with, rebuilt from the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Table, select

from ledger.aggregates import id_for
from ledger.mapper import format_time
from ledger.registry.targets import target_id_of

from . import tables as t

STATE_TABLES: dict[str, Table] = {
    "division": t.divisions,
    "official": t.officials,
    "target": t.targets,
    "inspector": t.inspectors,
    "item": t.items,
}

ENTRY_NAMES = {
    "division": "division",
    "official": "official",
    "target": "target",
    "inspector": "inspector",
    "item": "inspection item",
    "itemlist": "published item list",
}


def entry_uuid(kind: str, ref: str) -> UUID:
    """An entry's id from what a reader has: its id, or its code (for targets: the credit code,
    or ``project:NUMBER`` / ``individual:person-…``)."""
    if kind == "target":
        return target_id_of(ref)
    ref = ref.strip()
    try:
        return UUID(ref)
    except ValueError:
        pass
    return id_for(kind, ref)


def add_details(conn: Connection, kind: str, views: Sequence[dict[str, Any]]) -> None:
    """Add what lives in link tables: an official's token ids, an inspector's conflicts."""
    if not views or kind not in ("official", "inspector"):
        return
    by_id = {v["id"]: v for v in views}
    if kind == "official":
        for v in views:
            v["token_ids"] = []
        rows = conn.execute(
            select(t.official_tokens.c.official_id, t.official_tokens.c.token_id)
            .where(t.official_tokens.c.official_id.in_(by_id))
            .order_by(t.official_tokens.c.token_id)
        )
        for official_id, token_id in rows:
            by_id[official_id]["token_ids"].append(token_id)
    else:
        for v in views:
            v["conflicts"] = []
        c = t.inspector_conflicts.c
        conflicts = conn.execute(
            select(c.inspector_id, c.target, c.reason)
            .where(c.inspector_id.in_(by_id))
            .order_by(c.target)
        )
        for inspector_id, target, reason in conflicts:
            by_id[inspector_id]["conflicts"].append({"target": target, "reason": reason})


def aggregate_view(kind: str, aggregate: Any, position: int) -> dict[str, Any]:
    """The reader's view of an aggregate whose latest event is at ``position``."""
    view: dict[str, Any] = {}
    for column in STATE_TABLES[kind].columns:
        name = column.name
        if name == "id":
            view[name] = str(aggregate.id)
        elif name == "position":
            view[name] = position
        elif name == "registered_at":
            view[name] = format_time(aggregate.created_on)
        elif name == "updated_at":
            view[name] = format_time(aggregate.modified_on)
        elif name == "person_ref":
            view[name] = aggregate.person["ref"] if aggregate.person else None
        else:
            view[name] = getattr(aggregate, name)
    if kind == "official":
        view["token_ids"] = sorted(aggregate.tokens)
    elif kind == "inspector":
        view["conflicts"] = [
            {"target": target, "reason": reason}
            for target, reason in sorted(aggregate.conflicts.items())
        ]
    return view
