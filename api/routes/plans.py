"""Plans over HTTP: one route per workflow step, acting as the token's official."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import Field

from ledger.plans.coverage import Coverage
from ledger.plans.rollover import MonthlyRollover
from ledger.plans.service import Plans
from ledger.registry.authority import authorise_read

from ..answers import CoverageReport, Late, Plan, PlanDrafted, Rollover, documented
from ..as_of import AtDep
from ..deps import (
    CycleYears,
    LedgerDep,
    Limit,
    OfficialDep,
    Offset,
    PlansDep,
    ReadModelsDep,
    Year,
)
from ..schemas import Reason, RequestBody
from .queries import entry_at

router = APIRouter(prefix="/plans", tags=["plans"])
divisions = APIRouter(prefix="/divisions", tags=["plans"])


class PlanCreate(RequestBody):
    division: str
    kind: str = Field(description="annual or monthly")
    period: str = Field(description="2027 for an annual plan, 2027-03 for a monthly one")
    items: list[str] = Field(description="listed inspection item codes")
    counts: dict[str, int] = Field(default_factory=dict, description="targets per stratum")
    stratify_by: str | None = None
    weighted: bool = False
    team_size: int = Field(2, ge=2)
    schedule: str | None = None
    joint_divisions: list[str] = Field(default_factory=list)
    coverage_cycle_years: int | None = Field(
        None, description="years to cover all targets: the policy's 1, or 2-3 if they are many"
    )


class ReviewCreate(RequestBody):
    approved: bool
    comment: str = ""


class AmendmentCreate(RequestBody):
    changes: dict[str, Any]
    reason: str


class RolloverCreate(RequestBody):
    month: str = Field(description="the month that ended, e.g. 2026-03")
    division: str | None = Field(None, description="one division only (default: all)")


Show = Annotated[str, Query(description="uncovered (default), covered or all")]


@router.post("/rollover", **documented(Rollover))
def roll_over(body: RolloverCreate, ledger: LedgerDep, official: OfficialDep) -> dict[str, Any]:
    """Move an ended month's unfinished draws and undrawn counts into the next month (once)."""
    return MonthlyRollover(ledger).roll_over(body.month, official.code, body.division)


@router.get("/{plan}", **documented(Plan))
def show(plan: UUID, plans: PlansDep, official: OfficialDep, at: AtDep) -> dict[str, Any]:
    """The plan as it stands (or stood as of ``as_of``), with what rolled over into its month.
    Read as its trail is: its division's officials, auditors and the legal office, the leader
    in charge of its division (403 otherwise)."""
    service = Plans(at.ledger) if at.asked else plans
    service.read(plan, official)
    return service.show(plan)


@router.get("/{plan}/coverage", **documented(CoverageReport))
def plan_coverage(
    plan: UUID,
    official: OfficialDep,
    at: AtDep,
    show: Show = "uncovered",
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The plan's division's targets not yet covered in the cycle the plan states (as the
    ledger stood at ``as_of``, if given); read as the plan is (403 otherwise)."""
    Plans(at.ledger).read(plan, official)
    return Coverage(at.ledger).for_plan(plan, show=show, limit=limit, offset=offset)


@divisions.get("/{division}/coverage", **documented(CoverageReport))
def division_coverage(
    division: str,
    official: OfficialDep,
    rm: ReadModelsDep,
    at: AtDep,
    year: Year = None,
    cycle_years: CycleYears = None,
    show: Show = "uncovered",
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """A division's targets covered and not yet covered in the current cycle (counts, a page);
    as of ``as_of``, the cycle ending in that position's year unless ``year`` says otherwise.
    A division that did not exist (then) is a 404, not an empty report; read as the division's
    plans are (403 otherwise)."""
    entry_at(rm, "division", division, at)
    authorise_read(at.ledger, official, division)
    if at.asked and year is None:
        year = at.day().year
    return Coverage(at.ledger).for_division(
        division, year=year, years=cycle_years, show=show, limit=limit, offset=offset
    )


@router.post("", status_code=201, **documented(PlanDrafted, 201))
def draft(body: PlanCreate, plans: PlansDep, official: OfficialDep) -> dict[str, Any]:
    """Draft a plan; its deadlines come from the policy in force."""
    plan = plans.draft(body.model_dump(exclude_none=True), official.code)
    return {"id": str(plan), "deadlines": plans.get(plan).deadlines}


@router.post("/{plan}/review")
def review(
    plan: UUID, body: ReviewCreate, plans: PlansDep, official: OfficialDep
) -> dict[str, str]:
    """The leader in charge approves (or sends back) the plan."""
    plans.review(plan, body.approved, body.comment, official.code)
    return {"status": plans.get(plan).status}


@router.post("/{plan}/submit", **documented(Late))
def submit(plan: UUID, plans: PlansDep, official: OfficialDep) -> dict[str, Any]:
    """Submit to the aggregator; a late submission is recorded as late."""
    return {"late": plans.submit(plan, official.code)}


@router.post("/{plan}/consolidate")
def consolidate(plan: UUID, plans: PlansDep, official: OfficialDep) -> dict[str, str]:
    plans.consolidate(plan, official.code)
    return {"status": plans.get(plan).status}


@router.post("/{plan}/upload", **documented(Late))
def upload(plan: UUID, plans: PlansDep, official: OfficialDep) -> dict[str, Any]:
    """Upload the consolidated plan; a late upload is recorded as late."""
    return {"late": plans.upload(plan, official.code)}


@router.post("/{plan}/amendments")
def amend(
    plan: UUID, body: AmendmentCreate, plans: PlansDep, official: OfficialDep
) -> dict[str, str]:
    """Amend before upload; the plan goes back to review."""
    plans.amend(plan, body.changes, body.reason, official.code)
    return {"status": plans.get(plan).status}


@router.post("/{plan}/withdraw")
def withdraw(plan: UUID, body: Reason, plans: PlansDep, official: OfficialDep) -> dict[str, str]:
    plans.withdraw(plan, body.reason, official.code)
    return {"status": plans.get(plan).status}
