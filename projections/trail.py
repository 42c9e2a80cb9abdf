"""The responsibility trail (责任可追溯): every act of the log, who did it, and what it touched.

One row per event (``trail_acts``): its position, time, type, record, the acting official with
the role and department under which they acted and the API token they acted with if the actor
names one (every token issued is kept in ``trail_tokens``: who issued it, when, until when),
the event's digest (SHA-256 of its signed envelope, docs/FORMAT.md) and its leaf hash in the
transparency log, and the payload (token hashes withheld). An act on a registry entry is a row of
that entry's history (``history.py``: the history has no table of its own). One row
per entity the act touches (``trail_links``): its own record, the targets, draws, directed
records, inspections, publications, plans, inspectors, items and divisions it names, and what
its record's creating event named — a result names neither the target nor the draw, its
inspection's notice does, so every act on an inspection is in the trail of its target, its draw
and its draw's plan. Policy
versions are kept with the position where each came into force (``trail_policies``): an act is
under the last version at or before it; so are items' legal bases (``trail_legal_bases``).

The handlers read one thing besides the event: what a record's creating event named
(``trail_records``), kept in memory and read back from the table after a restart. It is fixed by
an event the log never changes, so a batch given up and applied again finds the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import Table

from ledger.aggregates import aggregate_kind
from ledger.catalogue import event_types
from verify.authority_rules import OPERATOR
from verify.registry_state import target_key
from verify.workdays import CHINA

from . import tables as t
from .history import kept_payload
from .tracking import (
    Handler,
    Hashes,
    Projection,
    ProjectionError,
    Writer,
    encode_json,
    entry_id,
    event_time,
)

# Payload members that name an entity, and the entity's kind.
_NAMES = {
    "target": "target",
    "targets": "target",
    "members": "inspector",
    "present": "inspector",
    "recorded_by": "inspector",
    "replaced": "inspector",
    "substitute": "inspector",
    "inspector": "inspector",
    "items": "item",
    "division": "division",
    "plan": "plan",
    "draw": "draw",
    "inspection": "inspection",
}
# Kinds whose records carry their own key in the creating payload (``code``), not their id.
_BY_CODE = {"target", "inspector", "item", "division", "official"}
# Records whose id is their key in the trail.
_BY_ID = {"plan", "draw", "directed", "inspection", "publication"}
# What a derived record inherits from the record it came from.
_INHERITED = {"plan", "draw", "directed", "target", "division", "inspection", "item"}
_CACHE = 200_000  # records remembered; beyond that the table is read again
_LOOKUPS = 10_000  # records read by one query (``prepare``)
# The order of the rows' values (``Writer.row``).
_ACT_COLUMNS = (
    "position",
    "time",
    "type",
    "kind",
    "aggregate_id",
    "version",
    "official",
    "role",
    "department",
    "digest",
    "leaf_hash",
    "payload",
    "token",
    "on_request_of",
    "request",
)
_RECORD_COLUMNS = ("id", "kind", "division", "year", "created_position", "created_at", "links")
assert tuple(t.trail_acts.c.keys()) == _ACT_COLUMNS
assert tuple(t.trail_links.c.keys()) == ("kind", "key", "position")
assert tuple(t.trail_records.c.keys()) == _RECORD_COLUMNS

Link = tuple[str, str]


class TrailProjection(Projection):
    name = "trail"
    version = 4  # 2: on SQLite, an act's position is its rowid and the links are their key;
    # 3: each act's token and the operator's written request (its actor whole, as signed), and
    # every token issued (trail_tokens); 4: trail_records' id a unique index, not its primary key,
    # and each act's payload its canonical text (RFC 8785: as its record holds it)
    tables: ClassVar[tuple[Table, ...]] = (
        t.trail_acts,
        t.trail_tokens,
        t.trail_links,
        t.trail_records,
        t.trail_policies,
        t.trail_legal_bases,
    )

    def __init__(self) -> None:
        super().__init__()
        self._records: dict[str, list[Link]] = {}
        self._hashes = (b"", b"")  # the event digest and leaf hash of the event being applied

    def handlers(self) -> dict[str, Handler]:
        return dict.fromkeys(event_types(), self._act)

    prepares = True

    def prepare(self, writer: Writer, events: list[Any]) -> None:
        """The records a batch's acts will look up that are not remembered, read in one query
        before the batch: each lookup alone would wait for everything handed to a rebuild's
        writer to be written first (``Writer.rows_of``), and at a million targets
        most of the acts after the registrations (a status changed, an inspection) are on a
        record no longer remembered. The cache is trimmed here, never within a batch, so what
        is read here is still remembered when the batch's acts ask. A lookup missed here (a
        conflict naming a target by its id) is still made, alone."""
        if len(self._records) >= _CACHE:
            self._records.clear()
        made: set[str] = set()
        wanted: set[str] = set()
        for e in events:
            record = entry_id(e)
            if e.originator_version == 1:
                made.add(record)
                kind = aggregate_kind(type(e).TOPIC)
                if kind == "inspection":
                    wanted.add(str(e.source))
                elif kind == "publication":
                    wanted.add(str(e.inspection))
            elif record not in made:
                wanted.add(record)
        missing = [r for r in wanted - made if r not in self._records]
        if missing:
            self._records.update(_stored_links(writer, missing))

    def process(
        self, writer: Writer, event: Any, position: int, hashes: Hashes | None = None
    ) -> None:
        if hashes is None:
            raise ProjectionError(f"the trail needs the record hashes of position {position}")
        self._hashes = hashes
        super().process(writer, event, position)

    def _act(self, w: Writer, e: Any, position: int) -> None:
        type_name = type(e).TOPIC
        kind = aggregate_kind(type_name)
        data, text = kept_payload(e)
        (digest, leaf), actor = self._hashes, e.actor
        inherited = self._inherited(w, e, position, kind, data)
        links = set(inherited)
        if kind != "policy":
            links.update(self._resolved(w, _named(data)))
        if actor["department"] != OPERATOR["department"]:
            links.add(("division", actor["department"]))
        w.row(
            t.trail_acts,
            (
                position,
                event_time(e),
                type_name,
                kind,
                entry_id(e),
                e.originator_version,
                actor["official"],
                actor["role"],
                actor["department"],
                digest.hex(),
                leaf.hex(),
                text,
                actor.get("token"),
                actor.get("on_request_of"),
                actor.get("request"),
            ),
        )
        if type_name == "official.token_issued":
            w.insert(
                t.trail_tokens,
                {
                    "official_id": entry_id(e),
                    "token_id": e.token_id,
                    "position": position,
                    "time": event_time(e),
                    "issued_by": actor["official"],
                    "expires": e.expires,
                },
            )
        for k, key in sorted(links):
            w.row(t.trail_links, (k, key, position))
        if type_name == "policy.set":
            w.insert(t.trail_policies, {"position": position, "version": e.version})
        basis = data.get("legal_basis") if kind == "item" else None
        if type_name == "item.amended":
            basis = data["changes"].get("legal_basis")
        if basis is not None:
            code = next(key for k, key in inherited if k == "item")
            w.insert(
                t.trail_legal_bases, {"item": code, "position": position, "legal_basis": basis}
            )

    def _inherited(
        self, w: Writer, e: Any, position: int, kind: str, data: dict[str, Any]
    ) -> list[Link]:
        """What the act's record touches: from its creating payload, or as remembered."""
        record = entry_id(e)
        if e.originator_version > 1:
            return self._remembered(w, record)
        own: list[Link] = []
        if kind in _BY_ID:
            own.append((kind, record))
        elif kind == "target":  # drawn, inspected and published under its key
            own.append((kind, target_key(str(data["kind"]), str(data["code"]))))
        elif kind in _BY_CODE and isinstance(data.get("code"), str):
            own.append((kind, data["code"]))
        elif kind == "policy":
            own.append(("policy", str(data["version"])))
        if isinstance(data.get("division"), str):
            own.append(("division", data["division"]))
        if kind in ("draw", "directed", "inspection"):  # every later act is for its items
            own += [("item", str(code)) for code in data["items"]]
        if kind == "draw" and data.get("plan"):
            own.append(("plan", str(data["plan"])))
        if kind == "inspection":
            source = str(data["source"])
            own += [
                ("target", str(data["target"])),
                ("draw" if data["random"] else "directed", source),
            ]
            own += [link for link in self._remembered(w, source) if link[0] == "plan"]
        if kind == "publication":
            inspected = self._remembered(w, str(data["inspection"]))
            own += [link for link in inspected if link[0] in _INHERITED]
        self._remember(record, own)
        w.row(
            t.trail_records,
            (
                record,
                kind,
                _division_of(kind, data),
                _year_of(kind, data, e),
                position,
                event_time(e),
                encode_json([list(x) for x in own]),
            ),
        )
        return own

    def _resolved(self, w: Writer, links: list[Link]) -> Iterator[Link]:
        """Links, a target named by its record id (a declared conflict) as its credit code."""
        for kind, key in links:
            if kind == "target" and _is_id(key):
                yield from (x for x in self._remembered(w, key) if x[0] == "target")
            else:
                yield kind, key

    def _remember(self, record: str, links: list[Link]) -> None:
        if len(self._records) >= 2 * _CACHE:  # a caller that never prepares (none does)
            self._records.clear()
        self._records[record] = links  # (trimmed by ``prepare``, between batches)

    def _remembered(self, w: Writer, record: str) -> list[Link]:
        found = self._records.get(record)
        if found is None:
            # The record may have been created earlier in this very batch: written first.
            found = _stored_links(w, [record]).get(record, [])
            self._remember(record, found)
        return found


def _stored_links(w: Writer, records: list[str]) -> dict[str, list[Link]]:
    """What the table holds of these records' creation (``trail_records.links``), read through
    the writer (everything handled before written first), ``_LOOKUPS`` records a query."""
    found = {}
    for start in range(0, len(records), _LOOKUPS):
        chunk = records[start : start + _LOOKUPS]
        for record, links in w.rows_of(t.trail_records, ("id", "links"), "id", chunk):
            found[record] = [(str(k), str(v)) for k, v in links]
    return found


def _division_of(kind: str, data: dict[str, Any]) -> str | None:
    if kind == "publication":
        return str(data["content"]["division"]["code"])
    division = data.get("division")
    return division if isinstance(division, str) else None


def _year_of(kind: str, data: dict[str, Any], e: Any) -> int:
    """A plan's year is its period's; any other record's, the year it was made (China time)."""
    if kind == "plan":
        return int(str(data["period"])[:4])
    time = event_time(e)
    if len(time) != 27 or time[26] != "Z":  # not the envelope's form: parsed as it is
        return int(e.timestamp.astimezone(CHINA).year)
    hour = time[:13]  # China's offset from UTC changes on the hour: the hour decides the year
    year = _YEARS.get(hour)
    if year is None:
        year = int(e.timestamp.astimezone(CHINA).year)
        if len(_YEARS) >= _CACHE:
            _YEARS.clear()
        _YEARS[hour] = year
    return year


# The year in China time of each UTC hour met (``2026-11-25T15``: 2026), as ``_year_of`` found.
_YEARS: dict[str, int] = {}


def _is_id(key: str) -> bool:
    try:
        UUID(key)
    except ValueError:
        return False
    return len(key) == 36


def _named(data: Any, kind: str | None = None) -> list[Link]:
    """The entities a payload names, walking its members (``items`` of a publication's
    content are ``{code, name}``, its target ``{key, name}``), in the order they appear."""
    found: list[Link] = []
    _walk(data, kind, found)
    return found


def _walk(data: Any, kind: str | None, found: list[Link]) -> None:
    # Strings are dealt with in the loop, without a call each: most members name nothing.
    if isinstance(data, dict):
        if kind is not None:
            key = data.get("code", data.get("key"))
            if isinstance(key, str) and key:
                found.append((kind, key))
        for name, value in data.items():
            if isinstance(value, str):
                if value and name in _NAMES:
                    found.append((_NAMES[name], value))
            elif isinstance(value, dict | list):
                _walk(value, _NAMES.get(name), found)
    elif isinstance(data, list):
        for value in data:
            if isinstance(value, str):
                if value and kind is not None:
                    found.append((kind, value))
            elif isinstance(value, dict | list):
                _walk(value, kind, found)
    elif isinstance(data, str) and kind is not None and data:
        found.append((kind, data))
