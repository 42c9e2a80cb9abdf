"""The public-privacy crawl, the seeded hostile walker and the authorisation matrix against
``drawledger serve --workers 2`` on PostgreSQL (issue 13, part 7): each a bounded, seeded sample
of its in-process test (test_public_privacy.py, test_hostile_parameters.py,
test_authorisation_matrix.py), sent over HTTP to two worker processes that share one store and
its read models. One demo year and one service for the module; loopback only."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest

from ledger.application import LedgerApp
from ledger.demo.bureau import build_demo
from ledger.plans.service import Plans
from ledger.registry.service import Registry

from ..ledger.test_plans import PLAN
from .test_authorisation_matrix import ACTS, OFFICIALS, ggc_records, outside_the_rulebook
from .test_hostile_parameters import SEED, fuzz_officials, hostile_requests, known_values
from .test_public_privacy import crawl, personal_secrets
from .workers_support import init_ledger, own_database, serving

TARGETS = 60
PAGES = 120  # of the privacy crawl
WALK_SHARE = 0.3  # of the hostile walk's requests, drawn with a seeded generator
MATRIX_ROUTES = 12  # of the write endpoints, each by no one and by every official


@dataclass
class World:
    client: httpx.Client
    tokens: dict[str, str]  # by role: the walker's officials
    bearer: dict[str, dict[str, str]]  # by official code: the matrix's
    known: dict[str, list[str]]
    secrets: list[str]
    records: dict[str, str]


@pytest.fixture(scope="module")
def world(pg_env, tmp_path_factory) -> Iterator[World]:  # type: ignore[no-untyped-def]
    with own_database(pg_env, "walk") as env:
        data = tmp_path_factory.mktemp("walk") / "ledger"
        init_ledger(env, data)
        app = LedgerApp.open(data, embedded_sealing=False)
        try:
            summary = build_demo(app, targets=TARGETS, inspectors=24, plans_and_draws=True)
            tokens = fuzz_officials(app, summary.admin)
            registry = Registry(app)
            bearer = {
                code: {"Authorization": f"Bearer {registry.issue_token(code, None)}"}
                for code, _, _ in OFFICIALS
            }
            plan = Plans(app, today=date(2026, 12, 10)).draft(
                {**PLAN, "division": "ggc"}, "ggc-clerk"
            )
            secrets = personal_secrets(app)
            app.sealer.seal()  # what the follower does: the column's proofs need a checkpoint
        finally:
            app.close()
        with (
            serving(data, env, tokens["admin"], workers=2) as served,
            httpx.Client(base_url=served.base, timeout=60) as client,
        ):
            yield World(client, tokens, bearer, known_values(summary), secrets, ggc_records(plan))


def test_no_public_answer_of_either_worker_names_a_person_or_a_recusal_reason(world):
    openapi = world.client.get("/openapi.json").json()
    seen = crawl(world.client, openapi, world.secrets, PAGES)
    draws = [p for p in seen if p.startswith("/column/draws/")]
    assert len(seen) > 20 and draws, f"the crawl reached too little: {sorted(seen)[:20]}"


def test_no_hostile_request_gets_a_server_error_from_either_worker(world):
    openapi = world.client.get("/openapi.json").json()
    walk = random.Random(SEED)
    sample = random.Random(SEED + 1)
    failures: list[str] = []
    sent = 0
    for role, method, url, headers, content in hostile_requests(
        openapi, world.tokens, world.known, walk
    ):
        if sample.random() >= WALK_SHARE:
            continue
        response = world.client.request(method, url, headers=headers, content=content)
        sent += 1
        if response.status_code >= 500:
            failures.append(
                f"{method} {url[:120]} as {role}: {response.status_code} {response.text[:200]}"
            )
    assert not failures, "\n".join(failures)
    assert 80 <= sent <= 300


def test_nobody_outside_the_rulebook_gets_a_2xx_from_either_worker(world):
    routes = random.Random(SEED).sample(sorted(ACTS), MATRIX_ROUTES)
    found, sent = outside_the_rulebook(world.client, world.bearer, world.records, routes)
    assert found == []
    assert sent == MATRIX_ROUTES * (1 + len(OFFICIALS))
