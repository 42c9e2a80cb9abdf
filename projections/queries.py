"""Searching the registries: filters, pages, single entries and their histories.

Every search returns ``{"items": [...], "total": N, "more_than": M, "limit": L, "offset": O,
"next": ID}``, ordered by code in byte order (then id) on every backend, so that pages are
stable. ``limit`` is 1..500 (default 50). ``next`` is the id of a full page's last entry (None on
a short page); the target search takes it back as ``after`` (keyset paging: a deep page costs what
the first does). ``total`` is always exact or absent: the matching entries are counted up to
``COUNTED_UP_TO`` (an index walk of at most that many entries, whatever the registry's size); when
more match, ``total`` is None and ``more_than`` says ``COUNTED_UP_TO`` — unless the caller asks
for the exact count with ``total="exact"``, a count of every matching entry (linear in them).
Bad filter values raise BadInput naming the allowed values; unknown entries raise NotFound.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    exists,
    func,
    or_,
    select,
    tuple_,
)

from ledger.errors import BadInput, NotFound
from ledger.registry import divisions as division_rules
from ledger.registry import inspectors as inspector_rules
from ledger.registry import items as item_rules
from ledger.registry import targets as target_rules
from ledger.registry.officials import OFFICIAL_ROLES

from . import tables as t
from .history import entry_events, history_row
from .target_text import TargetText
from .views import ENTRY_NAMES, STATE_TABLES, add_details, entry_uuid

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
COUNTED_UP_TO = 10_000
ITEM_SORTED_UP_TO = 5_000
MAX_OFFSET = 10_000
TOTALS = ("exact",)


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """One consistent snapshot for a count and its page (SQLite transactions are snapshots)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput(f"limit {limit}: must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise BadInput(f"offset {offset}: must not be negative")


def _choice(field: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise BadInput(f"{field} {value!r}: must be one of {', '.join(allowed)}")
    return value


def _text(q: str | None, *columns: Any) -> list[ColumnElement[bool]]:
    q = (q or "").strip()
    if not q:
        return []
    return [or_(*(c.icontains(q, autoescape=True) for c in columns))]


def _equal(table: Table, **filters: Any) -> list[ColumnElement[bool]]:
    return [table.c[name] == value for name, value in filters.items() if value is not None]


def _count(
    conn: Connection,
    table: Table,
    conditions: list[ColumnElement[bool]],
    total: str | None,
    matching: Select[Any] | None = None,
) -> tuple[int | None, int | None]:
    """``(total, more_than)``: the exact number of matching entries and None, or — when more
    than ``COUNTED_UP_TO`` match and no exact total was asked for — None and ``COUNTED_UP_TO``.
    The bounded count stops after ``COUNTED_UP_TO + 1`` matches, so a list page of a registry of
    millions does not read every entry to say how many there are. ``matching``, if given, is
    the same entries read from another index (one row each): the item filter's holders, the
    text index's hits, which reach 10,001 matches without walking past the non-matching."""
    source = matching if matching is not None else select(table.c.id).where(*conditions)
    return bounded_count(conn, source, total)


def bounded_count(
    conn: Connection, matching: Select[Any], total: str | None
) -> tuple[int | None, int | None]:
    """``(total, more_than)`` of the rows ``matching`` selects (one column): counted up to
    ``COUNTED_UP_TO`` (``_count``), or every one if ``total`` is ``"exact"`` (BadInput for
    another value). Every list page of the service counts this way."""
    _choice("total", total, TOTALS)
    if total == "exact":
        found = conn.execute(select(func.count()).select_from(matching.subquery()))
        return int(found.scalar_one()), None
    first = matching.limit(COUNTED_UP_TO + 1).subquery()
    counted = int(conn.execute(select(func.count()).select_from(first)).scalar_one())
    if counted > COUNTED_UP_TO:
        return None, COUNTED_UP_TO
    return counted, None


def _page(
    engine: Engine,
    kind: str,
    conditions: list[ColumnElement[bool]],
    limit: int,
    offset: int,
    after: str | None = None,
    total: str | None = None,
    matching: Select[Any] | None = None,
) -> dict[str, Any]:
    """One page in (code, id) order: ``offset`` entries skipped, or (keyset paging) those up to
    and including the entry ``after`` names. Either way the page is read from the page index; an
    offset page walks it past the entries it skips, so the target registry (whose pages take
    ``after``) allows at most ``MAX_OFFSET`` of them: a keyset page costs what the first does.
    ``next`` names the last entry of a full page: pass it as ``after`` for the page that
    follows. The total: ``_count`` (from ``matching`` if given)."""
    _check_page(limit, offset)
    _choice("total", total, TOTALS)
    if after is not None and offset:
        raise BadInput("after and offset cannot be combined: after already says where to start")
    if kind == "target" and offset > MAX_OFFSET:
        raise BadInput(
            f"offset {offset}: at most {MAX_OFFSET:,} (an offset page reads every entry it "
            "skips); for deeper pages pass after= the next of the page before"
        )
    table = STATE_TABLES[kind]
    with _reading(engine) as conn:
        code: ColumnElement[Any] = table.c.code
        if conn.dialect.name == "postgresql":  # byte order everywhere, as LC_ALL=C sort
            code = table.c.code.collate("C")
        count, more_than = _count(conn, table, conditions, total, matching)
        page = list(conditions)
        if after is not None:
            page.append(tuple_(code, table.c.id) > tuple_(*_position_of(conn, kind, after)))
        rows = conn.execute(
            select(table).where(*page).order_by(code, table.c.id).limit(limit).offset(offset)
        )
        items = [dict(row._mapping) for row in rows]
        add_details(conn, kind, items)
    following = items[-1]["id"] if len(items) == limit else None
    return {"items": items, "total": count, "more_than": more_than, "limit": limit,
            "offset": offset, "next": following}  # fmt: skip


def _position_of(conn: Connection, kind: str, after: str) -> tuple[str, str]:
    """The (code, id) of the entry ``after`` names by id or code; BadInput if there is none."""
    table = STATE_TABLES[kind]
    entry = str(entry_uuid(kind, after))
    row = conn.execute(select(table.c.code, table.c.id).where(table.c.id == entry)).first()
    if row is None:
        raise BadInput(f"after {after!r}: no {ENTRY_NAMES[kind]} with that id or code")
    return str(row.code), str(row.id)


# -- searches ----------------------------------------------------------------------------------


def search_targets(
    engine: Engine,
    *,
    q: str | None = None,
    division: str | None = None,
    district: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    credit_class: str | None = None,
    item: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    after: str | None = None,
    total: str | None = None,
) -> dict[str, Any]:
    """Targets whose name or code contains ``q`` (a whole credit code: the target with that
    code), filtered by the other fields; ``after`` for keyset paging (see ``_page``)."""
    _choice("kind", kind, target_rules.KINDS)
    _choice("status", status, target_rules.STATUSES)
    _choice("credit_class", credit_class, target_rules.CREDIT_CLASSES)
    text = TargetText(engine, q)
    conditions = text.conditions + _equal(
        t.targets,
        division=division,
        district=district,
        kind=kind,
        status=status,
        credit_class=credit_class,
    )
    matching = text.hits.where(*conditions) if text.hits is not None else None
    if item is not None:
        ti = t.target_items.c
        matching = select(ti.target_id).where(ti.item == item)
        if conditions:
            matching = matching.join(t.targets, t.targets.c.id == ti.target_id).where(*conditions)
        conditions.append(_holding(engine, item))
    page = conditions + text.rows
    return _page(engine, "target", page, limit, offset, after, total, matching)


def _holding(engine: Engine, item: str) -> ColumnElement[bool]:
    """The targets under ``item``, in the form the database answers a page of fastest: for an
    item of at most ``ITEM_SORTED_UP_TO`` targets, their ids from the item's index (a sort of
    that many rows for the page); for a larger one, a probe of each target along the page index
    (sorting a third of a registry of 1,000,000 targets took 10 s; the walk for 50 of them
    reads about 50 × registry / holders rows). Either way the page's count is read from the
    item's index (``search_targets``): counted along the page index, 10,001 holders of an item
    held by 4 % of 1,000,000 targets took a walk of 250,000 (185 ms)."""
    ti = t.target_items.c
    holders = select(ti.target_id).where(ti.item == item)
    with engine.connect() as conn:
        first = holders.limit(ITEM_SORTED_UP_TO + 1).subquery()
        many = conn.execute(select(func.count()).select_from(first)).scalar_one()
    if many > ITEM_SORTED_UP_TO:
        return exists().where(ti.target_id == t.targets.c.id, ti.item == item)
    return t.targets.c.id.in_(holders)


def search_inspectors(
    engine: Engine,
    *,
    q: str | None = None,
    division: str | None = None,
    unit: str | None = None,
    status: str | None = None,
    qualification: str | None = None,
    agency_staff: bool | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    total: str | None = None,
) -> dict[str, Any]:
    """Inspectors whose name or code contains ``q``, filtered by the other fields."""
    _choice("status", status, inspector_rules.STATUSES)
    c = t.inspectors.c
    conditions = _text(q, c.name, c.code) + _equal(
        t.inspectors, division=division, unit=unit, status=status, agency_staff=agency_staff
    )
    if qualification is not None:
        q_ = t.inspector_qualifications.c
        conditions.append(c.id.in_(select(q_.inspector_id).where(q_.item == qualification)))
    return _page(engine, "inspector", conditions, limit, offset, total=total)


def search_items(
    engine: Engine,
    *,
    q: str | None = None,
    division: str | None = None,
    item_class: str | None = None,
    withdrawn: bool | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    total: str | None = None,
) -> dict[str, Any]:
    """Inspection items whose name or code contains ``q``, filtered by the other fields."""
    _choice("item_class", item_class, item_rules.CLASSES)
    c = t.items.c
    conditions = _text(q, c.name, c.code) + _equal(
        t.items, division=division, item_class=item_class, withdrawn=withdrawn
    )
    return _page(engine, "item", conditions, limit, offset, total=total)


def search_officials(
    engine: Engine,
    *,
    q: str | None = None,
    division: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    total: str | None = None,
) -> dict[str, Any]:
    """Officials whose name or code contains ``q``, filtered by division, role and activity."""
    _choice("role", role, OFFICIAL_ROLES)
    c = t.officials.c
    conditions = _text(q, c.name, c.code) + _equal(t.officials, division=division, active=active)
    if role is not None:
        r = t.official_roles.c
        conditions.append(c.id.in_(select(r.official_id).where(r.role == role)))
    return _page(engine, "official", conditions, limit, offset, total=total)


def search_divisions(
    engine: Engine,
    *,
    q: str | None = None,
    kind: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    total: str | None = None,
) -> dict[str, Any]:
    """Divisions and units whose name or code contains ``q``, optionally of one kind."""
    _choice("kind", kind, division_rules.KINDS)
    c = t.divisions.c
    conditions = _text(q, c.name, c.code) + _equal(t.divisions, kind=kind)
    return _page(engine, "division", conditions, limit, offset, total=total)


# -- single entries ----------------------------------------------------------------------------


def erased_targets(engine: Engine) -> set[str]:
    """The ids of the targets whose personal data was erased."""
    with engine.connect() as conn:
        found = conn.execute(select(t.targets.c.id).where(t.targets.c.personal_data_erased))
        return {str(row[0]) for row in found}


def get_entry(engine: Engine, kind: str, ref: str) -> dict[str, Any]:
    """The current state of one entry, by id or code (NotFound if there is none)."""
    table = STATE_TABLES[kind]
    with _reading(engine) as conn:
        row = conn.execute(select(table).where(table.c.id == str(entry_uuid(kind, ref)))).first()
        if row is None:
            raise NotFound(f"no {ENTRY_NAMES[kind]} with id or code {ref!r}")
        view = dict(row._mapping)
        add_details(conn, kind, [view])
    return view


def entry_history(
    engine: Engine, kind: str, ref: str, *, upto: int | None = None
) -> dict[str, Any]:
    """Every event of one entry in order, each with its position in the log (only those at or
    before position ``upto``, if given: the history as it stood then)."""
    aggregate_id = str(entry_uuid(kind, ref))
    with _reading(engine) as conn:
        rows = conn.execute(entry_events(aggregate_id, kind, upto)).all()
    if not rows:
        when = "" if upto is None else f" at position {upto}"
        raise NotFound(f"no {ENTRY_NAMES[kind]} with id or code {ref!r}{when}")
    return {"id": aggregate_id, "kind": kind, "events": [history_row(r) for r in rows]}


# -- published item lists ----------------------------------------------------------------------


def item_lists(engine: Engine, *, limit: int = DEFAULT_LIMIT, offset: int = 0) -> dict[str, Any]:
    """The publications of the consolidated item list, newest first (without their items)."""
    _check_page(limit, offset)
    c = t.item_lists.c
    columns = [c.number, c.digest, c.published_at, c.position, c.published_by, c.id]
    with _reading(engine) as conn:
        total = conn.execute(select(func.count()).select_from(t.item_lists)).scalar_one()
        rows = conn.execute(
            select(*columns).order_by(c.number.desc()).limit(limit).offset(offset)
        ).all()
    items = [dict(r._mapping) for r in rows]
    return {"items": items, "total": int(total), "limit": limit, "offset": offset}


def item_list(engine: Engine, number: int) -> dict[str, Any]:
    """One publication of the item list with the items exactly as published."""
    with _reading(engine) as conn:
        row = conn.execute(select(t.item_lists).where(t.item_lists.c.number == number)).first()
    if row is None:
        raise NotFound(f"no {ENTRY_NAMES['itemlist']} number {number}")
    return dict(row._mapping)


# -- publications (the public column) -----------------------------------------------------------

PUBLICATION_CHANNELS = ("results", "double_publicity")
PUBLICATION_STATUSES = ("published", "corrected", "withdrawn")


def search_publications(
    engine: Engine,
    *,
    channel: str | None = None,
    q: str | None = None,
    status: str | None = None,
    division: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    total: str | None = None,
) -> dict[str, Any]:
    """Publications, newest first, filtered by channel, status, division and a text ``q`` on the
    target's name or code. Withdrawn ones are listed (with their status) unless filtered out.
    ``total`` and ``more_than``: ``bounded_count``."""
    _check_page(limit, offset)
    _choice("channel", channel, PUBLICATION_CHANNELS)
    _choice("status", status, PUBLICATION_STATUSES)
    _choice("total", total, TOTALS)
    table = t.publications
    c = table.c
    conditions = _text(q, c.target_name, c.target_code) + _equal(
        table, channel=channel, status=status, division=division
    )
    with _reading(engine) as conn:
        count, more_than = bounded_count(conn, select(c.id).where(*conditions), total)
        rows = conn.execute(
            select(table)
            .where(*conditions)
            .order_by(c.published_on.desc(), c.position.desc())
            .limit(limit)
            .offset(offset)
        )
        items = [dict(row._mapping) for row in rows]
    return {"items": items, "total": count, "more_than": more_than, "limit": limit,
            "offset": offset}  # fmt: skip
