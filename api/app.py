"""The FastAPI service: thin routes over the ledger application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ledger.application import LedgerApp
from ledger.datadir import check_private
from ledger.draws.service import Draws
from ledger.inspections.service import Inspections
from ledger.plans.service import Plans
from ledger.publications.service import Publishing
from ledger.registry.service import Registry

from . import errors
from .public_column.routes import install as install_public_column
from .routes import draws, imports, inspections, plans, public, queries, registry, transparency


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.read_models.close()  # the read-model database's connections, at shutdown


def create_app(ledger: LedgerApp) -> FastAPI:
    app = FastAPI(
        title="drawledger",
        description="Signed audit ledger for 'double random, one public' inspections.",
        version="0.1.0",
        lifespan=_lifespan,
    )
    if ledger.data_dir is not None:
        check_private(ledger.data_dir)  # refuses to serve a data directory others can read
    app.state.ledger = ledger
    app.state.registry = Registry(ledger)
    app.state.draws = Draws(ledger)
    app.state.plans = Plans(ledger)
    app.state.inspections = Inspections(ledger)
    app.state.publishing = Publishing(ledger)
    # Read models (projections/): caught up now, after every command, and before each query.
    from projections import open_read_models

    app.state.read_models = open_read_models(ledger)
    errors.install(app)
    app.include_router(transparency.router)
    app.include_router(registry.router)
    app.include_router(queries.router)
    app.include_router(imports.router)
    app.include_router(public.router)
    app.include_router(plans.router)
    app.include_router(plans.divisions)  # coverage per division
    app.include_router(draws.router)
    app.include_router(inspections.router)
    install_public_column(app)  # the public column (公示专栏) at /column
    return app
