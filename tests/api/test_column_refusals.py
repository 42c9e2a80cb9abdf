"""The public column's refusals as its visitors read them: every page route of the column (read
from the app's router) answers a bad parameter, an unknown id, a refused ``as_of``, a mistyped
address and a fault of its own as a Chinese page in the column's layout, with the status and the
words the problem+json would have had, the bad value cut short and escaped; the column's machine
routes (feeds, ``record.json``, ``population.txt``) keep problem+json, and so does a page asked
for JSON by name (``api/public_column/refusals.py``)."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from api.app import create_app
from api.problem_texts import FAULTS
from api.public_column.pages import NAVIGATION, Column
from ledger.draws.service import Draws
from ledger.errors import SHOWN
from projections.follower import ReadModelsBehind

from ..ledger.test_draws import run_draw
from .test_error_words import english_words

pytestmark = pytest.mark.parametrize("store_kind", ["sqlite"])

CJK = re.compile(r"[\u3400-\u9fff]")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# the names a refusal may quote: the method, the parameters, the form a draw's id takes
CODES = {"GET", "HTTP", "as_of", "page", "draw", "UUID"}
HOSTILE = "<script>alert(1)</script>" + "x" * 200
# Every route under /column (and /), as the router has it: a page (its refusals pages), a
# machine route (its clients programs: problem+json), the static files, the redirect from /.
PAGES = {
    "/column",
    "/column/results",
    "/column/items",
    "/column/plans",
    "/column/draws",
    "/column/guide",
    "/column/draws/{draw}",
}
MACHINE = {
    "/column/feed.json",
    "/column/feed.rss",
    "/column/draws/{draw}/record.json",
    "/column/draws/{draw}/population.txt",
}


@pytest.fixture
def column(demo_ledger):  # type: ignore[no-untyped-def]
    """The demo bureau with one draw, served; a browser's Accept on every request."""
    ledger, _ = demo_ledger(targets=60, inspectors=24)
    draw, _ = run_draw(Draws(ledger))
    app = create_app(ledger)
    with TestClient(app, raise_server_exceptions=False, headers={"Accept": BROWSER}) as client:
        yield client, draw
    app.state.read_models.close()


def _routes(client: TestClient) -> dict[str, Any]:
    """Every route of the app under /column (and /), walking into included routers."""

    def walk(routes: list[Any]) -> list[Any]:
        found = []
        for route in routes:
            included = getattr(route, "original_router", None)
            found += walk(included.routes) if included is not None else [route]
        return found

    return {
        route.path: route
        for route in walk(client.app.routes)  # type: ignore[attr-defined]
        if route.path == "/" or route.path.startswith("/column")
    }


def _page_routes(client: TestClient) -> set[str]:
    return {
        path
        for path, route in _routes(client).items()
        if isinstance(route, APIRoute) and route.response_class is HTMLResponse
    }


def _visible(page: str) -> str:
    body = page.split("<body>", 1)[1]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _detail(page: str) -> str:
    found = re.search(r'<p class="problem" id="problem">(.*?)</p>', page, re.DOTALL)
    assert found, page[:500]
    return html.unescape(found.group(1))


def assert_refusal_page(response: Any, status: int, names: str, back: str) -> str:
    """``response`` is the column's page for a refusal: ``status``, naming ``names``, linking
    back to ``back``; its problem's detail is returned."""
    page = response.text
    assert response.status_code == status, (response.status_code, page[:300])
    assert response.headers["content-type"].startswith("text/html"), response.headers
    for href, label in NAVIGATION:  # the column's layout: its header and navigation
        assert f'<a href="{html.escape(href)}">{label}</a>' in page, href
    detail = _detail(page)
    assert CJK.search(detail) and names in detail, detail
    assert f'id="back" href="{back}"' in page or f'href="{back}" id="back"' in page, page
    assert "北京时间" in page
    visible = _visible(page)
    assert "Traceback" not in page and '"detail"' not in page and "urn:drawledger" not in page
    # no English but the names of the method, the parameters and the route's path parameter
    assert not english_words(visible) - {names, *CODES}, english_words(visible)
    assert "<script>" not in page  # a value typed into the address is text, never a script
    assert "x" * (SHOWN + 1) not in page  # cut short
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from outside
    return detail


def test_every_route_of_the_column_is_a_page_or_a_machine_route(column):
    """A new route under /column must be put on one side of the rule (and tested here)."""
    client, _ = column
    routes = _routes(client)
    assert _page_routes(client) == PAGES
    assert {p for p, r in routes.items() if isinstance(r, APIRoute)} == PAGES | MACHINE | {"/"}
    assert {p for p, r in routes.items() if isinstance(r, Mount)} == {"/column/static"}
    assert client.get("/?as_of=<script>", follow_redirects=False).headers["location"] == "/column"


def _url(path: str, draw: object) -> str:
    return path.replace("{draw}", str(draw))


def test_a_refused_as_of_on_every_page_is_a_chinese_page(column):
    client, draw = column
    for path in sorted(_page_routes(client)):
        back = "/column/draws" if "{draw}" in path else path
        url = _url(path, draw)
        response = client.get(url, params={"as_of": "3"})
        detail = assert_refusal_page(response, 422, "as_of", back)
        assert "公示专栏" in detail, detail
        # too long for the parameter: refused by its rule, the value escaped and cut short
        response = client.get(url, params={"as_of": HOSTILE})
        detail = assert_refusal_page(response, 422, "as_of", back)
        assert "<script>alert(1)</script>" in detail and "…" in detail, detail
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize(
    ("value", "shown"),
    [("abc", "abc"), ("0", "0"), ("1e20", "1e20"), ("100000000000", "100000000000"), ("-1", "-1")],
)
def test_a_bad_page_number_is_a_chinese_page_naming_page(column, value, shown):
    client, _ = column
    response = client.get("/column/results", params={"page": value, "q": "某公司"})
    detail = assert_refusal_page(response, 422, "page", "/column/results")
    assert f"'{shown}'" in detail, detail


def test_a_hostile_page_number_comes_back_escaped_and_cut_short(column):
    client, _ = column
    response = client.get("/column/results", params={"page": HOSTILE})
    detail = assert_refusal_page(response, 422, "page", "/column/results")
    assert detail.count("x") < SHOWN and "…" in detail, detail
    assert "&lt;script&gt;" in response.text


def test_a_draw_that_is_no_draw_is_a_chinese_page(column):
    client, _ = column
    unknown = uuid.uuid4()
    detail = assert_refusal_page(
        client.get(f"/column/draws/{unknown}"), 404, str(unknown)[:8], "/column/draws"
    )
    for bad in ("nope", "<script>alert(1)", "x" * 300):  # (a "/" would be another path)
        response = client.get(f"/column/draws/{bad}")
        detail = assert_refusal_page(response, 422, "draw", "/column/draws")
        assert bad[:SHOWN] in detail, detail


def test_a_mistyped_address_and_a_wrong_method_are_chinese_pages(column):
    client, _ = column
    assert_refusal_page(client.get("/column/nothing-here"), 404, "路径", "/column")
    wrong = client.post("/column/results")
    assert_refusal_page(wrong, 405, "请求方法", "/column/results")
    assert wrong.headers["Allow"] == "GET"  # the headers of the problem kept on its page


def test_the_page_says_what_the_problem_says(column):
    """One set of words: the page's status, title and detail are the problem+json's, which a
    client asking for JSON by name still gets from the same address."""
    client, draw = column
    for url in (
        "/column/results?page=0",
        f"/column/draws/{uuid.uuid4()}",
        "/column/draws/nope",
        "/column/guide?as_of=2026-01-01",
    ):
        page = client.get(url)
        for accept in ("application/problem+json", "application/json"):
            problem = client.get(url, headers={"Accept": accept})
            assert problem.headers["content-type"] == "application/problem+json", url
            body = problem.json()
            assert page.status_code == problem.status_code == body["status"], url
            assert _detail(page.text) == body["detail"], url
            assert f"<h1>{html.escape(body['title'])}</h1>" in page.text, url


def test_the_machine_routes_keep_problem_json_even_for_a_browser(column):
    client, draw = column
    for url, status in (
        ("/column/feed.json?limit=0", 422),
        ("/column/feed.json?offset=abc", 422),
        ("/column/feed.rss?limit=<script>", 422),
        ("/column/feed.rss?as_of=3", 422),
        (f"/column/draws/{uuid.uuid4()}/record.json", 404),
        ("/column/draws/nope/record.json", 422),
        (f"/column/draws/{draw}/population.txt?as_of=3", 422),
        ("/column/static/nothing.js", 404),
    ):
        response = client.get(url)
        assert response.status_code == status, (url, response.text)
        assert response.headers["content-type"] == "application/problem+json", url
        assert CJK.search(response.json()["detail"]), url


def test_a_fault_of_the_service_is_a_chinese_page(column, monkeypatch):
    client, _ = column

    def broken(self: Column) -> object:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Column, "item_list", broken)
    response = client.get("/column/items")
    assert_refusal_page(response, 500, FAULTS["error"][:4], "/column/items")
    assert "secret" not in response.text and "RuntimeError" not in response.text


def test_read_models_behind_is_a_chinese_page_that_keeps_retry_after(column, monkeypatch):
    client, _ = column

    def behind(self: Column, **_: object) -> object:
        raise ReadModelsBehind(10, 5000, 7)

    monkeypatch.setattr(Column, "publications", behind)
    response = client.get("/column/results")
    assert_refusal_page(response, 503, "7", "/column/results")
    assert response.headers["Retry-After"] == "7"
    feed = client.get("/column/feed.json")  # a program: the problem, with the same header
    assert feed.status_code == 503 and feed.headers["Retry-After"] == "7"
    assert feed.headers["content-type"] == "application/problem+json"
