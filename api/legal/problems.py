"""A problem on a legal page, shown to a browser as a page in Chinese: the same status and the
same words as the API's problem+json (``api/errors.py``), which any other client still gets."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from starlette.responses import Response

HEADINGS = {
    401: "需要登录",
    403: "无权查看或办理",
    404: "未找到",
    409: "冲突",
    422: "请求有误",
    500: "服务出错",
    503: "服务暂不可用",
}
PROBLEM = "application/problem+json"


def for_browser(render: Callable[..., Response]) -> Callable[..., Awaitable[Response]]:
    """A middleware that turns a problem on a ``/legal`` page (not its static files) asked for by
    a browser (``Accept: text/html``) into ``render(request, status, heading, detail)``."""

    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        path = request.url.path
        if (
            not path.startswith("/legal")
            or path.startswith("/legal/static")
            or not response.headers.get("content-type", "").startswith(PROBLEM)
            or "text/html" not in request.headers.get("accept", "")
        ):
            return response
        body = b"".join([chunk async for chunk in _body(response)])
        problem: dict[str, Any] = json.loads(body)
        status = response.status_code
        page = render(request, status, HEADINGS.get(status, "出错"), str(problem.get("detail")))
        for name in ("Ledger-As-Of", "Retry-After"):
            if name in response.headers:
                page.headers[name] = response.headers[name]
        return page

    return middleware


async def _body(response: Response) -> Any:
    iterator = getattr(response, "body_iterator", None)
    if iterator is None:
        yield response.body
        return
    async for chunk in iterator:
        yield chunk if isinstance(chunk, bytes) else chunk.encode("utf-8")
