"""The one place where domain errors become HTTP responses (problem+json, RFC 9457)."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import InternalError as StoreInternalError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError as ReadInterfaceError
from sqlalchemy.exc import OperationalError as ReadOperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.errors import (
    BadInput,
    ConfigurationError,
    Conflict,
    Forbidden,
    LedgerError,
    NotFound,
    TamperedEvent,
    bounded,
    shown,
)
from ledger.fields import InvalidFields
from projections.follower import ReadModelsBehind
from projections.tracking import ReadModelMismatch

from .deps import NotAuthenticated

_STATUS: list[tuple[type[LedgerError], int, str]] = [
    (NotAuthenticated, 401, "not authenticated"),
    (ReadModelsBehind, 503, "read models catching up"),
    (NotFound, 404, "not found"),
    (Conflict, 409, "conflict"),
    (BadInput, 422, "bad input"),
    (Forbidden, 403, "forbidden"),
    (TamperedEvent, 500, "stored event failed verification"),
    (ConfigurationError, 500, "ledger misconfigured"),
    (ReadModelMismatch, 500, "read model disagrees with the log"),
]


# The store cannot serve the request: 503, saying why, never 500. Told apart by the database's
# own words (SQLite: "attempt to write a readonly database", "database or disk is full";
# PostgreSQL: "read-only transaction", "No space left on device", "could not extend file").
_STORE_FAILURES = (
    StoreOperationalError,
    StoreInterfaceError,
    StoreInternalError,
    ReadOperationalError,
    ReadInterfaceError,
)
_STORE_PROBLEMS = [
    (
        ("readonly", "read-only", "read only"),
        "store is read-only",
        "the database refuses writes (read-only file, file system or server): make it "
        "writable again; what is recorded can still be read",
    ),
    (
        ("disk is full", "no space left", "could not extend file", "disk full"),
        "store is full",
        "the disk holding the database is full: free space or move the data directory; "
        "what is recorded can still be read",
    ),
]


def store_problem(exc: Exception) -> tuple[str, str]:
    """Title and detail of a 503 for a store that failed (read-only, full, unreachable)."""
    text = str(exc).lower()
    for words, title, detail in _STORE_PROBLEMS:
        if any(w in text for w in words):
            return title, f"{detail} ({_first_line(exc)})"
    return "store unavailable", f"the database cannot be reached or used: {_first_line(exc)}"


def store_failure_problem(exc: Exception) -> JSONResponse | None:
    """The 503 for an exception of a store that failed; None for any other exception."""
    if not isinstance(exc, _STORE_FAILURES):
        return None
    title, detail = store_problem(exc)
    return problem(503, title, detail)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    detail = bounded(detail)  # no unbounded input value echoed (ledger.errors.bounded)
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    def _ledger_error(request: Request, exc: LedgerError) -> JSONResponse:
        status, title = next(((s, t) for c, s, t in _STATUS if isinstance(exc, c)), (500, "error"))
        extra: dict[str, Any] = {}
        if isinstance(exc, InvalidFields):
            extra["problems"] = [
                {"field": p.field, "value": _echo(p.value), "message": bounded(p.message)}
                for p in exc.problems
            ]
        if isinstance(exc, ReadModelsBehind):
            extra = {"read_models_position": exc.at, "ledger_position": exc.head}
            response = problem(status, title, str(exc), **extra)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        return problem(status, title, str(exc), **extra)

    def _store_failure(request: Request, exc: Exception) -> JSONResponse:
        response = store_failure_problem(exc)
        assert response is not None  # registered for the store's failures only
        return response

    for failure in _STORE_FAILURES:
        app.add_exception_handler(failure, _store_failure)

    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # The router's own answers (no such path, method not allowed) as problems too.
        response = problem(exc.status_code, str(exc.detail), str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    def _request_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(part) for part in error["loc"][1:]) or str(error["loc"][0]),
                "value": _echo(jsonable_encoder(error.get("input"))),
                "message": error["msg"],
            }
            for error in exc.errors()
        ]
        detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return problem(422, "bad input", detail, problems=problems)


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
