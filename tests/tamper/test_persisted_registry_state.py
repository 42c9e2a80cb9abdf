"""The registry state a draw freezes is persisted beside the log (ledger/registry/state_store.py):
after a restart a cold freeze folds only the events after it, and freezes exactly the
population a fold of the whole log gives. The attacker is an operator with the database and
without the ledger's key who edits the persisted state so that a friend's company is never
drawn: the edit is refused and the fold falls back to the log."""

from __future__ import annotations

import hashlib
from uuid import UUID

import pytest

from ledger.demo.bureau import build_demo
from ledger.draws.service import Draws
from ledger.registry.service import Registry
from ledger.registry.state_store import TABLE, decode, encode
from ledger.registry.states import RegistryStates
from tests.ledger.workflow import with_ceremony
from verify.draw_rules import frozen_population
from verify.draws import population_digest
from verify.events import decode_record
from verify.keys import SignerKey
from verify.registry_state import RegistryState

from .test_store_tampering import _execute

SPEC = {"division": "szc", "items": ["qsxk"], "counts": {"all": 5}, "team_size": 2}


def fresh_fold(app) -> RegistryState:  # type: ignore[no-untyped-def]
    state = RegistryState()
    for n in app.notifications():
        state.apply(decode_record(n.state).envelope)
    return state


@pytest.fixture
def persisted(ledger):  # type: ignore[no-untyped-def]
    """A bureau whose registry state was persisted, then a few more events after it."""
    build_demo(ledger, targets=60, inspectors=10)
    states = RegistryStates(ledger)
    states.at(None)
    last_id = states.persist()
    registry = Registry(ledger)
    registry.update_inspector("insp-001", {"status": "retired"}, "退休", by="szc-aggregator")
    return ledger, last_id


def _freeze(app) -> dict:  # type: ignore[no-untyped-def]
    """A draw opened and frozen by a service that has not folded anything yet; its facts and
    the draw's parameters."""
    draws = Draws(app)
    draw = draws.open(with_ceremony(SPEC), "szc-clerk")
    facts = draws.freeze(draw, "szc-clerk")
    return {**facts, "params": draws.get(draw).params()}


def test_a_cold_freeze_starts_from_the_persisted_state_and_freezes_the_same_population(
    persisted, new_ledger
):  # type: ignore[no-untyped-def]
    app, last_id = persisted
    restarted = new_ledger()
    states = RegistryStates(restarted)
    starts = []
    records = restarted.records
    restarted.records = lambda **kw: starts.append(kw.get("start", 1)) or records(**kw)
    state = states.at(None)
    assert starts == [last_id + 1]  # only the events after the persisted state were read
    assert state == fresh_fold(app) and state.inspectors["insp-001"].status == "retired"
    assert states.store.refused is None

    # The draw's population digest is the same with the persisted state as without it.
    with_store = _freeze(restarted)
    _execute(restarted, f"DELETE FROM {TABLE}")
    without = _freeze(new_ledger())
    fold = fresh_fold(app)  # the registry before either draw: opening one changes nothing
    params = {**with_store["params"], "year": with_store["year"]}
    expected = population_digest(frozen_population(params, fold).ids)
    assert with_store["digest"] == without["digest"] == expected
    assert with_store["table_digest"] == without["table_digest"]
    assert with_store["count"] == without["count"] > 0


def test_a_state_persisted_further_than_a_draws_position_is_not_used_for_it(persisted, new_ledger):  # type: ignore[no-untyped-def]
    app, last_id = persisted
    states = RegistryStates(new_ledger())
    early = states.at(30)  # a draw frozen before the persisted state's position
    state = RegistryState()
    for n in app.notifications(stop=30):
        state.apply(decode_record(n.state).envelope)
    assert early == state and early.position == 30


def _rewrite(app, edit, *, fix_digest: bool = True) -> None:  # type: ignore[no-untyped-def]
    """The operator's edit of the newest persisted row (the digest recomputed by the attacker)."""
    with app.recorder.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT last_id, body FROM {TABLE} ORDER BY last_id DESC LIMIT 1")
        row = c.fetchone()
    body = edit(bytes(row["body"]))
    digest = hashlib.sha256(body).digest() if fix_digest else None
    if digest is None:
        _execute(app, f"UPDATE {TABLE} SET body = ? WHERE last_id = ?", (body, row["last_id"]))
    else:
        _execute(
            app,
            f"UPDATE {TABLE} SET body = ?, digest = ? WHERE last_id = ?",
            (body, digest, row["last_id"]),
        )


def _close_the_friends_company(body: bytes) -> bytes:
    """Mark one company in business as closed, so that no draw can select it."""
    state = decode(body)
    friend = next(t for t in state.targets.values() if t.status == "in_business")
    state.targets[friend.aggregate] = friend._replace(status="closed")
    return encode(state)


@pytest.mark.parametrize("fix_digest", [True, False], ids=["digest-recomputed", "digest-kept"])
def test_an_operator_who_edits_the_persisted_state_is_detected_and_the_fold_reads_the_log(
    persisted, new_ledger, fix_digest
):  # type: ignore[no-untyped-def]
    app, last_id = persisted
    _rewrite(app, _close_the_friends_company, fix_digest=fix_digest)
    states = RegistryStates(new_ledger())
    state = states.at(None)
    assert state == fresh_fold(app)  # the friend's company is still in business
    assert states.store.refused is not None and str(last_id) in states.store.refused
    why = "signature does not verify" if fix_digest else "do not hash to the signed digest"
    assert why in states.store.refused


def test_a_state_moved_to_another_position_or_signed_by_another_key_is_refused(
    persisted, new_ledger
):  # type: ignore[no-untyped-def]
    app, last_id = persisted
    # moved: the same signed row claiming to stand for a later position
    _execute(app, f"UPDATE {TABLE} SET last_id = ? WHERE last_id = ?", (last_id + 1, last_id))
    states = RegistryStates(new_ledger())
    assert states.at(None) == fresh_fold(app)
    assert "signature does not verify" in (states.store.refused or "")

    # signed by another key: a state the operator folded and signed himself
    _execute(app, f"DELETE FROM {TABLE}")
    forged = RegistryStates(new_ledger())
    forged.at(None)
    forged.app.signer = SignerKey.generate("drawledger.test/operator")  # his own key
    forged.persist()
    states = RegistryStates(new_ledger())
    assert states.at(None) == fresh_fold(app)
    assert "signature does not verify" in (states.store.refused or "")


def test_a_freeze_far_enough_beyond_the_persisted_state_persists_its_own(ledger, new_ledger):  # type: ignore[no-untyped-def]
    build_demo(ledger, targets=60, inspectors=10)
    states = RegistryStates(ledger)
    states.persist_after = 50
    states.at(None)
    assert states.saving is not None
    states.saving.join(timeout=60)
    restarted = RegistryStates(new_ledger())
    persisted = restarted.store.newest()
    assert persisted is not None and persisted.state == fresh_fold(ledger)
    assert persisted.last_id == ledger.recorder.max_notification_id()
    assert UUID(next(iter(persisted.state.targets)))  # keys are aggregate ids
