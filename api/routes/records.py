"""Lists of plans, draws (random and directed), inspections and publications, oldest first, with
filters and pages (``Trails.records`` in ``projections/trail_queries.py``).

Filters: ``division``, ``year`` (a plan's period; any other record's year in China time),
``status`` (the step of the record's latest act: ``uploaded``, ``targets_selected``,
``recorded``, ``closed``, ``corrected`` …), ``target`` (a credit code the record's acts name);
``as_of`` a ledger position (the records and their steps as they stood then). Who reads which:
as for the trail — auditors and the legal office every division's, every other official their
own division's (the default; 403 for another's), and the leader in charge of a division that
division's when they name it (``authority.reader_of``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ledger.registry.authority import reader_of
from ledger.registry.officials import Official
from projections.trail_queries import Trails

from ..answers import Page, documented
from ..as_of import RecordFilters
from ..deps import OfficialDep, TrailsDep

router = APIRouter(tags=["records"])

Random = Annotated[
    bool | None, Query(description="true: drawn at random only; false: directed only")
]


@router.get("/plans", **documented(Page))
def list_plans(trails: TrailsDep, official: OfficialDep, filters: RecordFilters) -> dict[str, Any]:
    """Plans (annual and monthly), by division, year (their period), status and target."""
    return trails.records(("plan",), _reader(trails, official, filters), **filters)


@router.get("/draws", **documented(Page))
def list_draws(
    trails: TrailsDep, official: OfficialDep, filters: RecordFilters, random: Random = None
) -> dict[str, Any]:
    """Draws and directed (non-random) records — ``kind`` says which; each id's record is at
    ``/draws/{id}/record``."""
    kinds = {None: ("draw", "directed"), True: ("draw",), False: ("directed",)}[random]
    return trails.records(kinds, _reader(trails, official, filters), **filters)


@router.get("/inspections", **documented(Page))
def list_inspections(
    trails: TrailsDep, official: OfficialDep, filters: RecordFilters
) -> dict[str, Any]:
    """Inspections, by inspecting division, year notified, step and target."""
    return trails.records(("inspection",), _reader(trails, official, filters), **filters)


@router.get("/publications", **documented(Page))
def list_publications(
    trails: TrailsDep, official: OfficialDep, filters: RecordFilters
) -> dict[str, Any]:
    """Publications (the column's and 双公示), by division, year, status (``published``,
    ``corrected``, ``withdrawn``) and target."""
    return trails.records(("publication",), _reader(trails, official, filters), **filters)


def _reader(trails: Trails, official: Official, filters: dict[str, Any]) -> Official:
    """The reader of the named division's records (``reader_of``); the official for their own."""
    division = filters.get("division")
    return official if division is None else reader_of(trails.app, official, division)
