"""A cold read vouches for the sealed prefix through its signed checkpoint (ledger/vouching.py):
one SHA-256 per record instead of one Ed25519 verification. The attacker is an operator with
the database and without the key: an edited record, an edited checkpoint, a record edited while
the check runs, and a forged record slipped in for the sealer to seal are each refused."""

from __future__ import annotations

import pytest

import ledger.mapper
from ledger.errors import TamperedEvent
from ledger.registry.states import RegistryStates
from ledger.sealer import CHECKPOINTS_TABLE, SealError
from ledger.storage import is_postgres
from verify.merkle import leaf_hash

from .bundle_edits import with_payload_keeping_signature
from .test_store_tampering import _drop_append_only_triggers, _execute


@pytest.fixture
def signatures(monkeypatch):  # type: ignore[no-untyped-def]
    """Counts the Ed25519 verifications the mapper makes."""
    calls = []
    real = ledger.mapper.check_signature

    def counting(event, verifiers):  # type: ignore[no-untyped-def]
        calls.append(event.version)
        return real(event, verifiers)

    monkeypatch.setattr(ledger.mapper, "check_signature", counting)
    return calls


def _edit(app, topic: str, **changes) -> int:  # type: ignore[no-untyped-def]
    n = next(iter(app.notifications(topics=[topic])))
    edited = with_payload_keeping_signature(n.state, **changes)
    _drop_append_only_triggers(app)
    _execute(app, f"UPDATE {app.events_table} SET state = ? WHERE state = ?", (edited, n.state))
    return n.id


def test_a_cold_read_of_a_sealed_log_verifies_no_signature_and_reads_the_same(
    sealed, new_ledger, signatures
):  # type: ignore[no-untyped-def]
    head = sealed.recorder.max_notification_id()
    per_record = new_ledger()
    expected = [
        (n.id, per_record.checked(n, "").digest) for n in per_record.notifications()
    ]  # the old way: one verification per record
    assert len(signatures) == head
    signatures.clear()
    app = new_ledger()  # restarted: nothing vouched for in memory
    got = [(p, e.digest) for p, e in app.records()]
    assert got == expected and signatures == []
    state = RegistryStates(new_ledger()).at(None)  # the freeze's fold
    assert state.position == head and signatures == []


def test_records_after_the_checkpoint_are_still_verified_one_by_one(sealed, new_ledger, signatures):  # type: ignore[no-untyped-def]
    writer = new_ledger(seal_interval=1)  # seals in rounds; none runs here
    writer.embedded_sealing = False
    sealed_up_to = sealed.sealer.latest().last_notification_id
    from ledger.actors import SYSTEM

    writer.set_policy({**writer.policy_in_force(), "version": "scale-test/2"}, SYSTEM, "test")
    head = writer.recorder.max_notification_id()
    assert head > sealed_up_to
    signatures.clear()
    app = new_ledger(embedded_sealing=False)
    assert [p for p, _ in app.records()][-1] == head
    assert len(signatures) == head - sealed_up_to


def test_a_sealed_record_edited_in_the_database_is_refused_naming_it(sealed, new_ledger):  # type: ignore[no-untyped-def]
    position = _edit(sealed, "target.registered", district="320412")
    app = new_ledger()
    with pytest.raises(TamperedEvent, match=rf"^ledger position {position}: .*signature"):
        list(app.records())
    with pytest.raises(TamperedEvent, match=rf"^ledger position {position}: "):
        RegistryStates(app).at(None)


def test_an_edited_checkpoint_is_refused(sealed, new_ledger):  # type: ignore[no-untyped-def]
    latest = sealed.sealer.latest()
    forged = bytes(32)
    if is_postgres(sealed.recorder):
        _execute(sealed, f"DROP TRIGGER {CHECKPOINTS_TABLE}_append_only ON {CHECKPOINTS_TABLE}")
    else:
        _execute(sealed, f"DROP TRIGGER {CHECKPOINTS_TABLE}_no_update")
    _execute(
        sealed,
        f"UPDATE {CHECKPOINTS_TABLE} SET root = ? WHERE tree_size = ?",
        (forged, latest.size),
    )
    with pytest.raises(TamperedEvent, match=rf"checkpoint {latest.size}"):
        list(new_ledger().records())


def test_a_record_edited_between_the_two_passes_is_refused(sealed, new_ledger, monkeypatch):  # type: ignore[no-untyped-def]
    """The two passes over the records (the way taken when the kept tiles cannot serve)."""
    app = new_ledger()

    def no_tiles(size, root):  # type: ignore[no-untyped-def]
        raise SealError("no tiles here")

    monkeypatch.setattr(app.proof_tiles, "tree", no_tiles)
    real = app.sealer.record_hashes
    edited = []

    def then_edit(start, limit):  # type: ignore[no-untyped-def]
        page = real(start, limit)  # pass one sees the genuine records
        if not edited:
            edited.append(_edit(app, "target.registered", district="320412"))
        return page

    monkeypatch.setattr(app.sealer, "record_hashes", then_edit)
    with pytest.raises(TamperedEvent, match=r"ledger position"):
        list(app.records())
    assert edited


def test_the_sealer_refuses_to_seal_a_record_it_cannot_verify(sealed, new_ledger):  # type: ignore[no-untyped-def]
    """An operator inserts a forged record (a copy of a real one with an edited payload, as a
    new version); a sealer that did not write it verifies it first and seals nothing."""
    n = next(iter(sealed.notifications(topics=["target.registered"])))
    forged = with_payload_keeping_signature(n.state, district="320412")
    columns = "originator_id, originator_version, topic, state"
    originator = n.originator_id if is_postgres(sealed.recorder) else n.originator_id.hex
    _execute(
        sealed,
        f"INSERT INTO {sealed.events_table} ({columns}) VALUES (?, ?, ?, ?)",
        (originator, 999, n.topic, forged),
    )
    position = sealed.recorder.max_notification_id()
    before = sealed.sealer.latest()
    app = new_ledger()
    with pytest.raises(SealError, match=rf"refusing to seal: ledger position {position}: "):
        app.seal()
    assert app.sealer.latest() == before
    assert leaf_hash(forged) not in app.sealer.leaf_hashes(before.size)  # nothing integrated


def test_the_sealer_verifies_only_what_its_process_did_not_write(sealed, new_ledger, signatures):  # type: ignore[no-untyped-def]
    """What this process signed is sealed without a verification, what another process wrote
    is verified once before it is sealed."""
    from ledger.actors import SYSTEM

    writer = new_ledger(seal_interval=1)  # its own sealing task is not started here
    before = writer.recorder.max_notification_id()
    writer.set_policy({**writer.policy_in_force(), "version": "scale-test/3"}, SYSTEM, "test")
    written = writer.recorder.max_notification_id() - before
    signatures.clear()
    writer.seal()
    assert signatures == []
    writer.set_policy({**writer.policy_in_force(), "version": "scale-test/4"}, SYSTEM, "test")
    other = new_ledger(seal_interval=1)  # another process seals it
    signatures.clear()
    other.seal()
    assert len(signatures) == written


def test_read_models_rebuilt_over_a_long_sealed_log_verify_no_signature(
    sealed, new_ledger, signatures, monkeypatch
):  # type: ignore[no-untyped-def]
    """A long backlog is read through the checkpoint: the same rows as one record at a time."""
    from sqlalchemy import create_engine

    import projections.runner
    from projections import queries
    from projections.runner import ProjectionRunner

    one_by_one = ProjectionRunner(new_ledger(), create_engine("sqlite://"))
    one_by_one.catch_up()
    monkeypatch.setattr(projections.runner, "VOUCHED_BACKLOG", 1)
    signatures.clear()
    runner = ProjectionRunner(new_ledger(), create_engine("sqlite://"), batch=50)
    runner.catch_up()
    assert signatures == []
    assert runner.positions() == one_by_one.positions()
    for engine_pair in [(runner.engine, one_by_one.engine)]:
        mine, theirs = (queries.search_targets(e, limit=500)["items"] for e in engine_pair)
        assert mine == theirs and len(mine) == 40


def test_read_models_over_an_edited_sealed_log_take_nothing_in(sealed, new_ledger, monkeypatch):  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    import projections.runner
    from projections.runner import ProjectionRunner

    monkeypatch.setattr(projections.runner, "VOUCHED_BACKLOG", 1)
    position = _edit(sealed, "target.registered", district="320412")
    runner = ProjectionRunner(new_ledger(), create_engine("sqlite://"), batch=50)
    with pytest.raises(TamperedEvent, match=rf"^ledger position {position}: .*signature"):
        runner.catch_up()
    assert set(runner.positions().values()) == {0}


def test_the_rows_the_vouched_read_takes_are_the_librarys_notifications(sealed):  # type: ignore[no-untyped-def]
    """``storage.stored_rows`` (a rebuild's vouched read, lighter than the library's
    ``select_notifications``) gives each stored event's id, aggregate, version, topic and
    record as the library does, the aggregate as its UUID's text."""
    from ledger.storage import stored_rows

    head = sealed.recorder.max_notification_id()
    library = sealed.recorder.select_notifications(start=1, limit=head, stop=head)
    expected = [
        (n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in library
    ]
    assert [tuple(r) for r in stored_rows(sealed.recorder, 1, head, head)] == expected
    assert [tuple(r) for r in stored_rows(sealed.recorder, 5, 9, 3)] == expected[4:7]


def test_a_sealed_record_moved_to_another_aggregate_is_refused_naming_it(sealed, new_ledger):  # type: ignore[no-untyped-def]
    """The operator moves a sealed record's row to another aggregate (its aggregate id edited,
    the record's bytes untouched, so the checkpoint still vouches for them): the envelope names
    its own aggregate, and the read through the checkpoint refuses the row."""
    from uuid import uuid4

    first = next(iter(sealed.notifications(topics=["target.registered"])))
    elsewhere = uuid4()  # an aggregate of its own, so that only the aggregate differs
    moved_to = elsewhere if is_postgres(sealed.recorder) else elsewhere.hex
    _drop_append_only_triggers(sealed)
    _execute(
        sealed,
        f"UPDATE {sealed.events_table} SET originator_id = ? WHERE state = ?",
        (moved_to, first.state),
    )
    with pytest.raises(TamperedEvent, match=rf"^ledger position {first.id}: .*the row"):
        list(new_ledger().records())
