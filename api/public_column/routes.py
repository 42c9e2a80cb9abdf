"""The public column's pages (公示专栏): server-rendered HTML in Chinese, no login."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .. import errors
from ..answers import page_count
from ..as_of import refuse_as_of
from ..deps import ColumnDep, Limit, Offset, Page
from . import feeds, refusals
from .pages import NAVIGATION, Column, china_time

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html templates
templates.env.filters["china_time"] = china_time
templates.env.globals["navigation"] = NAVIGATION

# The column shows what is published now; the past is read through the officials' API (as_of).
_NOW_ONLY = refuse_as_of(
    "公示专栏只显示当前公示的内容；账本在以往位置的内容请通过工作人员的接口（as_of）查阅"
)
router = APIRouter(
    prefix="/column", tags=["public column"], include_in_schema=False, dependencies=[_NOW_ONLY]
)

RESULTS_PER_PAGE = 20
Channel = Annotated[str | None, Query(description="results or double_publicity (双公示)")]
Text = Annotated[str | None, Query(description="text in the target's name or credit code")]


def _page(request: Request, column: Column, template: str, **context: object) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"title": column.title(), **context})


@router.get("", response_class=HTMLResponse)
def index(request: Request, column: ColumnDep) -> HTMLResponse:
    """What the column is, its sections, and the current signed checkpoint."""
    return _page(request, column, "index.html", checkpoint=column.checkpoint())


@router.get("/results", response_class=HTMLResponse)
def results(
    request: Request, column: ColumnDep, channel: Channel = None, q: Text = None, page: Page = 1
) -> HTMLResponse:
    """Published results, newest first, 20 a page; ``channel=double_publicity`` for 双公示."""
    found = column.publications(
        channel=channel or None,
        q=q,
        limit=RESULTS_PER_PAGE,
        offset=(page - 1) * RESULTS_PER_PAGE,
    )
    pages, more = page_count(found, page, RESULTS_PER_PAGE)

    def link(number: int) -> str:
        query = {"channel": channel, "q": q, "page": number}
        return "/column/results?" + urlencode({k: v for k, v in query.items() if v})

    return _page(
        request,
        column,
        "results.html",
        found=found,
        channel=channel or "",
        q=q or "",
        page=page,
        pages=pages,
        prev_url=link(page - 1) if page > 1 else None,
        next_url=link(page + 1) if more else None,
        channels=feeds.CHANNELS,
        statuses=feeds.STATUSES,
    )


@router.get("/feed.json")
def json_feed(
    request: Request,
    column: ColumnDep,
    channel: Channel = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, object]:
    """Publications as a JSON Feed 1.1, newest first; ``next_url`` pages on."""
    found = column.publications(channel=channel or None, q=None, limit=limit, offset=offset)
    more = (
        len(found["items"]) == limit
        if found["total"] is None
        else (offset + len(found["items"]) < found["total"])
    )
    next_url = request.url.include_query_params(offset=offset + limit) if more else None
    return feeds.json_feed(
        found["items"],
        title_text=column.title(),
        home=_home(request),
        feed_url=str(request.url),
        next_url=None if next_url is None else str(next_url),
    )


@router.get("/feed.rss")
def rss_feed(
    request: Request, column: ColumnDep, channel: Channel = None, limit: Limit = 50
) -> Response:
    """The latest publications as an RSS 2.0 feed."""
    found = column.publications(channel=channel or None, q=None, limit=limit, offset=0)
    body = feeds.rss(found["items"], title_text=column.title(), home=_home(request))
    return Response(body, media_type="application/rss+xml; charset=utf-8")


def _home(request: Request) -> str:
    return str(request.url_for("index")).rstrip("/")


@router.get("/items", response_class=HTMLResponse)
def item_list(request: Request, column: ColumnDep) -> HTMLResponse:
    """The published item list (随机抽查事项清单)."""
    return _page(request, column, "items.html", published=column.item_list())


@router.get("/plans", response_class=HTMLResponse)
def plans(request: Request, column: ColumnDep) -> HTMLResponse:
    """Uploaded plans: division, period, items, counts."""
    return _page(request, column, "plans.html", plans=column.uploaded_plans())


@router.get("/draws", response_class=HTMLResponse)
def draws(request: Request, column: ColumnDep) -> HTMLResponse:
    """Every random draw by month and plan, with its step; and the directed inspections."""
    return _page(
        request, column, "draws.html", groups=column.draw_groups(), directed=column.directed()
    )


@router.get("/guide", response_class=HTMLResponse)
def guide(request: Request, column: ColumnDep) -> HTMLResponse:
    """How to reproduce a draw and check the ledger independently (复现指南)."""
    return _page(request, column, "guide.html")


@router.get("/draws/{draw}", response_class=HTMLResponse)
def draw(draw: UUID, request: Request, column: ColumnDep) -> HTMLResponse:
    """A draw's record, with "check my company" (查一查我的单位)."""
    return _page(
        request, column, "draw.html", draw=column.draw(draw), checkpoint=column.checkpoint()
    )


@router.get("/draws/{draw}/record.json")
def record(draw: UUID, column: ColumnDep) -> Response:
    """The draw's public record, the same bytes as ``GET /draws/{id}/record``: what the guide's
    reproduction script reads."""
    return Response(column.record_text(draw), media_type="application/json")


@router.get("/draws/{draw}/population.txt", response_class=PlainTextResponse)
def population(draw: UUID, column: ColumnDep) -> str:
    """The frozen population, one id a line (its SHA-256 is the digest on the draw's page)."""
    return column.population_text(draw)


def install(app: FastAPI) -> None:
    """Add the column's pages and static files and, when ``/`` is free, a redirect from ``/``
    to the column."""
    state = app.state
    state.column = Column(state.ledger, state.registry, state.draws, state.read_models)
    app.include_router(router)
    errors.add_problem_page(app, refusals.problem_page(templates))  # a refused page: a page
    app.mount(refusals.STATIC, StaticFiles(directory=HERE / "static"), name="column-static")
    if not any(getattr(route, "path", None) == "/" for route in app.routes):

        @app.get("/", include_in_schema=False)
        def front_page() -> RedirectResponse:
            return RedirectResponse("/column")
