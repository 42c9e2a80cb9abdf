"""The rulebook of authority: one rule per event type the ledger can record, and what it allows."""

from __future__ import annotations

import pytest

from ledger.actors import SYSTEM
from ledger.catalogue import event_types
from verify.authority_rules import (
    CROSS_DIVISION,
    EVENT_ACTS,
    OPERATOR,
    PERMISSIONS,
    charge_of,
    permits,
    role_for,
)


def test_every_event_type_the_ledger_records_has_a_rule_so_none_can_be_forgotten():
    # The product's own kinds: tests add aggregates of their own to the catalogue (include()).
    product = {t for t, cls in event_types().items() if cls.__module__.startswith("ledger.")}

    assert product - set(EVENT_ACTS) == set()
    assert set(EVENT_ACTS) - product == set()


def test_every_act_named_by_a_rule_exists():
    named = {act for acts, _ in EVENT_ACTS.values() for act in acts}

    assert named <= set(PERMISSIONS)
    assert set(CROSS_DIVISION) <= set(PERMISSIONS)


def test_the_ledgers_operator_is_the_verifiers():
    assert SYSTEM.to_json() == OPERATOR


@pytest.mark.parametrize(
    ("roles", "home", "act", "division", "expected"),
    [
        (["clerk"], "ggc", "target.write", "ggc", "clerk"),
        (["clerk"], "hhc", "target.write", "ggc", None),  # 谁审批谁监管
        (["auditor"], "ggc", "target.write", "ggc", None),
        (["clerk", "plan_aggregator"], "szc", "inspector.write", "ggc", "plan_aggregator"),
        (["leader_in_charge"], "bgs", "plan.review", "ggc", None),  # not in their charge
        (["leader_in_charge"], "ggc", "plan.review", "ggc", "leader_in_charge"),
        (["admin"], "bgs", "official.manage", None, "admin"),
        (["inspector"], "szjczd", "inspection.result", "ggc", "inspector"),
        (["inspector"], "szjczd", "inspection.notify", "szjczd", None),
    ],
)
def test_role_for_gives_the_first_role_that_permits_the_act(roles, home, act, division, expected):
    assert role_for(roles, home, act, division) == expected


def test_a_move_needs_authority_over_both_divisions():
    assert permits("clerk", "ggc", "target.write", ["ggc"])
    assert not permits("clerk", "hhc", "target.write", ["ggc", "hhc"])
    assert permits("plan_aggregator", "szc", "inspector.write", ["ggc", "hhc"])


def test_a_leader_reviews_the_divisions_the_policy_puts_in_their_charge():
    policy = {"leaders": {"jld-1": ["szc", "ggc"], "jld-2": []}}
    charge = charge_of(policy, "jld-1")
    assert charge == ("szc", "ggc")
    assert role_for(["leader_in_charge"], "jld", "plan.review", "ggc", charge)
    assert role_for(["leader_in_charge"], "jld", "plan.review", "hhc", charge) is None
    # The policy names nothing for jld-2 or jld-3: their own division's plans only.
    assert charge_of(policy, "jld-2") == charge_of(policy, "jld-3") == ()
    assert role_for(["leader_in_charge"], "jld", "plan.review", "szc", ()) is None
    # A charge widens nothing but a leader's review: not a clerk's writes, not another act.
    assert role_for(["clerk"], "jld", "target.write", "szc", ("szc",)) is None
    assert role_for(["leader_in_charge"], "jld", "plan.write", "szc", ("szc",)) is None


def test_work_lists_are_read_by_their_division_and_across_by_auditors_and_the_legal_office():
    assert role_for(["clerk"], "ggc", "worklist.read", "ggc") == "clerk"
    assert role_for(["division_head"], "ggc", "worklist.read", "ggc") == "division_head"
    assert role_for(["clerk"], "ggc", "worklist.read", "szc") is None
    assert role_for(["auditor"], "bgs", "worklist.read", "szc") == "auditor"
    assert role_for(["legal_office"], "szc", "worklist.read", "hhc") == "legal_office"
    for role in ("inspector", "leader_in_charge", "admin", "plan_aggregator"):
        assert role_for([role], "szc", "worklist.read", "szc") is None


def test_the_annual_assessment_is_read_by_the_raters_and_a_head_for_their_own_division():
    for role in ("legal_office", "auditor", "admin"):
        assert role_for([role], "szc", "assessment.read", "ggc") == role
    assert role_for(["division_head"], "szc", "assessment.read", "szc") == "division_head"
    assert role_for(["division_head"], "szc", "assessment.read", "ggc") is None
    for role in ("clerk", "inspector", "leader_in_charge", "plan_aggregator"):
        assert role_for([role], "szc", "assessment.read", "szc") is None
