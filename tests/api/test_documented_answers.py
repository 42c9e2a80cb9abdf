"""Every error answer the OpenAPI description promises from a token or a parameter, asked for and
got, operation by operation, on the demo bureau (``api/openapi_errors.py`` says which):

- 401 from an operation that takes a token, asked without one;
- 403 from it, asked with a token the ledger never issued (an outsider's guess);
- 422 from an operation with a parameter or a body, asked with ``as_of`` that is no position,
  date or time, or a number parameter that is no number, or a body that is not an object;
- 404 from an operation whose path names something, asked for something that does not exist,
  by an official of each role in turn until one may ask.

Each answer is also checked by ``conftest.py`` (documented, problem+json, in Chinese with a
stable English code).
"""

from __future__ import annotations

from typing import Any

import pytest

from api import login_throttle
from api.openapi_errors import NO_CONFLICT

from .answers_run import missing as never_got
from .test_hostile_parameters import known_values, served_bureau

# Path parameters that are a closed list (a registry's name): a value outside it is a 422.
CLOSED = {"registry", "entity"}
# A value naming nothing, by parameter (a record id is a UUID; a code is free text).
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
NOWHERE = {
    "size": "99999999",
    "number": "99999",
    "token_id": "99999999",
    **dict.fromkeys(["plan", "draw", "inspection", "publication", "target_id"], UNKNOWN_ID),
}


@pytest.fixture
def walk(demo_ledger):  # type: ignore[no-untyped-def]
    with served_bureau(demo_ledger, admin=True) as (client, _, summary, tokens):
        yield client, tokens, client.app.openapi(), known_values(summary)


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in openapi["paths"].items()
        for method, operation in methods.items()
    ]


def _url(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def _somewhere(path: str, known: dict[str, list[str]]) -> str:
    """The path with each parameter a value that exists (or a plain code)."""
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return _url(path, {n: (known.get(n) or ["szc"])[0] for n in names})


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_token_missing_or_unknown_is_401_or_403_on_every_operation_that_takes_one(
    walk, monkeypatch
):
    # A guessed token on every operation from one address: more than the login throttle lets
    # through before it answers 429 (tests/api/test_login_failures_limited.py): not counted.
    monkeypatch.setattr(login_throttle.LoginThrottle, "failed", lambda self, address: None)
    client, _, openapi, known = walk
    missed = []
    for method, path, operation in _operations(openapi):
        if not operation.get("security"):
            continue
        url = _somewhere(path, known)
        bare = client.request(method, url)
        guessed = client.request(method, url, headers={"Authorization": "Bearer dl_guessed"})
        if bare.status_code != 401 or bare.json()["code"] != "not_authenticated":
            missed.append(f"{method} {path} without a token: {bare.status_code}")
        if guessed.status_code != 403 or guessed.json()["code"] != "forbidden":
            missed.append(f"{method} {path} with a guessed token: {guessed.status_code}")
    assert not missed, "\n".join(missed)


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_parameter_or_body_of_the_wrong_form_is_422_naming_it(walk):
    client, tokens, openapi, known = walk
    missed = []
    for method, path, operation in _operations(openapi):
        if "422" not in operation["responses"]:
            continue
        url, body, named = _wrong_form(path, operation, known)
        got = []
        for role in [None, *sorted(tokens)]:
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
            if body is not None:
                headers["Content-Type"] = "application/json"
            response = client.request(method, url, headers=headers, content=body)
            got.append(response.status_code)
            if response.status_code == 422:
                detail = response.json()["detail"]
                assert any(n in detail for n in named.split("|")), (path, detail)
                break
        else:
            missed.append(f"{method} {path} ({url}): {sorted(set(got))}")
    assert not missed, "\n".join(missed)


def _wrong_form(
    path: str, operation: dict[str, Any], known: dict[str, list[str]]
) -> tuple[str, bytes | None, str]:
    """A request to the operation with one parameter or its body of the wrong form: (url,
    body, the name the 422 must give)."""
    url = _somewhere(path, known)
    parameters = operation.get("parameters", [])
    query = {p["name"]: p for p in parameters if p["in"] == "query"}
    if "as_of" in query:
        return f"{url}?as_of=soon", None, "as_of"
    for name, parameter in query.items():
        schema = parameter.get("schema", {})
        kinds = {s.get("type") for s in [schema, *schema.get("anyOf", [])]}
        if "integer" in kinds:
            return f"{url}?{name}=many", None, name
    closed = [p["name"] for p in parameters if p["in"] == "path" and p["name"] in CLOSED]
    if closed:
        return _url(path, {closed[0]: "nothing"} | {"key": "x", "code": "szc"}), None, closed[0]
    if "requestBody" in operation:
        return url, b"[]", "body|必须提供"  # a JSON body not an object, a form's fields missing
    ids = [p["name"] for p in parameters if p["in"] == "path" and p["name"] in NOWHERE]
    if ids:  # a record id that is no id at all
        return _url(path, {ids[0]: "not-an-id"} | {"division": "szc"}), None, ids[0]
    raise AssertionError(f"{path} documents a 422 with no parameter or body to get it wrong")


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_path_naming_nothing_is_404_for_an_official_who_may_ask(walk):
    client, tokens, openapi, known = walk
    missed = []
    for method, path, operation in _operations(openapi):
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        if "404" not in operation["responses"] or not names or set(names) & CLOSED:
            continue
        body = _least_body(operation, openapi)
        got = []
        # One parameter names nothing, the others what exists; as each role in turn.
        for missing in reversed(names):
            values = {n: (known.get(n) or ["szc"])[0] for n in names}
            values[missing] = NOWHERE.get(missing, "nothing-here")
            url = _url(path, values)
            for role in [None, *sorted(tokens)]:
                headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
                response = client.request(method, url, headers=headers, **body)
                got.append(f"{response.status_code} {response.text[:150]}")
                if response.status_code == 404:
                    assert response.json()["code"] == "not_found", (path, response.json())
                    break
            else:
                continue
            break
        else:
            missed.append(f"{method} {path}: {sorted(set(got))}")
    assert not missed, "\n".join(missed)


def _least_body(operation: dict[str, Any], openapi: dict[str, Any]) -> dict[str, Any]:
    """The request's body: the operation's schema with its required fields only, each a plain
    value of its type (so that the body passes and the path is looked up); a form's files as
    files."""
    defs = openapi["components"]["schemas"]
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        form = _plain(content["multipart/form-data"]["schema"], defs)
        files = {k: ("证据.txt", b"x") for k, v in form.items() if v == FILE}
        return {"files": files, "data": {k: v for k, v in form.items() if k not in files}}
    schema = content.get("application/json", {}).get("schema")
    return {"json": None if schema is None else _plain(schema, defs)}


FILE = object()
# Fields whose plain value must be a real one, so that the request reaches its path's lookup.
REAL = {"contact": "fuzz-clerk", "division": "szc", "items": ["qsxk"], "roles": ["clerk"]}


def _plain(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _plain(defs[schema["$ref"].split("/")[-1]], defs)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return _plain(schema[key][0], defs)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            k: REAL[k] if k in REAL else _plain(properties.get(k, {}), defs)
            for k in schema.get("required", [])
        }
    if kind == "array":
        least = schema.get("minItems", 0)
        return [_plain(schema.get("items", {}), defs) for _ in range(least)]
    if schema.get("format") == "binary" or schema.get("contentMediaType"):
        return FILE
    if schema.get("format") == "uuid":
        return UNKNOWN_ID
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-06-01"
    return "依法核查"


# Commands that contradict what the demo bureau holds, sent twice (the second a 409 if the first
# was not): path values and body fields beside the plain ones (``_least_body``).
CONFLICTS: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "/divisions": ({}, {"code": "szc"}),  # exists already
    "/officials": ({}, {"code": "fuzz-clerk", "division": "szc", "roles": ["clerk"]}),
    "/officials/{code}/deactivate": ({"code": "fuzz-auditor"}, {}),  # deactivated already
    "/officials/{code}/tokens": ({"code": "fuzz-auditor"}, {}),  # of a deactivated official
    "/officials/{code}/tokens/{token_id}/revoke": ({"code": "fuzz-clerk", "token_id": "9"}, {}),
    "/items/{code}/withdraw": ({}, {}),  # withdrawn already
    "/plans/{plan}/review": ({}, {}),  # each a step the plan is past
    "/plans/{plan}/submit": ({}, {}),
    "/plans/{plan}/consolidate": ({}, {}),
    "/plans/{plan}/upload": ({}, {}),
    "/plans/{plan}/amendments": ({}, {}),
    "/plans/{plan}/withdraw": ({}, {}),  # withdrawn already
    "/draws/{draw}/freeze": ({}, {}),  # each a step the draw is past
    "/draws/{draw}/reveal": ({}, {}),
    "/draws/{draw}/abandon": ({}, {}),
    "/draws/{draw}/select": ({}, {}),
    "/draws/{draw}/assign": ({}, {}),
    "/draws/{draw}/partners/{division}/decline": ({}, {}),  # a division not invited
    "/draws/{draw}/partners/{division}/assign": ({}, {}),
    "/draws/{draw}/partners/{division}/substitutions": ({}, {}),
    "/inspections/{inspection}/evidence": ({}, {}),  # this ledger keeps no evidence files
    "/publications/{publication}/corrections": ({}, {}),  # the same content again
    "/publications/{publication}/withdrawal": ({}, {}),  # withdrawn already
}


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_command_contradicting_what_is_recorded_is_409(walk):
    client, tokens, openapi, known = walk
    operations = {p: op for method, p, op in _operations(openapi) if method == "POST"}
    missed = []
    for path, (values, fields) in CONFLICTS.items():
        operation = operations[path]
        assert "409" in operation["responses"], path
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        url = _url(path, {n: values.get(n) or (known.get(n) or ["szc"])[0] for n in names})
        body = _least_body(operation, openapi)
        if fields:
            body["json"] = {**body["json"], **fields}
        got = []
        for role in sorted(tokens):  # an official of each role, until one may act
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            statuses = [client.post(url, headers=headers, **body).status_code for _ in range(2)]
            got += statuses
            if 409 in statuses:
                break
        else:
            missed.append(f"POST {path}: {sorted(set(got))}")
    assert not missed, "\n".join(missed)


# Commands whose body names a record that does not exist: the field and its value.
NAMED: dict[str, dict[str, Any]] = {
    "/inspections": {"source": UNKNOWN_ID, "notified_on": "2026-06-01"},
    "/publications": {"inspection": UNKNOWN_ID},
    "/disputes": {"subject": {"kind": "target", "key": "91320411MA1MB3K8XT"}},
}  # POST /draws names its plan too (404 if none): its other fields make it a long request


# Reads without a path parameter whose parameters name what does not exist (or did not then).
NOWHERE_READS = [
    "/checkpoint?wait_for=99999999",
    "/proofs/inclusion?index=99999999",
    "/proofs/consistency?old=1&new=99999999",
    "/policy?as_of=1",  # before any policy was set
    "/trail?policy_version=never-set",
    "/assessment?year=2000",
]


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_read_naming_what_does_not_exist_is_404(walk):
    client, tokens, _, _ = walk
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    for url in NOWHERE_READS:
        response = client.get(url, headers=headers)
        assert response.status_code == 404, (url, response.text)
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_body_naming_a_record_that_does_not_exist_is_404(walk):
    client, tokens, openapi, _ = walk
    operations = {p: op for method, p, op in _operations(openapi) if method == "POST"}
    missed = []
    for path, fields in NAMED.items():
        operation = operations[path]
        assert "404" in operation["responses"], path
        body = {**_least_body(operation, openapi)["json"], **fields}
        got = []
        for role in sorted(tokens):
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            response = client.post(path, headers=headers, json=body)
            got.append(f"{response.status_code} {response.text[:120]}")
            if response.status_code == 404:
                break
        else:
            missed.append(f"POST {path}: {got}")
    assert not missed, "\n".join(missed)


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_binding_rollover_or_follow_up_contradicting_the_record_is_409(walk):
    client, tokens, openapi, known = walk
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    # A month not over yet (or rollover switched off by the policy): nothing rolls over.
    roll = [
        client.post("/plans/rollover", json={"month": "2099-12"}, headers=_as(tokens, role))
        for role in ("plan_aggregator", "admin")
    ]
    assert 409 in [r.status_code for r in roll], [r.text for r in roll]
    # A correction before any order to correct.
    inspection = known["inspection"][0]
    body = {"kind": "corrected", "on": "2026-12-01", "note": "已整改"}
    follow = [
        client.post(f"/inspections/{inspection}/follow-ups", json=body, headers=_as(tokens, r))
        for r in ("clerk", "division_head")
    ]
    assert 409 in [r.status_code for r in follow], [r.text for r in follow]
    # An official bound to one roster inspector, bound again.
    roster = client.get("/inspectors", params={"division": "szc", "limit": 50}, headers=admin)
    codes = [entry["code"] for entry in roster.json()["items"]]
    got = []
    for code in codes:
        body = {"inspector": code, "reason": "人事部门核定"}
        got.append(client.post("/officials/fuzz-inspector/inspector", json=body, headers=admin))
        if got[-1].status_code == 409:
            break
    assert 409 in [r.status_code for r in got], [r.text[:120] for r in got]


def _as(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_command_that_can_contradict_nothing_documents_no_409(walk):
    _, _, openapi, _ = walk
    for method, path in NO_CONFLICT:
        responses = openapi["paths"][path][method]["responses"]
        assert "409" not in responses and "422" in responses, (path, sorted(responses))


def test_a_run_of_the_whole_suite_fails_if_a_documented_answer_was_never_got():
    openapi = {"paths": {"/x": {"post": {"responses": {"201": {}, "409": {}, "503": {}}}}}}
    every = {"test_a.py", "test_b.py"}
    assert never_got(openapi, ["POST /x 201"], every, every) == ["POST /x: 409"]
    assert never_got(openapi, ["POST /x 201", "POST /x 409"], every, every) == []  # 503: rare
    assert never_got(openapi, ["POST /x 201"], {"test_a.py"}, every) is None  # a part of the suite


def test_a_description_asked_for_while_it_is_being_made_is_given_whole(monkeypatch):
    """The service's threads may ask for the description at once, as the first requests after a
    start do: the one asking while another makes it waits and gets it with its errors (a race
    here once served POST /targets without its 409)."""
    from threading import Thread

    from fastapi import FastAPI

    from api import openapi_errors

    app = FastAPI()

    @app.post("/targets")
    def register(body: dict[str, str]) -> dict[str, str]:
        return body

    openapi_errors.install(app)
    seen: list[set[str]] = []

    def ask() -> None:
        seen.append(set(app.openapi()["paths"]["/targets"]["post"]["responses"]))

    real, other = openapi_errors.document, Thread(target=ask)

    def meanwhile(schema: dict[str, Any]) -> dict[str, Any]:
        other.start()
        other.join(0.5)  # it has its answer now, or waits for this one
        return real(schema)

    monkeypatch.setattr(openapi_errors, "document", meanwhile)
    whole = set(app.openapi()["paths"]["/targets"]["post"]["responses"])
    other.join()
    assert "409" in whole
    assert seen == [whole]
