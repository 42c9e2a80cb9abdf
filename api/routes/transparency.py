"""Checkpoints and proofs: what a witness or an auditor fetches to check the log online."""

from __future__ import annotations

import base64

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from ledger.errors import NotFound

from ..deps import LedgerDep

router = APIRouter(tags=["transparency"])


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in items]


@router.get("/checkpoint", response_class=PlainTextResponse)
def latest_checkpoint(ledger: LedgerDep) -> str:
    """The latest signed checkpoint (C2SP tlog-checkpoint signed note)."""
    latest = ledger.sealer.latest()
    if latest is None:
        raise NotFound("nothing has been sealed yet")
    return latest.note


@router.get("/checkpoints/{size}", response_class=PlainTextResponse)
def checkpoint_at(size: int, ledger: LedgerDep) -> str:
    """The checkpoint signed at a tree size."""
    return ledger.sealer.checkpoint(size).note


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
