"""Every request body follows one rule: an unknown field is refused with a 422 that names it, and
nothing is recorded. A misspelt field must never be dropped silently: a clerk who writes
``"team_sise": 5`` would otherwise record a draw with the default team of two, and a clerk who adds
``"exclude": [a friend's company]`` must be told that no such field exists, not be left to believe
it was honoured.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.public_column.routes import router as column_router
from api.schemas import RequestBody
from ledger.registry.service import Registry
from tests.ledger.workflow import CEREMONY

# Multipart uploads: a file and form fields, not a JSON body (their form fields are named
# parameters of the route, so FastAPI refuses none it does not know, and reads none either).
UPLOADS = {("post", "/imports/{registry}"), ("post", "/inspections/{inspection}/evidence")}


def _subclasses(cls: type) -> dict[str, type]:
    found = {}
    for sub in cls.__subclasses__():
        found[sub.__name__] = sub
        found.update(_subclasses(sub))
    return found


def _refs_closed(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> list[str]:
    """The object schemas reachable from ``schema`` that accept fields they do not name."""
    open_ = []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        target = components[name]
        if "properties" in target and target.get("additionalProperties") is not False:
            open_.append(name)
        return open_ + _refs_closed(target, components, seen)
    children: list[Any] = [
        *schema.get("properties", {}).values(),
        *schema.get("anyOf", []),
        *schema.get("allOf", []),
        schema.get("items"),
        schema.get("additionalProperties"),
    ]
    for child in children:
        if isinstance(child, dict):
            open_ += _refs_closed(child, components, seen)
    return open_


def test_every_request_body_of_the_api_derives_from_request_body_and_refuses_unknown_fields(
    ledger,
):
    spec = create_app(ledger).openapi()
    components = spec["components"]["schemas"]
    models = _subclasses(RequestBody)
    json_bodies, uploads, open_ = [], set(), []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "multipart/form-data" in content:
                uploads.add((method, path))
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                name = schema["$ref"].rsplit("/", 1)[1]
                json_bodies.append((method, path, name))
                open_ += [f"{method} {path}: {n}" for n in _refs_closed(schema, components, set())]

    assert len(json_bodies) >= 39  # the walk reached the routes: registry, plans, draws, …
    not_derived = [f"{m} {p}: {n}" for m, p, n in json_bodies if n not in models]
    assert not_derived == []
    assert open_ == []
    assert uploads == UPLOADS
    # The public column's pages stay out of the schema: they read, and take no body.
    assert {m for route in column_router.routes for m in getattr(route, "methods", ())} <= {
        "GET",
        "HEAD",
    }


def test_every_request_model_forbids_extra_fields():
    for name, model in _subclasses(RequestBody).items():
        assert model.model_config.get("extra") == "forbid", name


@pytest.fixture
def bureau(demo_ledger):  # type: ignore[no-untyped-def]
    """A small demo bureau (its own copy)."""
    ledger, _ = demo_ledger(targets=40, inspectors=6)
    return ledger


@pytest.fixture
def clerk(bureau) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(bureau))
    client.headers["Authorization"] = f"Bearer {Registry(bureau).issue_token('szc-clerk', None)}"
    return client


def _refused(client: TestClient, ledger, url: str, body: dict[str, Any], field: str) -> None:
    size = ledger.recorder.max_notification_id()
    response = client.post(url, json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    named = {p["field"]: p["message"] for p in problem["problems"]}
    assert named[field] == "不是可接受的字段（请检查拼写）"
    assert f"{field}（" in problem["detail"] and "不是可接受的字段" in problem["detail"]
    assert ledger.recorder.max_notification_id() == size  # nothing recorded


def test_a_draw_with_an_unknown_field_is_refused_and_nothing_is_recorded(clerk, bureau):
    draw = {"division": "szc", "items": ["qsxk"], "counts": {"all": 2}, "ceremony": CEREMONY}
    _refused(clerk, bureau, "/draws", {**draw, "exclude": ["91320411MA1MB3K8XT"]}, "exclude")
    _refused(clerk, bureau, "/draws", {**draw, "team_sise": 5}, "team_sise")
    assert clerk.post("/draws", json=draw).status_code == 201  # the same body without it


def test_a_registry_command_with_an_unknown_field_is_refused(clerk, bureau):
    division = {"code": "fb", "name": "防汛防旱办公室", "colour": "red"}
    _refused(clerk, bureau, "/divisions", division, "colour")


def test_an_unknown_field_inside_a_nested_body_is_named_with_its_path(clerk, bureau):
    body = {
        "reason": "住所变更",
        "source": "营业执照",
        "changes": {"adress": "常州市新北区"},
    }
    _refused(clerk, bureau, f"/targets/{uuid4()}/corrections", body, "changes.adress")


def test_inspection_and_plan_steps_refuse_unknown_fields(clerk, bureau):
    result = {"category": "no_problem", "categroy": "problem_found"}
    _refused(clerk, bureau, f"/inspections/{uuid4()}/result", result, "categroy")
    _refused(clerk, bureau, f"/plans/{uuid4()}/withdraw", {"reasn": "重复"}, "reasn")  # and
    # "reason: Field required" beside it
    _refused(clerk, bureau, f"/plans/{uuid4()}/withdraw", {"reason": "重复", "by": "x"}, "by")


def test_a_witness_cosignature_with_an_unknown_field_is_refused(ledger):
    client = TestClient(create_app(ledger))  # witnesses post without a token
    body = {"line": "— witness.example AAAA", "trusted": True}
    _refused(client, ledger, "/checkpoints/1/cosignatures", body, "trusted")
