"""Someone with database access edits the event store behind the service's back.

The append-only triggers refuse UPDATE and DELETE. An intruder who drops them can change the
rows but not the signatures: reading the aggregate through the ledger refuses the event, and the
store can no longer be exported into a bundle that verifies. Every test runs on SQLite and on
PostgreSQL (the ``ledger`` fixture is parametrized over both).
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.errors import Conflict, TamperedEvent
from ledger.export import export_bundle
from ledger.sealer import SealError
from ledger.storage import is_postgres
from verify.bundle import read_bundle
from verify.checks import verify_bundle

from .bundle_edits import with_payload_keeping_signature
from .history import TamperNote, write_history, write_note


def _execute(app, statement: str, params: tuple[Any, ...] = ()) -> None:
    """Run one statement straight on the store, as an intruder with a SQL console would."""
    if is_postgres(app.recorder):
        statement = statement.replace("?", "%s")
    with app.recorder.datastore.transaction(commit=True) as c:
        c.execute(statement, params)


def _drop_append_only_triggers(app) -> None:
    table = app.events_table
    if is_postgres(app.recorder):
        _execute(app, f"DROP TRIGGER {table}_append_only ON {table}")
    else:
        _execute(app, f"DROP TRIGGER {table}_no_update")
        _execute(app, f"DROP TRIGGER {table}_no_delete")


def _stored(app, note_id, version: int):
    (event,) = app.recorder.select_events(note_id, gt=version - 1, lte=version)
    return event


@pytest.fixture
def notes(ledger):
    """Three notes amended three times each, interleaved: 2 + 3 + 9 = 14 sealed events."""
    return write_history(ledger, notes=3, rounds=3, last_twice=False)


def _edit_payload_in_the_database(app, note_id, version: int) -> None:
    stored = _stored(app, note_id, version)
    edited = with_payload_keeping_signature(stored.state, text="inspection passed")
    _execute(
        app, f"UPDATE {app.events_table} SET state = ? WHERE state = ?", (edited, stored.state)
    )
    assert _stored(app, note_id, version).state == edited


def _delete_in_the_database(app, note_id, version: int) -> None:
    stored = _stored(app, note_id, version)
    _execute(app, f"DELETE FROM {app.events_table} WHERE state = ?", (stored.state,))
    assert not app.recorder.select_events(note_id, gt=version - 1, lte=version)


def _position(app, note_id, version: int) -> int:
    """The log position (leaf index) of one stored event."""
    for position, n in enumerate(app.notifications()):
        if n.originator_id == note_id and n.originator_version == version:
            return position
    raise AssertionError(f"{note_id} v{version} is not in the log")


# --- the triggers in place -----------------------------------------------------------------


def test_with_the_triggers_in_place_editing_a_stored_event_is_refused(ledger, notes):
    stored = _stored(ledger, notes[1], 2)
    edited = with_payload_keeping_signature(stored.state, text="inspection passed")

    with pytest.raises(Exception, match="append-only"):
        _execute(
            ledger,
            f"UPDATE {ledger.events_table} SET state = ? WHERE state = ?",
            (edited, stored.state),
        )

    assert _stored(ledger, notes[1], 2).state == stored.state
    assert ledger.get(notes[1], TamperNote).text == "note 1, amendment 3"


def test_with_the_triggers_in_place_deleting_a_stored_event_is_refused(ledger, notes):
    stored = _stored(ledger, notes[1], 2)

    with pytest.raises(Exception, match="append-only"):
        _execute(ledger, f"DELETE FROM {ledger.events_table} WHERE state = ?", (stored.state,))

    assert _stored(ledger, notes[1], 2).state == stored.state
    assert len(list(ledger.notifications())) == 14


# --- an event's payload edited -----------------------------------------------------------------


def test_an_event_edited_in_the_database_is_refused_when_its_aggregate_is_read(
    ledger, notes, new_ledger
):
    _drop_append_only_triggers(ledger)
    _edit_payload_in_the_database(ledger, notes[1], 2)

    # Both the service that wrote the event and a freshly started one refuse to read it.
    for app in (ledger, new_ledger()):
        with pytest.raises(TamperedEvent) as refused:
            app.get(notes[1], TamperNote)
        message = str(refused.value)
        assert f"event tampernote.amended of aggregate {notes[1]} v2" in message
        assert "does not verify" in message
    # The other notes are untouched and still read.
    assert ledger.get(notes[2], TamperNote).text == "note 2, amendment 3"


def test_the_export_of_a_store_with_an_edited_event_fails_verification_at_that_event(
    ledger, notes, tmp_path
):
    _drop_append_only_triggers(ledger)
    _edit_payload_in_the_database(ledger, notes[1], 2)
    position = _position(ledger, notes[1], 2)
    out = tmp_path / "ledger.bundle"

    export_bundle(ledger, out)  # the exporter copies stored bytes; the verifier judges them
    report = verify_bundle(read_bundle(out), pinned_keys=[str(ledger.signer.verifier)])

    assert not report.intact
    failed = {s.number: [f.position for f in s.failures] for s in report.steps if not s.ok}
    assert failed[3] == [position]
    assert failed[5][0] == position  # the first checkpoint that covers it has another root


# --- an event deleted --------------------------------------------------------------------------


def test_an_event_deleted_from_the_middle_of_an_aggregate_is_refused_when_it_is_read(
    ledger, notes, new_ledger
):
    _drop_append_only_triggers(ledger)
    _delete_in_the_database(ledger, notes[1], 2)

    with pytest.raises(TamperedEvent) as refused:
        new_ledger().get(notes[1], TamperNote)
    assert str(notes[1]) in str(refused.value)
    assert "v2" in str(refused.value) or "version 2" in str(refused.value)


def test_an_event_deleted_from_the_middle_of_an_aggregate_is_not_read_silently(
    ledger, notes, new_ledger
):
    _drop_append_only_triggers(ledger)
    _delete_in_the_database(ledger, notes[1], 2)

    # Whatever the error, the note is never rebuilt from the remaining versions.
    for app in (ledger, new_ledger()):
        with pytest.raises(Exception):  # noqa: B017 - the precise kind is the xfail above
            app.get(notes[1], TamperNote)


def test_a_store_with_a_deleted_event_refuses_to_export(ledger, notes, tmp_path):
    _drop_append_only_triggers(ledger)
    _delete_in_the_database(ledger, notes[1], 2)
    out = tmp_path / "ledger.bundle"

    with pytest.raises(Conflict, match="changed behind the ledger's back"):
        export_bundle(ledger, out)
    assert not out.exists()


def test_deleting_the_newest_event_of_an_aggregate_is_caught_when_the_store_is_exported(
    ledger, notes, tmp_path
):
    _drop_append_only_triggers(ledger)
    _delete_in_the_database(ledger, notes[2], 4)
    # Reading the note now serves its version 3 without complaint: nothing left in its own
    # chain shows that a version 4 existed. The sealed log does, and export refuses: the
    # round of sealing it runs first finds the record sealed last gone.
    assert ledger.get(notes[2], TamperNote).version == 3

    with pytest.raises(SealError, match="removed or replaced behind the ledger's back"):
        export_bundle(ledger, tmp_path / "ledger.bundle")
    assert not (tmp_path / "ledger.bundle").exists()


# --- the sealed tail cut off ------------------------------------------------------------------


def _cut_the_tail(app, events: int) -> int:
    """Delete the log's last ``events`` records (sealed ones), keeping the checkpoints, as an
    intruder rolling the log back would; return the position the latest checkpoint sealed last."""
    *_, latest = app.notifications()
    tail = list(app.recorder.select_notifications(start=latest.id - events + 1, limit=events))
    for n in tail:
        _execute(app, f"DELETE FROM {app.events_table} WHERE state = ?", (n.state,))
    return latest.id


@pytest.mark.parametrize("refilled", [0, 2, 5])
def test_a_sealed_tail_cut_from_the_store_stops_the_sealer_naming_the_position(
    ledger, notes, new_ledger, refilled
):
    """The intruder cuts the last two sealed events and the service goes on: without a check,
    every later event waited for sealing forever, unsaid (SQLite even gives the cut positions
    to the next events). Now each round, each command's seal and a restart refuse, naming the
    position, in Chinese for the command line — also once new records fill the cut positions."""
    from api.errors import refusal_text

    _drop_append_only_triggers(ledger)
    tip = _cut_the_tail(ledger, 2)
    size = ledger.sealer.latest().size
    refusal = rf"at position {tip} the record the checkpoint of size {size} sealed last"
    for n in range(refilled):  # commands after the cut: recorded, each refused its seal
        with pytest.raises(SealError, match=rf"^the command was recorded but not sealed: .*{tip}"):
            write_note(ledger, f"after the cut {n}")

    with pytest.raises(SealError, match=refusal) as refused:
        ledger.sealer.seal()
    assert ledger.sealer.latest().size == size  # nothing signed
    assert f"日志在位置 {tip} 已不是大小为 {size} 的检查点最后封存的记录" in refusal_text(
        refused.value
    )
    restarted = new_ledger(embedded_sealing=False)
    with pytest.raises(SealError, match=refusal):
        restarted.sealer.check_tip()


def test_an_untouched_store_passes_the_sealers_check(ledger, notes, new_ledger):
    new_ledger(embedded_sealing=False).sealer.check_tip()
    write_note(ledger, "one more")  # sealed by the command, the check passed
    assert ledger.sealer.latest().last_notification_id == ledger.recorder.max_notification_id()


def test_a_record_edited_between_its_save_and_the_round_is_not_sealed(new_ledger):
    """The round seals what the store holds, hashed from the stored bytes, never what this
    process remembers writing (docs/PERFORMANCE.md, session 18): a record it has just saved and
    an intruder edits before the round is a record it did not sign, verified first, refused
    naming its position; nothing is sealed, and a later round still refuses it."""
    app = new_ledger(seal_interval=1)  # rounds only when asked below
    app.create_ledger()
    app.seal()
    before = app.sealer.latest()
    note_id = write_note(app, "saved, not sealed yet")
    position = app.recorder.max_notification_id()
    _drop_append_only_triggers(app)
    _edit_payload_in_the_database(app, note_id, 1)
    for _ in range(2):
        with pytest.raises(SealError, match=rf"refusing to seal: ledger position {position}: "):
            app.seal()
        assert app.sealer.latest() == before
