"""Every GET route of the app either honours ``as_of`` or refuses it: none ignores it.

The routes are read from the app itself (every router it includes, hidden ones too), so a new
route that forgets ``as_of`` fails here: given ``?as_of=P`` it must answer for P (the
``Ledger-As-Of: P`` header, 200 or 404 for what did not exist then) or refuse with a 422
problem naming ``as_of``. A route that honours it must also, as of the head, give exactly the
answer it gives for now: the ledger folded up to the head is the ledger now.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

from api.app import create_app
from api.as_of import AS_OF_HEADER
from api.openapi_errors import PROBLEM
from ledger.registry.service import Registry
from ledger.witnesses import Witnesses
from verify.keys import ALG_COSIGNATURE_V1, SignerKey

# Not the ledger's data: the API's own description and its documentation pages, and the
# redirect from / to the column. They answer the same at every position.
NOT_LEDGER_DATA = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/"}
# Keys that legitimately differ between "now" and "as of the head": a warning about today's
# calendar is given for now only; an entry as of a position says which (``as_of``).
NOW_ONLY_KEYS = {"warnings", "as_of"}


def get_routes(routes: list[Any]) -> list[str]:
    """The path of every GET route, walking into included routers (hidden ones too)."""
    found: list[str] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found += get_routes(included.routes)
        elif isinstance(route, Mount):
            continue  # static files
        elif "GET" in (getattr(route, "methods", None) or ()):
            found.append(route.path)
    return sorted(set(found))


@pytest.fixture
def service(demo_ledger):  # type: ignore[no-untyped-def]
    """The demo bureau with a year of draws and results, read by an auditor (who may read
    every division's work lists), with a real value for each path parameter."""
    ledger, summary = demo_ledger(targets=60, inspectors=24, plans_and_draws=True)
    year, results = summary.year, summary.results
    assert year is not None and results is not None
    registry = Registry(ledger)
    spec = {"code": "asof-auditor", "name": "审计员", "division": "szc", "roles": "auditor"}
    registry.register_official(spec, summary.admin)
    token = registry.issue_token("asof-auditor", summary.admin)
    witness = SignerKey.generate("audit.example/witness", ALG_COSIGNATURE_V1)
    Witnesses(ledger).add(str(witness.verifier), None, "an auditor's witness")  # /witnesses changes
    app = create_app(ledger)
    known = {
        "ref": _first(ledger, "target.registered"),
        "division": "szc",
        "draw": year.draws[0],
        "plan": year.plans[0],
        "inspection": results.awaiting_confirmation[0],
        "publication": results.corrected_publication,
        "number": "1",
        "size": "1",
        "registry": "targets",  # /exports/{registry}, /imports/templates/{registry}
        "entity": "draws",  # the trail of one record: /trail/draws/{key}
        "key": year.draws[0],
        "position": "5",  # one act: /legal/acts/{position}
    }
    codes = {
        "/divisions/": "szc",
        "/officials/": summary.admin,
        "/trail/officials/": summary.admin,
        "/inspectors/": _first(ledger, "inspector.registered"),
        "/items/": _first(ledger, "item.registered"),
    }
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app, headers=headers, raise_server_exceptions=False) as client:
        yield client, app, (known, codes), ledger
    app.state.read_models.close()


def _first(ledger: Any, topic: str) -> str:
    for _, event in ledger.records(topics=[topic]):
        return str(event.envelope["payload"]["code"])
    raise AssertionError(f"no {topic} in the demo")


def _url(path: str, known: tuple[dict[str, str], dict[str, str]]) -> str:
    values, codes = known
    for prefix, code in codes.items():
        if path.startswith(prefix):
            path = path.replace("{code}", code)
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"{path}: add a real value for its path parameter to `known` above"
    return path


def _without(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _without(v) for k, v in body.items() if k not in NOW_ONLY_KEYS}
    return body


def test_every_get_route_honours_or_refuses_as_of(service):
    client, app, known, ledger = service
    paths = [p for p in get_routes(app.routes) if p not in NOT_LEDGER_DATA]
    assert "/column/results" in paths and "/plans/{plan}" in paths  # hidden routes walked too
    head = ledger.recorder.max_notification_id()
    past = head // 2
    honoured, refused, failures = [], [], []
    for path in paths:
        url = _url(path, known)
        # asked for JSON by name: a page of the column answers a refusal as a page otherwise
        then = client.get(url, params={"as_of": past}, headers={"Accept": PROBLEM})
        if then.status_code == 422 and then.json().get("code") == "as_of_not_supported":
            assert then.headers["content-type"] == "application/problem+json"
            refused.append(path)
            continue
        # 403: answered for that position, and refused to this caller (an export of a division
        # an auditor may not keep); compared with now below like any answer.
        if then.headers.get(AS_OF_HEADER) != str(past) or then.status_code not in (200, 403, 404):
            failures.append(f"{path}: as_of={past} gave {then.status_code} {then.text[:150]}")
            continue
        now = client.get(url)
        at_head = client.get(url, params={"as_of": head})
        if now.headers.get(AS_OF_HEADER) != str(head):
            failures.append(f"{path}: no {AS_OF_HEADER} {head} on the answer for now")
        elif at_head.status_code != now.status_code or _body(at_head) != _body(now):
            failures.append(f"{path}: as of the head differs from now: {at_head.text[:300]}")
        honoured.append(path)
    assert not failures, "\n".join(failures)
    # A route that took as_of and ignored it would answer at position 2 (the ledger's creation and
    # its first policy, nothing else) as it answers now: none does (the demo set its own policy).
    same_at_the_start = []
    for path in honoured:
        start = client.get(_url(path, known), params={"as_of": 2})
        if start.status_code == 200 and _body(start) == _body(client.get(_url(path, known))):
            same_at_the_start.append(path)
    assert same_at_the_start == []
    # What each route does is a decision, written down (README.md lists the same).
    assert set(refused) == {
        "/checkpoint",
        "/checkpoints/{size}",
        "/proofs/inclusion",
        "/proofs/consistency",
        "/health",
        "/legal/login",
        "/office/login",
        "/office",
        "/office/targets",
        "/office/inspectors",
        *[p for p in paths if p.startswith("/column")],
    }
    assert {
        "/targets",
        "/targets/{ref}/history",
        "/item-lists",
        "/plans/{plan}",
        "/plans/{plan}/coverage",
        "/draws/{draw}/record",
        "/inspections/{inspection}",
        "/staff/publications-due",
        "/policy",
        "/public/item-list",
    } <= set(honoured)


def _body(response: Any) -> Any:
    kind = response.headers.get("content-type", "")
    if kind.startswith("application/json"):
        return _without(response.json())
    if "spreadsheetml" in kind:  # an .xlsx: its parts, less the time it was written
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return {n: book.read(n) for n in book.namelist() if n != "docProps/core.xml"}
    return response.text


def test_a_route_that_forgets_as_of_is_caught(service):
    """The walk above would catch a new route that ignores as_of: here is one."""
    client, app, known, ledger = service

    @app.get("/forgetful")
    def forgetful() -> dict[str, str]:
        return {"state": "now"}

    assert "/forgetful" in get_routes(app.routes)
    response = client.get("/forgetful", params={"as_of": 2})
    assert response.status_code == 200 and AS_OF_HEADER not in response.headers


def test_the_column_refuses_as_of_in_chinese_and_english(service):
    client, *_ = service
    response = client.get("/column/results", params={"as_of": 3}, headers={"Accept": PROBLEM})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("GET /column/results 不支持 as_of")
    assert "公示专栏" in detail


def test_no_route_takes_as_of_as_an_integer_of_its_own(service):
    """One parameter, one meaning: every route's as_of is the text one api/as_of.py resolves."""
    _, app, _, _ = service
    for path, operations in app.openapi()["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "as_of":
                    schema = parameter["schema"]
                    types = {t.get("type") for t in [schema, *schema.get("anyOf", [])]}
                    assert "integer" not in types, path
