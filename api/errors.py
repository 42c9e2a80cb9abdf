"""The one place where domain errors become HTTP responses (problem+json, RFC 9457)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ledger.errors import (
    BadInput,
    ConfigurationError,
    Conflict,
    Forbidden,
    LedgerError,
    NotFound,
    TamperedEvent,
)
from ledger.fields import InvalidFields

from .deps import NotAuthenticated

_STATUS: list[tuple[type[LedgerError], int, str]] = [
    (NotAuthenticated, 401, "not authenticated"),
    (NotFound, 404, "not found"),
    (Conflict, 409, "conflict"),
    (BadInput, 422, "bad input"),
    (Forbidden, 403, "forbidden"),
    (TamperedEvent, 500, "stored event failed verification"),
    (ConfigurationError, 500, "ledger misconfigured"),
]


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
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
                {"field": p.field, "value": _echo(p.value), "message": p.message}
                for p in exc.problems
            ]
        return problem(status, title, str(exc), **extra)

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
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_echo(k): _echo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_echo(v) for v in value]
    return value
