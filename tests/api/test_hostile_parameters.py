"""Hostile parameters and bodies, as a visitor without a login and as an official of each role:
every route answers a 2xx inside its documented schema or a 4xx that names what was wrong, never
a 5xx.

The walker is seeded and bounded (a few hundred requests). It reads the routes from the app
itself: the OpenAPI schema's operations and the public column's pages (left out of the schema).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import create_app
from api.openapi_errors import PROBLEM
from api.public_column.routes import router as column_router
from ledger.registry.officials import OFFICIAL_ROLES
from ledger.registry.service import Registry

from .openapi_answers import Answers, answer_problems, documented_responses

SEED = 14
# Values of a query or path parameter: out of range, not numbers, not text a name may hold.
HOSTILE = [
    "0",
    "-1",
    "1e20",
    "10000000000000000000",
    "99999",
    "-99999999999999999999",
    "NaN",
    "",
    " ",
    "%00",
    "%1B%5B31m",
    "%ED%A0%80",  # a lone surrogate, as UTF-8 bytes (not UTF-8)
    "%E2%80%8B",  # a zero-width space
    "..%2F..%2Fetc%2Fpasswd",
    "x" * 5000,
    "ggc",
    "00000000-0000-0000-0000-000000000000",
    "91320400MA1MXXXX1X",
]
# Values of a body's text and number fields.
HOSTILE_TEXT = ["\x00", "名称\x1b[31m", "\u200b\u200b", "\ud800", "x" * 100_000, "", "<b>&</b>"]
HOSTILE_NUMBER = [2**60, -(2**60), -1, 0, 10**30, 1.5, "1e20"]


def fuzz_officials(ledger, by: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An official of each role in szc, registered by ``by``; a token for each, by role."""
    registry = Registry(ledger)
    tokens = {}
    for role in OFFICIAL_ROLES:
        code = f"fuzz-{role}".replace("_", "-")
        spec = {"code": code, "name": f"测试{role}", "division": "szc", "roles": role}
        registry.register_official(spec, by)
        tokens[role] = registry.issue_token(code, by)
    return tokens


def known_values(summary) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Real values of path parameters, so that a request reaches its query parameters."""
    year = summary.year
    assert year is not None and summary.results is not None
    return {
        "division": ["szc", "ggc"],
        "draw": list(year.draws[:2]),
        "plan": list(year.plans[:2]),
        "inspection": list(summary.results.awaiting_confirmation[:2]),
        "publication": [summary.results.corrected_publication],
        "code": ["qsxk", "szc", summary.admin],
        "registry": ["targets", "inspectors"],
        "size": ["1"],
        "number": ["1"],
    }


@contextmanager
def served_bureau(
    demo_ledger: Any, *, admin: bool = False
) -> Iterator[tuple[TestClient, Any, Any, dict[str, str]]]:
    """The demo bureau with a year of draws, served: the client, the ledger, the demo's summary,
    and a token for an official of each role (and, with ``admin``, the admin's as "admin")."""
    ledger, summary = demo_ledger(targets=60, inspectors=24, plans_and_draws=True)
    tokens = fuzz_officials(ledger, summary.admin)
    if admin:
        tokens["admin"] = Registry(ledger).issue_token(summary.admin, summary.admin)
    app = create_app(ledger)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, ledger, summary, tokens
    app.state.read_models.close()


@pytest.fixture
def service(demo_ledger):  # type: ignore[no-untyped-def]
    """The demo bureau with a year of draws, and a token for an official of each role."""
    with served_bureau(demo_ledger) as (client, _, summary, tokens):
        client.known = known_values(summary)  # type: ignore[attr-defined]
        yield client, tokens, client.app


def hostile_requests(
    openapi: dict[str, Any], tokens: dict[str, str], known: dict[str, list[str]], rng: random.Random
) -> Iterator[tuple[str | None, str, str, str, dict[str, str], bytes | None]]:
    """(role, method, path, url, headers, body) of the walk: every operation of ``openapi`` and
    every page of the public column, several times each, with hostile values (``rng`` decides)."""
    defs = openapi["components"]["schemas"]
    who = [None, *sorted(tokens)]
    for method, path, params, body in _routes(openapi):
        tries = 5 if method == "GET" else 3
        for _ in range(tries):
            role = rng.choice(who)
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
            url = path
            query = []
            for where, name in params:
                value = rng.choice(HOSTILE)
                if where == "path" and name in known and rng.random() < 0.6:
                    value = rng.choice(known[name])
                if where == "path" and not value:
                    # An empty segment names another route ("/divisions/" is the list, its
                    # answer not an entry's): a blank one stays on this route.
                    value = " "
                if where == "path":
                    url = url.replace("{" + name + "}", value)
                elif rng.random() < 0.7:
                    query.append(f"{name}={value}")
            if query:
                url += "?" + "&".join(query)
            content = None
            if body is not None:
                content = json.dumps(_hostile_body(body, defs, rng)).encode()
                headers["Content-Type"] = "application/json"
            yield role, method, path, url, headers, content


def test_no_hostile_parameter_or_body_gets_a_server_error(service):
    client, tokens, app = service
    rng = random.Random(SEED)
    openapi = app.openapi()
    assert any(path == "/column/results" for _, path, _, _ in _routes(openapi))  # hidden
    documented = documented_responses(openapi)
    answers = Answers(openapi)
    failures = []
    sent = 0
    for role, method, path, url, headers, content in hostile_requests(
        openapi, tokens, client.known, rng
    ):
        response = client.request(method, url, headers=headers, content=content)
        sent += 1
        failures += answer_failures(role, method, path, url, response, documented, answers)
    assert not failures, "\n".join(failures)
    assert 300 <= sent <= 800  # bounded, and enough to cover every route several times


def _hostile_body(schema: dict[str, Any], defs: dict[str, Any], rng: random.Random) -> Any:
    return _value(schema, defs, rng, 0)


def _value(schema: dict[str, Any], defs: dict[str, Any], rng: random.Random, depth: int) -> Any:
    if "$ref" in schema:
        return _value(defs[schema["$ref"].split("/")[-1]], defs, rng, depth)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _value(rng.choice(schema[key]), defs, rng, depth)
    kind = schema.get("type")
    if kind == "object" and depth < 3:
        properties = schema.get("properties") or {}
        if not properties:
            return {rng.choice(HOSTILE_TEXT): rng.choice(HOSTILE_NUMBER)}
        return {k: _value(v, defs, rng, depth + 1) for k, v in properties.items()}
    if kind == "array" and depth < 3:
        return [_value(schema.get("items", {}), defs, rng, depth + 1)]
    if kind in ("integer", "number"):
        return rng.choice(HOSTILE_NUMBER)
    if kind == "boolean":
        return rng.choice([True, False, "\x00"])
    return rng.choice(HOSTILE_TEXT)


def answer_failures(
    role: str | None,
    method: str,
    path: str,
    url: str,
    response: Any,
    documented: dict[tuple[str, str], Any],
    answers: Answers | None = None,
) -> list[str]:
    """What is wrong with one answer of the walk: a server error, ``answer_problems``, or
    (given ``answers``) a 2xx outside its documented schema."""
    found = []
    if response.status_code >= 500:
        found.append(
            f"{method} {url[:120]} as {role}: {response.status_code} {response.text[:200]}"
        )
    return found + [
        f"{method} {path} ({url[:80]}) as {role}: {problem}"
        for problem in answer_problems(method, path, response, documented)
        + (answers.problems(method, path, response) if answers is not None else [])
    ]


def _routes(
    openapi: dict[str, Any],
) -> list[tuple[str, str, list[tuple[str, str]], dict[str, Any] | None]]:
    """(method, path, [(where, name)], body schema) of every operation in the OpenAPI schema,
    and of the public column's pages."""
    found = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            params = [(p["in"], p["name"]) for p in operation.get("parameters", [])]
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            found.append((method.upper(), path, params, body))
    for route in column_router.routes:
        assert isinstance(route, APIRoute)
        dependant = route.dependant
        params = [("path", p.name) for p in dependant.path_params]
        params += [("query", p.alias) for p in dependant.query_params]
        found += [(method, route.path, params, None) for method in sorted(route.methods)]
    return found


BAD_PARAMETERS = [  # (path, the parameter its 4xx must name)
    ("/proofs/consistency?old=0", "old"),
    ("/proofs/consistency?old=-1", "old"),
    ("/proofs/inclusion?position=0", "position"),
    ("/checkpoints/10000000000000000000", "size"),
    ("/column/results?page=1e20", "page"),
    ("/column/results?page=100000000000000000000", "page"),
    ("/column/feed.json?offset=100000000000000000000", "offset"),
    ("/targets?offset=1e20", "offset"),
    ("/targets?offset=100000000000000000000", "offset"),
    ("/targets?limit=501", "limit"),
    ("/divisions/ggc/coverage?year=99999", "year"),
    ("/policy?as_of=100000000000000000000", "as_of"),
]


def test_each_bad_parameter_of_the_issue_is_a_4xx_that_names_it(service):
    client, tokens, _ = service
    for path, parameter in BAD_PARAMETERS:
        # asked for JSON by name (a page of the column answers a page otherwise)
        headers = {"Authorization": f"Bearer {tokens['admin']}", "Accept": PROBLEM}
        response = client.get(path, headers=headers)
        assert 400 <= response.status_code < 500, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert parameter in response.json()["detail"], (path, response.text)


def test_every_integer_parameter_has_bounds(service):
    _, _, app = service
    unbounded = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                types = [schema, *schema.get("anyOf", [])]
                if any(t.get("type") == "integer" for t in types):
                    bounded = [t for t in types if "minimum" in t and "maximum" in t]
                    if not bounded:
                        unbounded.append(f"{method} {path} {parameter['name']}")
    for route in column_router.routes:
        assert isinstance(route, APIRoute)
        for field in route.dependant.query_params + route.dependant.path_params:
            if field.field_info.annotation is int:
                limits = {type(m).__name__ for m in field.field_info.metadata}
                if not {"Ge", "Le"} <= limits:
                    unbounded.append(f"{route.path} {field.name}")
    assert unbounded == []


def test_a_draw_of_two_to_the_sixtieth_targets_is_refused_and_records_nothing(service):
    client, tokens, app = service
    ledger = app.state.ledger
    before = ledger.recorder.max_notification_id()
    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 2**60}, "team_size": 2}
    for role in ("clerk", "division_head", "admin"):
        response = client.post(
            "/draws", json=spec, headers={"Authorization": f"Bearer {tokens[role]}"}
        )
        assert 400 <= response.status_code < 500, response.text
        assert "counts" in response.json()["detail"]
    assert ledger.recorder.max_notification_id() == before


def test_a_plan_of_two_to_the_sixtieth_targets_is_refused_and_records_nothing(service):
    client, tokens, app = service
    ledger = app.state.ledger
    before = ledger.recorder.max_notification_id()
    spec = {"division": "szc", "kind": "monthly", "period": "2099-05", "items": ["qsxk"]}
    response = client.post(
        "/plans",
        json={**spec, "counts": {"all": 2**60}},
        headers={"Authorization": f"Bearer {tokens['clerk']}"},
    )
    assert response.status_code == 422, response.text
    assert "counts" in response.json()["detail"]
    assert ledger.recorder.max_notification_id() == before
