"""The registry office's pages (登记办理): a registry's file imported from the browser, in
Chinese, behind a login by an official's API token (``api/page_session.py``; the officials who
may write a registry: a division's clerks and heads, the plan aggregator for the roster).

- ``/office``: the registries the official may write, each with its template workbook
  (``/office/templates/{registry}``, as ``GET /imports/templates/{registry}`` gives it), the
  division's own entries as a file to edit and import again (``/office/exports/{registry}``, as
  ``GET /exports/{registry}`` gives it), and the import form;
- ``POST /office/imports``: the file checked and **previewed**, nothing recorded (the same
  report ``drawledger import --dry-run`` and ``POST /imports/{registry}?dry_run=true`` give:
  every bad row with its row, column, value and rule; every field a row would change on an
  entry that exists, before and after; the counts); then **recorded** from the preview's page,
  the same file chosen again: the preview names the file by its SHA-256, and a recording whose
  file is not the one previewed is refused (409), so what is recorded is what was read.

What an import may not change (a target's status, an inspector's status and declared
conflicts) has its own pages and forms: ``api/office/acts.py``.

The import itself is ``api/importing.py``'s, as the official: every row's authority is judged
there, division by division, as over the API. The pages keep nothing between the two steps
but the digest in the preview's form.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ledger.error_texts.words import REGISTRIES
from ledger.errors import Conflict, Forbidden
from ledger.labels import role_label
from ledger.registry.exports import coded_values
from ledger.registry.importer import ACTIONS
from ledger.registry.officials import Official
from verify.authority_rules import PERMISSIONS

from .. import page_problems, page_session
from ..as_of import AtDep, refuse_as_of
from ..deps import PoliciesDep, RegistryDep
from ..importing import export_bytes, import_file
from ..page_session import ENDED, PageSession, Reader
from ..problem_texts import report_answer
from ..public_column.pages import china_time
from ..routes.exports import warning_headers
from ..templates import template_bytes

HERE = Path(__file__).parent
PATH = "/office"
templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html templates
templates.env.filters["china_time"] = china_time
templates.env.filters["role_name"] = role_label
router = APIRouter(prefix=PATH, tags=["registry office pages"], include_in_schema=False)
# Nothing loads from elsewhere, no page is framed, nothing sensitive is cached.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Registry = Literal["targets", "inspectors", "items"]
Encoding = Literal["", "utf-8", "gb18030", "utf-16", "big5", "shift_jis"]
_NOW = refuse_as_of("登记办理页面只办理和显示账本的当前状态")


def writable(official: Official) -> list[str]:
    """The registries ``official``'s roles may write (each row's division is judged on
    import)."""
    return [
        kind
        for kind, action in ACTIONS.items()
        if any(role in official.roles for role in PERMISSIONS[action])
    ]


def _admits(official: Official) -> None:
    if not official.active:
        raise Forbidden(f"official {official.code} is deactivated and may not act")
    if not writable(official):
        raise Forbidden(
            f"official {official.code} (roles: {', '.join(official.roles)}) may not use the "
            "registry office's pages: they are for the officials who may write a registry"
        )


OFFICE = PageSession("drawledger_office", PATH, _admits)


def _reader(request: Request, registry: RegistryDep) -> Reader:
    return OFFICE.reader_of(request, registry)


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, template, {"registries": REGISTRIES, **context}, status_code=status
    )
    response.headers.update(HEADERS)
    return response


@router.get("/login", response_class=HTMLResponse, dependencies=[_NOW])
def login_page(
    request: Request, next: str = PATH, ended: Annotated[str, Query(max_length=16)] = ""
) -> HTMLResponse:
    """The login form: paste an API token (``drawledger token issue``); saying why the
    session ended, if it did (``page_session.ENDED``)."""
    return _page(
        request, "login.html", next=OFFICE.inside(next), problem=None, ended=ENDED.get(ended)
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    registry: RegistryDep,
    token: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=1000)] = PATH,
) -> Response:
    """Check the token and keep it in the browser session; back to the form, saying why, if
    it is refused."""
    return OFFICE.logged_in(
        request,
        registry,
        token,
        next,
        lambda why: _page(request, "login.html", 403, next=OFFICE.inside(next), problem=why),
    )


@router.post("/logout")
def logout(
    request: Request, registry: RegistryDep, csrf: Annotated[str | None, Form()] = None
) -> Response:
    """End the session."""
    return OFFICE.logged_out(request, _reader(request, registry), csrf)


@router.get("", response_class=HTMLResponse, dependencies=[_NOW])
def home(request: Request, registry: RegistryDep, policies: PoliciesDep) -> HTMLResponse:
    """The registries the official may write: templates and the import form; and the
    calendar's warning when it is near its end (the staff views show it too)."""
    reader = _reader(request, registry)
    return _page(
        request,
        "home.html",
        reader=reader,
        writable=writable(reader.official),
        warnings=[w["zh"] for w in policies.calendar_warnings()],
    )


@router.get("/templates/{registry}")
def template(registry: Registry, request: Request, service: RegistryDep, at: AtDep) -> Response:
    """A registry's template workbook, with the ledger's own divisions, units and districts
    (``GET /imports/templates/{registry}``, reached with the session)."""
    _reader(request, service)
    data = template_bytes(registry, coded_values(at.ledger), "zh")
    disposition = f'attachment; filename="{registry}-template.xlsx"'
    response = Response(data, media_type=XLSX, headers={"Content-Disposition": disposition})
    response.headers.update(HEADERS)
    return response


@router.post("/imports", response_class=HTMLResponse)
def import_page(
    request: Request,
    registry: RegistryDep,
    kind: Annotated[Registry, Form()],
    file: Annotated[UploadFile, File()],
    mode: Annotated[Literal["preview", "record"], Form()] = "preview",
    skip_invalid: Annotated[bool, Form()] = False,
    encoding: Annotated[Encoding, Form()] = "",
    expect: Annotated[str | None, Form(max_length=64)] = None,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """Preview a file's import (nothing recorded), or record the file the preview read."""
    reader = _reader(request, registry)
    OFFICE.check_csrf(request, reader, csrf)
    digest = _sha256(file.file)
    if mode == "record" and expect != digest:
        raise Conflict(
            "the file chosen is not the file previewed (its SHA-256 differs): preview it "
            "first, then record it from the preview's page"
        )
    name = file.filename or "上传的文件"
    report = import_file(
        registry,
        kind,
        file.file,
        by=reader.official.code,
        source=name,
        skip_invalid=skip_invalid,
        dry_run=mode == "preview",
        encoding=encoding or None,
    )
    status = 422 if report.refused else 200
    return _page(
        request,
        "report.html",
        status,
        reader=reader,
        kind=kind,
        name=name,
        digest=digest,
        mode=mode,
        skip_invalid=skip_invalid,
        encoding=encoding,
        refused=report.refused,
        report=report_answer(report),
        writable=writable(reader.official),
    )


@router.get("/exports/{registry}")
def export(registry: Registry, request: Request, service: RegistryDep, at: AtDep) -> Response:
    """The official's own division's entries of a registry as an .xlsx file an import reads
    back unchanged (``GET /exports/{registry}``, reached with the session): the file to edit
    and import again."""
    official = _reader(request, service).official
    data, count, warnings = export_bytes(
        at.ledger, registry, ".xlsx", "zh", as_of=at.position if at.asked else None,
        by=official.code,
    )  # fmt: skip
    name = f"{registry}-{official.division}.xlsx"
    disposition = f'attachment; filename="{name}"'
    response = Response(data, media_type=XLSX, headers={"Content-Disposition": disposition})
    response.headers.update({**HEADERS, "Registry-Rows": str(count)})
    for header, value in warning_headers(warnings):
        response.headers.append(header, value)
    return response


def _sha256(data: BinaryIO) -> str:
    """The SHA-256 of an upload's spooled file, read from its start; the file is left at its
    start for the import to read."""
    data.seek(0)
    digest = hashlib.sha256()
    while chunk := data.read(1 << 20):
        digest.update(chunk)
    data.seek(0)
    return digest.hexdigest()


def _problem_page(request: Request, status: int, heading: str, detail: str) -> Response:
    back = page_problems.came_from(request, PATH)
    return _page(
        request, "problem.html", status, heading=heading, detail=detail, code=status, back=back
    )


def install(app: FastAPI) -> None:
    """Add the registry office's pages, their style, their problem pages and the redirect to
    the login form for a request without a valid credential."""
    page_problems.install(app, _problem_page, PATH)  # a fault (500) too
    app.include_router(router)
    app.mount(f"{PATH}/static", StaticFiles(directory=HERE / "static"), name="office-static")
    page_session.install(app)
