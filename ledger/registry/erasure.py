"""Erasing a natural person's data (个人信息保护法, art. 47): the individual's row in the
erasable personal-data table is deleted and the erasure is recorded as a signed event.

The log never held the data, only a reference and a salted commitment (``personal_data.py``),
so nothing recorded changes: every signature, checkpoint and proof still verifies, and the
commitment can no longer be opened by anyone. The event is stored first and the row deleted
after it: a failed save erases nothing, and an erasure that a crash cut off between the two is
finished by asking again (the row goes; the answer says it was erased already).
"""

from __future__ import annotations

from uuid import UUID

from ..application import LedgerApp
from ..errors import BadInput
from ..fields import text_problem
from .authority import acting
from .personal_data import PersonalData
from .targets import target_named


def erase_personal_data(
    app: LedgerApp,
    people: PersonalData,
    target: UUID | str,
    reason: str,
    source: str,
    by: str | None,
) -> str:
    """Record ``target.personal_data_erased`` and delete the row; returns the reference.

    Raises BadInput (an empty or unprintable reason or source), NotFound (no such target),
    Forbidden (``by`` may not erase in the target's division), Conflict (not an individual,
    or erased already)."""
    for name, value in (("reason", reason), ("source", source)):
        problem = "is empty" if not value.strip() else text_problem(value)
        if problem:
            raise BadInput(f"the erasure's {name} {problem}: say why, and on whose request")
    record = target_named(app, target)
    actor = acting(app, by, "personal_data.erase", record.division)
    if record.person and record.personal_data_erased:
        people.erase(record.person["ref"])  # finish an erasure a crash may have cut off
    record.erase_personal_data(reason, source, actor)
    app.save(record)
    ref = record.person["ref"] if record.person else record.code
    people.erase(ref)
    return ref
