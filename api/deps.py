"""Every dependency of the routes, each as a typed alias: a route names what it needs
(``ledger: LedgerDep``, ``official: OfficialDep``) and FastAPI hands it over.

The services are built once by ``create_app`` and kept on ``app.state``; the read models are
caught up with the log before each query; the official is the one whose bearer token
authenticates the request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger.application import LedgerApp
from ledger.draws.joint import JointInspections
from ledger.draws.service import Draws
from ledger.errors import Forbidden
from ledger.inspections.service import Inspections
from ledger.plans.service import Plans
from ledger.publications.service import Publishing
from ledger.registry.officials import Official
from ledger.registry.service import Registry
from projections import ReadModels

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


LedgerDep = Annotated[LedgerApp, Depends(get_ledger)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
PlansDep = Annotated[Plans, Depends(get_plans)]
DrawsDep = Annotated[Draws, Depends(get_draws)]
JointDep = Annotated[JointInspections, Depends(get_joint)]
InspectionsDep = Annotated[Inspections, Depends(get_inspections)]
PublishingDep = Annotated[Publishing, Depends(get_publishing)]


# -- the acting official -------------------------------------------------------------------------


def get_official(
    registry: RegistryDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Official:
    """The official whose token authenticates the request (401 without one, 403 if revoked)."""
    if credentials is None:
        raise NotAuthenticated("this endpoint needs 'Authorization: Bearer <token>'")
    return registry.authenticate(credentials.credentials)


OfficialDep = Annotated[Official, Depends(get_official)]


# -- readers -------------------------------------------------------------------------------------


def get_read_models(request: Request) -> ReadModels:
    """The read models, caught up with the log (other processes may have written to it)."""
    read_models: ReadModels = request.app.state.read_models
    read_models.runner.catch_up()
    return read_models


def get_column(request: Request) -> Column:
    """What the public column's pages show (no token: everything in it is public record)."""
    return request.app.state.column  # type: ignore[no-any-return]


ReadModelsDep = Annotated[ReadModels, Depends(get_read_models)]
ColumnDep = Annotated[Column, Depends(get_column)]


# -- paging --------------------------------------------------------------------------------------

Limit = Annotated[int, Query(description="page size, 1 to 500")]
Offset = Annotated[int, Query(description="entries to skip, 0 or more")]
