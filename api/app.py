"""The FastAPI service: thin routes over the ledger application."""

from __future__ import annotations

from fastapi import FastAPI

from ledger.application import LedgerApp
from ledger.registry import Registry

from . import errors
from .routes import transparency


def create_app(ledger: LedgerApp) -> FastAPI:
    app = FastAPI(
        title="drawledger",
        description="Signed audit ledger for 'double random, one public' inspections.",
        version="0.1.0",
    )
    app.state.ledger = ledger
    app.state.registry = Registry(ledger)
    errors.install(app)
    app.include_router(transparency.router)
    return app
