"""The responsibility trail (责任可追溯): who did what, when, in which role and division, under
which policy version — every act touching one entity, by one official, in one division or
under one policy version, in ledger order (``projections/trail_queries.py``).

Auditors and the legal office read every division's acts, every other official their own
division's (403 otherwise), and the leader in charge of a division that division's
(``authority.reader_of``: as a reader of it). ``as_of`` is a ledger position: the acts up
to it (beyond the log's end: 422). ``proofs=true`` adds each act's inclusion proof against
the latest signed checkpoint, and the checkpoint itself. Pages: ``limit`` 1..500 (default
50) and ``offset``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from ledger.errors import Forbidden, NotFound
from ledger.registry.authority import official_of, read_charge, reader_of

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
    division: Annotated[str | None, Query(description="a division's code")] = None,
    policy_version: Annotated[str | None, Query(description="a policy version")] = None,
) -> dict[str, Any]:
    """The acts in a division (default: the reader's own; auditors and the legal office: every
    division's) and/or under a policy version."""
    reader = official if division is None else reader_of(trails.app, official, division)
    return trails.acts(reader, division=division, policy_version=policy_version, **page)


@router.get("/officials/{code}", **documented(ActsPage))
def acts_of_official(
    code: str, trails: TrailsDep, official: OfficialDep, page: TrailPage
) -> dict[str, Any]:
    """Every act the official performed, in whatever role (a leader in charge of their division
    reads them as that division's readers do)."""
    reader = official
    if read_charge(trails.app, official):
        try:
            home = official_of(trails.app, code)
        except NotFound:
            home = None  # answered below as for anyone: no act of theirs
        if home is not None and home.division in read_charge(trails.app, official):
            reader = reader_of(trails.app, official, home.division)
    return trails.of_official(code, reader, **page)


@router.get("/{entity}/{key}", **documented(ActsPage))
def trail_of(
    entity: EntityPath, key: str, trails: TrailsDep, official: OfficialDep, page: TrailPage
) -> dict[str, Any]:
    """Every act touching one target (by credit code or key), draw, directed record,
    inspection, publication or plan (by id), inspector or item (by code): its own events and
    those of the records derived from it (a target's draws, inspections and publications).
    A leader in charge reads it as a reader of the first division in their charge that has
    acts on it, else as their own division's."""
    for division in read_charge(trails.app, official):
        try:
            reader = reader_of(trails.app, official, division)
            return trails.of_entity(ENTITY_PATHS[entity], key, reader, **page)
        except Forbidden:
            continue  # none of its acts is in this division: the next, then their own
    return trails.of_entity(ENTITY_PATHS[entity], key, official, **page)
