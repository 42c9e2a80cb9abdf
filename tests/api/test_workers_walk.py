"""The public-privacy crawl, the seeded hostile walker and the authorisation matrix against
``drawledger serve --workers 2`` on PostgreSQL (issue 13, part 7): each a bounded, seeded sample
of its in-process test (test_public_privacy.py, test_hostile_parameters.py,
test_authorisation_matrix.py), sent over HTTP to two worker processes that share one store and
its read models. One demo year and one service for the module; loopback only."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.application import LedgerApp
from ledger.demo.bureau import build_demo

from .openapi_answers import Answers
from .test_authorisation_matrix import (
    OFFICIALS,
    REGISTRY_ROUTES,
    bearers,
    registry_ids,
    run_matrix,
)
from .test_authorisation_matrix import (
    World as MatrixWorld,
)
from .test_hostile_parameters import (
    SEED,
    answer_failures,
    documented_responses,
    fuzz_officials,
    hostile_requests,
    known_values,
)
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
    data: Path  # the ledger's directory
    matrix_ids: dict[str, Any]  # the matrix's records


@pytest.fixture(scope="module")
def world(pg_env, tmp_path_factory) -> Iterator[World]:  # type: ignore[no-untyped-def]
    with own_database(pg_env, "walk") as env:
        data = tmp_path_factory.mktemp("walk") / "ledger"
        init_ledger(env, data)
        app = LedgerApp.open(data, embedded_sealing=False)
        try:
            summary = build_demo(app, targets=TARGETS, inspectors=24, plans_and_draws=True)
            tokens = fuzz_officials(app, summary.admin)
            matrix_ids = registry_ids(app)
            bearer = bearers(app, OFFICIALS)
            secrets = personal_secrets(app)
            app.sealer.seal()  # what the follower does: the column's proofs need a checkpoint
        finally:
            app.close()
        with (
            serving(data, env, tokens["admin"], workers=2) as served,
            httpx.Client(base_url=served.base, timeout=60) as client,
        ):
            yield World(client, tokens, bearer, known_values(summary), secrets, data, matrix_ids)


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
    documented = documented_responses(openapi)
    answers = Answers(openapi)
    for role, method, path, url, headers, content in hostile_requests(
        openapi, world.tokens, world.known, walk
    ):
        if sample.random() >= WALK_SHARE:
            continue
        response = world.client.request(method, url, headers=headers, content=content)
        sent += 1
        failures += answer_failures(role, method, path, url, response, documented, answers)
    assert not failures, "\n".join(failures)
    assert 80 <= sent <= 300


def test_nobody_outside_the_rulebook_gets_a_2xx_from_either_worker(world):
    """A seeded sample of the registry's write routes of the matrix (each by nobody and by every
    official: the refused get 403, the permitted get past the check), sent to the two workers;
    the rulebook is read from the same store by a ledger opened beside them."""
    routes = random.Random(SEED).sample(sorted(REGISTRY_ROUTES), MATRIX_ROUTES)
    app = LedgerApp.open(world.data, embedded_sealing=False)
    try:
        sent, _, problems = run_matrix(
            MatrixWorld(app, world.matrix_ids), routes, world.client, world.bearer
        )
    finally:
        app.close()
    assert problems == []
    assert sent == MATRIX_ROUTES * (1 + len(OFFICIALS))
