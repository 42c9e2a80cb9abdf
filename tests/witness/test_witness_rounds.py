"""The witness against a ledger served in-process: it cosigns what extends what it saw, and
refuses, keeping the evidence, what does not (a split view)."""

from __future__ import annotations

import json
import stat

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.application import LedgerApp
from ledger.storage import persistence_env
from verify.keys import SignerKey
from verify.note import verify_note
from witness.auditor import COSIGNED, SPLIT_VIEW, UNCHANGED

from .conftest import grow, transport_of


def test_the_witness_cosigns_the_latest_checkpoint_and_then_one_that_extends_it(
    served, make_witness, witness_key
):
    ledger, client = served
    witness = make_witness(client, ledger)

    first = witness.round()
    assert first.status == COSIGNED, first.message
    served_note = client.get("/checkpoint").text
    _, names = verify_note(served_note, [ledger.signer.verifier, witness_key.verifier])
    assert names == [ledger.signer.name, witness_key.name]
    kept = witness.state.dir / "checkpoint"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(witness.state.dir.stat().st_mode) == 0o700

    grow(ledger, 3)
    second = witness.round()
    assert second.status == COSIGNED, second.message
    assert second.size == first.size + 3
    assert witness.round().status == UNCHANGED  # nothing new: cosigned before
    assert witness.state.split_views() == []


@pytest.fixture
def fork(ledger, tmp_path):
    """A second store holding another history under the same key and origin: what an operator
    with the key can show one witness while showing the others the first."""
    other = LedgerApp(
        persistence_env("sqlite:///fork.sqlite", tmp_path),
        ledger.signer,
        ledger.origin,
        embedded_sealing=True,
        seal_interval=0,
    )
    other.create_ledger()
    other.set_default_policy()
    yield other
    other.close()


def test_a_split_view_is_refused_and_its_evidence_kept(served, make_witness, fork):
    ledger, client = served
    witness = make_witness(client, ledger)
    assert witness.round().status == COSIGNED
    before = (witness.state.dir / "checkpoint").read_text()

    grow(fork, 4)  # larger than what the witness saw, but not an extension of it
    fork_client = TestClient(create_app(fork))
    witness.client.send = transport_of(fork_client)  # the same URL, another history

    outcome = witness.round()

    assert outcome.status == SPLIT_VIEW
    assert "一致性证明" in outcome.message
    assert (witness.state.dir / "checkpoint").read_text() == before  # it did not move on
    [evidence] = witness.state.split_views()
    assert (evidence / "old.checkpoint").read_text() == before
    assert (evidence / "new.checkpoint").read_text() == fork_client.get("/checkpoint").text
    proof = json.loads((evidence / "proof.json").read_text())
    assert proof["old_size"] == 2 + 1 and proof["new_size"] == 2 + 4
    assert proof["proof"] and "未通过" in proof["reason"]
    assert fork.sealer.cosignature_lines() == {}  # nothing was posted to the fork
    # Asked again, it refuses again and keeps the one piece of evidence.
    assert witness.round().status == SPLIT_VIEW
    assert len(witness.state.split_views()) == 1


def test_a_rollback_and_a_second_root_for_a_size_are_split_views(served, make_witness, fork):
    ledger, client = served
    grow(ledger, 2)
    witness = make_witness(client, ledger)
    assert witness.round().status == COSIGNED  # size 5

    witness.client.send = transport_of(TestClient(create_app(fork)))  # size 2: smaller
    outcome = witness.round()
    assert outcome.status == SPLIT_VIEW and "小于它此前显示的 5" in outcome.message

    grow(fork, 3)  # size 5, another root
    outcome = witness.round()
    assert outcome.status == SPLIT_VIEW and "大小 5 有两个不同的根哈希" in outcome.message
    assert len(witness.state.split_views()) == 2


def test_a_checkpoint_not_signed_by_the_ledger_key_is_refused(served, make_witness):
    ledger, client = served
    witness = make_witness(client, ledger)
    witness.log_keys = [SignerKey.generate(ledger.signer.name).verifier]

    outcome = witness.round()

    assert outcome.status == "refused"
    assert "未能用账本公钥验证通过" in outcome.message
    assert not (witness.state.dir / "checkpoint").exists()
