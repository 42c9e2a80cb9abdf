"""The one-event save's shortcuts (docs/PERFORMANCE.md, session 17): the chain cache's keys,
the envelope's time and kind, and that none of them changes a record or skips a check."""

from __future__ import annotations

import gc
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.mapper import _link, format_time, parse_time
from verify.events import decode_record

from .test_store import ADMIN, Note


def _note(app, text: str = "a") -> Note:
    note = Note._create(Note.Created, id=uuid.uuid4(), text=text, actor=ADMIN.to_json())
    app.save(note)
    return note


def test_the_chain_cache_keeps_nothing_the_garbage_collector_tracks(ledger):
    # A tuple key per save (the cache held (aggregate, version)) is an object the collector
    # tracks until its next collection: thousands of them set off collections costing a
    # one-event save several microseconds. The keys are strings, which it never tracks.
    gc.disable()
    try:
        note = _note(ledger)
        for n in range(5):
            note.trigger_event(Note.Amended, text=f"v{n}", actor=ADMIN.to_json())
            ledger.save(note)
        keys = list(ledger.mapper._digests._items)
        assert f"{note.id}:6" in keys
        assert not [k for k in keys if gc.is_tracked(k)]
    finally:
        gc.enable()


def test_the_chain_cache_key_names_one_version_of_one_aggregate():
    assert _link("a:1", 2) != _link("a", 12)
    assert _link("a", 1) != _link("a:", 1)
    assert {_link(a, v) for a in ("x", "x:1", "x:", ":1") for v in (1, 11, 2)}.__len__() == 12


def test_a_save_after_this_process_saved_reads_no_earlier_record(ledger, monkeypatch):
    note = _note(ledger)
    reads = []
    real = ledger.recorder.select_events
    monkeypatch.setattr(
        ledger.recorder, "select_events", lambda *a, **k: reads.append(a) or real(*a, **k)
    )
    note.trigger_event(Note.Amended, text="b", actor=ADMIN.to_json())
    ledger.save(note)
    assert reads == []  # the previous digest came from the cache, under the key it was put
    records = [decode_record(s.state) for s in real(note.id)]
    assert records[1].prev == records[0].digest


def test_a_save_after_another_process_wrote_chains_to_what_it_wrote(ledger, new_ledger):
    note = _note(ledger)
    other = new_ledger()
    theirs = other.get(note.id, Note)
    theirs.trigger_event(Note.Amended, text="theirs", actor=ADMIN.to_json())
    other.save(theirs)
    ours = ledger.get(note.id, Note)  # the read checks v2 and learns its digest
    ours.trigger_event(Note.Amended, text="ours", actor=ADMIN.to_json())
    ledger.save(ours)
    records = [decode_record(s.state) for s in ledger.recorder.select_events(note.id)]
    assert [r.version for r in records] == [1, 2, 3]
    assert records[2].prev == records[1].digest
    assert ledger.get(note.id, Note).text == "ours"


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 5, 0, 27, 41, 123456, tzinfo=UTC),
        datetime(2026, 12, 5, 0, 27, 41, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),  # noqa: UP017
        datetime(2026, 12, 5, 8, 27, 41, 5, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 12, 4, 16, 27, 41, 5, tzinfo=timezone(timedelta(hours=-8))),
    ],
)
def test_an_event_time_is_written_as_utc_with_microseconds_and_a_z(moment):
    text = format_time(moment)
    assert text == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert parse_time(text) == moment


def test_a_time_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_time(datetime(2026, 12, 5, 0, 27, 41))


def test_a_created_event_naming_another_kind_is_refused_before_it_is_signed(ledger):
    note = Note._create(Note.Created, id=uuid.uuid4(), text="a", actor=ADMIN.to_json())
    [event] = note.collect_events()
    object.__setattr__(event, "originator_topic", "policy")
    with pytest.raises(ValueError, match="aggregate kind 'policy'"):
        ledger.mapper.to_stored_event(event)
    assert ledger.recorder.select_events(note.id) == []
