"""Lists of plans, draws (random and directed), inspections and publications, oldest first, with
filters and pages (``Trails.records`` in ``projections/trail_queries.py``).

Filters: ``division``, ``year`` (a plan's period; any other record's year in China time),
``status`` (the step of the record's latest act: ``uploaded``, ``targets_selected``,
``recorded``, ``closed``, ``corrected`` …), ``target`` (a credit code the record's acts name);
``as_of`` a ledger position (the records and their steps as they stood then). Who reads which:
as for the trail — auditors and the legal office every division's, every other official their
own division's (the default; 403 for another's).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from projections.queries import DEFAULT_LIMIT

from ..deps import AsOf, Limit, OfficialDep, Offset, TrailsDep

router = APIRouter(tags=["records"])

Division = Annotated[str | None, Query(description="a division's code (default: your own)")]
RecordYear = Annotated[int | None, Query(ge=2000, le=2100, description="the record's year")]
Status = Annotated[str | None, Query(description="the step of its latest act, e.g. 'closed'")]
Target = Annotated[str | None, Query(description="a target's credit code its acts name")]
Random = Annotated[
    bool | None, Query(description="true: drawn at random only; false: directed only")
]


@router.get("/plans")
def list_plans(
    trails: TrailsDep,
    official: OfficialDep,
    division: Division = None,
    year: RecordYear = None,
    status: Status = None,
    target: Target = None,
    as_of: AsOf = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Plans (annual and monthly), by division, year (their period), status and target."""
    return trails.records(
        ("plan",),
        official,
        division=division,
        year=year,
        status=status,
        target=target,
        as_of=as_of,
        limit=limit,
        offset=offset,
    )


@router.get("/draws")
def list_draws(
    trails: TrailsDep,
    official: OfficialDep,
    random: Random = None,
    division: Division = None,
    year: RecordYear = None,
    status: Status = None,
    target: Target = None,
    as_of: AsOf = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Draws and directed (non-random) records — ``kind`` says which; each id's record is at
    ``/draws/{id}/record``."""
    kinds = {None: ("draw", "directed"), True: ("draw",), False: ("directed",)}[random]
    return trails.records(
        kinds,
        official,
        division=division,
        year=year,
        status=status,
        target=target,
        as_of=as_of,
        limit=limit,
        offset=offset,
    )


@router.get("/inspections")
def list_inspections(
    trails: TrailsDep,
    official: OfficialDep,
    division: Division = None,
    year: RecordYear = None,
    status: Status = None,
    target: Target = None,
    as_of: AsOf = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Inspections, by inspecting division, year notified, step and target."""
    return trails.records(
        ("inspection",),
        official,
        division=division,
        year=year,
        status=status,
        target=target,
        as_of=as_of,
        limit=limit,
        offset=offset,
    )


@router.get("/publications")
def list_publications(
    trails: TrailsDep,
    official: OfficialDep,
    division: Division = None,
    year: RecordYear = None,
    status: Status = None,
    target: Target = None,
    as_of: AsOf = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Publications (the column's and 双公示), by division, year, status (``published``,
    ``corrected``, ``withdrawn``) and target."""
    return trails.records(
        ("publication",),
        official,
        division=division,
        year=year,
        status=status,
        target=target,
        as_of=as_of,
        limit=limit,
        offset=offset,
    )
