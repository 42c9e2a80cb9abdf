"""A ledger served in-process (FastAPI TestClient) and a witness that talks to it over the same
three requests it would send over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.witnesses import Witnesses
from verify.keys import ALG_COSIGNATURE_V1, SignerKey
from witness.auditor import Witness
from witness.ledger_api import LedgerClient, Transport
from witness.state import State


def transport_of(client: TestClient) -> Transport:
    def send(method: str, path: str, body: dict[str, Any] | None) -> tuple[int, str]:
        response = client.request(method, path, json=body)
        return response.status_code, response.text

    return send


def grow(ledger: Any, n: int = 1) -> None:
    """Record ``n`` divisions (an act the operator records on its own): new events, a new
    checkpoint each (seal_interval 0)."""
    from ledger.registry.service import Registry

    for _ in range(n):
        count = len(list(ledger.notifications(topics=["division.created"])))
        spec = {"code": f"grow{count + 1}", "name": f"新处室{count + 1}", "kind": "other_unit"}
        Registry(ledger).add_division(spec, by=None)


@pytest.fixture
def witness_key() -> SignerKey:
    return SignerKey.generate("auditor.example/w1", alg=ALG_COSIGNATURE_V1)


@pytest.fixture
def served(ledger: Any, witness_key: SignerKey) -> tuple[Any, TestClient]:
    """The ledger (created, default policy) with ``witness_key`` added as its witness."""
    Witnesses(ledger).add(str(witness_key.verifier), None, "the audit office")
    return ledger, TestClient(create_app(ledger))


@pytest.fixture
def make_witness(tmp_path: Path, witness_key: SignerKey) -> Callable[..., Witness]:
    def make(client: TestClient, ledger: Any, clock: Callable[[], float] | None = None) -> Witness:
        state = State(tmp_path / "witness-state")
        kwargs = {"clock": clock} if clock else {}
        return Witness(
            LedgerClient(transport_of(client)),
            witness_key,
            [ledger.signer.verifier],
            state,
            **kwargs,
        )

    return make
