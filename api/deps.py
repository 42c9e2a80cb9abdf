"""Typed dependencies for the routes: the ledger, the registry service and the acting official."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger.application import LedgerApp
from ledger.errors import Forbidden
from ledger.policies import Policies
from ledger.registry.officials import Official
from ledger.registry.service import Registry

_bearer = HTTPBearer(auto_error=False, description="an API token from 'drawledger token issue'")


def get_ledger(request: Request) -> LedgerApp:
    return request.app.state.ledger  # type: ignore[no-any-return]


def get_registry(request: Request) -> Registry:
    return request.app.state.registry  # type: ignore[no-any-return]


def get_policies(request: Request) -> Policies:
    return request.app.state.policies  # type: ignore[no-any-return]


LedgerDep = Annotated[LedgerApp, Depends(get_ledger)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
PoliciesDep = Annotated[Policies, Depends(get_policies)]


def get_official(
    registry: RegistryDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Official:
    """The official whose token authenticates the request (401 without one, 403 if revoked)."""
    if credentials is None:
        raise NotAuthenticated("this endpoint needs 'Authorization: Bearer <token>'")
    return registry.authenticate(credentials.credentials)


OfficialDep = Annotated[Official, Depends(get_official)]


class NotAuthenticated(Forbidden):
    """No credentials at all (401), as opposed to credentials that are refused (403)."""
