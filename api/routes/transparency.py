"""Checkpoints and proofs: what a witness or an auditor fetches to check the log online."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import Field

from ledger.clock import clock_warnings
from ledger.errors import BadInput, NotFound
from ledger.witnesses import Witnesses
from projections.credentials import token_warnings

from ..answers import ConsistencyProof, Cosignature, Health, InclusionProof, WitnessList, documented
from ..as_of import AtDep, refuse_as_of
from ..deps import (
    MAX_POSITION,
    LeafIndex,
    LedgerDep,
    OldTreeSize,
    PoliciesDep,
    PositionQuery,
    ReadSideDep,
    TreeSize,
    TreeSizePath,
    WitnessesDep,
)
from ..errors import problem
from ..schemas import RequestBody

MAX_WAIT = 30.0  # seconds a request may wait for a checkpoint

router = APIRouter(tags=["transparency"])


class CosignatureCreate(RequestBody):
    multiline = ("line",)
    line: str = Field(description="the witness's signature line: '— name base64(...)'")


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in items]


_LATEST = refuse_as_of("最新签署的检查点即当前的检查点；以往的检查点请用 GET /checkpoints/{size}")
_FIXED = refuse_as_of("检查点由其树大小确定：请选择大小（size）")
_PROOF = refuse_as_of("证明针对某一已签署的检查点：请给出其树大小（size）")
_NOW = refuse_as_of("服务的状态即当前状态")


@router.get(
    "/checkpoint", response_class=PlainTextResponse, response_model=None, dependencies=[_LATEST]
)
def latest_checkpoint(
    ledger: LedgerDep,
    wait_for: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_POSITION,
            description="a ledger position (a write's Ledger-Position header): answer once a "
            "checkpoint covers it",
        ),
    ] = None,
    timeout: Annotated[
        float, Query(gt=0, le=MAX_WAIT, description="seconds to wait for it at most")
    ] = 10.0,
) -> str | JSONResponse:
    """The latest signed checkpoint (C2SP tlog-checkpoint note), with witness cosignatures.

    With ``wait_for``, waits until a checkpoint covers that position (503 with Retry-After if
    none does within ``timeout``; 404 if the ledger holds no event at that position yet).
    """
    if wait_for is not None:
        head = ledger.recorder.max_notification_id() or 0
        if wait_for > head:
            raise NotFound(f"the ledger holds no event at position {wait_for} (it ends at {head})")
        if ledger.wait_sealed(wait_for, timeout) is None:
            latest = ledger.sealer.latest()
            covered = latest.last_notification_id if latest else 0
            response = problem(
                503,
                "not_sealed_yet",
                f"位置 {wait_for} 已存储，但尚无检查点覆盖它（最新的检查点覆盖到位置 "
                f"{covered}）；封存每 {ledger.seal_interval:g} 秒进行一次：请稍后重试",
            )
            response.headers["Retry-After"] = "1"
            return response
    return ledger.sealer.cosigned_note()


@router.get("/checkpoints/{size}", response_class=PlainTextResponse, dependencies=[_FIXED])
def checkpoint_at(size: TreeSizePath, ledger: LedgerDep) -> str:
    """The checkpoint signed at a tree size, with witness cosignatures."""
    return ledger.sealer.cosigned_note(size)


_COSIGNATURE = documented(Cosignature, 201)
_COSIGNATURE["responses"][403] = {
    "description": "the key is not a witness in force, or was not one at that checkpoint"
}


@router.post("/checkpoints/{size}/cosignatures", status_code=201, **_COSIGNATURE)
def add_cosignature(
    size: TreeSizePath, body: CosignatureCreate, witnesses: WitnessesDep
) -> dict[str, object]:
    """A witness in force posts its cosignature/v1 line for the checkpoint of ``size``: kept
    only if the key was a witness in that checkpoint's tree too, and if it verifies."""
    return {"tree_size": size, "witness": witnesses.accept_cosignature(size, body.line)}


@router.get("/witnesses", **documented(WitnessList))
def witnesses_in_force(at: AtDep) -> dict[str, object]:
    """The witnesses in force (cosignature/v1 verifier keys) and every witness.* event (as the
    ledger stood at ``as_of``, if given)."""
    witnesses = Witnesses(at.ledger)
    return {"in_force": witnesses.in_force(), "history": witnesses.history()}


@router.get("/proofs/inclusion", dependencies=[_PROOF], **documented(InclusionProof))
def inclusion(
    ledger: LedgerDep,
    index: LeafIndex = None,
    position: PositionQuery = None,
    size: TreeSize = None,
) -> dict[str, object]:
    """Inclusion proof of the event at ledger ``position`` (or of leaf ``index``) in the tree
    of a signed checkpoint (latest by default). The answer names the event both ways: its
    ``position``, the number the API, draw records and the column use, and its leaf ``index``,
    the number RFC 9162's proof arithmetic uses (docs/FORMAT.md, "Positions")."""
    if index is not None and position is not None:
        raise BadInput("give either position (a ledger position) or index (a leaf index)")
    if position is not None:
        index = ledger.sealer.leaf_index(position)
    elif index is None:
        raise BadInput("give position (a ledger position) or index (a leaf index)")
    else:
        position = ledger.sealer.position(index)
    tree_size, proof = ledger.sealer.inclusion_proof(index, size)
    return {"position": position, "index": index, "tree_size": tree_size, "proof": _b64(proof)}


@router.get("/proofs/consistency", dependencies=[_PROOF], **documented(ConsistencyProof))
def consistency(old: OldTreeSize, ledger: LedgerDep, new: TreeSize = None) -> dict[str, object]:
    """Consistency proof from the tree of size ``old`` to a later signed checkpoint."""
    new_size, proof = ledger.sealer.consistency_proof(old, new)
    return {"old_size": old, "new_size": new_size, "proof": _b64(proof)}


@router.get("/health", dependencies=[_NOW], **documented(Health))
def health(ledger: LedgerDep, policies: PoliciesDep, rm: ReadSideDep) -> dict[str, object]:
    """The service's state: how much is sealed, the sealer's last failure if it failed, how far
    the read models are behind the log (registry searches and the column answer 503 while they
    are far behind), and warnings that need a person (the working-day calendar running out
    within 60 days, the clock stepped back, live API tokens without an expiry)."""
    latest = ledger.sealer.latest()
    error = ledger.sealing.last_error
    read = rm.progress()
    return {
        "status": "degraded" if error or read.error else "ok",
        "read_models": {
            "position": read.at,
            "ledger_position": read.head,
            "behind": read.behind,
            "catching_up": read.running and read.behind > 0,
            "events_per_second": round(read.events_per_second) if read.events_per_second else None,
            "error": read.error,
        },
        "origin": ledger.origin,
        "sealed": latest.size if latest else 0,
        "sealed_position": latest.last_notification_id if latest else 0,
        "sealer_error": error,
        "sealer_last_round": ledger.sealing.last_round_at,
        "warnings": policies.calendar_warnings()
        + clock_warnings(ledger)
        + token_warnings(rm.engine),
    }
