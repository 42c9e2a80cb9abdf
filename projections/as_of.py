"""An entry "as of" a ledger position: its state rebuilt from the log, for disputes.

The answer never comes from the current-state tables. The entry's history (its acts in the
trail's read model, ``history.entry_events``) serves only as an index of which version of the
entry each position holds, and the index is checked against the log before it is used:

1. the entry's last event at or before the position is version v at position p;
2. the log holds exactly that event (entry, version) at position p;
3. if the log holds a version v+1, it is at a position after the asked one;
4. the aggregate is rebuilt from the log up to version v, every event's signature checked.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Engine

from ledger.application import LedgerApp
from ledger.errors import BadInput, NotFound

from .history import entry_events
from .tracking import ReadModelMismatch
from .views import ENTRY_NAMES, STATE_TABLES, aggregate_view, entry_uuid


def entry_as_of(
    app: LedgerApp, engine: Engine, kind: str, ref: str, position: int
) -> dict[str, Any]:
    """The state of one entry at a notification id, with ``as_of`` and the ``position`` of
    the event that left it so. BadInput for a position outside the log; NotFound if the
    entry did not exist yet."""
    if kind not in STATE_TABLES:
        raise BadInput(f"no state 'as of' a position is kept for {kind} entries")
    head = app.recorder.max_notification_id() or 0
    if not 1 <= position <= head:
        raise BadInput(f"as_of {position}: the log has positions 1 to {head}")
    aggregate_id = entry_uuid(kind, ref)
    with engine.connect() as conn:
        versions = conn.execute(entry_events(str(aggregate_id), kind)).all()
    if not versions:
        raise NotFound(f"no {ENTRY_NAMES[kind]} with id or code {ref!r}")
    # (1): the last version at or before the position
    applied = [v for v in versions if v.position <= position]
    if not applied:
        raise NotFound(
            f"{ENTRY_NAMES[kind]} {ref!r} did not exist yet at position {position}: "
            f"it was registered at position {versions[0].position}"
        )
    version, at = applied[-1].version, applied[-1].position
    # (2): the log holds that version at that position
    _check_logged(app, aggregate_id, version, at)
    # (3): the next version, if any, comes after the position
    if app.recorder.select_events(aggregate_id, gt=version, limit=1):
        later = [v.position for v in versions if v.version == version + 1]
        if not later:
            raise ReadModelMismatch(
                f"the trail's acts lack version {version + 1} of {aggregate_id}, which the "
                "log holds: catch up or rebuild the read models"
            )
        _check_logged(app, aggregate_id, version + 1, later[0])
    # (4): rebuild from the log
    aggregate: Any = app.repository.get(aggregate_id, version=version)
    return {**aggregate_view(kind, aggregate, at), "as_of": position}


def _check_logged(app: LedgerApp, aggregate_id: UUID, version: int, position: int) -> None:
    found = app.recorder.select_notifications(start=position, limit=1, stop=position)
    expected = (position, str(aggregate_id), version)
    got = (found[0].id, str(found[0].originator_id), found[0].originator_version) if found else None
    if got != expected:
        raise ReadModelMismatch(
            f"the trail's acts say position {position} is version {version} of "
            f"{aggregate_id}; the log has {got}: rebuild the read models"
        )
