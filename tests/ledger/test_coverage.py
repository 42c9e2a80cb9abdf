"""Coverage: which of a division's targets a draw or a directed inspection reached this cycle."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.draws.service import Draws
from ledger.errors import BadInput
from ledger.plans.coverage import Coverage
from ledger.plans.service import Plans
from ledger.registry.service import Registry
from tests.ledger.workflow import draw_until, uploaded_plan

NOW = datetime.now(UTC).year  # coverage dates acts by the time they were recorded
SZC = {"division": "szc", "items": ["qsxk"], "counts": {"all": 5}, "team_size": 2}


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=120, inspectors=20)
    return ledger


def test_selected_and_directed_targets_are_covered_and_the_rest_listed_as_uncovered(bureau):
    coverage = Coverage(bureau)
    before = coverage.for_division("szc", year=NOW, show="all", limit=500)
    assert before["covered"] == 0 and before["uncovered"] == before["targets"] > 10

    draws = Draws(bureau)
    draw = draw_until(draws, SZC, last="select")
    selected = set(draws.selected_targets(draw))
    untouched = next(r["target"] for r in before["items"] if r["target"] not in selected)
    draws.record_non_random(
        {
            "division": "szc",
            "items": ["qsxk"],
            "targets": [untouched],
            "ground": "complaint",
            "reason": "群众举报夜间偷采地下水",
            "legal_basis": "《中华人民共和国水法》第四十八条",
        },
        "szc-clerk",
    )
    draw_until(draws, {**SZC, "division": "ggc", "items": ["hdjs"], "counts": {"all": 3}})

    after = coverage.for_division("szc", year=NOW, limit=2)
    assert after["covered"] == 6  # another division's draw covers none of szc's targets
    assert after["uncovered"] == after["targets"] - 6 == after["total"]
    assert len(after["items"]) == 2 and after["window"] == {
        "from": f"{NOW}-01-01",
        "to": f"{NOW}-12-31",
    }
    uncovered = coverage.for_division("szc", year=NOW, limit=500)["items"]
    assert not {r["target"] for r in uncovered} & (selected | {untouched})
    covered = coverage.for_division("szc", year=NOW, show="covered", limit=500)["items"]
    assert {r["target"] for r in covered} == selected | {untouched}
    assert {r["covered"].get("draw") for r in covered} == {str(draw), None}

    # A cycle that ended before these acts were recorded covers nothing.
    assert coverage.for_division("szc", year=NOW - 1)["covered"] == 0


def test_a_plan_states_a_longer_cycle_only_within_the_policys_bound(bureau):
    plan = Plans(bureau, today=date(NOW - 1, 12, 1)).draft(
        {**SZC, "kind": "annual", "period": str(NOW), "coverage_cycle_years": 3}, "szc-clerk"
    )
    report = Coverage(bureau).for_plan(plan)
    assert report["cycle_years"] == 3
    assert report["window"]["from"] == f"{NOW - 2}-01-01"
    with pytest.raises(BadInput, match="up to 3 where a division's targets are many"):
        Plans(bureau).draft(
            {**SZC, "kind": "annual", "period": "2027", "coverage_cycle_years": 4}, "szc-clerk"
        )
    with pytest.raises(BadInput, match="coverage_cycle_years 5"):
        Plans(bureau).amend(plan, {"coverage_cycle_years": 5}, "对象较多", "szc-clerk")
    with pytest.raises(BadInput, match="show"):
        Coverage(bureau).for_division("szc", show="some")


def test_coverage_over_http_for_a_plan_and_a_division(bureau):
    plan = uploaded_plan(bureau, {**SZC, "kind": "monthly", "period": f"{NOW}-03"}, date(NOW, 2, 1))
    draw_until(Draws(bureau), {**SZC, "plan": str(plan)}, last="select")
    client = TestClient(create_app(bureau))
    client.headers["Authorization"] = f"Bearer {Registry(bureau).issue_token('szc-clerk', None)}"

    by_plan = client.get(f"/plans/{plan}/coverage", params={"limit": 3})
    assert by_plan.status_code == 200, by_plan.text
    assert by_plan.json()["covered"] == 5 and len(by_plan.json()["items"]) == 3
    by_division = client.get("/divisions/szc/coverage", params={"show": "covered"}).json()
    assert by_division["total"] == 5 and by_division["cycle_years"] == 1
    refused = client.get("/divisions/szc/coverage", params={"cycle_years": 9})
    assert refused.status_code == 422 and "coverage_cycle_years 9" in refused.text
    assert client.get("/divisions/szc/coverage", headers={"Authorization": ""}).status_code == 401
