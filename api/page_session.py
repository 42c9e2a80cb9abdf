"""Logging in to the service's own pages with an official's API token: the legal office's
(``/legal``) and the registry office's (``/office``), each a ``PageSession``.

The official pastes their bearer token once into the pages' login form; the service checks it
(a live token of an active official whom the pages admit: ``admits``) and keeps it in the
browser session as a cookie (``session_cookie.py``: the token with when the session began and
was last used, under an HMAC only the service can make) that is

- a session cookie (no expiry: gone when the browser closes; "退出登录" clears it at once), and
  a session that ends by itself 30 minutes after its last request or 12 hours after its login
  (the login form then says "登录已超时，请重新登录"),
- ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (never sent on a request another
  site starts), ``Path=`` the pages' own prefix (never sent to the other pages, the public
  column, the API or anything else the service serves), ``Secure`` when the page came over
  HTTPS.

The token itself is checked on every request, so a revoked or expired token or a deactivated
official is out at the next click; the acts a request records name the token they were done
with (``actors.act_with``: the actor's ``token``). Every POST under the prefix (log in, log
out, make a dispute file, import a file) must come from the service's own pages: its
``Origin`` (or, without one, its ``Referer``) must be the service's, and a logged-in POST
carries a form field ``csrf`` derived from the token (HMAC-SHA-256 of it under a fixed label):
another site can neither read nor compute it. A request carrying ``Authorization: Bearer``
instead of the cookie is read like any API call (the header is never sent by a browser on its
own, so it needs no CSRF field).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse

from ledger.actors import act_with
from ledger.errors import Forbidden
from ledger.mapper import parse_time
from ledger.registry import tokens
from ledger.registry.officials import Official
from ledger.registry.service import Registry
from ledger.registry.tokens import TokenExpired, token_id_of

from . import session_cookie
from .login_throttle import TooManyFailures, address_of, throttle_of
from .problem_texts import domain_detail
from .session_cookie import (
    ABSOLUTE,
    IDLE,
    Refresh,
    Session,
    ended,
    opened,
    refresh,
    sealed,
    session_key,
)

_CSRF_LABEL = b"drawledger legal pages: csrf"


# Why a session ended, as the login form says it (``?ended=CODE``: a code, never the text, so
# that no link can put words of its own on the form).
ENDED = {
    "expired": "您的令牌已过期，请向系统管理员申请新令牌后重新登录",
    "refused": "登录凭据无效或已吊销，请重新登录",
    "idle": f"登录已超时，请重新登录（{IDLE // 60} 分钟内没有操作）",
    "timeout": f"登录已超时，请重新登录（登录已满 {ABSOLUTE // 3600} 小时）",
}


class LoginNeeded(Exception):
    """No credential, or one that is no longer valid: the pages send the browser to log in,
    saying why (``ended``, a key of ``ENDED``) when a session ended."""

    def __init__(self, why: str, pages: PageSession, ended: str | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.pages = pages  # whose login form the browser is sent to
        self.ended = ended


@dataclass(frozen=True)
class Reader:
    """The official using the pages, the CSRF field of their session, and what every page
    tells them about the token they logged in with (``token_notice``)."""

    official: Official
    csrf: str  # empty for a bearer-header request (no cookie: nothing to forge)
    notice: str = ""


# From how many days before its expiry the pages tell an official their token ends.
NOTICE_DAYS = 14


def token_notice(official: Official, token_id: str) -> str:
    """What the pages say of the token ``token_id`` the official logged in with: that it
    never expires (issued before tokens had a life: to be reissued, as ``drawledger token
    list`` and ``/health`` say to the administrator), or when it expires if within
    ``NOTICE_DAYS`` — so that no one is locked out of the pages unwarned; otherwise nothing."""
    expires = official.token_expires.get(token_id)
    if expires is None:
        return (
            f"您登录所用的访问令牌（{token_id}）没有有效期（在令牌有期限之前签发），"
            "请向系统管理员申请重新签发，并吊销此令牌。"
        )
    left = parse_time(expires) - tokens.clock()
    if left.days >= NOTICE_DAYS:
        return ""
    return (
        f"您登录所用的访问令牌（{token_id}）将于北京时间 {tokens.china_day(expires)} 到期"
        f"（还有 {max(left.days, 0)} 天），请及早向系统管理员申请新令牌。"
    )


def csrf_for(token: str) -> str:
    """The CSRF field of a session holding ``token``."""
    return hmac.new(_CSRF_LABEL, token.encode("utf-8"), hashlib.sha256).hexdigest()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


@dataclass(frozen=True)
class PageSession:
    """The login of one set of pages: its cookie, its path, and whom it admits (``admits``
    raises Forbidden, saying why, for an official the pages are not for)."""

    cookie: str
    path: str
    admits: Callable[[Official], object]

    def reader_of(self, request: Request, registry: Registry) -> Reader:
        """The logged-in official (``LoginNeeded`` without a valid credential; Forbidden for
        an official the pages do not admit)."""
        bearer = _bearer(request)
        token = bearer or self._session_token(request, registry)
        try:
            if bearer:  # a bearer token is a login each time: the throttle counts refusals
                official = throttle_of(request).authenticate(
                    address_of(request.client), registry.authenticate, token
                )
            else:
                official = registry.authenticate(token)
        except Forbidden as e:
            why = domain_detail("forbidden", str(e))  # Chinese, never the English alone
            ended = "expired" if isinstance(e, TokenExpired) else "refused"
            raise LoginNeeded(f"{ENDED[ended]}（{why}）", self, ended) from None
        self.admits(official)
        token_id = token_id_of(token)
        act_with(official.code, token_id)  # the request's acts name the token
        return Reader(official, "" if bearer else csrf_for(token), token_notice(official, token_id))

    def _session_token(self, request: Request, registry: Registry) -> str:
        """The token of the request's session, which is then refreshed (``session_cookie``);
        ``LoginNeeded`` without one, or for one forged, idle for ``IDLE`` or begun ``ABSOLUTE``
        ago (saying which)."""
        value = request.cookies.get(self.cookie)
        if not value:
            raise LoginNeeded("请先登录", self)
        key = session_key(registry.app)
        session = opened(key, self.cookie, value)
        if session is None:
            raise LoginNeeded(ENDED["refused"], self, "refused")
        at = session_cookie.now()
        why = ended(session, at)
        if why is not None:
            raise LoginNeeded(ENDED[why], self, why)
        kept = sealed(key, self.cookie, session._replace(seen=at))
        refresh(request.scope, self.cookie, kept, self.path, request.url.scheme == "https")
        return session.token

    def log_in(self, request: Request, registry: Registry, token: str) -> Official:
        """The official ``token`` authenticates, if the pages admit them (Forbidden
        otherwise, saying why); a refused token is counted by the login throttle
        (TooManyFailures while the request's address is held back)."""
        address = address_of(request.client)
        official = throttle_of(request).authenticate(address, registry.authenticate, token.strip())
        self.admits(official)  # a good token of an official the pages are not for: no guess
        return official

    def logged_in(
        self,
        request: Request,
        registry: Registry,
        token: str,
        next: str,
        refused: Callable[[str], Response],
    ) -> Response:
        """The answer to the login form: the token checked (``log_in``) and kept in the browser
        session, the browser sent on to ``next`` (one of these pages); or ``refused(why)``,
        the form again saying why in Chinese. The form must come from the service's pages."""
        self.same_origin(request)
        try:
            self.log_in(request, registry, token)
        except TooManyFailures as e:  # the form again, saying when to retry: 429
            held = refused(domain_detail("too_many_failures", str(e)))
            held.status_code = 429
            held.headers["Retry-After"] = str(e.retry_after)
            return held
        except Forbidden as e:
            return refused(domain_detail("forbidden", str(e)))  # Chinese, never English alone
        response = RedirectResponse(self.inside(next), status_code=303)
        self.keep(response, request, registry, token)
        return response

    def logged_out(self, request: Request, reader: Reader, csrf: str | None) -> Response:
        """The answer to the logout button: the session ended, the browser sent to the login
        form (the button's CSRF field checked)."""
        self.check_csrf(request, reader, csrf)
        response = RedirectResponse(f"{self.path}/login", status_code=303)
        self.forget(response)
        return response

    def keep(self, response: Response, request: Request, registry: Registry, token: str) -> None:
        """Keep ``token`` in a new browser session (the cookie described above)."""
        at = session_cookie.now()
        session = Session(token.strip(), at, at)
        response.set_cookie(
            self.cookie,
            sealed(session_key(registry.app), self.cookie, session),
            path=self.path,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def forget(self, response: Response) -> None:
        """End the session: the cookie is cleared."""
        response.delete_cookie(self.cookie, path=self.path, httponly=True, samesite="strict")

    def same_origin(self, request: Request) -> None:
        """Forbidden unless a POST comes from the service's own pages (its ``Origin``, or
        without one its ``Referer``, is this service; a browser that names neither is refused
        too)."""
        own = f"{request.url.scheme}://{request.url.netloc}"
        origin = request.headers.get("origin")
        if origin is None:
            referer = request.headers.get("referer")
            if referer is None:
                raise Forbidden(
                    f"a form of the pages under {self.path} is posted from their own pages only"
                )
            parts = urlsplit(referer)
            origin = f"{parts.scheme}://{parts.netloc}"
        if origin != own:
            raise Forbidden(
                f"a form of the pages under {self.path} is posted from {own} only, not {origin}"
            )

    def check_csrf(self, request: Request, reader: Reader, field: str | None) -> None:
        """Forbidden unless a logged-in POST carries its session's CSRF field (a bearer-header
        request needs none) and comes from the service's own pages."""
        if not reader.csrf:
            return
        self.same_origin(request)
        if field is None or not hmac.compare_digest(field, reader.csrf):
            raise Forbidden("the form's csrf field is missing or wrong: reload the page and retry")

    def inside(self, target: str) -> str:
        """Where to go after logging in: one of these pages, never another site."""
        inside = target.startswith(self.path) and "//" not in target
        return target if inside else self.path


def install(app: FastAPI) -> None:
    """Send a browser without a valid credential on any of the pages to their login form
    (its cookie cleared), back to the page it asked for once logged in."""

    if getattr(app.state, "page_sessions", False):
        return  # installed by the other pages already
    app.state.page_sessions = True
    app.add_middleware(Refresh)  # a session's cookie set again with each request's time

    @app.exception_handler(LoginNeeded)
    async def _login(request: Request, e: LoginNeeded) -> Response:
        query = {"next": request.url.path, **({"ended": e.ended} if e.ended else {})}
        target = urlencode(query)
        response = RedirectResponse(f"{e.pages.path}/login?{target}", status_code=303)
        e.pages.forget(response)
        return response
