"""Checkpoints and proofs: what a witness or an auditor fetches to check the log online."""

from __future__ import annotations

import base64

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from pydantic import Field

from ..deps import LedgerDep
from ..schemas import RequestBody

router = APIRouter(tags=["transparency"])


class CosignatureCreate(RequestBody):
    line: str = Field(description="the witness's signature line: '— name base64(...)'")


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in items]


@router.get("/checkpoint", response_class=PlainTextResponse)
def latest_checkpoint(ledger: LedgerDep) -> str:
    """The latest signed checkpoint (C2SP tlog-checkpoint note), with witness cosignatures."""
    return ledger.sealer.cosigned_note()


@router.get("/checkpoints/{size}", response_class=PlainTextResponse)
def checkpoint_at(size: int, ledger: LedgerDep) -> str:
    """The checkpoint signed at a tree size, with witness cosignatures."""
    return ledger.sealer.cosigned_note(size)


@router.post("/checkpoints/{size}/cosignatures", status_code=201)
def add_cosignature(size: int, body: CosignatureCreate, ledger: LedgerDep) -> dict[str, object]:
    """A configured witness posts its cosignature/v1 line for the checkpoint of ``size``."""
    return {"tree_size": size, "witness": ledger.add_cosignature(size, body.line)}


@router.get("/proofs/inclusion")
def inclusion(index: int, ledger: LedgerDep, size: int | None = None) -> dict[str, object]:
    """Inclusion proof of leaf ``index`` in the tree of a signed checkpoint (latest by default)."""
    tree_size, proof = ledger.sealer.inclusion_proof(index, size)
    return {"index": index, "tree_size": tree_size, "proof": _b64(proof)}


@router.get("/proofs/consistency")
def consistency(old: int, ledger: LedgerDep, new: int | None = None) -> dict[str, object]:
    """Consistency proof from the tree of size ``old`` to a later signed checkpoint."""
    new_size, proof = ledger.sealer.consistency_proof(old, new)
    return {"old_size": old, "new_size": new_size, "proof": _b64(proof)}


@router.get("/health")
def health(ledger: LedgerDep) -> dict[str, object]:
    latest = ledger.sealer.latest()
    return {"status": "ok", "origin": ledger.origin, "sealed": latest.size if latest else 0}
