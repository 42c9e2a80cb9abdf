"""A problem on one of the service's own pages (``/legal``, ``/office``), shown to a browser as
a page in Chinese: the same status and the same words as the API's problem+json
(``api/errors.py``), which any other client still gets.

Two ways in, one rule (``is_page``): ``page_for`` renders the problems of the service's error
handlers (``api/errors.add_problem_page``), a fault of the service (500) among them, which
reaches no middleware; ``for_browser``, a middleware, those answered outside the handlers (the
body limit's, the upload gate's)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from starlette.responses import Response

from .errors import ProblemPage

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


def is_page(request: Request, prefix: str) -> bool:
    """Whether a problem is shown as a page: on a page under ``prefix`` (not its static files)
    asked for by a browser (``Accept: text/html``)."""
    path = request.url.path
    return (
        (path == prefix or path.startswith(prefix + "/"))
        and not path.startswith(prefix + "/static")
        and "text/html" in request.headers.get("accept", "")
    )


def page_for(render: Callable[..., Response], prefix: str) -> ProblemPage:
    """The page ``render(request, status, heading, detail)`` for a problem the error handlers
    answer on a page under ``prefix`` (``api/errors.add_problem_page``)."""

    def page(request: Request, problem: dict[str, Any]) -> Response | None:
        if not is_page(request, prefix):
            return None
        status = int(problem["status"])
        return render(request, status, HEADINGS.get(status, "出错"), str(problem["detail"]))

    return page


def for_browser(render: Callable[..., Response], prefix: str) -> Callable[..., Awaitable[Response]]:
    """A middleware that turns a problem answered outside the error handlers on a page under
    ``prefix`` (``is_page``) into ``render(request, status, heading, detail)``."""

    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        kind = response.headers.get("content-type", "")
        if not is_page(request, prefix) or not kind.startswith(PROBLEM):
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
