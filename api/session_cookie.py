"""The staff pages' session cookie: the official's token, when the session began and when it
was last used, sealed with an HMAC, so that a session ends by itself (等保 2.0: automatic logout
on idle) without the service keeping any session state.

The cookie's value is ``s1.<began>.<seen>.<mac>.<token>``: ``began`` and ``seen`` are Unix
seconds, ``mac`` the HMAC-SHA-256, under the service's session key, of the cookie's name, both
times and the token. The session key is derived from the ledger's signing key (SHA-256 under a
label of its own): every worker of a data directory has it, nobody without the key can make or
alter a cookie (a forged ``seen`` fails the HMAC), and rotating the key ends every session.

A session ends ``IDLE`` seconds (30 minutes) after its last request and ``ABSOLUTE`` seconds
(12 hours) after its login, whatever happens in between; each request within those refreshes
``seen`` (``Refresh``: the answer sets the cookie again, unless it sets or clears it itself).
The token inside is still checked on every request (revoked, expired, deactivated).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, NamedTuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.application import LedgerApp

VERSION = "s1"
IDLE = 30 * 60  # seconds without a request after which a session ends
ABSOLUTE = 12 * 60 * 60  # seconds after its login after which a session ends, however used
_LABEL = b"drawledger/page-session/v1\n"
_STATE = "drawledger.page_session"  # the refreshed cookie of this request, in its scope's state


def now() -> int:
    """Now in Unix seconds, as sessions are judged (a test moves it on)."""
    return int(time.time())


def session_key(app: LedgerApp) -> bytes:
    """The key of the pages' session cookies: derived from the ledger's signing key."""
    return hashlib.sha256(_LABEL + app.signer.to_text().encode()).digest()


class Session(NamedTuple):
    token: str
    began: int
    seen: int


def _mac(key: bytes, cookie: str, token: str, began: int, seen: int) -> str:
    message = f"{cookie}\n{began}\n{seen}\n{token}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sealed(key: bytes, cookie: str, session: Session) -> str:
    """The cookie value carrying ``session``."""
    mac = _mac(key, cookie, session.token, session.began, session.seen)
    return f"{VERSION}.{session.began}.{session.seen}.{mac}.{session.token}"


def opened(key: bytes, cookie: str, value: str) -> Session | None:
    """The session a cookie value carries; None if it is malformed or its HMAC is wrong (made
    or changed by someone without the key, or under another key or cookie name)."""
    parts = value.split(".", 4)
    if len(parts) != 5 or parts[0] != VERSION or not (parts[1] + parts[2]).isdigit():
        return None
    began, seen, mac, token = int(parts[1]), int(parts[2]), parts[3], parts[4]
    if not hmac.compare_digest(mac, _mac(key, cookie, token, began, seen)):
        return None
    return Session(token, began, seen)


def ended(session: Session, at: int) -> str | None:
    """Why the session is over at ``at``: ``"idle"`` (no request for ``IDLE``), ``"timeout"``
    (logged in ``ABSOLUTE`` ago) — or None while it lasts."""
    if at - session.began >= ABSOLUTE or session.began > at + 60:
        return "timeout"
    if at - session.seen >= IDLE:
        return "idle"
    return None


def refresh(scope: Scope, cookie: str, value: str, path: str, secure: bool) -> None:
    """Have this request's answer set the session cookie again (``Refresh``)."""
    scope.setdefault("state", {})[_STATE] = (cookie, value, path, secure)


class Refresh:
    """ASGI middleware: an answer to a request whose session was refreshed (``refresh``) sets
    the cookie again with its new ``seen``, unless the answer sets or clears that cookie itself
    (a login, a logout, a redirect to the login form)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})  # shared with the routes' scope

        async def sending(message: Message) -> None:
            kept = state.get(_STATE)
            if message["type"] == "http.response.start" and kept is not None:
                cookie, value, path, secure = kept
                headers = list(message.get("headers", []))
                named = f"{cookie}=".encode("latin-1")
                if not any(k.lower() == b"set-cookie" and v.startswith(named) for k, v in headers):
                    line = f"{cookie}={value}; HttpOnly; Path={path}; SameSite=strict"
                    headers.append(
                        (b"set-cookie", (line + ("; Secure" if secure else "")).encode())
                    )
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)
