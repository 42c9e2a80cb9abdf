"""On an intranet without internet: every page the service serves (the API docs, the public
column, their scripts and styles) loads only from the service itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.application import LedgerApp
from ledger.demo.bureau import build_demo
from ledger.registry.service import Registry
from ledger.storage import persistence_env

from .test_legal_pages import PYTHON_TEXT

OWN_HOST = "testserver"  # the TestClient's host: links to it are the service's own
OWN_URL = f"http://{OWN_HOST}"
LEGAL_PAGES = 60  # of the legal pages' many trails, enough to reach every kind of page
EXTERNAL = re.compile(r"https?://([A-Za-z0-9.-]*)")
VENDORED = ("/static/docs/", "/legal/static/echarts.min.js")
# Hosts named inside the vendored Swagger UI and ReDoc bundles that the bundles never load from:
# schema identifiers ($id, $schema), links and help texts shown as text, validation examples,
# hashtag links of a Markdown plugin. The validator (validator.swagger.io) is a default that
# /docs switches off (validatorUrl: null, asserted below); ReDoc's logo URL is patched out.
NAMED_NOT_LOADED = {
    "",  # "https://" + host built at run time from the page's own URL
    "api.",  # ReDoc: recognising Redocly registry URLs in an API description
    "base",  # Swagger UI: a dummy base for URL parsing
    "datatracker.ietf.org",
    "example.com",
    "fb.me",
    "git.io",
    "github.com",
    "instagram.com",
    "json-schema.org",
    "marked.js.org",
    "raw.githubusercontent.com",
    "reactjs.org",
    "redocly.com",
    "redux.js.org",
    "soundcloud.com",
    "spdx.org",
    "spec.openapis.org",
    "stackoverflow.com",
    "swagger.io",
    "twitter.com",
    "validator.swagger.io",
    "vladimirgorej.com",
    "www.apache.org",  # ECharts: its licence header, a comment
    "www.facebook.com",
    "www.rfc-editor.org",
    "www.tiktok.com",
    "www.w3.org",
}


class _Page(HTMLParser):
    """The links of an HTML page, and the external URLs it would load."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.loads_external: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_code = tag in ("script", "style")
        for name, value in attrs:
            if not value:
                continue
            if name in ("href", "src"):
                self.links.append(value)
            plain_link = tag == "a" and name == "href"
            if EXTERNAL.search(value) and not plain_link and not name.startswith("xmlns"):
                self.loads_external.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code:  # inline script or style: any external URL may be loaded
            self.loads_external += [f"in <script>/<style>: {m}" for m in _external(data)]


def _external(text: str) -> list[str]:
    return [m.group(0) for m in EXTERNAL.finditer(text) if m.group(1) != OWN_HOST]


def _ledger(tmp_path, signer):  # type: ignore[no-untyped-def]
    """An SQLite ledger: what the pages load does not depend on the store."""
    app = LedgerApp(
        persistence_env("sqlite:///ledger.sqlite", tmp_path), signer, signer.name, seal_interval=0
    )
    app.create_ledger()
    app.set_default_policy()
    return app


@pytest.fixture
def client(tmp_path, signer):  # type: ignore[no-untyped-def]
    ledger = _ledger(tmp_path, signer)
    with TestClient(create_app(ledger)) as c:
        yield c
    ledger.close()


@pytest.fixture
def bureau_client(tmp_path, signer):  # type: ignore[no-untyped-def]
    """The demo bureau with its year of plans and draws: every kind of column page exists."""
    ledger = _ledger(tmp_path, signer)
    summary = build_demo(ledger, targets=200, inspectors=24, plans_and_draws=True)
    legal = Registry(ledger).issue_token("szc-legal", summary.admin)
    with TestClient(create_app(ledger)) as c:
        # The legal office's session: the legal pages (/legal) are crawled logged in.
        login = c.post("/legal/login", data={"token": legal}, headers={"Origin": OWN_URL})
        assert login.status_code == 200 and "/legal/login" not in str(login.url)
        yield c
    ledger.close()


def test_docs_redoc_and_the_public_column_load_nothing_from_the_internet(bureau_client):
    client = bureau_client
    queue = ["/docs", "/redoc", "/column", "/legal", "/legal/dashboards", "/legal/findings"]
    seen: set[str] = set()
    kinds: dict[str, int] = {"html": 0, "asset": 0}
    legal = 0
    while queue and len(seen) < 400:
        path = queue.pop(0)
        if path in seen:
            continue
        if path.startswith("/legal") and not path.startswith("/legal/static"):
            legal += 1
            if legal > LEGAL_PAGES:
                continue
        seen.add(path)
        r = client.get(path)
        assert r.status_code == 200, f"{path}: {r.status_code}"
        kind = r.headers["content-type"].split(";")[0]
        if kind == "text/html":
            kinds["html"] += 1
            page = _Page()
            page.feed(r.text)
            assert page.loads_external == [], f"{path} loads from the internet"
            leaked = PYTHON_TEXT.search(r.text) if path.startswith("/column") else None
            assert leaked is None, f"{path} shows {leaked.group(0)[:120]!r}"
            for link in page.links:
                url = urlsplit(urljoin(f"http://{OWN_HOST}{path}", link))
                inside = url.hostname == OWN_HOST
                crawled = ("/column", "/static", "/docs", "/redoc", "/legal")
                if inside and url.path.startswith(crawled):
                    queue.append(url.path + (f"?{url.query}" if url.query else ""))
        elif kind in ("text/javascript", "application/javascript", "text/css"):
            kinds["asset"] += 1
            hosts = {m.group(1) for m in EXTERNAL.finditer(r.text)} - {OWN_HOST}
            if path.startswith(VENDORED):  # a tuple: the docs' bundles and ECharts
                assert hosts <= NAMED_NOT_LOADED, (
                    f"{path} names new hosts {hosts - NAMED_NOT_LOADED}"
                )
            else:
                assert hosts == set(), f"{path} names external hosts {hosts}"
    # The crawl reached the docs' bundles and the column's pages and script.
    assert {
        "/static/docs/swagger-ui-bundle.js",
        "/static/docs/swagger-ui.css",
        "/static/docs/redoc.standalone.js",
        "/static/docs/favicon-32x32.png",
        "/column/static/check.js",
        "/legal/static/echarts.min.js",
        "/legal/static/charts.js",
        "/legal/static/legal.css",
    } <= seen
    # The crawl went through the legal pages logged in: a trail, an act and its proof.
    assert any(p.startswith("/legal/trail/") for p in seen)
    assert any(p.startswith("/legal/acts/") for p in seen)
    assert kinds["html"] > 5 and kinds["asset"] >= 4


def test_swagger_ui_is_told_not_to_send_the_api_description_to_its_online_validator(client):
    page = client.get("/docs").text
    assert '"validatorUrl": null' in page
    assert "fonts.googleapis.com" not in client.get("/redoc").text


def test_the_vendored_redoc_bundle_no_longer_names_its_logo_cdn(client):
    assert "cdn.redoc.ly" not in client.get("/static/docs/redoc.standalone.js").text
