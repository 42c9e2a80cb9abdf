"""Identities that cannot be borrowed (issue 11, part 2), played by insiders: an admin who
creates an account under a roster inspector's code, a binding to another unit's inspector, two
accounts for one inspector, an inspector-role official recording with nobody bound to them, or
in the name of a colleague. Each is refused naming the rule, with nothing recorded."""

from __future__ import annotations

import pytest

from ledger.demo.changzhou import ADMIN, inspector_official
from ledger.errors import Conflict, Forbidden
from ledger.policies import Policies
from ledger.registry.identities import bound_official
from ledger.registry.inspectors import Inspector, inspector_id
from ledger.registry.service import Registry
from verify.identity_rules import BOUND_INSPECTOR_RULE, SHARED_CODE_RULE

from .test_inspections import _carried_out, bureau, drawn, inspections  # noqa: F401 - fixtures


def _size(app) -> int:  # type: ignore[no-untyped-def]
    return int(app.recorder.max_notification_id() or 0)


def _inspector(app, code: str) -> Inspector:  # type: ignore[no-untyped-def]
    record: Inspector = app.get(inspector_id(code), Inspector)
    return record


def _account(registry: Registry, code: str, division: str) -> str:
    data = {"code": code, "name": "新账号", "division": division, "roles": ["inspector"]}
    return registry.register_official(data, by=ADMIN)


def test_an_admin_cannot_create_an_account_under_a_roster_inspectors_code(bureau):  # noqa: F811
    """The issue's attack: official insp-015 '随便谁' of szc, while roster inspector insp-015 is
    another person in another unit."""
    registry = Registry(bureau)
    before = _size(bureau)
    with pytest.raises(Forbidden, match="official code insp-015 is the code of roster inspector"):
        registry.register_official(
            {"code": "insp-015", "name": "随便谁", "division": "szc", "roles": ["inspector"]},
            by=ADMIN,
        )
    assert _size(bureau) == before


def test_a_new_roster_inspector_cannot_take_an_officials_code(bureau):  # noqa: F811
    registry = Registry(bureau)
    row = _inspector(bureau, "insp-001").as_input() | {"code": "szc-clerk"}
    before = _size(bureau)
    report = registry.import_inspectors([row], "szc-aggregator")
    [problem] = report.problems
    assert problem.field == "code"
    assert SHARED_CODE_RULE in problem.message
    assert _size(bureau) == before


def test_the_operators_name_is_no_officials_code(bureau):  # noqa: F811
    with pytest.raises(Forbidden, match="the ledger's operator's"):
        _account(Registry(bureau), "drawledger", "szjczd")


def test_an_official_is_bound_only_to_an_inspector_of_their_own_unit(bureau):  # noqa: F811
    registry = Registry(bureau)
    inspector = _inspector(bureau, "insp-001")
    other = "szc" if inspector.unit != "szc" else "ggc"
    code = _account(registry, "outsider-account", other)
    registry.deactivate_official(bound_official(bureau, "insp-001") or "", "停用", by=ADMIN)
    before = _size(bureau)
    with pytest.raises(Forbidden, match="bound only to an inspector of their own unit"):
        registry.bind_inspector(code, "insp-001", "借用", by=ADMIN)
    assert _size(bureau) == before
    assert bound_official(bureau, "insp-001") is None


def test_one_roster_inspector_is_bound_to_one_official(bureau):  # noqa: F811
    registry = Registry(bureau)
    inspector = _inspector(bureau, "insp-002")
    holder = bound_official(bureau, "insp-002")
    assert holder == inspector_official("insp-002", inspector.unit)
    second = _account(registry, "second-account", inspector.unit)
    with pytest.raises(Conflict, match=f"bound to official {holder} already"):
        registry.bind_inspector(second, "insp-002", "第二个账号", by=ADMIN)
    # Once the first account is deactivated, the person may be given a new one.
    registry.deactivate_official(holder or "", "账号停用", by=ADMIN)
    registry.bind_inspector(second, "insp-002", "新账号", by=ADMIN)
    assert bound_official(bureau, "insp-002") == second


def test_only_the_personnel_authority_the_policy_names_binds(bureau):  # noqa: F811
    registry = Registry(bureau)
    inspector = _inspector(bureau, "insp-003")
    holder = bound_official(bureau, "insp-003") or ""
    registry.deactivate_official(holder, "账号停用", by=ADMIN)
    code = _account(registry, "fresh-account", inspector.unit)
    with pytest.raises(Forbidden, match="needs one of the roles admin"):
        registry.bind_inspector(code, "insp-003", "科员自行绑定", by="szc-clerk")
    in_force = bureau.policy_in_force()
    named = {**in_force, "version": "bind-by-auditor", "authority": {"bind_inspector": ["auditor"]}}
    Policies(bureau).set(named, ADMIN, "人事授权")
    with pytest.raises(Forbidden, match="needs one of the roles auditor"):
        registry.bind_inspector(code, "insp-003", "管理员", by=ADMIN)
    registry.bind_inspector(code, "insp-003", "人事处", by="bgs-auditor")
    assert bound_official(bureau, "insp-003") == code


def test_an_unbound_inspector_official_records_nothing(bureau, drawn, inspections):  # noqa: F811
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    before = _size(bureau)
    # The demo's szjczd-inspector holds the inspector role but is bound to nobody.
    with pytest.raises(Forbidden, match="bound to no roster inspector") as refused:
        inspections.record_result(
            inspection,
            {"category": "no_problem", "recorded_by": teams[0]["members"][0]},
            "szjczd-inspector",
        )
    assert BOUND_INSPECTOR_RULE in str(refused.value)
    with pytest.raises(Forbidden, match="bound to no roster inspector"):
        inspections.follow_up(inspection, {"kind": "none", "on": "2026-11-11"}, "szjczd-inspector")
    assert _size(bureau) == before


def test_a_bound_official_cannot_record_in_a_colleagues_name(
    bureau,  # noqa: F811
    drawn,  # noqa: F811
    inspections,  # noqa: F811
):
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    first, second = teams[0]["members"][:2]
    before = _size(bureau)
    with pytest.raises(Forbidden, match=f"cannot record in the name of {second}"):
        inspections.record_result(
            inspection,
            {"category": "no_problem", "recorded_by": second},
            bound_official(bureau, first),
        )
    assert _size(bureau) == before


def test_a_policy_naming_an_unknown_operator_act_or_role_is_refused(bureau):  # noqa: F811
    from ledger.policy_rules import document_problems

    in_force = bureau.policy_in_force()
    authority = {"operator": ["draw.steal"], "bind_inspector": ["boss"]}
    problems = document_problems({**in_force, "version": "bad", "authority": authority})
    named = {p.field for p in problems}
    assert {"authority.operator", "authority.bind_inspector"} <= named, problems


def test_a_bound_official_or_inspector_cannot_move_away_from_the_other(bureau):  # noqa: F811
    """Division and unit must match while the binding holds: moving the account to another
    division, or its inspector to another unit (by correction or import), is refused naming
    the binding; once the account is deactivated the inspector may move."""
    registry = Registry(bureau)
    inspector = _inspector(bureau, "insp-001")
    account = bound_official(bureau, "insp-001")
    assert account is not None
    before = _size(bureau)
    with pytest.raises(Conflict, match=f"official {account} is bound to roster inspector insp-001"):
        registry.change_official_roles(account, ["inspector"], "ggc", "调岗", by=ADMIN)
    other = "szyfwzx" if inspector.unit != "szyfwzx" else "szjczd"
    with pytest.raises(Conflict, match="roster inspector insp-001 is bound to official"):
        registry.update_inspector("insp-001", {"unit": other}, "调动", by="szc-aggregator")
    report = registry.import_inspectors([inspector.as_input() | {"unit": other}], "szc-aggregator")
    [problem] = report.problems
    assert problem.field == "unit" and BOUND_INSPECTOR_RULE in problem.message
    assert _size(bureau) == before

    registry.deactivate_official(account, "调离", by=ADMIN)
    registry.update_inspector("insp-001", {"unit": other}, "调动", by="szc-aggregator")
    assert _inspector(bureau, "insp-001").unit == other
