"""What the public reads holds no personal data (issue 13, part 7): every page of the public
column reached from its front page, its feed, and every GET endpoint that needs no token, over a
demo year with individuals and declared recusals. No individual's name or ID number, and no
recusal's reason (the public sees that an inspector stood aside, not why: DOMAIN.md) appears in
any answer. Officers' names and certificate numbers may (执法公示)."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.public_column.pages import ERASED, PRIVATE, _describe
from ledger.application import LedgerApp
from ledger.demo.bureau import build_demo
from ledger.demo.changzhou import CONFLICT_REASONS
from ledger.draws.service import Draws
from ledger.registry.exports import current
from ledger.registry.service import Registry
from ledger.storage import persistence_env
from projections import queries
from verify.keys import SignerKey

PAGES = 400  # a bound on the crawl
SUBSTITUTION_REASON = "回避：与该单位负责人系近亲属"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [v for k, v in attrs if k == "href" and v]


@pytest.fixture(scope="module")
def public(tmp_path_factory) -> Iterator[tuple[TestClient, list[str]]]:  # type: ignore[no-untyped-def]
    """The demo year's service (SQLite: what is shown does not depend on the store), and what
    must never reach the public. One for the module (the erasure test runs last)."""
    signer = SignerKey.generate("drawledger.test/ledger")
    where = tmp_path_factory.mktemp("public")
    ledger = LedgerApp(
        persistence_env("sqlite:///ledger.sqlite", where), signer, signer.name, seal_interval=0
    )
    ledger.create_ledger()
    ledger.set_default_policy()
    build_demo(ledger, targets=200, inspectors=24, plans_and_draws=True)
    client = TestClient(create_app(ledger))
    yield client, personal_secrets(ledger)
    ledger.close()


def personal_secrets(ledger: LedgerApp) -> list[str]:
    """What must never reach the public: individuals' names and ID numbers, recusal reasons."""
    registry = Registry(ledger)
    # the declared interests and the substitution reason the demo records (ledger/demo/year.py)
    secrets: list[str] = [*CONFLICT_REASONS, SUBSTITUTION_REASON]
    for target in current(ledger, "targets"):
        if target.kind == "individual":
            person, _ = registry.people.reveal(target.code)
            secrets += [str(person["name"]), str(person["identity"])]
    assert len(secrets) > len(CONFLICT_REASONS) + 1, "the demo has individuals"
    substituted = [e for _, e in ledger.records(topics=["draw.inspector_substituted"])]
    assert any(e.envelope["payload"]["reason"] == SUBSTITUTION_REASON for e in substituted)
    return secrets


def _draw_records(client: Any) -> list[str]:
    """The no-login API's record of every draw (``GET /draws/{draw}/record``)."""
    listed = client.app.state.ledger
    return [
        f"/draws/{e.envelope['aggregate']}/record"
        for _, e in listed.records(topics=["draw.opened"])
    ]


def _public_endpoints(openapi: dict[str, Any]) -> list[str]:
    """Every GET path without parameters that needs no token, from the OpenAPI document."""
    return [
        path
        for path, operations in openapi["paths"].items()
        if "get" in operations and not operations["get"].get("security") and "{" not in path
    ]


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s and s in text]


def crawl(
    client: Any, openapi: dict[str, Any], secrets: list[str], pages: int, also: tuple[str, ...] = ()
) -> set[str]:
    """Every public page reached from the column's front page, its feed, every public GET
    endpoint and the paths ``also`` (each draw's no-login record), up to ``pages`` answers;
    fails on one that shows a secret. The paths seen."""
    queue: list[str] = ["/column", "/column/feed.rss", *_public_endpoints(openapi), *also]
    seen: set[str] = set()
    while queue and len(seen) < pages:
        path = queue.pop(0)
        if path in seen or path.startswith(("/docs", "/redoc", "/openapi", "/static")):
            continue
        seen.add(path)
        answer: Any = client.get(path)
        if answer.status_code != 200:
            continue
        text = answer.text
        assert _leaks(text, secrets) == [], f"{path} shows personal data"
        if answer.headers["content-type"].startswith("text/html"):
            page = _Links()
            page.feed(text)
            for link in page.links:
                url = urlsplit(urljoin(f"http://testserver{path}", link))
                if url.hostname == "testserver" and url.path.startswith("/column"):
                    queue.append(url.path + (f"?{url.query}" if url.query else ""))
    return seen


def test_no_public_page_feed_or_endpoint_names_a_person_or_a_recusal_reason(public):
    client, secrets = public
    records = _draw_records(client)
    seen = crawl(client, client.app.openapi(), secrets, PAGES, tuple(records))
    assert all(p in seen for p in records)
    draws = [p for p in seen if p.startswith("/column/draws/")]
    assert len(seen) > 20 and draws, f"the crawl reached too little: {sorted(seen)[:20]}"


def test_an_individual_whose_data_was_erased_is_shown_as_erased_on_draw_pages(public):
    """The demo's draws seldom select its one or two individuals, so the draw page's description
    of a selected target is checked on the registry state the page reads it from."""
    client, secrets = public
    ledger: LedgerApp = client.app.state.ledger  # type: ignore[attr-defined]
    read_models = client.app.state.read_models  # type: ignore[attr-defined]
    state = Draws(ledger).registry_at(None)  # what a draw page reads the selected targets from
    target = next(t for t in state.target_by_key().values() if t.kind == "individual")
    assert _describe(target, queries.erased_targets(read_models.engine))["name"] == PRIVATE
    Registry(ledger).erase_personal_data(
        UUID(target.aggregate), "本人申请删除", "申请书 2026-001", by="szc-legal"
    )
    read_models.current()
    erased = queries.erased_targets(read_models.engine)
    assert erased == {target.aggregate}
    assert _describe(target, erased) == {"name": ERASED, "kind": "个人"}
    assert crawl(client, client.app.openapi(), secrets, 60)  # and still nothing leaks
