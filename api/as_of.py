"""``as_of`` on every GET of the officials' API: resolved once, here, and answered for.

Every GET route takes ``as_of`` — a ledger position or a date / date and time in China time
(``ledger/as_of.py`` says what each form means) — through one of two dependencies:

- ``AtDep`` (honoured): ``as_of`` is resolved to a position and the route answers as the ledger
  stood then — services built on ``at.ledger`` (the ledger as of that position), lists on
  ``ReadModelsAtDep`` (the read models folded up to it);
- ``refuse_as_of(reason)`` (refused): the route answers for now only, and an ``as_of`` is a 422
  problem naming the parameter and saying why.

Either way the answer carries ``Ledger-As-Of: POSITION``, the position it answered for (without
``as_of``: the head of the log when the request was read). ``tests/api/test_as_of_everywhere.py``
walks every GET route of the app and fails for one that neither honours nor refuses it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response
from starlette.responses import Response as StarletteResponse

from ledger.application import LedgerApp
from ledger.as_of import CHINA, FORMS, ledger_as_of, resolve, time_at
from ledger.errors import BadInput
from projections import ReadModels
from projections.queries import DEFAULT_LIMIT

from .deps import LedgerDep, Limit, Offset, Total, get_read_models

AS_OF_HEADER = "Ledger-As-Of"

AsOfText = Annotated[
    str | None,
    Query(
        max_length=40,
        description=f"the ledger as it stood then: {FORMS}; a date means the end of that day "
        "(default: now). The answer's Ledger-As-Of header gives the position answered for.",
    ),
]


RefusedAsOf = Annotated[
    str | None,
    Query(
        max_length=40,
        description="not supported here: this route answers for now only (422 if given)",
    ),
]


class AsOfNotSupported(BadInput):
    """``as_of`` given to a route that answers for now only."""


@dataclass(frozen=True)
class At:
    """The position a request is answered for, and the ledger as it stood there."""

    position: int
    asked: bool  # the caller gave as_of (False: now)
    ledger: LedgerApp  # asked: the ledger as of ``position`` (a read-only view); else the ledger

    def day(self) -> date:
        """The day (China time) of the event at the position: "today" as of it."""
        return time_at(self.ledger, self.position).astimezone(CHINA).date()


def get_at(request: Request, response: Response, ledger: LedgerDep, as_of: AsOfText = None) -> At:
    """``as_of`` resolved once for the request (422 naming what is wrong), and said in
    ``Ledger-As-Of``; without it, the head of the log now."""
    if as_of is None:
        position = ledger.recorder.max_notification_id() or 0
    else:
        position = resolve(ledger, as_of)
    _answer_for(request, response, position)
    view = ledger_as_of(ledger, position) if as_of is not None else ledger
    return At(position, as_of is not None, view)


AtDep = Annotated[At, Depends(get_at)]


def get_read_models_at(request: Request, at: AtDep) -> ReadModels:
    """The read models as of the request's position: the current ones (caught up) for now, or
    ones folded from the log up to a past position."""
    current = get_read_models(request)
    return current.at(at.position) if at.asked else current


ReadModelsAtDep = Annotated[ReadModels, Depends(get_read_models_at)]


# -- a trail's page, a list's filters ------------------------------------------------------------


def trail_page(
    at: AtDep,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
    proofs: Annotated[
        bool, Query(description="add each act's inclusion proof against the latest checkpoint")
    ] = False,
    total: Total = None,
) -> dict[str, Any]:
    """A page of a trail: as of a position (``as_of``, resolved by ``AtDep``), with or without
    inclusion proofs; its total counted up to a bound unless ``total=exact``."""
    as_of = at.position if at.asked else None
    return {"as_of": as_of, "limit": limit, "offset": offset, "proofs": proofs, "total": total}


def record_filters(
    at: AtDep,
    division: Annotated[
        str | None, Query(description="a division's code (default: every division you read)")
    ] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="the record's year")] = None,
    status: Annotated[str | None, Query(description="its latest act's step, e.g. 'closed'")] = None,
    target: Annotated[str | None, Query(description="a credit code its acts name")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
    total: Total = None,
) -> dict[str, Any]:
    """The filters and page of a list of records (plans, draws, inspections, publications); its
    total counted up to a bound unless ``total=exact``."""
    return {
        "total": total,
        "division": division,
        "year": year,
        "status": status,
        "target": target,
        "as_of": at.position if at.asked else None,
        "limit": limit,
        "offset": offset,
    }


TrailPage = Annotated[dict[str, Any], Depends(trail_page)]
RecordFilters = Annotated[dict[str, Any], Depends(record_filters)]


def refuse_as_of(reason: str) -> Any:
    """A dependency for a route that answers for now only: 422 naming ``as_of`` and ``reason``
    if the caller gave one; otherwise the head of the log in ``Ledger-As-Of``."""

    def refuse(
        request: Request,
        response: Response,
        ledger: LedgerDep,
        as_of: RefusedAsOf = None,
    ) -> None:
        if as_of is not None:
            route = getattr(request.scope.get("route"), "path", request.url.path)
            raise AsOfNotSupported(f"as_of is not supported on GET {route}: {reason}")
        _answer_for(request, response, ledger.recorder.max_notification_id() or 0)

    return Depends(refuse)


def _answer_for(request: Request, response: Response, position: int) -> None:
    response.headers[AS_OF_HEADER] = str(position)
    request.state.as_of_position = position  # for a problem raised later (``install``)


def install(app: FastAPI) -> None:
    """Keep ``Ledger-As-Of`` on a problem raised after the position was resolved (a 404 for
    what did not exist then, a 403): the problem is about that position too."""

    @app.middleware("http")
    async def _as_of_header(
        request: Request, call_next: Callable[[Request], Awaitable[StarletteResponse]]
    ) -> StarletteResponse:
        response = await call_next(request)
        position = getattr(request.state, "as_of_position", None)
        if position is not None and AS_OF_HEADER not in response.headers:
            response.headers[AS_OF_HEADER] = str(position)
        return response
