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


def test_a_sealing_round_holds_nothing_the_garbage_collector_tracks_per_record(new_ledger):
    # A round held a (position, leaf hash) tuple per record (and a row tuple per leaf): a round
    # of thousands set off a full collection, most of the round's cost. Counted with the
    # collector off: the young objects it tracks, alive as the round checks its records.
    app = new_ledger(seal_interval=1)  # sealed by the explicit round below, not per command
    notes = [Note._create(Note.Created, id=uuid.uuid4(), text="a", actor=ADMIN.to_json())]
    for n in range(599):
        notes.append(Note._create(Note.Created, id=uuid.uuid4(), text=f"n{n}", actor={}))
    app.save(*notes)
    alive = []
    check = app.sealer.before_sealing
    assert check is not None

    def counted(sequenced):  # type: ignore[no-untyped-def]
        alive.append(len(gc.get_objects(generation=0)))
        check(sequenced)

    app.sealer.before_sealing = counted
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects(generation=0))
        checkpoint = app.seal()
        after_round = alive[0] - before
    finally:
        gc.enable()
    assert checkpoint is not None and checkpoint.size == 600
    assert after_round < 100, f"{after_round} tracked objects alive for a round of 600 records"
    assert [h for _, h in app.sealer.record_hashes(1, 600)] == app.sealer.leaf_hashes(600)


def test_the_proof_tiles_after_a_round_are_read_a_row_at_a_time(new_ledger):
    # The tiles a round completes are hashed from their sealed leaves: read with fetchall,
    # every row object alive at once set off collections (a full one at the end of a large
    # round). With the young generation's threshold at 200, 512 rows at once would.
    app = new_ledger(seal_interval=1)
    notes = [
        Note._create(Note.Created, id=uuid.uuid4(), text=f"n{n}", actor={}) for n in range(600)
    ]
    app.sealer.after_sealing = None  # the tiles are hashed below, alone
    app.save(*notes)
    app.seal()
    from ledger.proof_tiles import ProofTiles

    tiles = ProofTiles(app.sealer)
    started: list[int] = []

    def seen(phase, info):  # type: ignore[no-untyped-def]
        if phase == "start":
            started.append(info["generation"])

    old = gc.get_threshold()
    gc.collect()
    gc.callbacks.append(seen)
    gc.set_threshold(200, *old[1:])
    try:
        hashed = tiles.keep_up(600)
    finally:
        gc.set_threshold(*old)
        gc.callbacks.remove(seen)
    assert hashed == 2
    assert started == []


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_run_of_saves_keeps_one_sqlite_connection_once_the_pool_holds_two(ledger, monkeypatch):
    # SQLite empties a connection's page cache when another connection wrote since its last
    # transaction: the library's pool gave its idle connections in turn, so once a reader (the
    # sealing task's round) had run beside a save, every save started cold. The pool now gives
    # the connection returned last.
    pool = ledger.recorder.datastore.pool
    beside = pool.get_connection(is_writer=False)  # a reader's, while a save runs
    note = _note(ledger)
    pool.put_connection(beside)
    assert pool.num_in_pool >= 2
    given: list[int] = []
    real = pool.get_connection
    monkeypatch.setattr(pool, "get_connection", lambda *a, **k: _seen(given, real(*a, **k)))
    for n in range(4):
        note.trigger_event(Note.Amended, text=f"v{n}", actor=ADMIN.to_json())
        ledger.save(note)
    assert len(given) >= 4 and set(given) == {id(beside)}  # the one returned last, always


def _seen(given: list[int], connection):  # type: ignore[no-untyped-def]
    given.append(id(connection))
    return connection
