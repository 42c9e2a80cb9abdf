"""Lists of plans, draws (random and directed), inspections and publications, oldest first, with
filters and pages (``Trails.records`` in ``projections/trail_queries.py``).

Filters: ``division``, ``year`` (a plan's period; any other record's year in China time),
``status`` (the step of the record's latest act: ``uploaded``, ``targets_selected``,
``recorded``, ``closed``, ``corrected`` …), ``target`` (a credit code the record's acts name);
``as_of`` a ledger position (the records and their steps as they stood then). Who reads which:
as for the trail — without ``division``, every division the reader reads, together in ledger
order (auditors and the legal office every division's; a leader in charge their own and every
division the policy in force puts in their charge; every other official their own); with
``division``, that one, if they read it (403 otherwise). ``divisions`` in the answer says which
divisions it covered (``"all"``, or their codes). The scoping is ``Trails.covered``'s alone.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ..answers import RecordsPage, documented
from ..as_of import RecordFilters
from ..deps import OfficialDep, TrailsDep

router = APIRouter(tags=["records"])

Random = Annotated[
    bool | None, Query(description="true: drawn at random only; false: directed only")
]


@router.get("/plans", **documented(RecordsPage))
def list_plans(trails: TrailsDep, official: OfficialDep, filters: RecordFilters) -> dict[str, Any]:
    """Plans (annual and monthly), by division, year (their period), status and target."""
    return trails.records(("plan",), official, **filters)


@router.get("/draws", **documented(RecordsPage))
def list_draws(
    trails: TrailsDep, official: OfficialDep, filters: RecordFilters, random: Random = None
) -> dict[str, Any]:
    """Draws and directed (non-random) records — ``kind`` says which; each id's record is at
    ``/draws/{id}/record``."""
    kinds = {None: ("draw", "directed"), True: ("draw",), False: ("directed",)}[random]
    return trails.records(kinds, official, **filters)


@router.get("/inspections", **documented(RecordsPage))
def list_inspections(
    trails: TrailsDep, official: OfficialDep, filters: RecordFilters
) -> dict[str, Any]:
    """Inspections, by inspecting division, year notified, step and target."""
    return trails.records(("inspection",), official, **filters)


@router.get("/publications", **documented(RecordsPage))
def list_publications(
    trails: TrailsDep, official: OfficialDep, filters: RecordFilters
) -> dict[str, Any]:
    """Publications (the column's and 双公示), by division, year, status (``published``,
    ``corrected``, ``withdrawn``) and target."""
    return trails.records(("publication",), official, **filters)
