"""The authorisation matrix (issue 11, part 3): every write endpoint, found from the app's
OpenAPI document, against every role of two divisions (ggc's and szc's), the bureau's own roles,
and no token. Each route is mapped to its act in the rulebook (``verify/authority_rules.py``); a
route missing from the table fails the test, so a new one cannot be forgotten. Whoever the
rulebook does not permit that act on ggc's records never gets a 2xx.

Path parameters name ggc's real records where the demo has them (its plan, target, inspector,
item, official); other records are unknown ids. Bodies are empty, so most requests stop at
validation: the matrix proves that nothing outside the rulebook succeeds, and the per-path
insider tests (test_import_authority.py, test_roles.py, …) prove the refusals' reasons."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.plans.service import Plans
from ledger.registry.service import Registry
from verify.authority_rules import EVENT_ACTS, NONE, PERMISSIONS, role_for

from ..ledger.test_plans import PLAN
from .test_roles import official_operations

# "METHOD path" -> the act it performs (None: not an act of an official's role: the admin's
# policy setting, named by the policy, and a witness's cosignature, which needs no role).
ACTS: dict[str, str | None] = {
    "post /draws": "draw.run",
    "post /draws/{draw}/freeze": "draw.run",
    "post /draws/{draw}/reveal": "draw.run",
    "post /draws/{draw}/abandon": "draw.abandon",
    "post /draws/{draw}/select": "draw.run",
    "post /draws/{draw}/assign": "draw.run",
    "post /draws/{draw}/substitutions": "draw.run",
    "post /draws/non-random": "draw.run",
    "post /draws/{draw}/partners": "draw.run",
    "post /draws/{draw}/partners/{division}/accept": "draw.run",
    "post /draws/{draw}/partners/{division}/decline": "draw.run",
    "post /draws/{draw}/partners/{division}/assign": "draw.run",
    "post /draws/{draw}/partners/{division}/substitutions": "draw.run",
    "post /imports/{registry}": "target.write",
    "post /inspections": "inspection.notify",
    "post /inspections/{inspection}/carried-out": "inspection.record",
    "post /inspections/{inspection}/checklist": "inspection.result",
    "post /inspections/{inspection}/result": "inspection.result",
    "post /inspections/{inspection}/confirmation": "inspection.record",
    "post /inspections/{inspection}/follow-ups": "inspection.record",
    "post /inspections/{inspection}/evidence": "inspection.record",
    "post /inspections/{inspection}/close": "inspection.record",
    "post /publications": "publication.publish",
    "post /publications/{publication}/corrections": "publication.publish",
    "post /publications/{publication}/withdrawal": "publication.publish",
    "post /plans/rollover": "plan.write",
    "post /plans": "plan.write",
    "post /plans/{plan}/review": "plan.review",
    "post /plans/{plan}/submit": "plan.write",
    "post /plans/{plan}/consolidate": "plan.consolidate",
    "post /plans/{plan}/upload": "plan.consolidate",
    "post /plans/{plan}/amendments": "plan.write",
    "post /plans/{plan}/withdraw": "plan.write",
    "post /policy": "policy.set",
    "post /divisions": "division.manage",
    "post /divisions/{code}/contact": "division.manage",
    "post /officials": "official.manage",
    "post /officials/{code}/roles": "official.manage",
    "post /officials/{code}/deactivate": "official.manage",
    "post /officials/{code}/inspector": "official.bind",
    "post /officials/{code}/tokens": "token.manage",
    "post /officials/{code}/tokens/{token_id}/revoke": "token.manage",
    "post /targets": "target.write",
    "post /targets/{target_id}/status": "target.write",
    "post /targets/{target_id}/corrections": "target.write",
    "post /targets/{target_id}/personal-data/erasure": "personal_data.erase",
    "post /inspectors": "inspector.write",
    "post /inspectors/{code}/corrections": "inspector.write",
    "post /inspectors/{code}/conflicts": "inspector.write",
    "post /inspectors/{code}/conflicts/{target_id}/withdraw": "inspector.write",
    "post /items": "item.write",
    "post /items/{code}/withdraw": "item.write",
    "post /item-lists": "itemlist.publish",
}
WRITES = ("post", "put", "patch", "delete")
# The bureau's own acts (divisions, officials, tokens, the policy, the item list): no division's.
BUREAU = {act for acts, whose in EVENT_ACTS.values() if whose == NONE for act in acts}
# (official code, home division, roles): every role of ggc and szc, and the bureau's own.
OFFICIALS = [
    ("ggc-clerk", "ggc", ["clerk"]),
    ("ggc-head", "ggc", ["division_head"]),
    ("szc-clerk", "szc", ["clerk"]),
    ("szc-head", "szc", ["division_head"]),
    ("szc-aggregator", "szc", ["plan_aggregator"]),
    ("szc-legal", "szc", ["legal_office"]),
    ("bgs-auditor", "bgs", ["auditor"]),
    ("jld-leader-2", "jld", ["leader_in_charge"]),  # not in charge of ggc
    ("szjczd-inspector", "szjczd", ["inspector"]),
    ("bgs-admin", "bgs", ["admin"]),
]


@pytest.fixture
def world(demo_ledger):
    ledger, _ = demo_ledger(targets=20, inspectors=8, today=date(2026, 11, 25))
    registry = Registry(ledger)
    plan = Plans(ledger, today=date(2026, 12, 10)).draft({**PLAN, "division": "ggc"}, "ggc-clerk")
    return ledger, registry, plan


def _writes(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{method} {path}" for method in WRITES for path, _ in official_operations(app, method)]


def test_every_write_endpoint_is_in_the_table_and_every_act_in_the_rulebook(world):
    app = create_app(world[0])
    writes = _writes(app)
    assert len(writes) >= 50
    assert sorted(set(writes) - set(ACTS)) == []  # a new route must be added to the table
    assert sorted(set(ACTS) - set(writes)) == []  # and a removed one taken out
    assert {act for act in ACTS.values() if act is not None} <= set(PERMISSIONS)


def test_nobody_outside_the_rulebook_gets_a_2xx_from_any_write_endpoint(world):
    ledger, registry, plan = world
    client = TestClient(create_app(ledger))
    bearer = {
        code: {"Authorization": f"Bearer {registry.issue_token(code, None)}"}
        for code, _, _ in OFFICIALS
    }
    ggc_records = {
        "plan": str(plan),
        "draw": str(uuid4()),
        "inspection": str(uuid4()),
        "publication": str(uuid4()),
        "division": "ggc",
        "code": "ggc-clerk",
        "registry": "targets",
        "target_id": str(uuid4()),
        "token_id": str(uuid4()),
    }
    sent = 0
    for route, act in ACTS.items():
        method, path = route.split(" ", 1)
        url = path.format(**ggc_records)
        assert client.request(method, url, json={}).status_code == 401, route
        sent += 1
        for code, home, roles in OFFICIALS:
            whose = None if act in BUREAU else "ggc"
            allowed = act is not None and role_for(roles, home, act, whose) is not None
            answer = client.request(method, url, json={}, headers=bearer[code])
            sent += 1
            if not allowed:
                assert not 200 <= answer.status_code < 300, (route, code, answer.text)
    assert sent >= 50 * len(bearer)
