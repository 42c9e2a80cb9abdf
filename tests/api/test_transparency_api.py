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
    assert "tree size 99" in response.json()["detail"]
    assert client.get("/proofs/inclusion", params={"index": 99}).status_code == 404
