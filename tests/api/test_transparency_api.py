"""Checkpoints and proofs over HTTP, checked the way a witness would: with verify/ alone."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.actors import Actor
from verify.merkle import leaf_hash, verify_consistency, verify_inclusion
from verify.note import parse_checkpoint, verify_note

ADMIN = Actor("admin-1", "admin", "水政处")


@pytest.fixture
def client(ledger):
    for n in range(3):
        ledger.set_policy({**ledger.policy_in_force(), "version": f"v{n + 2}"}, ADMIN)
    return TestClient(create_app(ledger))


def test_health_reports_how_many_events_are_sealed(client):
    assert client.get("/health").json()["sealed"] == 5


def test_inclusion_proof_of_each_event_verifies_against_the_signed_checkpoint(client, ledger):
    note, _ = verify_note(client.get("/checkpoint").text, [ledger.signer.verifier])
    checkpoint = parse_checkpoint(note.text)
    records = [n.state for n in ledger.notifications()]
    for index, record in enumerate(records):
        body = client.get("/proofs/inclusion", params={"index": index}).json()
        proof = [base64.b64decode(h) for h in body["proof"]]
        verify_inclusion(leaf_hash(record), index, checkpoint.size, proof, checkpoint.root)


def test_a_proof_names_its_event_by_the_ledger_position_the_api_uses(client, ledger):
    """One numbering (docs/FORMAT.md, "Positions"): asked by position or by leaf index, the
    proof answers the same, naming the event's ledger position (the notification id the API's
    Ledger-Position, as_of and draw records use) beside the leaf index its arithmetic uses."""
    for index, n in enumerate(ledger.notifications()):
        by_position = client.get("/proofs/inclusion", params={"position": n.id}).json()
        by_index = client.get("/proofs/inclusion", params={"index": index}).json()
        assert by_position == by_index
        assert (by_position["position"], by_position["index"]) == (n.id, index)
    both = client.get("/proofs/inclusion", params={"position": 1, "index": 0})
    assert both.status_code == 422 and "只能给其一" in both.json()["detail"]


def test_consistency_proof_links_an_old_checkpoint_to_the_latest(client, ledger):
    old = parse_checkpoint(
        verify_note(client.get("/checkpoints/2").text, [ledger.signer.verifier])[0].text
    )
    new = parse_checkpoint(
        verify_note(client.get("/checkpoint").text, [ledger.signer.verifier])[0].text
    )
    body = client.get("/proofs/consistency", params={"old": 2}).json()
    proof = [base64.b64decode(h) for h in body["proof"]]
    verify_consistency(old.size, new.size, old.root, new.root, proof)


def test_unknown_checkpoint_and_out_of_range_leaf_are_404_problems(client):
    response = client.get("/checkpoints/99")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "树大小 99" in response.json()["detail"]
    assert client.get("/proofs/inclusion", params={"index": 99}).status_code == 404


def test_a_witness_in_force_cosigns_a_checkpoint_and_the_cosignature_is_served(new_ledger):
    from ledger.witnesses import Witnesses
    from verify.keys import ALG_COSIGNATURE_V1, SignerKey
    from verify.note import cosign

    witness = SignerKey.generate("auditor.example/witness", alg=ALG_COSIGNATURE_V1)
    app = new_ledger()
    app.create_ledger()
    Witnesses(app).add(str(witness.verifier), None, "the audit office's witness")
    client = TestClient(create_app(app))
    note = client.get("/checkpoint").text
    text = verify_note(note, [app.signer.verifier])[0].text
    line = cosign(text, witness, timestamp=1_790_000_000).to_line()

    response = client.post("/checkpoints/2/cosignatures", json={"line": line})
    assert response.status_code == 201, response.text
    served = client.get("/checkpoint").text
    _, names = verify_note(served, [app.signer.verifier, witness.verifier])
    assert names == [app.signer.name, witness.name]
    assert client.post("/checkpoints/2/cosignatures", json={"line": line}).status_code == 409
    assert client.get("/witnesses").json()["in_force"] == [str(witness.verifier)]


def test_a_cosignature_from_an_unknown_witness_or_over_other_text_is_refused(new_ledger):
    from ledger.witnesses import Witnesses
    from verify.keys import ALG_COSIGNATURE_V1, SignerKey
    from verify.note import Checkpoint, cosign

    witness = SignerKey.generate("auditor.example/witness", alg=ALG_COSIGNATURE_V1)
    stranger = SignerKey.generate("stranger.example/w", alg=ALG_COSIGNATURE_V1)
    app = new_ledger()
    app.create_ledger()
    Witnesses(app).add(str(witness.verifier), None)
    client = TestClient(create_app(app))
    text = verify_note(client.get("/checkpoint").text, [app.signer.verifier])[0].text

    foreign = cosign(text, stranger, 1_790_000_000).to_line()
    response = client.post("/checkpoints/2/cosignatures", json={"line": foreign})
    assert response.status_code == 403
    assert "不是本账本的见证方" in response.json()["detail"]

    other_text = Checkpoint(app.origin, 2, bytes(32)).to_text()
    wrong = cosign(other_text, witness, 1_790_000_000).to_line()
    response = client.post("/checkpoints/2/cosignatures", json={"line": wrong})
    assert response.status_code == 422
    assert "验证不通过" in response.json()["detail"]
    assert client.get("/checkpoint").text.count("\n— ") == 1
