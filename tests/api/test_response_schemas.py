"""Successful answers inside their documented schemas: every GET operation of /openapi.json,
asked with real values of a demo ledger's year (its draws, plans, inspections, divisions) as a
visitor without a login and as an official of each role, answers no 5xx, and each 2xx body is
valid against the schema the description documents for its status and content type
(``openapi_answers.py``); so do a whole draw's commands and a plan's draft. The hostile walk
(``test_hostile_parameters.py``) checks the 2xx answers it gets, commands included, the same
way."""

from __future__ import annotations

import itertools
import re

from tests.ledger.workflow import CEREMONY, CONTRIBUTIONS

from .openapi_answers import Answers
from .test_draw_routes import client as clerk  # noqa: F401  (a demo ledger, szc's clerk)
from .test_hostile_parameters import service  # noqa: F401  (the fixture)

PARAMETER = re.compile(r"\{(\w+)\}")
# The query an operation needs to answer at all (its required parameters).
QUERIES = {"/proofs/inclusion": "?position=1", "/proofs/consistency": "?old=1"}


def _urls(path: str, known: dict[str, list[str]]) -> list[str]:
    """The path with its parameters filled with known values (at most 4 combinations)."""
    names = PARAMETER.findall(path)
    if not names:
        return [path]
    if any(name not in known for name in names):
        return []
    urls = []
    for values in itertools.islice(itertools.product(*(known[n] for n in names)), 4):
        url = path
        for name, value in zip(names, values, strict=True):
            url = url.replace("{" + name + "}", value)
        urls.append(url)
    return urls


def test_every_get_answers_2xx_bodies_inside_their_documented_schemas(service):  # noqa: F811
    client, tokens, _ = service
    openapi = client.get("/openapi.json").json()  # the description as served
    answers = Answers(openapi)
    failures: list[str] = []
    answered: set[str] = set()
    gets = [path for path, operations in openapi["paths"].items() if "get" in operations]
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    target = client.get("/targets?limit=1", headers=admin).json()["items"][0]["code"]
    inspector = client.get("/inspectors?limit=1", headers=admin).json()["items"][0]["code"]
    known = {**client.known, "ref": [target], "entity": ["targets"], "key": [target]}
    known["code"] = [*known["code"], inspector]
    for path in gets:
        for url in _urls(path, known):
            url += QUERIES.get(path, "")
            for role in [None, *sorted(tokens)]:
                headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
                response = client.get(url, headers=headers)
                if response.status_code >= 500:
                    failures.append(f"GET {url} as {role}: {response.status_code}")
                failures += [
                    f"GET {url} as {role}: {problem}"
                    for problem in answers.problems("GET", path, response)
                ]
                if 200 <= response.status_code < 300:
                    answered.add(path)
    assert not failures, "\n".join(failures)
    unanswered = sorted(set(gets) - answered)
    assert unanswered == [], f"no 2xx answer was checked for: {unanswered}"


def test_every_json_success_is_documented_by_a_schema_that_says_something(service):  # noqa: F811
    client, _, _ = service
    assert Answers(client.get("/openapi.json").json()).says_nothing() == []


def test_a_draw_and_a_plan_through_the_api_answer_inside_their_schemas(clerk):  # noqa: F811
    client = clerk
    """Commands answer inside their schemas too: a whole draw, step by step, and a plan's
    draft, by a division's clerk (the walks above rarely get a command's 2xx)."""
    answers = Answers(client.get("/openapi.json").json())
    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 4}, "team_size": 2}
    opened = client.post("/draws", json={"ceremony": CEREMONY, **spec})
    draw = opened.json()["id"]
    plan = {"division": "szc", "kind": "monthly", "period": "2099-03", "items": ["qsxk"]}
    sent = [
        ("POST", "/draws", opened),
        ("POST", "/draws/{draw}/freeze", client.post(f"/draws/{draw}/freeze")),
        (
            "POST",
            "/draws/{draw}/reveal",
            client.post(f"/draws/{draw}/reveal", json={"contributions": CONTRIBUTIONS}),
        ),
        ("POST", "/draws/{draw}/select", client.post(f"/draws/{draw}/select")),
        ("POST", "/draws/{draw}/assign", client.post(f"/draws/{draw}/assign")),
        ("GET", "/draws/{draw}/record", client.get(f"/draws/{draw}/record")),
        ("POST", "/plans", client.post("/plans", json={**plan, "counts": {"all": 3}})),
    ]
    assert [response.status_code for *_, response in sent] == [201, 200, 200, 200, 200, 200, 201]
    failures = [
        f"{method} {path}: {problem}"
        for method, path, response in sent
        for problem in answers.problems(method, path, response)
    ]
    assert failures == []


def test_a_substitution_and_an_amendment_answer_inside_their_schemas(clerk):  # noqa: F811
    """Two of the three commands whose success no other API test got
    (``tests.api.openapi_coverage``): a team member replaced after a draw, a plan's draft
    amended. (The third, a publication's correction, is still not exercised over HTTP.)"""
    client = clerk
    answers = Answers(client.get("/openapi.json").json())
    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 2}, "team_size": 2}
    draw = client.post("/draws", json={"ceremony": CEREMONY, **spec}).json()["id"]
    client.post(f"/draws/{draw}/freeze")
    client.post(f"/draws/{draw}/reveal", json={"contributions": CONTRIBUTIONS})
    client.post(f"/draws/{draw}/select")
    teams = client.post(f"/draws/{draw}/assign").json()
    first = teams[0]
    member = first["members"][0]
    swap = {"target": first["target"], "inspector": member, "reason": "回避：曾参与该单位审批"}
    plan = {"division": "szc", "kind": "monthly", "period": "2099-04", "items": ["qsxk"]}
    drafted = client.post("/plans", json={**plan, "counts": {"all": 3}}).json()["id"]
    amendment = {"changes": {"counts": {"all": 2}}, "reason": "处室人手调整"}
    sent = [
        ("/draws/{draw}/substitutions", client.post(f"/draws/{draw}/substitutions", json=swap)),
        ("/plans/{plan}/amendments", client.post(f"/plans/{drafted}/amendments", json=amendment)),
    ]
    assert [r.status_code for _, r in sent] == [201, 200], [r.text for _, r in sent]
    assert sent[0][1].json()["replaced"] == member
    failures = [
        f"POST {path}: {problem}"
        for path, response in sent
        for problem in answers.problems("POST", path, response)
    ]
    assert failures == []
