"""The annual assessment (年度考核; docs/ASSESSMENT.md): per division, the year's plans, draws,
coverage, inspections, participation, publications and cases, each figure with the ledger
positions of the events behind it, as JSON, a report in Chinese (HTML, PDF) or an Excel
workbook, as the ledger stood at ``as_of`` (a position or a China-time date; the answer's
``Ledger-As-Of`` and its body say which position). The legal office, auditors and admins read
every division's, a division head their own (``assessment.read``); others 403.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from ledger.registry.officials import Official
from projections.assessment_report import API_LINKS, MEDIA, Links, answer

from ..as_of import At, AtDep
from ..deps import OfficialDep

router = APIRouter(tags=["assessment"])


@router.get(
    "/assessment",
    response_class=Response,
    responses={
        200: {"content": {m: {} for m in MEDIA.values()}, "description": "the assessment"},
        403: {"description": "the official may not read this division's assessment"},
        404: {"description": "no such division, or nothing of that year to assess"},
    },
)
def assessment(
    official: OfficialDep,
    at: AtDep,
    year: Annotated[
        int | None,
        Query(
            ge=2000,
            le=2100,
            description="the year assessed (default: the position's year, or the latest "
            "earlier year with something to assess if that one has nothing yet)",
        ),
    ] = None,
    division: Annotated[str | None, Query(description="one division's code")] = None,
    format: Literal["json", "html", "pdf", "xlsx"] = "json",
) -> Response:
    """The assessment of ``year`` (default: the year, China time, of the position answered
    for; in a year with nothing yet, the latest earlier one), of every division the reader may
    read or of ``division``."""
    return report(at, official, year, division, format)


def report(
    at: At,
    official: Official,
    year: int | None,
    division: str | None,
    format: str,
    links: Links = API_LINKS,
) -> Response:
    """The assessment's answer (the API's and the legal pages'): the report of ``year``
    (default: the year, China time, of the position answered for, or the latest earlier year
    with something to assess if that one has nothing yet: ``assess``), a download unless HTML,
    whose links lead where ``links`` says (the API's routes, or the legal pages')."""
    year, data = answer(at.ledger, official, year, at.position, division, format, links)
    headers = {}
    if format in ("pdf", "xlsx"):
        headers["Content-Disposition"] = f'attachment; filename="assessment-{year}.{format}"'
    return Response(data, media_type=MEDIA[format], headers=headers)
