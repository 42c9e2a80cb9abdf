"""Roles that decide (issue 11, part 3), played by insiders: a leader in charge reviews only the
plans of the divisions the policy puts under them (and the verifier finds a review recorded
outside that charge), a clerk reads only their own division's work lists, and auditors and the
legal office read across divisions."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.demo.bureau import ADMIN
from ledger.errors import Forbidden
from ledger.export import export_bundle
from ledger.fields import InvalidFields
from ledger.plans.service import Plans
from ledger.policies import Policies
from ledger.registry.service import Registry
from verify.bundle import read_bundle
from verify.checks import verify_bundle

from ..ledger.test_plans import PLAN


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=20, inspectors=8, today=date(2026, 11, 25))
    return ledger


def _plan_of(plans: Plans, division: str):  # type: ignore[no-untyped-def]
    return plans.draft({**PLAN, "division": division}, f"{division}-clerk")


def _reviews(ledger) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for _ in ledger.notifications(topics=["plan.reviewed"]))


def test_a_leader_reviews_only_the_divisions_the_policy_puts_in_their_charge(bureau):
    plans = Plans(bureau, today=date(2026, 12, 10))
    # The demo's policy: jld-leader-1 leads szc, ggc and hhc; jld-leader-2 szyc and nsc.
    plans.review(_plan_of(plans, "szc"), True, "同意", "jld-leader-1")
    plans.review(_plan_of(plans, "szyc"), True, "同意", "jld-leader-2")
    before = _reviews(bureau)
    foreign = _plan_of(plans, "nsc")
    with pytest.raises(Forbidden) as refused:
        plans.review(foreign, True, "同意", "jld-leader-1")
    assert "act on a record of division nsc" in str(refused.value)
    assert "in their charge (divisions in their charge: szc, ggc, hhc)" in str(refused.value)
    assert _reviews(bureau) == before


def test_a_leader_the_policy_names_nothing_for_reviews_no_other_division(bureau):
    policies = Policies(bureau)
    document = copy.deepcopy(bureau.policy_in_force())
    document["version"] = "v-no-leaders"
    del document["leaders"]
    policies.set(document, ADMIN)
    plans = Plans(bureau, today=date(2026, 12, 10))
    with pytest.raises(Forbidden, match="the policy's \\[leaders\\] names none"):
        plans.review(_plan_of(plans, "szc"), True, "同意", "jld-leader-1")


def test_the_policy_checks_its_leaders_table(bureau):
    document = copy.deepcopy(bureau.policy_in_force())
    document["version"] = "v-bad-leaders"
    document["leaders"] = {"jld-leader-1": [], "jld-leader-2": ["szc", "szc"], "x": "szc"}
    with pytest.raises(InvalidFields) as refused:
        Policies(bureau).set(document, ADMIN)
    assert {p.field for p in refused.value.problems} == {
        "leaders.jld-leader-1",
        "leaders.jld-leader-2",
        "leaders.x",
    }


def _the_one_finding(bureau, plan, tmp_path):  # type: ignore[no-untyped-def]
    """Save ``plan`` (its review recorded past the ledger's check), export and verify: the
    bundle's one authority finding, which names that review."""
    bureau.save(plan)
    at = bureau.recorder.max_notification_id()
    export_bundle(bureau, tmp_path / "b.jsonl")
    report = verify_bundle(
        read_bundle(tmp_path / "b.jsonl"), pinned_keys=[str(bureau.signer.verifier)]
    )
    [finding] = report.authority.findings
    assert (finding.position + 1, finding.type) == (at, "plan.reviewed")
    return finding


def test_the_verifier_finds_a_review_recorded_outside_the_leaders_charge(bureau, tmp_path):
    plans = Plans(bureau, today=date(2026, 12, 10))
    plans.review(_plan_of(plans, "szc"), True, "同意", "jld-leader-1")  # in charge: no finding
    plan = plans.get(_plan_of(plans, "nsc"))
    # The insider's ledger code skips the check: jld-leader-1 reviews nsc's plan.
    plan.review(True, "同意", {"official": "jld-leader-1", "role": "leader_in_charge",
                                "department": "jld"})  # fmt: skip
    finding = _the_one_finding(bureau, plan, tmp_path)
    assert "划归其分管的处室（szc、ggc、hhc）的记录，不能办理处室 nsc 的记录" in finding.message


# -- four eyes: nobody reviews their own plan ------------------------------------------------------

BOSS = "szc-boss"  # szc's clerk and its leader in charge at once


def _two_hatted(bureau):  # type: ignore[no-untyped-def]
    Registry(bureau).register_official(
        {"code": BOSS, "name": "甲", "division": "szc", "roles": ["clerk", "leader_in_charge"]},
        ADMIN,
    )
    return Plans(bureau, today=date(2026, 12, 10))


def test_an_official_holding_both_roles_cannot_review_a_plan_they_drafted_or_amended(bureau):
    """The clerk who is also the division's leader in charge drafts a plan and approves it
    (or rejects it) themselves: refused, in Chinese, nothing recorded. A plan another clerk
    drafted they may review, until they amend it; then another leader reviews it."""
    from api.errors import refusal_text

    plans = _two_hatted(bureau)
    own = plans.draft({**PLAN, "division": "szc"}, BOSS)
    before = _reviews(bureau)
    for approved in (True, False):
        with pytest.raises(Forbidden, match=f"official {BOSS} drafted or amended this plan"):
            plans.review(own, approved, "同意", BOSS)
    assert _reviews(bureau) == before
    with pytest.raises(Forbidden) as refused:
        plans.review(own, True, "同意", BOSS)
    assert "拟订或修改了该计划，不能审核" in refusal_text(refused.value)

    theirs = _plan_of(plans, "szc")  # drafted by szc-clerk
    plans.review(theirs, False, "退回修改", BOSS)
    plans.amend(theirs, {"counts": {"all": 4}}, "按意见修改", BOSS)
    with pytest.raises(Forbidden, match="drafted or amended"):
        plans.review(theirs, True, "同意", BOSS)
    plans.review(theirs, True, "同意", "jld-leader-1")  # another official: the four eyes
    assert _reviews(bureau) == before + 2


def test_the_verifier_finds_a_plan_reviewed_by_its_author(bureau, tmp_path):
    """The insider's ledger code skips the check: the verifier names the review."""
    plans = _two_hatted(bureau)
    plans.review(_plan_of(plans, "szc"), True, "同意", BOSS)  # another's draft: no finding
    plan = plans.get(plans.draft({**PLAN, "division": "szc"}, BOSS))
    plan.authors = set()
    plan.review(True, "同意", {"official": BOSS, "role": "leader_in_charge",
                                "department": "szc"})  # fmt: skip
    finding = _the_one_finding(bureau, plan, tmp_path)
    assert finding.message == f"工作人员 {BOSS} 拟订或修改了该计划，却审核了它"


# -- work lists ----------------------------------------------------------------------------------

LISTS = ("/staff/awaiting-confirmation", "/staff/publications-due")


@pytest.fixture
def client(bureau):
    return TestClient(create_app(bureau))


def _bearer(ledger, code: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {Registry(ledger).issue_token(code, None)}"}


@pytest.mark.parametrize("path", LISTS)
def test_clerks_and_heads_read_their_own_division_s_work_lists_only(bureau, client, path):
    for code in ("ggc-clerk", "ggc-head"):
        own = client.get(path, headers=_bearer(bureau, code))
        assert own.status_code == 200, own.text
        also_own = client.get(path, params={"division": "ggc"}, headers=_bearer(bureau, code))
        assert also_own.status_code == 200
        other = client.get(path, params={"division": "szc"}, headers=_bearer(bureau, code))
        assert other.status_code == 403
        assert "worklist.read" in other.text and "处室 szc" in other.text


@pytest.mark.parametrize("path", LISTS)
def test_auditors_and_the_legal_office_read_every_division_s_work_lists(bureau, client, path):
    for code in ("bgs-auditor", "szc-legal"):
        for division in ("szc", "ggc", "nsc"):
            answer = client.get(path, params={"division": division}, headers=_bearer(bureau, code))
            assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("path", LISTS)
def test_other_roles_read_no_work_list(bureau, client, path):
    for code in ("szjczd-inspector", "jld-leader-1", ADMIN, "szc-aggregator"):
        answer = client.get(path, headers=_bearer(bureau, code))
        assert answer.status_code == 403, (code, answer.text)
    assert client.get(path).status_code == 401


def official_operations(app, method: str) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    """Every (path, operation) of ``method`` that takes an official's bearer token, from the
    app's OpenAPI document: a new route is found here without anyone listing it."""
    return [
        (path, operations[method])
        for path, operations in app.openapi()["paths"].items()
        if method in operations and operations[method].get("security")
    ]


def test_auditors_and_the_legal_office_read_the_officials_read_endpoints(bureau, client):
    paths = [path for path, _ in official_operations(client.app, "get") if "{" not in path]
    assert "/targets" in paths and "/staff/publications-due" in paths
    # This bureau has its registry but no year's work: the assessment finds nothing to assess
    # (a 404 saying so, not a refusal).
    expected = {"/assessment": 404}
    for code in ("bgs-auditor", "szc-legal"):
        for path in paths:
            answer = client.get(path, headers=_bearer(bureau, code))
            assert answer.status_code == expected.get(path, 200), (code, path, answer.text)
