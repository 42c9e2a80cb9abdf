"""The signed store: what a clerk's command leaves in the log, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from ledger.actors import Actor
from ledger.aggregates import LedgerAggregate
from ledger.catalogue import include
from ledger.errors import Conflict, TamperedEvent
from verify.events import check_signature, decode_record
from verify.merkle import leaf_hash, root_from_leaf_hashes
from verify.note import parse_checkpoint, verify_note

ADMIN = Actor("admin-1", "admin", "水政处")


class Note(LedgerAggregate):
    TOPIC = "testnote"

    class Created(LedgerAggregate.Created):
        TOPIC = "testnote.created"
        text: str

    class Amended(LedgerAggregate.Event):
        TOPIC = "testnote.amended"
        text: str

        def apply(self, note):  # type: ignore[no-untyped-def]
            note.text = self.text

    def __init__(self, text: str) -> None:
        self.text = text


include(Note)  # the catalogue lists the product's kinds; a test's own is added


def test_every_stored_event_is_a_signed_record_naming_its_type_and_actor(ledger):
    stored = list(ledger.notifications())
    assert [n.topic for n in stored] == ["ledger.created", "policy.set"]
    keys = {ledger.signer.key_id: ledger.signer.verifier}
    for n in stored:
        event = decode_record(n.state)
        check_signature(event, keys)
        assert event.type == n.topic
        assert event.aggregate == str(n.originator_id)
        assert event.envelope["actor"]["role"] == "system"
        assert event.envelope["prev"] is None


def test_a_later_event_chains_to_the_previous_digest_of_its_aggregate(ledger):
    note = Note._create(
        Note.Created, id=__import__("uuid").uuid4(), text="a", actor=ADMIN.to_json()
    )
    ledger.save(note)
    again = ledger.get(note.id, Note)
    again.trigger_event(Note.Amended, text="b", actor=ADMIN.to_json())
    ledger.save(again)

    records = [decode_record(s.state) for s in ledger.recorder.select_events(note.id)]
    assert [r.version for r in records] == [1, 2]
    assert records[1].prev == records[0].digest
    assert ledger.get(note.id, Note).text == "b"


def test_each_save_is_sealed_into_a_signed_checkpoint_over_all_events(ledger):
    latest = ledger.sealer.latest()
    assert latest is not None and latest.size == 2
    note, names = verify_note(latest.note, [ledger.signer.verifier])
    assert names == [ledger.signer.name]
    checkpoint = parse_checkpoint(note.text)
    leaves = [leaf_hash(n.state) for n in ledger.notifications()]
    assert checkpoint.root == root_from_leaf_hashes(leaves)
    assert [c.size for c in ledger.sealer.checkpoints()] == [1, 2]


def test_the_same_policy_version_cannot_be_set_twice(ledger):
    with pytest.raises(Conflict, match="the ledger has its policy already"):
        ledger.set_default_policy()
    assert [n.topic for n in ledger.notifications()] == ["ledger.created", "policy.set"]


def test_the_policy_in_force_is_the_last_one_set(ledger):
    document = ledger.policy_in_force()
    assert document["teams"]["min_inspectors"] == 2
    changed = {**document, "version": "v2", "teams": {"min_inspectors": 3}}
    ledger.set_policy(changed, ADMIN)
    assert ledger.policy_in_force()["teams"]["min_inspectors"] == 3


def test_stored_events_refuse_update_and_delete(ledger):
    with (
        pytest.raises(Exception, match="append-only"),
        ledger.recorder.datastore.transaction(commit=True) as c,
    ):
        c.execute(f"UPDATE {ledger.events_table} SET state = state")
    with (
        pytest.raises(Exception, match="append-only"),
        ledger.recorder.datastore.transaction(commit=True) as c,
    ):
        c.execute(f"DELETE FROM {ledger.events_table}")
    with (
        pytest.raises(Exception, match="append-only"),
        ledger.recorder.datastore.transaction(commit=True) as c,
    ):
        c.execute("DELETE FROM seal_checkpoints")
    assert len(list(ledger.notifications())) == 2


def test_reading_an_event_whose_signature_was_replaced_fails_loudly(ledger, new_ledger):
    from verify.keys import SignerKey

    other = SignerKey.generate(ledger.signer.name)
    forger = new_ledger()
    forger.mapper.signer = other  # a process holding the wrong key writes one event
    forger.mapper.verifiers[other.key_id] = other.verifier
    forger.set_policy({**ledger.policy_in_force(), "version": "forged"}, ADMIN)
    with pytest.raises(TamperedEvent, match="unknown key id"):
        ledger.policy_in_force()


def test_the_sealer_resumes_from_what_is_stored(ledger, new_ledger):
    before = ledger.sealer.latest()
    reopened = new_ledger()
    assert reopened.sealer.latest() == before
    reopened.set_policy({**reopened.policy_in_force(), "version": "v3"}, ADMIN)
    assert reopened.sealer.latest().size == before.size + 1


def test_a_batch_of_a_thousand_signed_events_is_stored_in_one_save(new_ledger):
    # On PostgreSQL, psycopg's pipeline mode never finished an INSERT of this size (about a
    # megabyte): the ledger's recorder inserts without it. A daemon thread keeps a regression
    # from hanging the suite.
    import threading

    from ledger.policy import Policy

    app = new_ledger(embedded_sealing=False)
    policies = [
        Policy.set({"version": f"bulk-{n}", "source": "x" * 600}, ADMIN.to_json())
        for n in range(1000)
    ]
    done = threading.Event()

    def save():
        app.save(*policies)
        done.set()

    threading.Thread(target=save, daemon=True).start()
    assert done.wait(timeout=60), "saving 1,000 events did not finish within 60 s"
    assert len(list(app.notifications())) == 1000


def test_two_writers_of_the_same_record_conflict_and_the_second_is_told_to_retry(
    ledger, new_ledger
):
    other = new_ledger()
    first = ledger.get(note_id := _new_note(ledger), Note)
    second = other.get(note_id, Note)
    first.trigger_event(Note.Amended, text="first", actor=ADMIN.to_json())
    second.trigger_event(Note.Amended, text="second", actor=ADMIN.to_json())
    ledger.save(first)
    with pytest.raises(Conflict, match="retry"):
        other.save(second)
    assert ledger.get(note_id, Note).text == "first"


def _new_note(app):
    import uuid

    note = Note._create(Note.Created, id=uuid.uuid4(), text="a", actor=ADMIN.to_json())
    app.save(note)
    return note.id
