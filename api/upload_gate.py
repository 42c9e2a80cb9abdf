"""An upload's token is checked before a byte of its body is read.

Every route that takes an upload (``multipart/form-data``: registry imports, inspection
evidence) needs an official's token, and an upload may be as large as the upload limit (65 MiB
by default) — streamed in chunks without a ``Content-Length``, it would otherwise be read up to
that limit (and spooled to disk by the form parser) before the route's dependency answers 401.
This ASGI middleware, inside the body limit and outside everything else, answers an upload
without a token 401, one with a refused token 403 (counted by the login throttle,
``login_throttle.py``) and one from an address the throttle holds back 429 before it reads the
body; the route then
authenticates the request again as every route does (and checks the role). Other bodies (JSON)
are small (1 MiB by default) and some routes take them without a token (a witness's
cosignature), so they are left to the routes.

A page of the service's own that takes an upload (the registry office's import form,
``api/office``) carries the token in its session cookie instead of the header: ``cookies``
names, by path prefix, the cookie the gate reads there when the header is absent (a session
cookie sealed with ``session_key``: one that does not open is no token; whether the session is
over is for the route to say).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http.cookies import SimpleCookie

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ledger.errors import Forbidden

from .body_limit import is_upload
from .errors import detail_of, problem, store_failure_problem
from .login_throttle import LoginThrottle, TooManyFailures, address_of
from .session_cookie import opened


class UploadGate:
    """ASGI middleware: ``authenticate(token)`` (raising Forbidden) before an upload is read."""

    def __init__(
        self,
        app: ASGIApp,
        authenticate: Callable[[str], object],
        cookies: Mapping[str, str] | None = None,
        session_key: bytes = b"",
        throttle: LoginThrottle | None = None,
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.cookies = dict(cookies or {})  # path prefix -> the session cookie read there
        self.session_key = session_key  # what seals those cookies (``session_cookie.py``)
        self.throttle = throttle or LoginThrottle()  # refused tokens per address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_upload(_header(scope, b"content-type")):
            await self.app(scope, receive, send)
            return
        scheme, _, token = _header(scope, b"authorization").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            scheme, token = "bearer", self._session_token(scope)
        if not token.strip():
            detail = "上传文件须带请求头 'Authorization: Bearer <令牌>'；在读取文件内容之前即已拒绝"
            await problem(401, "not_authenticated", detail)(scope, receive, send)
            return
        address = address_of(scope.get("client"))
        try:
            await run_in_threadpool(
                self.throttle.authenticate, address, self.authenticate, token.strip()
            )
        except TooManyFailures as e:
            refused = problem(429, "too_many_failures", detail_of(e))
            refused.headers["Retry-After"] = str(e.retry_after)
            await refused(scope, receive, send)
            return
        except Forbidden as e:
            await problem(403, "forbidden", detail_of(e))(scope, receive, send)
            return
        except Exception as e:  # the store could not be asked: 503 saying why, or re-raised
            response = store_failure_problem(e)
            if response is None:
                raise
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _session_token(self, scope: Scope) -> str:
        """The token in the session cookie of the pages the request is for, if any."""
        path = str(scope.get("path", ""))
        for prefix, name in self.cookies.items():
            if path == prefix or path.startswith(prefix + "/"):
                jar: SimpleCookie = SimpleCookie()
                try:
                    jar.load(_header(scope, b"cookie"))
                except Exception:  # a malformed Cookie header: no session
                    return ""
                session = opened(self.session_key, name, jar[name].value) if name in jar else None
                return session.token if session is not None else ""
        return ""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""
