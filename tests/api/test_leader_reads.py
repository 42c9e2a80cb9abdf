"""The leader in charge of a division reads what its own officials read of it — its plans and
inspections by id, the lists of its records, its trail, its work lists — and nothing of a
division the policy in force does not put in their charge (issue 11: roles that decide).

Played as insiders: a leader of other divisions, a leader whose charge a new policy version
takes away, a deactivated leader; and the read leaves the leader as they were (their division,
their acts still judged by their own charge).
"""

from __future__ import annotations

import copy
from datetime import date
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.demo.bureau import ADMIN
from ledger.errors import Forbidden
from ledger.plans.service import Plans
from ledger.policies import Policies
from ledger.registry.service import Registry

from ..ledger.test_plans import PLAN

LEADER, OTHER = "jld-leader-1", "jld-leader-2"  # the demo: szc, ggc, hhc / szyc, nsc


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=20, inspectors=8, today=date(2026, 11, 25))
    plans = Plans(ledger, today=date(2026, 12, 10))
    plan = plans.draft({**PLAN, "division": "szc"}, "szc-clerk")
    return ledger, str(plan)


def _client(ledger, code):  # type: ignore[no-untyped-def]
    client = TestClient(create_app(ledger))
    client.headers["Authorization"] = f"Bearer {Registry(ledger).issue_token(code, None)}"
    return client


def _reads(plan: str, division: str = "szc") -> list[str]:
    d = f"division={division}"
    return [
        f"/plans/{plan}",
        f"/plans?{d}",
        f"/draws?{d}",
        f"/inspections?{d}",
        f"/publications?{d}",
        f"/trail?{d}",
        f"/trail/officials/{division}-clerk",
        f"/trail/plans/{plan}",
        f"/staff/awaiting-confirmation?{d}",
        f"/staff/publications-due?{d}",
        f"/divisions/{division}/coverage",
    ]


def test_the_leader_in_charge_reads_the_lists_trail_and_work_lists_of_their_division(bureau):
    ledger, plan = bureau
    leader = _client(ledger, LEADER)
    for url in _reads(plan):
        assert leader.get(url).status_code == 200, (url, leader.get(url).text)
    listed = leader.get("/plans?division=szc").json()["items"]
    assert plan in [p["id"] for p in listed]
    trail = leader.get("/trail?division=szc").json()
    assert trail["divisions"] == ["szc"] and trail["items"]
    acts = leader.get(f"/trail/plans/{plan}").json()
    assert acts["divisions"] == ["szc"] and acts["items"][0]["type"] == "plan.drafted"
    assert leader.get("/trail/officials/szc-clerk").json()["items"]


def test_a_leader_of_other_divisions_reads_none_of_it(bureau):
    ledger, plan = bureau
    other = _client(ledger, OTHER)
    for url in _reads(plan):
        answer = other.get(url)
        assert answer.status_code == 403, (url, answer.text)
    # nor does the leader of szc read a division outside their charge
    nsc = Plans(ledger, today=date(2026, 12, 10)).draft({**PLAN, "division": "nsc"}, "nsc-clerk")
    leader = _client(ledger, LEADER)
    for url in _reads(str(nsc), "nsc"):
        answer = leader.get(url)
        assert answer.status_code == 403, (url, answer.text)


def test_a_policy_that_takes_the_division_away_ends_the_reads_at_once(bureau):
    ledger, plan = bureau
    leader = _client(ledger, LEADER)
    assert leader.get("/plans?division=szc").status_code == 200
    document = copy.deepcopy(ledger.policy_in_force())
    document["version"] = "v-szc-moved"
    document["leaders"] = {LEADER: ["ggc", "hhc"], OTHER: ["szyc", "nsc", "szc"]}
    Policies(ledger).set(document, ADMIN, "分管调整")
    for url in _reads(plan):
        assert leader.get(url).status_code == 403, url
    now = _client(ledger, OTHER)
    assert all(now.get(url).status_code == 200 for url in _reads(plan))


def test_a_deactivated_leader_reads_nothing(bureau):
    ledger, plan = bureau
    leader = _client(ledger, LEADER)
    Registry(ledger).deactivate_official(LEADER, "调离", by=ADMIN)
    for url in _reads(plan):
        assert leader.get(url).status_code in (401, 403), url


def test_reading_as_the_leader_in_charge_leaves_the_leader_as_they_were(bureau):
    ledger, plan = bureau
    leader = _client(ledger, LEADER)
    home = leader.get(f"/officials/{LEADER}").json()["division"]
    for url in _reads(plan):
        leader.get(url)
    assert leader.get(f"/officials/{LEADER}").json()["division"] == home
    assert leader.get("/trail").json()["divisions"] == [home]  # their own, by default
    # Their acts are still judged by their own division and charge.
    plans = Plans(ledger, today=date(2026, 12, 10))
    nsc = plans.draft({**PLAN, "division": "nsc"}, "nsc-clerk")
    with pytest.raises(Forbidden):
        plans.review(nsc, True, "同意", LEADER)
    plans.review(UUID(plan), True, "同意", LEADER)
    (event,) = [e for _, e in ledger.records(topics=["plan.reviewed"])]
    assert event.envelope["actor"]["department"] == home
