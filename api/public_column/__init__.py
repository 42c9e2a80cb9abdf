"""The public column (公示专栏): pages anyone may read, mounted at ``/column``.

``install(app)`` adds the pages, their static files and, when ``/`` is free, a redirect from
``/`` to the column.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from .pages import Column
from .routes import HERE, router


def install(app: FastAPI) -> None:
    state = app.state
    state.column = Column(state.ledger, state.registry, state.draws, state.read_models)
    app.include_router(router)
    app.mount("/column/static", StaticFiles(directory=HERE / "static"), name="column-static")
    if not any(getattr(route, "path", None) == "/" for route in app.routes):

        @app.get("/", include_in_schema=False)
        def front_page() -> RedirectResponse:
            return RedirectResponse("/column")


__all__ = ["install"]
