"""A registry's entries as rows of its layout: what an export writes and an import reads back.

The entries are folded from the log in one pass (each event checked by the signing mapper as it
is read), up to the head or up to a ledger position (``as_of``: the registry as it stood then),
of every division or of one. A row holds every column of the layout, a target's status (状态)
and an inspector's declared conflicts (回避对象, as the targets' codes) included, so that an
export re-imported unchanged records nothing. Withdrawn items are left out: they are no longer
on the list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from ..application import LedgerApp
from ..catalogue import event_types
from ..errors import BadInput, NotFound
from ..person_refs import ref_key
from .authority import authorise, official_of
from .bulk import exists
from .changes import conflict_keys
from .divisions import division_id
from .importer import ACTIONS
from .layouts import HEADERS, KINDS, LAYOUTS, Column
from .personal_data import PersonalData

PREFIX = {"targets": "target.", "inspectors": "inspector.", "items": "item."}


def current(app: LedgerApp, kind: str, as_of: int | None = None) -> list[Any]:
    """Every entry of a registry as it stands at position ``as_of`` (the head if None), in the
    order they were registered; BadInput for a position outside the log."""
    if kind not in KINDS:
        raise BadInput(f"registry {kind!r} is not one of {', '.join(KINDS)}")
    if as_of is not None:
        head = app.recorder.max_notification_id() or 0
        if not 1 <= as_of <= head:
            raise BadInput(f"as_of {as_of}: the log has positions 1 to {head}")
    topics = [t for t in event_types() if t.startswith(PREFIX[kind])]
    states: dict[UUID, Any] = {}
    for notification in app.notifications(topics=topics, stop=as_of):
        event: Any = app.domain_event(notification)
        states[event.originator_id] = event.mutate(states.get(event.originator_id))
    return [s for s in states.values() if not getattr(s, "withdrawn", False)]


def _cell(column: Column, value: Any, language: str) -> Any:
    """A field's value as the layout writes it in ``language``."""
    zh = language == "zh"
    labels = column.labels if zh else {}
    if column.cells == "codes":
        return ("、" if labels else ",").join(labels.get(c, c) for c in value)
    if column.cells == "lines":
        return ("；" if zh else "; ").join(value)
    if column.cells == "yes_no":
        return ("是" if zh else "true") if value else ("否" if zh else "false")
    if column.cells == "choice" and value is not None:
        return labels.get(value, value)
    return value


def export_rows(
    app: LedgerApp,
    kind: str,
    language: str = "zh",
    warnings: list[str] | None = None,
    *,
    division: str | None = None,
    as_of: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The registry's entries (of ``division`` only, if given; at ``as_of``) as rows of its
    layout (field names → cell values).

    Individuals' names and ID numbers are read from the erasable personal-data table (as it is
    now, whatever ``as_of``); an individual whose data was erased cannot be re-imported and is
    left out (with a warning).
    """
    if language not in HEADERS:
        raise BadInput(f"headers {language!r} must be one of {', '.join(HEADERS)}")
    if division is not None and not exists(app, division_id(division)):
        raise NotFound(f"no division with code {division!r}")
    layout = LAYOUTS[kind]
    people = PersonalData(app.recorder, ref_key(app))
    for state in current(app, kind, as_of):
        if division is not None and state.division != division:
            continue
        fields = state.as_input()
        if kind == "targets":
            fields["status"] = state.status
            if state.kind == "individual":
                try:
                    person, _ = people.reveal(state.code)
                except NotFound:
                    if warnings is not None:
                        warnings.append(
                            f"individual {state.code}: personal data erased, not exported"
                        )
                    continue
                fields |= {"code": person.get("identity"), "name": person.get("name")}
        if kind == "inspectors":
            fields["conflicts"] = conflict_keys(app, state)
        yield {c.field: _cell(c, fields[c.field], language) for c in layout}


def coded_values(app: LedgerApp) -> dict[str, list[str]]:
    """What a template offers for the columns the ledger codes: the registered divisions and
    units, and the districts the targets name now."""
    divisions = [
        str(app.domain_event(n).code) for n in app.notifications(topics=["division.created"])
    ]
    districts = sorted({t.district for t in current(app, "targets") if t.district})
    return {"division": divisions, "unit": divisions, "district": districts}


def covered_division(app: LedgerApp, kind: str, by: str | None, division: str | None) -> str | None:
    """The division an export by ``by`` covers: ``division``, or the official's own when none
    is named (None: every division, for the ledger's own operator only). Forbidden unless the
    official may write ``kind``'s entries of that division: an export holds what its keepers
    re-import, individuals' ID numbers included."""
    official = official_of(app, by)
    if official is None:
        return division
    division = division or official.division
    authorise(official, ACTIONS[kind], division)
    return division


__all__ = ["coded_values", "covered_division", "current", "export_rows"]
