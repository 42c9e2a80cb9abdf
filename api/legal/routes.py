"""The legal office's and the auditors' pages (法制与审计): server-rendered HTML in Chinese, China
time, behind a login by an official's API token (``session.py``; ``oversight.read``:
auditors and the legal office only, docs/TRAIL.md).

- ``/legal``: find the trail of a target (by credit code), draw, inspection, publication, plan,
  inspector, item or official;
- ``/legal/trail/{entity}/{key}``: its acts in ledger order, each linking to its official's
  acts, to the records it touches and to its inclusion proof (``/legal/acts/{position}``), and
  a "make a dispute file" button (``POST /legal/disputes``: the zip ``POST /disputes`` gives);
- ``/legal/dashboards``: coverage and participation, charted with ECharts served from
  ``/legal/static`` (``static/README.md``: nothing loads from elsewhere);
- ``/legal/findings``: the rule audit's findings over the live ledger;
- ``/legal/assessment``: the annual assessment (``GET /assessment``, docs/ASSESSMENT.md) for the
  reader of the session: the API's route wants a bearer token, which a link does not carry.

Every page takes ``as_of`` (a position or a China-time date) and says which position it shows;
its links keep that position (a page read now links to the ledger as it stood when it was read:
what one follows from a page is consistent with it), the navigation goes to now.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ledger.errors import NotFound
from ledger.labels import event_label, role_label
from projections.assessment_report import Links
from projections.oversight import Oversight
from verify.authority_rules import dispute_refusal

from .. import page_problems, page_session
from ..answers import page_count
from ..as_of import AtDep, refuse_as_of
from ..deps import (
    MAX_POSITION,
    DisputeFilesDep,
    OversightDep,
    Page,
    ReaderDep,
    RegistryDep,
    TrailsDep,
)
from ..page_session import ENDED
from ..public_column.pages import china_time
from ..routes.assessment import report as assessment_report
from ..routes.disputes import archive
from . import labels
from .session import LEGAL, PATH

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html templates
templates.env.filters["china_time"] = china_time
templates.env.filters["event_name"] = event_label
templates.env.filters["role_name"] = role_label
templates.env.filters["pretty"] = lambda value: json.dumps(value, ensure_ascii=False, indent=1)

router = APIRouter(prefix="/legal", tags=["legal pages"], include_in_schema=False)
PER_PAGE = 50
# Nothing loads from elsewhere, no page is framed, nothing sensitive is cached.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
Entity = Literal[
    "targets",
    "draws",
    "directed",
    "inspections",
    "publications",
    "plans",
    "inspectors",
    "items",
    "officials",
    "divisions",
]
ActPosition = Annotated[int, FastPath(ge=1, le=MAX_POSITION, description="a ledger position")]
_NOW = refuse_as_of("登录页不涉及账本内容")


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    at = context.get("at")
    pinned = {"as_of": at.position} if at is not None else {}
    response = templates.TemplateResponse(
        request,
        template,
        {
            "pin": ("?" + urlencode(pinned)) if pinned else "",
            **context,
        },
        status_code=status,
    )
    response.headers.update(HEADERS)
    return response


@router.get("/login", response_class=HTMLResponse, dependencies=[_NOW])
def login_page(
    request: Request, next: str = "/legal", ended: Annotated[str, Query(max_length=16)] = ""
) -> HTMLResponse:
    """The login form: paste an API token (``drawledger token issue``); saying why the
    session ended, if it did (``page_session.ENDED``)."""
    return _page(
        request, "login.html", next=LEGAL.inside(next), problem=None, ended=ENDED.get(ended)
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    registry: RegistryDep,
    token: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=1000)] = "/legal",
) -> Response:
    """Check the token and keep it in the browser session; back to the form, saying why, if
    it is refused."""
    return LEGAL.logged_in(
        request,
        registry,
        token,
        next,
        lambda why: _page(request, "login.html", 403, next=LEGAL.inside(next), problem=why),
    )


@router.post("/logout")
def logout(
    request: Request, reader: ReaderDep, csrf: Annotated[str | None, Form()] = None
) -> Response:
    """End the session."""
    return LEGAL.logged_out(request, reader, csrf)


@router.get("", response_class=HTMLResponse)
def home(request: Request, at: AtDep, reader: ReaderDep) -> HTMLResponse:
    """Find an entity's trail; the dashboards, the findings and the annual assessment."""
    return _page(request, "home.html", at=at, reader=reader, entities=labels.ENTITIES)


@router.get("/find")
def find(
    at: AtDep, reader: ReaderDep, entity: Entity | None = None, key: str | None = None
) -> RedirectResponse:
    """The home page's search: on to the entity's trail page (home without one)."""
    pinned = f"?as_of={at.position}" if at.asked else ""
    if entity is None or not (key or "").strip():
        return RedirectResponse(f"/legal{pinned}", status_code=303)
    return RedirectResponse(
        f"/legal/trail/{entity}/{quote((key or '').strip(), safe='')}{pinned}", 303
    )


@router.get("/trail/{entity}/{key}", response_class=HTMLResponse)
def trail(
    request: Request,
    entity: Entity,
    key: str,
    at: AtDep,
    reader: ReaderDep,
    trails: TrailsDep,
    oversight: OversightDep,
    page: Page = 1,
) -> HTMLResponse:
    """Every act touching the entity (an official: every act they performed, or if none yet
    the acts about them — their registration, roles, tokens), 50 a page; an individual's
    personal data only for the legal office (``oversight.personal_data``)."""
    kind, name = labels.ENTITIES[entity]
    # each act shown compared with the log's signed record (Trails._answer, ``checked``)
    window = {
        "as_of": at.position,
        "limit": PER_PAGE,
        "offset": (page - 1) * PER_PAGE,
        "checked": True,
    }
    about = False  # an official who acted in nothing yet: the acts about them instead
    if kind == "official":
        try:
            found = trails.of_official(key, reader.official, **window)
        except NotFound:
            found, about = trails.of_entity(kind, key, reader.official, **window), True
    else:
        found = trails.of_entity(kind, key, reader.official, **window)
    dispute = labels.DISPUTE_KINDS.get(entity)
    may = dispute is not None and dispute_refusal(reader.official.roles, dispute) is None
    person = None
    ref = key.removeprefix("individual:")
    if kind == "target" and ref.startswith("person-"):
        person = oversight.person(reader.official, ref, labels.commitment(found["items"]))
    pages, more = page_count(found, page, PER_PAGE)
    return _page(
        request,
        "trail.html",
        at=at,
        reader=reader,
        entity=entity,
        name=name,
        key=key,
        found=found,
        links=labels.links,
        record_path=labels.record_path,
        dispute=dispute if may else None,
        person=person,
        about=about,
        page=page,
        pages=pages,
        more=more,
    )


@router.get("/acts/{position}", response_class=HTMLResponse)
def act(
    request: Request, position: ActPosition, at: AtDep, reader: ReaderDep, trails: TrailsDep
) -> HTMLResponse:
    """One act: who, when, what, and its signed record with its inclusion proof."""
    found = trails.act(position, reader.official, as_of=at.position)
    return _page(
        request,
        "act.html",
        at=at,
        reader=reader,
        act=found,
        links=labels.links,
        record_path=labels.record_path,
    )


@router.get("/dashboards", response_class=HTMLResponse)
def dashboards(
    request: Request, at: AtDep, reader: ReaderDep, oversight: OversightDep
) -> HTMLResponse:
    """Coverage in each annual plan's cycle and participation per division and year."""
    figures = oversight.dashboards(reader.official, at.position)
    return _page(request, "dashboards.html", at=at, reader=reader, figures=figures)


@router.get("/findings", response_class=HTMLResponse)
def findings(
    request: Request, at: AtDep, reader: ReaderDep, oversight: OversightDep
) -> HTMLResponse:
    """The rule audit's findings (the verifier's --rules) over the ledger as of the position."""
    audit = oversight.findings(reader.official, at.position)
    return _page(request, "findings.html", at=at, reader=reader, audit=audit)


@router.get("/assessment")
def assessment(
    at: AtDep,
    reader: ReaderDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    division: Annotated[str | None, Query(max_length=40)] = None,
    format: Literal["html", "pdf", "xlsx"] = "html",
) -> Response:
    """The annual assessment as ``GET /assessment`` answers it, read with the session (the
    rulebook's ``assessment.read`` decides, as there); its links open legal pages (an event's
    act page with its inclusion proof, a division's trail) as of the same position."""
    pin = f"?as_of={at.position}"
    links = Links(
        event=lambda p: f"/legal/acts/{p}{pin}",
        division=lambda d: f"/legal/trail/divisions/{quote(d, safe='')}{pin}",
    )
    response = assessment_report(at, reader.official, year, division, format, links)
    response.headers.update(HEADERS)
    return response


@router.post("/disputes")
def dispute(
    request: Request,
    reader: ReaderDep,
    files: DisputeFilesDep,
    kind: Annotated[str, Form(max_length=20)],
    key: Annotated[str, Form(max_length=100)],
    as_of: Annotated[str | None, Form(max_length=40)] = None,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """The "make a dispute file" button: the zip ``POST /disputes`` gives."""
    LEGAL.check_csrf(request, reader, csrf)
    name, data, manifest = files.archive(reader.official, kind, key, as_of or None)
    return archive(name, data, manifest["as_of"])


def _problem_page(request: Request, status: int, heading: str, detail: str) -> Response:
    return _page(request, "problem.html", status, heading=heading, detail=detail, code=status)


def install(app: FastAPI) -> None:
    """Add the legal pages, their static files (ECharts, the charts' script, the style) and
    the redirect to the login form for a request without a valid credential."""
    app.state.oversight = Oversight(app.state.ledger)
    page_problems.install(app, _problem_page, PATH)  # a fault (500) too
    app.include_router(router)
    app.mount("/legal/static", StaticFiles(directory=HERE / "static"), name="legal-static")
    page_session.install(app)
