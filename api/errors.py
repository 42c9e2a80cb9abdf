"""The one place where domain errors become HTTP responses: problem+json (RFC 9457), or on a
route whose readers are people (the public column's pages) that problem as a page
(``add_problem_page``), with the same status and words."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import InternalError as StoreInternalError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DatabaseError as ReadDatabaseError
from sqlalchemy.exc import InterfaceError as ReadInterfaceError
from sqlalchemy.exc import OperationalError as ReadOperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ledger.errors import (
    BadInput,
    ConfigurationError,
    Conflict,
    Forbidden,
    LedgerError,
    NotFound,
    NotSealedYet,
    TamperedEvent,
    bounded,
    shown,
)
from ledger.fields import InvalidFields
from projections.follower import ReadModelsBehind
from projections.tracking import ReadModelMismatch

from . import problem_texts
from .as_of import AsOfNotSupported
from .deps import NotAuthenticated
from .login_throttle import TooManyFailures

log = logging.getLogger(__name__)

# Each kind of domain error: its status and its code (the problem's stable, English name; its
# Chinese title and detail from ``api/problem_texts.py``).
_STATUS: list[tuple[type[LedgerError], int, str]] = [
    (NotAuthenticated, 401, "not_authenticated"),
    (TooManyFailures, 429, "too_many_failures"),
    (ReadModelsBehind, 503, "read_models_behind"),
    (NotSealedYet, 503, "not_sealed_yet"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (AsOfNotSupported, 422, "as_of_not_supported"),
    (BadInput, 422, "bad_input"),
    (Forbidden, 403, "forbidden"),
    (TamperedEvent, 500, "tampered_event"),
    (ConfigurationError, 500, "ledger_misconfigured"),
    (ReadModelMismatch, 500, "read_model_mismatch"),
]


# The store cannot serve the request: 503, saying why, never 500. (The SQLite driver's own
# error escapes the library where it opens a connection: a full disk at a start.)
_STORE_FAILURES = (
    sqlite3.OperationalError,
    StoreOperationalError,
    StoreInterfaceError,
    StoreInternalError,
    ReadOperationalError,
    ReadInterfaceError,
)


def store_problem(exc: Exception) -> tuple[str, str]:
    """Code and detail of a 503 for a store that failed (read-only, full, unreachable): in
    Chinese; the database's own words go to the log only."""
    code, detail = problem_texts.store_problem(str(exc))
    log.error("%s: %s", code, _first_line(exc))
    return code, detail


def store_failure_problem(exc: Exception) -> JSONResponse | None:
    """The 503 for an exception of a store that failed; None for any other exception."""
    if not isinstance(exc, _STORE_FAILURES):
        return None
    code, detail = store_problem(exc)
    return problem(503, code, detail)


def damaged_read_models_problem(exc: ReadDatabaseError) -> JSONResponse | None:
    """The 503 for read models whose SQLite file is damaged (the service goes on recording
    commands; a restart sets the file aside and rebuilds it); None for any other error."""
    if not any(w in str(exc.orig).lower() for w in problem_texts.DAMAGED_WORDS):
        return None
    log.error("读取模型已损坏：%s (read_models_damaged)", _first_line(exc))
    return problem(503, "read_models_damaged", problem_texts.READ_MODELS_DAMAGED)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json answer: ``code`` (and ``type``) stable and English, ``title`` from
    ``api/problem_texts.TITLES``, ``detail`` the Chinese words of what was wrong."""
    detail = bounded(detail)  # no unbounded input value echoed (ledger.errors.bounded)
    body = {
        "type": problem_texts.TYPE_PREFIX + code,
        "code": code,
        "title": problem_texts.title(code),
        "status": status,
        "detail": detail,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


# A page for a problem: given the request and the problem+json body, the page a person reading
# that route is shown instead (same status), or None to answer the problem+json itself.
ProblemPage = Callable[[Request, dict[str, Any]], Response | None]
# Headers a problem carries that its page keeps.
_KEPT = ("retry-after", "www-authenticate", "allow")


def add_problem_page(app: FastAPI, page: ProblemPage) -> None:
    """Answer the problems of the routes ``page`` takes as its pages (the public column's)."""
    app.state.problem_pages = [*getattr(app.state, "problem_pages", []), page]


def answered(request: Request, response: JSONResponse) -> Response:
    """A problem as the route asked answers it: the page of the first ``add_problem_page``
    that takes the request, else the problem+json itself."""
    for page in getattr(request.app.state, "problem_pages", []):
        shown = page(request, json.loads(bytes(response.body)))
        if shown is not None:
            shown.headers.update({k: v for k, v in response.headers.items() if k in _KEPT})
            return shown
    return response


def code_of(exc: LedgerError) -> tuple[int, str]:
    """The status and code of a domain error."""
    return next(((s, c) for k, s, c in _STATUS if isinstance(exc, k)), (500, "error"))


def detail_of(exc: LedgerError) -> str:
    """The Chinese detail of a domain error (each bad field named, with its value)."""
    status, code = code_of(exc)
    if status >= 500:  # the service's own fault: Chinese words, the English in the log only
        if status == 500:
            log.error("%s: %s", code, exc)
        return problem_texts.fault_detail(status, code, str(exc))
    if isinstance(exc, InvalidFields) and exc.problems:  # a whole file refused has none
        return "；".join(
            f"{p.field}（{_quoted(p.value)}）：{problem_texts.rule_text(p.message)}"
            for p in exc.problems
        )
    return problem_texts.domain_detail(code, str(exc))


def refusal_text(exc: LedgerError) -> str:
    """A refusal as the command line prints it: ``错误（code）：`` and the Chinese detail, the
    code the problem's stable English name (the service would answer the same). A fault of
    the ledger's setup (a key, the configuration) is told in full: the one running the command
    is the one to mend it."""
    code = code_of(exc)[1]
    if isinstance(exc, InvalidFields):
        return bounded(f"错误（{code}）：{detail_of(exc)}")
    return bounded(f"错误（{code}）：{problem_texts.domain_detail(code, str(exc))}")


def store_refusal_text(exc: Exception) -> str | None:
    """A store that failed under a command (unreachable, read-only, full), as the command line
    prints it: the service's code and Chinese detail, then the database's own first line (the
    one running the command is the one to mend it); None for any other exception."""
    if not isinstance(exc, _STORE_FAILURES):
        return None
    code, detail = problem_texts.store_problem(str(exc))
    return bounded(f"错误（{code}）：{detail}（原文：{_first_line(exc)}）")


def file_refusal_text(exc: OSError) -> str:
    """A file or folder a command was told to use and could not, as the command line prints
    it: named, with the system's reason in Chinese (``api/problem_texts.OS_ERRORS``)."""
    where = bounded(str(exc.filename))
    return f"错误（file_unusable）：无法使用 {where}：{problem_texts.os_error_text(exc)}"


def install(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    def _ledger_error(request: Request, exc: LedgerError) -> Response:
        status, code = code_of(exc)
        extra: dict[str, Any] = {}
        if isinstance(exc, InvalidFields):
            extra["problems"] = [
                {
                    "field": p.field,
                    "value": _echo(p.value),
                    "message": bounded(problem_texts.rule_text(p.message)),
                }
                for p in exc.problems
            ]
        if isinstance(exc, ReadModelsBehind | TooManyFailures | NotSealedYet):
            if isinstance(exc, ReadModelsBehind):
                extra = {"read_models_position": exc.at, "ledger_position": exc.head}
            response = problem(status, code, detail_of(exc), **extra)
            response.headers["Retry-After"] = str(exc.retry_after)
            return answered(request, response)
        return answered(request, problem(status, code, detail_of(exc), **extra))

    def _store_failure(request: Request, exc: Exception) -> Response:
        response = store_failure_problem(exc)
        assert response is not None  # registered for the store's failures only
        return answered(request, response)

    for failure in _STORE_FAILURES:
        app.add_exception_handler(failure, _store_failure)

    @app.exception_handler(Exception)
    def _fault(request: Request, exc: Exception) -> Response:
        # Any other exception: a 500 in Chinese, saying nothing of the code; the server logs the
        # exception with its trace (Starlette raises it again after this answer).
        response = store_failure_problem(exc)
        if response is None and isinstance(exc, ReadDatabaseError):
            response = damaged_read_models_problem(exc)
        fault = problem(500, "error", problem_texts.FAULTS["error"])
        return answered(request, response or fault)

    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # The router's own answers (no such path, method not allowed) as problems too.
        code, detail = problem_texts.ROUTER.get(
            exc.status_code, ("error", f"请求未能处理（{exc.detail}）")
        )
        response = problem(exc.status_code, code, detail)
        response.headers.update(exc.headers or {})
        return answered(request, response)

    @app.exception_handler(RequestValidationError)
    def _request_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {
                "field": ".".join(str(part) for part in error["loc"][1:]) or str(error["loc"][0]),
                "value": _echo(jsonable_encoder(error.get("input"))),
                "message": problem_texts.validation_text(error),
            }
            for error in exc.errors()
        ]
        detail = "；".join(
            f"{p['field']}（{_quoted(p['value'])}）：{p['message']}"
            if error.get("type") != "missing"
            else f"{p['field']}：{p['message']}"
            for p, error in zip(problems, exc.errors(), strict=True)
        )
        return answered(request, problem(422, "bad_input", detail, problems=problems))


def _quoted(value: Any) -> str:
    """A refused field's value as a detail quotes it (cut short)."""
    return repr(_echo(value))


def _echo(value: Any) -> Any:
    """A refused value as a problem quotes it: a lone surrogate, which no UTF-8 body can carry,
    is written as its escape (``\\ud800``)."""
    if isinstance(value, str):
        return shown(value).encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict | list):
        value = shown(value)
    if isinstance(value, dict):
        return {_echo(k): _echo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_echo(v) for v in value]
    return value
