"""The draw protocol over HTTP: one route per step, acting as the token's official."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from ledger.draws.record import draw_record, record_json
from ledger.draws.reproduction import exclusion_reason

from ..answers import (
    DrawAbandoned,
    DrawFrozen,
    DrawOpened,
    DrawRecord,
    DrawRevealed,
    Stratum,
    Team,
    documented,
)
from ..as_of import AtDep
from ..deps import DrawsDep, JointDep, OfficialDep
from ..schemas import Reason, RequestBody

router = APIRouter(prefix="/draws", tags=["draws"])


class BeaconRound(RequestBody):
    source: str = Field(
        description="a public randomness beacon, e.g. '中国福利彩票双色球' or drand"
    )
    round: str = Field(description="the round (e.g. draw 2026031, or drand round 5123456)")
    scheduled_at: str = Field(description="when the round is published, UTC YYYY-MM-DDTHH:MM:SSZ")


class CeremonyCommitment(RequestBody):
    party: str = Field(description="the party's code, e.g. the division or the legal office")
    commitment: str = Field(
        description="hex SHA-256 of its contribution's 64 hex digits as ASCII text "
        "(printf %s CONTRIBUTION | sha256sum), not of the 32 bytes they spell"
    )


class DrawCreate(RequestBody):
    division: str = Field(description="the division drawing (its own items and targets only)")
    items: list[str] = Field(
        description="listed inspection item codes; the first decides qualification"
    )
    counts: dict[str, int] = Field(description="targets per stratum; {'all': k} without strata")
    team_size: int = Field(2, ge=2, description="inspectors per target, at least 2")
    stratify_by: str | None = Field(None, description="district, grid, credit_class or kind")
    weighted: bool = Field(False, description="credit-class weights from the policy as virtual ids")
    plan: str | None = None
    districts: list[str] | None = None
    grids: list[str] | None = None
    kinds: list[str] | None = None
    credit_classes: list[str] | None = None
    beacon: BeaconRound | None = Field(None, description="a beacon round after the freeze")
    ceremony: list[CeremonyCommitment] | None = Field(
        None, description="at least two parties' commitments"
    )
    reveal_by: str | None = Field(None, description="UTC time after which it is only abandoned")


class EntropyCreate(RequestBody):
    beacon_value: str | None = Field(None, description="the value the beacon published")
    contributions: dict[str, str] = Field(
        default_factory=dict, description="each ceremony party's contribution (64 hex digits)"
    )


class DirectedCreate(RequestBody):
    division: str
    items: list[str]
    targets: list[str] = Field(description="credit codes, or kind:code for projects")
    ground: str = Field(description="complaint, report, legally_mandated, higher_authority, other")
    reason: str
    legal_basis: str


class SubstitutionCreate(RequestBody):
    target: str
    inspector: str
    reason: str


class InvitationCreate(RequestBody):
    division: str = Field(description="a division or unit inspecting the same kind of premises")
    note: str = ""


class AcceptanceCreate(RequestBody):
    items: list[str] = Field(description="the partner's own listed items it inspects for")
    team_size: int = Field(2, ge=2, description="inspectors per target in its teams")


@router.post("", status_code=201, **documented(DrawOpened, 201))
def open_draw(body: DrawCreate, draws: DrawsDep, official: OfficialDep) -> dict[str, Any]:
    """Step 1: open a draw; it commits to its entropy sources, the ledger to a secret nonce."""
    draw = draws.open(body.model_dump(exclude_none=True), official.code)
    return {"id": str(draw), "commitment": draws.get(draw).commitment}


@router.post("/{draw}/freeze", **documented(DrawFrozen))
def freeze(draw: UUID, draws: DrawsDep, official: OfficialDep) -> dict[str, Any]:
    """Step 2: freeze the eligible population (count, digest, exclusions, each reason also in
    Chinese as ``reason_zh``)."""
    facts = draws.freeze(draw, official.code)
    return {**facts, "exclusions": _in_chinese(facts["exclusions"])}


@router.post("/{draw}/reveal", **documented(DrawRevealed))
def reveal(
    draw: UUID, body: EntropyCreate, draws: DrawsDep, official: OfficialDep
) -> dict[str, Any]:
    """Step 3: record the committed entropy, reveal the nonce, derive the seed (echoed back)."""
    return draws.reveal(draw, body.beacon_value, body.contributions, official.code)


@router.post("/{draw}/abandon", **documented(DrawAbandoned))
def abandon(draw: UUID, body: Reason, draws: DrawsDep, official: OfficialDep) -> dict[str, Any]:
    """End a draw before its teams are assigned (division head, with a published reason)."""
    return draws.abandon(draw, body.reason, official.code)


@router.post("/{draw}/select", **documented(list[Stratum]))
def select(draw: UUID, draws: DrawsDep, official: OfficialDep) -> list[dict[str, Any]]:
    """Step 4: select targets by consistent sampling."""
    return draws.select(draw, official.code)


@router.post("/{draw}/assign", **documented(list[Team]))
def assign(draw: UUID, draws: DrawsDep, official: OfficialDep) -> list[dict[str, Any]]:
    """Step 5: assign a team to each selected target, logging every skip (its reason also in
    Chinese as ``reason_zh``)."""
    return _teams_in_chinese(draws.assign(draw, official.code))


@router.post("/{draw}/substitutions", status_code=201)
def substitute(
    draw: UUID, body: SubstitutionCreate, draws: DrawsDep, official: OfficialDep
) -> dict[str, str]:
    """Step 6: replace a team member by the next eligible inspector in the same order."""
    substitute = draws.substitute(draw, body.target, body.inspector, body.reason, official.code)
    return {"target": body.target, "replaced": body.inspector, "substitute": substitute}


@router.get("/{draw}/record", response_class=Response, **documented(DrawRecord))
def record(draw: UUID, draws: DrawsDep, at: AtDep) -> Response:
    """The public draw record: ``{"manifest", "population"}``, the bytes ``drawledger
    draw-record`` writes to record.json (docs/DRAWS.md: reproducing a draw from it); as the
    ledger stood at ``as_of``, if given (the steps recorded by then). For a directed
    (non-random) record's id: what was recorded (``random: false``) and no population."""
    manifest, population = draw_record(draws.reading(at.ledger), draw)
    return Response(record_json(manifest, population), media_type="application/json")


@router.post("/non-random", status_code=201)
def non_random(body: DirectedCreate, draws: DrawsDep, official: OfficialDep) -> dict[str, str]:
    """Record an inspection that was not drawn (complaint, legal mandate): traced, no seed."""
    return {"id": str(draws.record_non_random(body.model_dump(), official.code))}


# -- joint inspections: the partners of a draw ---------------------------------------------------


@router.post("/{draw}/partners", status_code=201)
def invite(
    draw: UUID, body: InvitationCreate, joint: JointDep, official: OfficialDep
) -> dict[str, str]:
    """The lead division invites a division or unit to a joint inspection of its targets."""
    joint.invite(draw, body.division, body.note, official.code)
    return {"division": body.division, "status": "invited"}


@router.post("/{draw}/partners/{division}/accept")
def accept(
    draw: UUID, division: str, body: AcceptanceCreate, joint: JointDep, official: OfficialDep
) -> dict[str, str]:
    """The invited division (its clerk or head) accepts, naming its own items and team size."""
    joint.accept(draw, division, body.model_dump(), official.code)
    return {"division": division, "status": "accepted"}


@router.post("/{draw}/partners/{division}/decline")
def decline(
    draw: UUID, division: str, body: Reason, joint: JointDep, official: OfficialDep
) -> dict[str, str]:
    joint.decline(draw, division, body.reason, official.code)
    return {"division": division, "status": "declined"}


@router.post("/{draw}/partners/{division}/assign", **documented(list[Team]))
def assign_partner(
    draw: UUID, division: str, joint: JointDep, official: OfficialDep
) -> list[dict[str, Any]]:
    """The partner's own teams for the selected targets (its roster, its seed domain)."""
    return _teams_in_chinese(joint.assign(draw, division, official.code))


@router.post("/{draw}/partners/{division}/substitutions", status_code=201)
def substitute_partner(
    draw: UUID, division: str, body: SubstitutionCreate, joint: JointDep, official: OfficialDep
) -> dict[str, str]:
    substitute = joint.substitute(
        draw, division, body.target, body.inspector, body.reason, official.code
    )
    return {"target": body.target, "replaced": body.inspector, "substitute": substitute}


def _in_chinese(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Excluded targets or skipped inspectors, each recorded (English) reason beside its Chinese
    words (``reason_zh``: the public column's words for the same reasons)."""
    return [{**row, "reason_zh": exclusion_reason(row["reason"])} for row in rows]


def _teams_in_chinese(teams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**team, "skips": _in_chinese(team.get("skips", []))} for team in teams]
