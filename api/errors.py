"""The one place where domain errors become HTTP responses (problem+json, RFC 9457)."""

from __future__ import annotations

from fastapi import FastAPI, Request
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

_STATUS: list[tuple[type[LedgerError], int, str]] = [
    (NotFound, 404, "not found"),
    (Conflict, 409, "conflict"),
    (BadInput, 422, "bad input"),
    (Forbidden, 403, "forbidden"),
    (TamperedEvent, 500, "stored event failed verification"),
    (ConfigurationError, 500, "ledger misconfigured"),
]


def problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    def _ledger_error(request: Request, exc: LedgerError) -> JSONResponse:
        for cls, status, title in _STATUS:
            if isinstance(exc, cls):
                return problem(status, title, str(exc))
        return problem(500, "ledger error", str(exc))
