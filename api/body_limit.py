"""Request bodies are limited before anything reads them: 413 beyond the limit.

An ASGI middleware, outside routing, authentication and form parsing. A declared
``Content-Length`` over the limit is refused before a byte of the body is read; a body without
one (chunked) is counted while it streams and refused as soon as it passes the limit, so the
application never sees (nor spools to disk) more than the limit. Uploads (``multipart/form-data``:
imports, evidence) have their own, larger limit; every other body (JSON) the smaller one. An
upload's token is checked before its body is read at all (``upload_gate.py``, inside this one).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import problem

MIB = 1024 * 1024
DEFAULT_BODY_LIMIT = 1 * MIB
DEFAULT_UPLOAD_LIMIT = 65 * MIB  # a 64 MiB evidence file (the most it may be) and its form


@dataclass(frozen=True)
class BodyLimits:
    """The largest request bodies accepted, in bytes."""

    body: int = DEFAULT_BODY_LIMIT  # JSON and any other body
    upload: int = DEFAULT_UPLOAD_LIMIT  # multipart/form-data: imports and evidence

    def for_content_type(self, content_type: str) -> tuple[int, str]:
        if is_upload(content_type):
            return self.upload, "上传文件（multipart/form-data）"
        return self.body, "上传文件以外的请求体"


def is_upload(content_type: str) -> bool:
    """Whether a request with this ``Content-Type`` is an upload (a form with files)."""
    return content_type.split(";")[0].strip().lower() == "multipart/form-data"


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware enforcing ``BodyLimits`` (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        limit, kind = self.limits.for_content_type(headers.get("content-type", ""))
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit, kind)
            return
        received = 0
        refused = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:  # what the application answers to the cut-off body is replaced
                return
            started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _TooLarge:
            pass
        except Exception:
            if not refused:
                raise
        if refused and not started:
            await self._refuse(scope, receive, send, limit, kind)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int, kind: str) -> None:
        detail = (
            f"请求体超过 {_size(limit)}，即{kind}的上限；请发送较小的请求体"
            "（上限见 drawledger.toml 的 [service] 表）"
        )
        response = problem(413, "body_too_large", detail, limit=limit)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _size(n: int) -> str:
    return f"{n // MIB} MiB（{n} 字节）" if n % MIB == 0 else f"{n} 字节"
