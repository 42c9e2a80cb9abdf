"""A problem on one of the service's own pages (``/legal``, ``/office``), shown to a browser as
a page in Chinese: the same status and the same words as the API's problem+json
(``api/errors.py``), which any other client still gets.

Two ways in, one rule (``is_page``), both set up by ``install``: ``page_for`` renders the
problems of the service's error handlers (``api/errors.add_problem_page``), a fault of the
service (500) among them, which reaches no middleware; one middleware for every set of pages,
those answered outside the handlers (the body limit's, the upload gate's)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from starlette.responses import Response

from . import errors
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
# The pages' form fields and query parameters as their forms name them to the person, for a
# refused request's problem (the API's problem+json keeps the fields' own names).
FIELDS = {
    "as_of": "截至",
    "code": "代码或编号",
    "encoding": "编码",
    "entity": "对象",
    "expect": "文件校验值",
    "file": "文件",
    "inspector": "检查人员",
    "key": "编号",
    "kind": "类别",
    "mode": "办理方式",
    "next": "登录后前往",
    "reason": "理由",
    "recorded": "记录位置",
    "skip_invalid": "跳过有误的行",
    "source": "依据",
    "status": "状态",
    "target": "检查对象",
    "token": "令牌",
}


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
        return render(request, status, HEADINGS.get(status, "出错"), page_detail(problem))

    return page


def page_detail(problem: dict[str, Any]) -> str:
    """A problem's detail as a page says it: a refused form field or parameter by the name its
    form gives it (``FIELDS``) and the value as typed, or nothing for a blank one; any other
    problem's detail as the API's."""
    fields = problem.get("problems")
    if problem.get("code") != "bad_input" or not isinstance(fields, list):
        return str(problem["detail"])
    said = []
    for field in fields:
        name = FIELDS.get(str(field.get("field")), str(field.get("field")))
        value = field.get("value")
        shown = (
            f"（“{value}”）" if isinstance(value, str | int | float) and str(value).strip() else ""
        )
        said.append(f"{name}{shown}：{field.get('message')}")
    return "；".join(said)


def came_from(request: Request, prefix: str) -> str | None:
    """The page under ``prefix`` of this service the request came from (its ``Referer``), as a
    path and query to link back to; None if it came from anywhere else or says nothing."""
    parts = urlsplit(request.headers.get("referer", ""))
    if parts.netloc != request.url.netloc or not (
        parts.path == prefix or parts.path.startswith(prefix + "/")
    ):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def install(app: FastAPI, render: Callable[..., Response], prefix: str) -> None:
    """Show the problems of the pages under ``prefix`` as ``render(request, status, heading,
    detail)``: those the error handlers answer (``api/errors.add_problem_page``, a fault of the
    service's too) and those answered outside them (the body limit's, the upload gate's),
    through one middleware for every set of pages (each middleware costs every request)."""
    errors.add_problem_page(app, page_for(render, prefix))
    renderers: dict[str, Callable[..., Response]] | None = getattr(
        app.state, "page_renderers", None
    )
    if renderers is None:
        renderers = app.state.page_renderers = {}
        app.middleware("http")(_for_browser(renderers))
    renderers[prefix] = render


def _for_browser(
    renderers: dict[str, Callable[..., Response]],
) -> Callable[..., Awaitable[Response]]:
    """A middleware that turns a problem answered outside the error handlers on a page under
    one of ``renderers``' prefixes (``is_page``) into that prefix's page."""

    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        kind = response.headers.get("content-type", "")
        if not kind.startswith(PROBLEM):
            return response
        render = next((r for p, r in renderers.items() if is_page(request, p)), None)
        if render is None:
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
