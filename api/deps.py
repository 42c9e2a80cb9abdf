"""Every dependency of the routes, each as a typed alias: a route names what it needs
(``ledger: LedgerDep``, ``official: OfficialDep``) and FastAPI hands it over.

The services are built once by ``create_app`` and kept on ``app.state``; the read models are
caught up with the log before each query; the official is the one whose bearer token
authenticates the request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ledger.actors import act_with
from ledger.application import LedgerApp
from ledger.draws.joint import JointInspections
from ledger.draws.service import Draws
from ledger.errors import Forbidden
from ledger.inspections.service import Inspections
from ledger.plans.service import Plans
from ledger.policies import Policies
from ledger.publications.service import Publishing
from ledger.registry.officials import Official
from ledger.registry.service import Registry
from ledger.registry.tokens import token_id_of
from ledger.witnesses import Witnesses
from projections import ReadModels
from projections.dispute_files import DisputeFiles
from projections.oversight import Oversight
from projections.queries import COUNTED_UP_TO, MAX_LIMIT
from projections.trail_queries import Trails

from .legal.session import LEGAL
from .login_throttle import address_of, throttle_of
from .page_session import Reader
from .public_column.pages import Column

_bearer = HTTPBearer(auto_error=False, description="an API token from 'drawledger token issue'")


class NotAuthenticated(Forbidden):
    """No credentials at all (401), as opposed to credentials that are refused (403)."""


# -- the ledger and its services -----------------------------------------------------------------


def get_ledger(request: Request) -> LedgerApp:
    return request.app.state.ledger  # type: ignore[no-any-return]


def get_registry(request: Request) -> Registry:
    return request.app.state.registry  # type: ignore[no-any-return]


def get_plans(request: Request) -> Plans:
    return request.app.state.plans  # type: ignore[no-any-return]


def get_draws(request: Request) -> Draws:
    return request.app.state.draws  # type: ignore[no-any-return]


def get_joint(request: Request) -> JointInspections:
    return JointInspections(request.app.state.draws)


def get_inspections(request: Request) -> Inspections:
    return request.app.state.inspections  # type: ignore[no-any-return]


def get_publishing(request: Request) -> Publishing:
    return request.app.state.publishing  # type: ignore[no-any-return]


def get_policies(request: Request) -> Policies:
    return request.app.state.policies  # type: ignore[no-any-return]


def get_witnesses(request: Request) -> Witnesses:
    return Witnesses(request.app.state.ledger)


LedgerDep = Annotated[LedgerApp, Depends(get_ledger)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
PlansDep = Annotated[Plans, Depends(get_plans)]
DrawsDep = Annotated[Draws, Depends(get_draws)]
JointDep = Annotated[JointInspections, Depends(get_joint)]
InspectionsDep = Annotated[Inspections, Depends(get_inspections)]
PublishingDep = Annotated[Publishing, Depends(get_publishing)]
PoliciesDep = Annotated[Policies, Depends(get_policies)]
WitnessesDep = Annotated[Witnesses, Depends(get_witnesses)]


# -- the acting official -------------------------------------------------------------------------


async def get_official(
    request: Request,
    registry: RegistryDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Official:
    """The official whose token authenticates the request (401 without one, 403 if revoked or
    expired, 429 from an address held back after too many refused tokens: ``login_throttle``);
    the acts of the request name the token (``actors.act_with``). Async so that the credential
    is set in the request's own context, which the route then runs in (a sync dependency runs
    in a copy of it that the route never sees); the check itself reads the store, in a worker
    thread."""
    if credentials is None:
        raise NotAuthenticated("this endpoint needs 'Authorization: Bearer <token>'")
    token = credentials.credentials
    address = address_of(request.client)
    throttle = throttle_of(request)  # 429 after too many refusals
    official = await run_in_threadpool(throttle.authenticate, address, registry.authenticate, token)
    act_with(official.code, token_id_of(token))
    return official


OfficialDep = Annotated[Official, Depends(get_official)]


def get_reader(request: Request, registry: RegistryDep) -> Reader:
    """The reader of the legal pages: their session cookie's official, or a bearer token's
    (``api/legal/session.py``; the login form when there is none)."""
    return LEGAL.reader_of(request, registry)


ReaderDep = Annotated[Reader, Depends(get_reader)]


# -- readers -------------------------------------------------------------------------------------


def get_read_models(request: Request) -> ReadModels:
    """The read models, caught up with the log (other processes may have written to it)."""
    read_models: ReadModels = request.app.state.read_models
    read_models.current()  # ReadModelsBehind (503) while a large backlog is caught up
    return read_models


def get_column(request: Request) -> Column:
    """What the public column's pages show (no token: everything in it is public record)."""
    return request.app.state.column  # type: ignore[no-any-return]


def get_read_side(request: Request) -> ReadModels:
    """The read models as they are, not caught up (for saying how far behind they are)."""
    return request.app.state.read_models  # type: ignore[no-any-return]


ReadModelsDep = Annotated[ReadModels, Depends(get_read_models)]
ReadSideDep = Annotated[ReadModels, Depends(get_read_side)]
ColumnDep = Annotated[Column, Depends(get_column)]


def get_trails(request: Request, rm: ReadModelsDep) -> Trails:
    """The responsibility trail, read from the caught-up read models."""
    return Trails(rm.app, rm.engine)


TrailsDep = Annotated[Trails, Depends(get_trails)]


def get_dispute_files(rm: ReadModelsDep) -> DisputeFiles:
    """Dispute files, written from the caught-up read models and the log."""
    return DisputeFiles(rm.app, rm.engine)


def get_oversight(request: Request) -> Oversight:
    """The rule audit and dashboards of the legal pages (their audits kept by position)."""
    return request.app.state.oversight  # type: ignore[no-any-return]


DisputeFilesDep = Annotated[DisputeFiles, Depends(get_dispute_files)]
OversightDep = Annotated[Oversight, Depends(get_oversight)]


# -- integer parameters --------------------------------------------------------------------------
# Every integer a route takes is one of these, each bounded: a number too large, negative or zero
# is a 422 naming the parameter before it reaches a query or a proof (the databases hold 64-bit
# integers; tests/api/test_hostile_parameters.py checks that no integer parameter is unbounded).

MAX_POSITION = 2**63 - 1  # the largest ledger position or tree size a database can hold
MAX_OFFSET = 10**9
MAX_PAGE = MAX_OFFSET // 100  # a page of at most 100 entries starts within MAX_OFFSET

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size, 1 to {MAX_LIMIT}")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="entries to skip, 0 to 10^9")]
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="the page, from 1")]
# How a list page counts its matches (``projections.queries.bounded_count``).
Total = Annotated[
    str | None,
    Query(
        max_length=10,
        description='"exact": count every match (linear in them); by default matches are '
        f"counted up to {COUNTED_UP_TO:,} and a larger total is null with `more_than`",
    ),
]
# ``as_of`` (a position or a China-time date) is not an integer parameter: api/as_of.py.
LeafIndex = Annotated[
    int | None, Query(ge=0, le=MAX_POSITION, description="a leaf index of the Merkle tree")
]
PositionQuery = Annotated[
    int | None,
    Query(ge=1, le=MAX_POSITION, description="a ledger position (instead of the leaf index)"),
]
TreeSize = Annotated[
    int | None,
    Query(ge=1, le=MAX_POSITION, description="a signed checkpoint's tree size (default: latest)"),
]
OldTreeSize = Annotated[
    int, Query(ge=1, le=MAX_POSITION, description="the older tree's size, 1 or more")
]
TreeSizePath = Annotated[
    int, Path(ge=1, le=MAX_POSITION, description="a signed checkpoint's tree size")
]
ItemListNumber = Annotated[
    int, Path(ge=1, le=10**6, description="the published item list's number, from 1")
]
Year = Annotated[
    int | None, Query(ge=2000, le=2100, description="the cycle's last year (default: now)")
]
CycleYears = Annotated[
    int | None, Query(ge=1, le=10, description="years in the cycle (default: the policy's)")
]
