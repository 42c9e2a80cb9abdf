"""An intruder edits a stored event before position P (keeping its old signature): every path
that answers "as of P" reads it through the checked reader and refuses, naming its position —
the folded past read models, the ledger view's aggregates and draw records, and the
resolution of a time to a position. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import create_engine

from ledger.as_of import CHINA, ledger_as_of, resolve, time_at
from ledger.draws.record import draw_record
from ledger.draws.service import Draws
from projections.past import fold_read_models

from .test_checked_reads import _edit, _refused, bureau  # noqa: F401 - the fixture

__all__ = ["bureau"]


def test_a_target_edited_before_p_is_refused_by_every_as_of_path(bureau, new_ledger):  # noqa: F811
    ledger, _plan, selected, _opened = bureau
    p = ledger.recorder.max_notification_id()
    first = next(iter(ledger.notifications(topics=["target.registered"]))).id
    moment = time_at(ledger, first).astimezone(CHINA).replace(tzinfo=None).isoformat()
    position = _edit(ledger, "target.registered", district="320412")
    assert position == first
    app = new_ledger()  # the service restarted: nothing read before is trusted
    assert position < p

    _refused(app, position, lambda: fold_read_models(app, p, create_engine("sqlite://")))
    then = ledger_as_of(app, p)
    _refused(app, position, lambda: draw_record(Draws(then), selected))
    # the time resolution reads checked events too: the answer for the edited event's time is
    # that event, which the search must read (it answers only with positions it has read)
    _refused(app, position, lambda: time_at(app, position))
    _refused(app, position, lambda: resolve(app, moment))
