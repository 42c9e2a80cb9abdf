"""The responsibility trail (责任可追溯): who did what, when, in which role and division, under
which policy version — every act touching one entity, by one official, in one division or
under one policy version, in ledger order (``projections/trail_queries.py``).

Auditors and the legal office read every division's acts, every other official their own
division's (403 otherwise), and the leader in charge of divisions theirs too: without
``division``, the acts (of an entity, of an official, or all of them) in their own division
and every division the policy in force puts in their charge, together in ledger order; with
``division``, that one's, if they read it (``Trails.covered``, the one place that scopes;
``divisions`` in the answer says which). ``as_of`` is
a ledger position: the acts up to it (beyond the log's end: 422). ``proofs=true`` adds each
act's inclusion proof against the latest signed checkpoint, and the checkpoint itself. Pages:
``limit`` 1..500 (default 50) and ``offset``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from ..answers import ActsPage, documented
from ..as_of import TrailPage
from ..deps import OfficialDep, TrailsDep

router = APIRouter(prefix="/trail", tags=["trail"])

# The path's plural → the entity kind of the trail read model.
ENTITY_PATHS = {
    "targets": "target",
    "draws": "draw",
    "directed": "directed",
    "inspections": "inspection",
    "publications": "publication",
    "plans": "plan",
    "inspectors": "inspector",
    "items": "item",
}
EntityPath = Literal[
    "targets", "draws", "directed", "inspections", "publications", "plans", "inspectors", "items"
]


@router.get("", **documented(ActsPage))
def acts(
    trails: TrailsDep,
    official: OfficialDep,
    page: TrailPage,
    division: Annotated[
        str | None, Query(description="a division's code (default: every division you read)")
    ] = None,
    policy_version: Annotated[str | None, Query(description="a policy version")] = None,
) -> dict[str, Any]:
    """The acts in a division and/or under a policy version; without ``division``, in every
    division the reader reads (auditors and the legal office: all; a leader in charge: their
    own and each in their charge, together; anyone else: their own)."""
    return trails.acts(official, division=division, policy_version=policy_version, **page)


@router.get("/officials/{code}", **documented(ActsPage))
def acts_of_official(
    code: str, trails: TrailsDep, official: OfficialDep, page: TrailPage
) -> dict[str, Any]:
    """Every act the official performed, in whatever role, that is in a division the reader
    reads (a leader in charge: their own and every division in their charge, together)."""
    return trails.of_official(code, official, **page)


@router.get("/{entity}/{key}", **documented(ActsPage))
def trail_of(
    entity: EntityPath, key: str, trails: TrailsDep, official: OfficialDep, page: TrailPage
) -> dict[str, Any]:
    """Every act touching one target (by credit code or key), draw, directed record,
    inspection, publication or plan (by id), inspector or item (by code): its own events and
    those of the records derived from it (a target's draws, inspections and publications).
    A leader in charge reads the acts in their own division and in every division in their
    charge together, in ledger order (``Trails``: one filter over the set)."""
    return trails.of_entity(ENTITY_PATHS[entity], key, official, **page)
