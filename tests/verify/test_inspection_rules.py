"""The rules of the team present at an inspection, as the ledger and the verifier both apply them.

Cases come from the founding notice and DOMAIN.md: "at least 2 certified inspectors per
inspection"; an inspector with an interest in the target is recused and replaced from the roster;
the roster records each inspector's certificate validity and status (on duty, transferred,
retired, suspended); complaint-driven inspections are not drawn but still need qualified staff.
"""

from __future__ import annotations

import pytest

from verify.draw_rules import substituted
from verify.eligibility import eligible_inspector_statuses, inspector_exclusion
from verify.inspection_rules import (
    CERTIFICATE_INVALID,
    NOT_ON_DUTY,
    NOT_ON_ROSTER,
    NOT_ON_TEAM,
    NOT_QUALIFIED,
    certificate_valid_on,
    directed_problem,
    min_inspectors,
    presence_refusal,
    recorder_problem,
    team_size_problem,
)
from verify.registry_state import InspectorState

NOTICE_POLICY = {"teams": {"min_inspectors": 2}}
DAY = "2018-01-24"  # the first inspections on the city platform, 2018-01-24..30


def _inspector(
    code: str = "zf001",
    *,
    valid_until: str | None = "2020-12-31",
    status: str = "on_duty",
    qualifications: tuple[str, ...] = ("qsxk",),
) -> InspectorState:
    return InspectorState(
        code=code,
        name="张三",
        certificate={"number": "32040001", "valid_until": valid_until},
        unit="szjczd",
        division="szc",
        agency_staff=False,
        qualifications=list(qualifications),
        status=status,
    )


# -- how many take part ---------------------------------------------------------------------------


def test_exactly_the_minimum_of_two_different_inspectors_is_enough():
    assert team_size_problem(["zf001", "zf002"], NOTICE_POLICY) is None


def test_one_inspector_alone_is_too_few_and_the_message_names_the_minimum():
    problem = team_size_problem(["zf001"], NOTICE_POLICY)
    assert problem is not None and "at least 2 different" in problem


def test_one_inspector_named_twice_does_not_make_a_team_of_two():
    assert team_size_problem(["zf001", "zf001"], NOTICE_POLICY) is not None
    assert team_size_problem(["zf001", "zf002", "zf001"], NOTICE_POLICY) is not None


def test_the_minimum_comes_from_the_policy_in_force():
    stricter = {"teams": {"min_inspectors": 3}}
    assert min_inspectors(stricter) == 3
    assert team_size_problem(["zf001", "zf002"], stricter) is not None
    assert team_size_problem(["zf001", "zf002", "zf003"], stricter) is None


def test_a_policy_that_omits_the_minimum_gets_the_notices_two():
    assert min_inspectors({}) == 2
    assert team_size_problem(["zf001"], {"teams": {}}) is not None
    assert team_size_problem(["zf001", "zf002"], {}) is None


# -- the certificate on the day -------------------------------------------------------------------


def test_a_certificate_expiring_on_the_day_of_the_inspection_is_still_valid_that_day():
    assert certificate_valid_on({"valid_until": DAY}, DAY)
    assert not certificate_valid_on({"valid_until": "2018-01-23"}, DAY)
    assert certificate_valid_on({"valid_until": "2018-01-25"}, DAY)


def test_a_certificate_without_a_validity_date_is_not_valid():
    assert not certificate_valid_on({"number": "32040001"}, DAY)
    assert not certificate_valid_on({"valid_until": None}, DAY)
    assert not certificate_valid_on({"valid_until": ""}, DAY)


def test_the_draw_and_the_inspection_read_the_certificate_the_same_way():
    on_the_day = _inspector(valid_until=DAY)
    day_before = _inspector(valid_until="2018-01-23")
    excluded = {
        name: inspector_exclusion(
            inspector,
            code="zf001",
            item="qsxk",
            target_aggregate="t1",
            on_date=DAY,
            policy={},
            assignments=0,
        )
        for name, inspector in (("on the day", on_the_day), ("day before", day_before))
    }
    assert excluded == {
        "on the day": None,
        "day before": "enforcement certificate expired on 2018-01-23",
    }
    on = {"on": DAY, "random": True, "team": ["zf001", "zf002"], "items": ["qsxk"]}
    assert presence_refusal("zf001", on_the_day, **on) is None
    refusal = presence_refusal("zf001", day_before, **on)
    assert refusal is not None and refusal.kind == CERTIFICATE_INVALID
    assert "expired on 2018-01-23" in refusal.message


# -- each inspector present -----------------------------------------------------------------------


def test_someone_not_on_the_roster_may_not_take_part():
    refusal = presence_refusal(
        "zf999", None, on=DAY, random=True, team=["zf001", "zf999"], items=["qsxk"]
    )
    assert refusal is not None and refusal.kind == NOT_ON_ROSTER


def test_only_the_drawn_team_takes_part_in_the_inspection_of_a_drawn_target():
    team = ["zf001", "zf002"]
    stranger = _inspector("zf007")
    refusal = presence_refusal("zf007", stranger, on=DAY, random=True, team=team, items=["qsxk"])
    assert refusal is not None and refusal.kind == NOT_ON_TEAM
    assert "not on the drawn team" in refusal.message


def test_a_recused_inspector_leaves_the_team_and_the_logged_substitute_takes_the_place():
    team = substituted(["zf001", "zf002"], "zf001", "zf007")
    assert team == ["zf007", "zf002"]
    common = {"on": DAY, "random": True, "team": team, "items": ["qsxk"]}
    assert presence_refusal("zf007", _inspector("zf007"), **common) is None
    recused = presence_refusal("zf001", _inspector("zf001"), **common)
    assert recused is not None and recused.kind == NOT_ON_TEAM


def test_a_complaint_driven_inspection_takes_any_inspector_qualified_for_all_its_items():
    common = {"on": DAY, "random": False, "team": None, "items": ["qsxk", "hdgl"]}
    both = _inspector(qualifications=("qsxk", "hdgl"))
    one = _inspector(qualifications=("qsxk",))
    assert presence_refusal("zf001", both, **common) is None
    refusal = presence_refusal("zf001", one, **common)
    assert refusal is not None and refusal.kind == NOT_QUALIFIED
    assert refusal.message.endswith("not qualified for hdgl")


def test_a_drawn_team_member_is_not_asked_again_for_the_items_the_draw_checked():
    # The draw skipped the unqualified when it walked the roster; its team stands.
    member = _inspector(qualifications=())
    assert (
        presence_refusal("zf001", member, on=DAY, random=True, team=["zf001"], items=["qsxk"])
        is None
    )


@pytest.mark.parametrize("status", ["transferred", "retired", "suspended"])
def test_an_inspector_who_is_not_on_duty_may_not_take_part(status):
    refusal = presence_refusal(
        "zf001",
        _inspector(status=status),
        on=DAY,
        random=True,
        team=["zf001", "zf002"],
        items=["qsxk"],
    )
    assert refusal is not None and refusal.kind == NOT_ON_DUTY
    assert status in refusal.message


def test_on_duty_is_the_status_a_draw_takes_when_the_policy_names_none():
    assert eligible_inspector_statuses({}) == ["on_duty"]
    assert eligible_inspector_statuses({"eligibility": {"inspector_statuses": ["x"]}}) == ["x"]


# -- who records what was found -------------------------------------------------------------------


def test_only_an_inspector_present_records_the_result():
    present = ["zf001", "zf002"]
    assert recorder_problem("zf002", present) is None
    problem = recorder_problem("zf003", present)
    assert problem is not None and "not on the team present" in problem


# -- a directed (non-random) record ---------------------------------------------------------------


def test_a_directed_record_covers_only_the_targets_it_names_for_its_own_division():
    targets = ["91320400MA1XXXXXX1"]
    assert directed_problem(targets[0], "szc", "d1", "szc", targets) is None
    other_target = directed_problem("91320400MA1XXXXXX2", "szc", "d1", "szc", targets)
    assert other_target is not None and other_target.kind == "not_named"
    other_division = directed_problem(targets[0], "gzc", "d1", "szc", targets)
    assert other_division is not None and other_division.kind == "other_division"
