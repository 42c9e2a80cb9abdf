"""The FastAPI service: thin routes over the ledger application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from ledger.application import LedgerApp, positions_saved
from ledger.clock import clock_warnings
from ledger.datadir import check_private
from ledger.draws.population_keeping import keep_recorded_in_background
from ledger.draws.service import Draws
from ledger.inspections.service import Inspections
from ledger.plans.service import Plans
from ledger.policies import Policies
from ledger.publications.service import Publishing
from ledger.registry.service import Registry

from . import as_of, docs_pages, errors, openapi_errors
from .body_limit import BodyLimit, BodyLimits
from .legal.routes import install as install_legal_pages
from .login_throttle import LoginThrottle
from .office.acts import install as install_office_acts
from .office.routes import OFFICE
from .office.routes import install as install_office_pages
from .public_column.routes import install as install_public_column
from .routes import (
    assessment,
    disputes,
    draws,
    exports,
    imports,
    inspections,
    plans,
    policy,
    public,
    queries,
    records,
    registry,
    trail,
    transparency,
)
from .session_cookie import session_key
from .upload_gate import UploadGate

log = logging.getLogger(__name__)

POSITION_HEADER = "Ledger-Position"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    ledger: LedgerApp = app.state.ledger
    for warning in clock_warnings(ledger):  # a clock stepped back: said at the start too
        log.warning("%s", warning["zh"])
    ledger.start_sealing()  # embedded mode: a round per interval, the first one now
    app.state.read_models.follower.start()  # the read models catch up in the background
    # the populations of draws frozen before the freeze kept them as dispute files copy them
    keep_recorded_in_background(ledger)
    try:
        yield
    finally:
        try:
            ledger.stop_sealing()  # a last round: nothing acknowledged is left unsealed
        except Exception as e:  # noqa: BLE001 - reported; the next start's first round retries
            log.error(
                "停止时的最后一轮封存失败，下次启动时重试：%s (the last sealing round failed)",
                e,
            )
        app.state.read_models.close()  # the read-model database's connections, at shutdown


async def _ledger_position(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """A write that stored events answers with the position of its last one
    (``Ledger-Position``), for ``GET /checkpoint?wait_for=POSITION``."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return await call_next(request)
    with positions_saved() as positions:
        response = await call_next(request)
    if positions and response.status_code < 400:
        response.headers[POSITION_HEADER] = str(max(positions))
    return response


def create_app(ledger: LedgerApp, limits: BodyLimits | None = None) -> FastAPI:
    """The service over ``ledger``; ``limits``: the largest request bodies it reads."""
    app = FastAPI(
        title="drawledger",
        description="Signed audit ledger for 'double random, one public' inspections.",
        version="0.1.0",
        lifespan=_lifespan,
        docs_url=None,  # docs_pages: served from the service itself, not a CDN
        redoc_url=None,
    )
    if ledger.data_dir is not None:
        check_private(ledger.data_dir)  # refuses to serve a data directory others can read
    app.state.ledger = ledger
    app.state.registry = Registry(ledger)
    app.state.login_throttle = LoginThrottle()  # refused tokens per address (in memory)
    app.state.draws = Draws(ledger)
    app.state.plans = Plans(ledger)
    app.state.inspections = Inspections(ledger)
    app.state.publishing = Publishing(ledger)
    app.state.policies = Policies(ledger)
    # Read models (projections/): one batch caught up now, the rest in the background once the
    # service runs (a read far behind is a 503 meanwhile), and before each query.
    from projections import open_read_models
    from projections.runner import BATCH

    app.state.read_models = open_read_models(ledger, first=BATCH)
    errors.install(app)
    app.middleware("http")(_ledger_position)
    as_of.install(app)  # Ledger-As-Of also on a problem about the position answered for
    # An upload's token is checked before its body is read; inside the limit on its size.
    app.add_middleware(
        UploadGate,
        authenticate=app.state.registry.authenticate,
        cookies={OFFICE.path: OFFICE.cookie},  # the registry office's import form
        session_key=session_key(ledger),
        throttle=app.state.login_throttle,
    )
    app.add_middleware(BodyLimit, limits=limits or BodyLimits())  # outermost: before any read
    app.include_router(transparency.router)
    app.include_router(registry.router)
    app.include_router(queries.router)
    app.include_router(imports.router)
    app.include_router(exports.router)
    app.include_router(public.router)
    app.include_router(plans.router)
    app.include_router(plans.divisions)  # coverage per division
    app.include_router(draws.router)
    app.include_router(inspections.router)
    app.include_router(policy.router)
    app.include_router(trail.router)
    app.include_router(records.router)
    app.include_router(assessment.router)
    app.include_router(disputes.router)  # the dispute file over HTTP
    docs_pages.install(app)
    install_public_column(app)  # the public column (公示专栏) at /column
    install_legal_pages(app)  # the legal office's and auditors' pages at /legal
    install_office_pages(app)  # the registry office's pages at /office
    install_office_acts(app)  # and its acts there: statuses, declared conflicts
    openapi_errors.install(app)  # every operation's error answers documented
    return app
