"""Typed dependencies for the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ledger.application import LedgerApp


def get_ledger(request: Request) -> LedgerApp:
    return request.app.state.ledger  # type: ignore[no-any-return]


LedgerDep = Annotated[LedgerApp, Depends(get_ledger)]
