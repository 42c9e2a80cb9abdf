"""The public column's pages (公示专栏): server-rendered HTML in Chinese, no login."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates

from .pages import Column

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html templates

router = APIRouter(prefix="/column", tags=["public column"], include_in_schema=False)


def get_column(request: Request) -> Column:
    return request.app.state.column  # type: ignore[no-any-return]


ColumnDep = Annotated[Column, Depends(get_column)]


def _page(request: Request, column: Column, template: str, **context: object) -> HTMLResponse:
    return templates.TemplateResponse(
        request, template, {"title": column.title(), "checkpoint": column.checkpoint(), **context}
    )


@router.get("", response_class=HTMLResponse)
def index(request: Request, column: ColumnDep) -> HTMLResponse:
    """What the column is, its sections, and the current signed checkpoint."""
    return _page(request, column, "index.html")


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
    """Every random draw and the step it has reached."""
    return _page(request, column, "draws.html", draws=column.draw_list())


@router.get("/draws/{draw}", response_class=HTMLResponse)
def draw(draw: UUID, request: Request, column: ColumnDep) -> HTMLResponse:
    """A draw's record, with "check my company" (查一查我的单位)."""
    return _page(request, column, "draw.html", draw=column.draw(draw))


@router.get("/draws/{draw}/population.txt", response_class=PlainTextResponse)
def population(draw: UUID, column: ColumnDep) -> str:
    """The frozen population, one id a line (its SHA-256 is the digest on the draw's page)."""
    return column.population_text(draw)
