"""A refusal on a page of the public column, answered as a page of the column.

Which refusals are pages is decided by the route, not guessed from the request: a column route
declared with ``response_class=HTMLResponse`` is read by people in a browser, and so is an
address under ``/column`` that no route answers (mistyped); their refusals (4xx, and a fault,
5xx) are pages in the column's layout with the status, title and detail of the problem+json
(``api/errors.py``: the words of ``api/problem_texts.py`` and ``ledger/error_texts``, values cut
short). The feeds, ``record.json``, ``population.txt`` and the static files are read by
programs and keep problem+json; so does a page asked for JSON by name (``Accept:
application/problem+json`` or ``application/json``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from ..errors import ProblemPage
from .pages import DEFAULT_TITLE, SECTIONS, Column, china_time

PREFIX = "/column"
STATIC = "/column/static"  # the column's scripts: files, read by programs
ASKS_FOR_JSON = ("application/problem+json", "application/json")


def is_page(request: Request) -> bool:
    """Whether a refusal of this request is answered as a page (the module's rule)."""
    accept = request.headers.get("accept", "").lower()
    if any(kind in accept for kind in ASKS_FOR_JSON):
        return False
    route = request.scope.get("route")
    if route is None:  # no route: a mistyped address, or a static file the mount lacks
        path = request.url.path
        under = path == PREFIX or path.startswith(PREFIX + "/")
        return under and not path.startswith(STATIC + "/")
    return (
        isinstance(route, APIRoute)
        and route.path.startswith(PREFIX)
        and route.response_class is HTMLResponse
    )


def section_of(request: Request) -> str:
    """The column's section a refused page belongs to (``/column/draws`` for a draw's page):
    where its page links back to."""
    path = getattr(request.scope.get("route"), "path", PREFIX)
    section = str(path).split("/{")[0]
    return section if section in SECTIONS else PREFIX


def problem_page(templates: Jinja2Templates) -> ProblemPage:
    """The column's page for a problem, rendered with ``templates``' ``problem.html``."""

    def page(request: Request, problem: dict[str, Any]) -> Response | None:
        if not is_page(request):
            return None
        section = section_of(request)
        context = {
            "title": _title(request.app.state.column),
            "heading": problem["title"],
            "detail": problem["detail"],
            "status": problem["status"],
            "back": section,
            "back_label": SECTIONS[section],
            "at": china_time(datetime.now(UTC)),
        }
        return templates.TemplateResponse(
            request, "problem.html", context, status_code=problem["status"]
        )

    return page


def _title(column: Column) -> str:
    """The column's name; its default when it cannot be read (the page of a store's fault)."""
    try:
        return column.title()
    except Exception:  # noqa: BLE001 - the page telling of a fault must not fail itself
        return DEFAULT_TITLE
