"""A division's plan through its workflow; deadlines from the policy, late steps recorded."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.demo.changzhou import AGGREGATOR
from ledger.errors import BadInput, Conflict, Forbidden
from ledger.plans.aggregate import deadlines
from ledger.plans.service import Plans
from tests.ledger.workflow import with_ceremony
from verify.events import decode_record

PLAN = {
    "division": "szc",
    "kind": "annual",
    "period": "2027",
    "items": ["qsxk"],
    "counts": {"all": 10},
    "team_size": 2,
    "schedule": "每季度一次",
}


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=60, inspectors=12)
    return ledger


def payloads(app, plan):
    return [(s.topic, decode_record(s.state).envelope) for s in app.recorder.select_events(plan)]


def test_deadlines_come_from_the_policy():
    policy = {
        "plans": {
            "annual_report_by": "12-15",
            "annual_upload_by": "12-25",
            "monthly_report_day": 20,
            "monthly_upload_day": 25,
        }
    }
    assert deadlines("annual", "2027", policy) == {
        "report_by": "2026-12-15",
        "upload_by": "2026-12-25",
    }
    assert deadlines("monthly", "2027-01", policy) == {
        "report_by": "2026-12-20",
        "upload_by": "2026-12-25",
    }
    with pytest.raises(BadInput, match="period"):
        deadlines("monthly", "2027", policy)


def test_an_annual_plan_is_drafted_reviewed_submitted_consolidated_and_uploaded(bureau):
    plans = Plans(bureau, today=date(2026, 12, 10))
    plan = plans.draft(PLAN, "szc-clerk")
    plans.review(plan, True, "同意", "jld-leader-1")
    assert plans.submit(plan, "szc-clerk") is False  # before 15 Dec: on time
    plans.consolidate(plan, AGGREGATOR)
    late = Plans(bureau, today=date(2026, 12, 27)).upload(plan, AGGREGATOR)
    assert late is True  # after 25 Dec: recorded as late, not refused

    events = payloads(bureau, plan)
    assert [t for t, _ in events] == [
        "plan.drafted",
        "plan.reviewed",
        "plan.submitted",
        "plan.consolidated",
        "plan.uploaded",
    ]
    assert events[4][1]["payload"] == {"deadline": "2026-12-25", "late": True}
    assert [e["actor"]["role"] for _, e in events] == [
        "clerk",
        "leader_in_charge",
        "clerk",
        "plan_aggregator",
        "plan_aggregator",
    ]


def test_steps_out_of_order_and_other_divisions_are_refused(bureau):
    plans = Plans(bureau, today=date(2026, 12, 1))
    plan = plans.draft(PLAN, "szc-clerk")
    with pytest.raises(Conflict, match="needs reviewed"):
        plans.submit(plan, "szc-clerk")
    with pytest.raises(Forbidden, match="leader_in_charge"):
        plans.review(plan, True, "ok", "szc-clerk")
    with pytest.raises(Forbidden, match="谁审批谁监管"):
        plans.draft({**PLAN, "division": "ggc"}, "szc-clerk")


def test_an_amendment_sends_the_plan_back_for_review_and_a_withdrawal_ends_it(bureau):
    plans = Plans(bureau, today=date(2026, 12, 1))
    plan = plans.draft(PLAN, "szc-clerk")
    plans.review(plan, True, "同意", "jld-leader-1")
    plans.amend(plan, {"counts": {"all": 12}}, "对象增加", "szc-clerk")
    assert plans.get(plan).status == "drafted"
    assert plans.get(plan).content["counts"] == {"all": 12}
    with pytest.raises(BadInput, match="do not exist"):
        plans.amend(plan, {"colour": "red"}, "?", "szc-clerk")
    plans.withdraw(plan, "并入联合检查", "szc-clerk")
    with pytest.raises(Conflict):
        plans.review(plan, True, "同意", "jld-leader-1")


def test_a_draw_follows_an_uploaded_plan_of_its_own_division(bureau):
    from ledger.draws.service import Draws

    plans = Plans(bureau, today=date(2026, 12, 1))
    plan = plans.draft(PLAN, "szc-clerk")
    draws = Draws(bureau)
    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 1}, "team_size": 2}
    with pytest.raises(Conflict, match="draws follow uploaded plans"):
        draws.open(with_ceremony({**spec, "plan": str(plan)}), "szc-clerk")
    plans.review(plan, True, "同意", "jld-leader-1")
    plans.submit(plan, "szc-clerk")
    plans.consolidate(plan, AGGREGATOR)
    plans.upload(plan, AGGREGATOR)
    with pytest.raises(BadInput, match="belongs to division ggc.*owns or executes"):
        draws.open(with_ceremony({**spec, "items": ["fhyx"], "plan": str(plan)}), "szc-clerk")
    draw = draws.open(with_ceremony({**spec, "plan": str(plan)}), "szc-clerk")
    assert draws.get(draw).plan == str(plan)
