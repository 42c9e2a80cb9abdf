"""The sealer: one consistent history of checkpoints, whatever crashes or competes."""

from __future__ import annotations

import threading

import pytest

from ledger.actors import Actor
from ledger.sealer import Sealer, SealError
from verify.merkle import consistency_proof, leaf_hash, verify_consistency
from verify.note import parse_checkpoint, verify_note

ADMIN = Actor("admin-1", "admin", "水政处")


def _add_policies(app, count, prefix="p"):
    base = app.policy_in_force()
    for n in range(count):
        app.set_policy({**base, "version": f"{prefix}{n}"}, ADMIN)


def test_every_signed_checkpoint_is_consistent_with_the_one_before(ledger):
    _add_policies(ledger, 5)
    leaves = [leaf_hash(n.state) for n in ledger.notifications()]
    checkpoints = [
        parse_checkpoint(verify_note(c.note, [ledger.signer.verifier])[0].text)
        for c in ledger.sealer.checkpoints()
    ]
    assert [c.size for c in checkpoints] == list(range(1, 8))
    for old, new in zip(checkpoints, checkpoints[1:], strict=False):
        proof = consistency_proof(leaves[: new.size], old.size)
        verify_consistency(old.size, new.size, old.root, new.root, proof)


def test_a_follower_seals_everything_stored_since_its_last_checkpoint_in_one_round(new_ledger):
    app = new_ledger(embedded_sealing=False)
    app.create_ledger()
    app.set_default_policy()
    _add_policies(app, 10)
    assert app.sealer.latest() is None
    checkpoint = app.sealer.seal()
    assert checkpoint is not None and checkpoint.size == 12
    assert app.sealer.seal() is None  # nothing new: no new checkpoint


def test_a_crash_during_a_sealing_round_leaves_nothing_half_written(new_ledger, monkeypatch):
    app = new_ledger(embedded_sealing=False)
    app.create_ledger()
    app.set_default_policy()
    app.sealer.seal()
    _add_policies(app, 3)

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    original = app.sealer._sql
    calls = {"n": 0}

    def sql_then_crash(statement):
        calls["n"] += 1
        if "INSERT INTO seal_checkpoints" in statement:
            crash()
        return original(statement)

    monkeypatch.setattr(app.sealer, "_sql", sql_then_crash)
    with pytest.raises(RuntimeError, match="power cut"):
        app.sealer.seal()
    monkeypatch.undo()

    assert app.sealer.latest().size == 2
    resumed = Sealer(app.recorder, app.signer, app.origin)
    assert resumed.seal().size == 5
    assert len(resumed.leaf_hashes(5)) == 5


def test_competing_sealers_sign_one_consistent_sequence(new_ledger):
    app = new_ledger(embedded_sealing=False)
    app.create_ledger()
    app.set_default_policy()
    sealers = [Sealer(app.recorder, app.signer, app.origin, batch=3) for _ in range(3)]
    stop = threading.Event()
    errors = []

    def run(sealer):
        while not stop.is_set():
            try:
                sealer.seal()
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(e)
                return

    threads = [threading.Thread(target=run, args=(s,)) for s in sealers]
    for t in threads:
        t.start()
    _add_policies(app, 20)
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    app.sealer.seal()
    sizes = [c.size for c in app.sealer.checkpoints()]
    assert sizes == sorted(set(sizes)) and sizes[-1] == 22
    leaves = [leaf_hash(n.state) for n in app.notifications()]
    assert app.sealer.leaf_hashes(22) == leaves


def test_a_sealer_resuming_from_altered_stored_state_refuses_to_sign(ledger, new_ledger):
    drop_guards(ledger, "seal_checkpoints")
    with ledger.recorder.datastore.transaction(commit=True) as c:
        c.execute("UPDATE seal_checkpoints SET frontier = '[]' WHERE tree_size = 2")
    # The running sealer keeps what it signed in memory; a restarted one reads the store.
    restarted = new_ledger()
    with pytest.raises(SealError, match="refusing to sign"):
        restarted.set_policy({**ledger.policy_in_force(), "version": "after-tamper"}, ADMIN)


def drop_guards(app, table):
    from ledger.storage import is_postgres

    with app.recorder.datastore.transaction(commit=True) as c:
        if is_postgres(app.recorder):
            c.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        else:
            c.execute(f"DROP TRIGGER {table}_no_update")
