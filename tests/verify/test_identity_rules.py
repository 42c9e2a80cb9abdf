"""The identity rules as pure functions (verify/authority_rules.py), which the ledger enforces
and the verifier replays: each refusal, and the one case each lets through."""

from __future__ import annotations

import pytest

from verify.authority_rules import inspector_binders, operator_refusal
from verify.identity_rules import REFUSED, TAKEN, UNKNOWN, binding_refusal, inspector_act_refusal

OK = ("acc-1", "szjczd", ["inspector"], None, "insp-001", "szjczd", None)


def test_a_binding_of_an_inspector_official_of_the_inspectors_unit_is_allowed():
    assert binding_refusal(*OK) is None


@pytest.mark.parametrize(
    ("change", "kind", "words"),
    [
        ({5: None}, UNKNOWN, "no inspector insp-001 on the roster"),
        ({2: ["clerk"]}, REFUSED, "does not hold the inspector role"),
        ({3: "insp-009"}, TAKEN, "acc-1 is bound to inspector insp-009 already"),
        ({6: "acc-2"}, TAKEN, "bound to official acc-2 already"),
        ({1: "szc"}, REFUSED, "bound only to an inspector of their own unit"),
    ],
)
def test_each_binding_rule_refuses(change, kind, words):
    args = list(OK)
    for index, value in change.items():
        args[index] = value
    refusal = binding_refusal(*args)
    assert refusal is not None
    assert refusal[0] == kind
    assert words in refusal[1]


def test_an_inspector_act_needs_a_binding_to_a_member_of_the_team():
    assert inspector_act_refusal("acc-1", "insp-001", ["insp-001", "insp-002"]) is None
    unbound = inspector_act_refusal("acc-1", None, ["insp-001"])
    assert unbound is not None and "bound to no roster inspector" in unbound
    outside = inspector_act_refusal("acc-1", "insp-003", ["insp-001", "insp-002"])
    assert outside is not None and "insp-003, who is not on this inspection's team" in outside


def test_the_policy_names_the_personnel_authority():
    assert inspector_binders({}) == ("admin",)
    assert inspector_binders({"authority": {"bind_inspector": ["auditor"]}}) == ("auditor",)


def test_the_operator_acts_alone_on_set_up_on_request_on_records_and_never_on_inspections():
    assert operator_refusal({}, "official.manage", None) is None
    assert operator_refusal({}, "plan.rollover", None) is None
    assert "only on a written request" in (operator_refusal({}, "target.write", None) or "")
    assert operator_refusal({}, "target.write", "gqc-head") is None
    assert "may not record inspection.result" in (
        operator_refusal({}, "inspection.result", "函") or ""
    )
    closed = {"authority": {"operator": [], "operator_on_request": []}}
    assert "may not record plan.rollover" in (operator_refusal(closed, "plan.rollover", None) or "")
