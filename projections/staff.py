"""What the division's staff must do next: results awaiting confirmation, publications due.

A result is due for publication once the party's confirmation (or refusal) is recorded; a
penalty once it is decided. The deadline and the working days left are counted on the
working-day calendar of the policy in force (``verify/workdays.py``); a year without a calendar
is reported on the row (``calendar_error``) instead of a guessed count: a deadline in such a year
is not given, and a deadline that is known while today lies beyond the calendar (a 2026 deadline
read in 2027 before its table is recorded) is given, overdue if passed, without the working days
left.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, select

from ledger.error_texts import error_text
from verify.results import publication_deadline
from verify.workdays import UnknownYear, WorkingCalendar

from . import tables as t
from .queries import _reading


def awaiting_confirmation(engine: Engine, *, division: str | None = None) -> list[dict[str, Any]]:
    """Inspections whose result is recorded but not yet confirmed (or refused) by the party."""
    c = t.inspections.c
    conditions = [c.step == "result_recorded"]
    if division is not None:
        conditions.append(c.division == division)
    with _reading(engine) as conn:
        rows = conn.execute(
            select(t.inspections).where(*conditions).order_by(c.carried_out_on, c.id)
        )
        return [dict(r._mapping) for r in rows]


def publications_due(
    engine: Engine, policy: dict[str, Any], today: date, *, division: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """``{"due": [...], "overdue": [...]}``: what is still to be published, with its channel,
    the date the deadline counts from, the deadline and the working days left (negative when
    overdue), soonest deadline first."""
    i, p = t.inspections.c, t.publications.c
    wanted = [
        ("results", i.confirmed_on, i.step.in_(("confirmation_recorded", "closed"))),
        ("double_publicity", i.penalty_on, i.penalty_on.is_not(None)),
    ]
    calendar = WorkingCalendar.from_policy(policy)
    due: list[dict[str, Any]] = []
    overdue: list[dict[str, Any]] = []
    with _reading(engine) as conn:
        for channel, start_column, condition in wanted:
            published = select(p.inspection).where(p.channel == channel)
            conditions: list[ColumnElement[bool]] = [condition, i.id.not_in(published)]
            if division is not None:
                conditions.append(i.division == division)
            rows = conn.execute(select(t.inspections).where(and_(*conditions)))
            for row in rows:
                entry = {**dict(row._mapping), "channel": channel}
                start = date.fromisoformat(row._mapping[start_column.name])
                entry["start"] = start.isoformat()
                try:
                    deadline, allowed = publication_deadline(start, policy)
                except UnknownYear as e:
                    entry.update(deadline=None, working_days_left=None, **_calendar_error(e))
                    due.append(entry)
                    continue
                entry.update(deadline=deadline.isoformat(), working_days_allowed=allowed)
                try:
                    entry["working_days_left"] = calendar.working_days_between(today, deadline)
                except UnknownYear as e:  # a known deadline, today past the calendar's end
                    entry.update(working_days_left=None, **_calendar_error(e))
                (overdue if today > deadline else due).append(entry)
    key = lambda e: (e["deadline"] or "9999", e["id"])  # noqa: E731
    return {"due": sorted(due, key=key), "overdue": sorted(overdue, key=key)}


def _calendar_error(e: UnknownYear) -> dict[str, str]:
    """The row's ``calendar_error`` and its Chinese text (``calendar_error_zh``)."""
    return {"calendar_error": str(e), "calendar_error_zh": error_text(str(e)) or str(e)}
