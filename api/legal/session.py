"""Logging in to the legal pages (``/legal``) with an official's API token.

The official pastes their bearer token once into ``/legal/login``; the service checks it
(a live token of an active official holding ``oversight.read``: an auditor or the legal
office) and keeps it in the browser session as a cookie that is

- a session cookie (no expiry: gone when the browser closes; "退出登录" clears it at once),
- ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (never sent on a request another
  site starts), ``Path=/legal`` (never sent to the public column, the API or anything else the
  service serves), ``Secure`` when the page came over HTTPS.

The token itself is checked on every request, so a revoked token or a deactivated official is
out at the next click. Every POST under ``/legal`` (log in, log out, make a dispute file) must
come from the service's own pages: its ``Origin`` (or, without one, its ``Referer``) must be
the service's, and a logged-in POST carries a form field ``csrf`` derived from the token
(HMAC-SHA-256 of it under a fixed label): another site can neither read nor compute it.
A request carrying ``Authorization: Bearer`` instead of the cookie is read like any API call
(the header is never sent by a browser on its own, so it needs no CSRF field).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response

from ledger.errors import Forbidden
from ledger.registry.authority import authorise
from ledger.registry.officials import Official
from ledger.registry.service import Registry

from ..problem_texts import domain_detail

COOKIE = "drawledger_legal"
PATH = "/legal"
READ = "oversight.read"
_CSRF_LABEL = b"drawledger legal pages: csrf"


class LoginNeeded(Exception):
    """No credential, or one that is no longer valid: the pages send the browser to log in."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class Reader:
    """The official reading the legal pages, and the CSRF field of their session."""

    official: Official
    csrf: str  # empty for a bearer-header request (no cookie: nothing to forge)


def csrf_for(token: str) -> str:
    """The CSRF field of a session holding ``token``."""
    return hmac.new(_CSRF_LABEL, token.encode("utf-8"), hashlib.sha256).hexdigest()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def reader_of(request: Request, registry: Registry) -> Reader:
    """The logged-in reader (``LoginNeeded`` without a valid credential; Forbidden for an
    official who does not hold ``oversight.read``): ``api/deps.py``'s ``ReaderDep``."""
    bearer = _bearer(request)
    token = bearer or request.cookies.get(COOKIE)
    if not token:
        raise LoginNeeded("请先登录")
    try:
        official = registry.authenticate(token)
    except Forbidden as e:
        why = domain_detail("forbidden", str(e))  # Chinese, never the English alone
        raise LoginNeeded(f"登录凭据无效或已注销，请重新登录（{why}）") from None
    authorise(official, READ)  # Forbidden: not an auditor or the legal office
    return Reader(official, "" if bearer else csrf_for(token))


def log_in(registry: Registry, token: str) -> Official:
    """The official ``token`` authenticates, if they may read the legal pages (Forbidden
    otherwise, saying why)."""
    official = registry.authenticate(token.strip())
    authorise(official, READ)
    return official


def keep(response: Response, request: Request, token: str) -> None:
    """Keep ``token`` in the browser session (the cookie described above)."""
    response.set_cookie(
        COOKIE,
        token.strip(),
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget(response: Response) -> None:
    """End the session: the cookie is cleared."""
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")


def same_origin(request: Request) -> None:
    """Forbidden unless a POST comes from the service's own pages (its ``Origin``, or without
    one its ``Referer``, is this service; a browser that names neither is refused too)."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if referer is None:
            raise Forbidden("a form of the legal pages is posted from their own pages only")
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin != own:
        raise Forbidden(f"a form of the legal pages is posted from {own} only, not {origin}")


def check_csrf(request: Request, reader: Reader, field: str | None) -> None:
    """Forbidden unless a logged-in POST carries its session's CSRF field (a bearer-header
    request needs none) and comes from the service's own pages."""
    if not reader.csrf:
        return
    same_origin(request)
    if field is None or not hmac.compare_digest(field, reader.csrf):
        raise Forbidden("the form's csrf field is missing or wrong: reload the page and retry")
