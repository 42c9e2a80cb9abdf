"""Issue 10 part 5, the holes: each refused with a 4xx problem naming the rule (CLI: exit 1, one
line), and nothing recorded. A clerk who backdates a notice to before the draw, invents a
thirteenth month for a plan, records a visit done "by telephone" for an item inspected on site, or
answers the easy questions of a checklist and skips the awkward one, is told so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.demo.bureau import build_demo
from ledger.draws.service import Draws
from ledger.registry.identities import bound_official
from ledger.registry.items import item_id
from ledger.registry.service import Registry
from verify.inspection_rules import checklist_problem
from verify.plan_rules import plan_period

from ..ledger.test_draws import run_draw

TODAY = date(2026, 11, 25)
# The operator acts on a written request of an official entitled to the act (issue 11).
REF = ["--request-ref", "水政处函〔2026〕12号"]
DRAWN = date(2026, 11, 10)  # the draw assigned its teams on this day


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Any:  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("holes") / "ledger"
    assert drawledger(["init", "--data", str(data), "--origin", "drawledger.test/holes"]) == 0
    app = LedgerApp.open(data)
    build_demo(app, targets=60, inspectors=12, today=TODAY)
    draws = Draws(app, today=DRAWN)
    draw, teams = run_draw(draws)
    directed = draws.record_non_random(
        {
            "division": "szc",
            "items": ["qsxk"],
            "targets": [teams[0]["target"]],
            "ground": "complaint",
            "reason": "12345 热线投诉",
            "legal_basis": "《中华人民共和国水法》第四十八条",
        },
        "szc-clerk",
    )
    service = create_app(app)
    service.state.inspections.today = lambda: TODAY
    client = TestClient(service)
    client.headers["Authorization"] = f"Bearer {Registry(app).issue_token('szc-clerk', None)}"
    yield {
        "app": app,
        "client": client,
        "data": data,
        "draw": draw,
        "teams": teams,
        "directed": directed,
    }
    client.close()
    app.close()


def _head(app: LedgerApp) -> int:
    return app.recorder.max_notification_id() or 0


def _refused(
    world: Any,
    url: str,
    body: dict[str, Any],
    field: str,
    rule: str,
    headers: dict[str, str] | None = None,
) -> str:
    """POST ``body`` (as the client's official, or with ``headers``): a 422 problem naming
    ``field`` and ``rule``, and nothing recorded."""
    before = _head(world["app"])
    response = world["client"].post(url, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert field in detail and rule in detail, detail
    assert _head(world["app"]) == before
    return str(detail)


# -- plan periods ----------------------------------------------------------------------------------

PLAN = {"division": "szc", "items": ["qsxk"], "counts": {"all": 3}, "team_size": 2}
NOT_A_MONTH = [
    "2026-13",
    "2026-00",
    "26-12",
    "2026-1",
    "2026/12",
    "2026-12-01",
    " 2026-12",
    "2026-12 ",
    "2026 -12",
    "２０２６-１２",
    "2026-Q4",
    "2026-H2",
    "2026-12\n",
    "",
    "1999-12",
    "2100-01",
]
NOT_A_YEAR = ["26", "02026", "2026-12", " 2026", "２０２６", "2026Q1", "1999", "2100", "+2026"]


@pytest.mark.parametrize(
    ("kind", "period"), [("monthly", p) for p in NOT_A_MONTH] + [("annual", p) for p in NOT_A_YEAR]
)
def test_a_period_that_is_not_a_real_month_or_year_is_refused(kind, period):
    with pytest.raises(ValueError):
        plan_period(kind, period)


def test_real_periods_are_read_as_they_are_written():
    assert plan_period("monthly", "2026-12") == (2026, 12)
    assert plan_period("monthly", "2027-01") == (2027, 1)
    assert plan_period("annual", "2027") == (2027, None)


def test_a_plan_for_a_month_that_does_not_exist_is_refused_by_the_api(world):
    for period, rule in (
        ("2026-13", "没有 13 月"),
        ("26-12", "月度计划须写明年月（2027-03）"),
        (" 2026-12", "不含空格"),
        ("2026-Q4", "月度计划须写明年月"),
    ):
        _refused(world, "/plans", {**PLAN, "kind": "monthly", "period": period}, "period", rule)
    _refused(
        world,
        "/plans",
        {**PLAN, "kind": "annual", "period": "2026-12"},
        "period",
        "年度计划须写明年份",
    )
    _refused(
        world,
        "/plans",
        {**PLAN, "kind": "annual", "period": "1899"},
        "period",
        "年份应在 2000 到 2099 之间",
    )
    assert (
        world["client"]
        .post("/plans", json={**PLAN, "kind": "monthly", "period": "2026-12"})
        .status_code
        == 201
    )


def test_a_rollover_of_a_month_that_does_not_exist_is_refused(world, capsys):
    _refused(world, "/plans/rollover", {"month": "2026-13"}, "month", "没有 13 月")
    before = _head(world["app"])
    code = drawledger(["plans", "rollover", "--data", str(world["data"]), "--month", "26-12"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert "month '26-12'" in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert _head(world["app"]) == before


# -- inspection steps and their days ---------------------------------------------------------------


def _notify(world: Any, team: dict[str, Any], day: str) -> Any:
    return world["client"].post(
        "/inspections",
        json={"source": str(world["draw"]), "target": team["target"], "notified_on": day},
    )


def test_an_inspection_notified_before_its_draw_assigned_its_team_is_refused(world):
    team = world["teams"][1]
    body = {"source": str(world["draw"]), "target": team["target"], "notified_on": "2026-11-09"}
    _refused(
        world,
        "/inspections",
        body,
        "notified_on",
        f"早于抽取 {world['draw']} 分配执法人员的日期 2026-11-10",
    )
    _refused(world, "/inspections", {**body, "notified_on": "2026-11-26"}, "notified_on", "在未来")
    directed = {
        "source": str(world["directed"]),
        "target": world["teams"][0]["target"],
        "notified_on": "2026-01-05",
    }
    # The directed inspection was decided on the draw service's day, 2026-11-10.
    _refused(
        world,
        "/inspections",
        directed,
        "notified_on",
        f"早于定向检查 {world['directed']} 作出决定的日期",
    )


def test_every_later_step_dated_before_the_step_it_follows_is_refused(world):
    team = world["teams"][2]
    response = _notify(world, team, "2026-11-12")
    assert response.status_code == 201, response.text
    inspection = response.json()["id"]
    visit = {"on": "2026-11-11", "method": "现场检查", "present": team["members"]}
    _refused(
        world,
        f"/inspections/{inspection}/carried-out",
        visit,
        "on",
        "早于告知的日期 2026-11-12",
    )
    _refused(
        world,
        f"/inspections/{inspection}/carried-out",
        {**visit, "on": "2027-01-01"},
        "on",
        "在未来",
    )
    for day in ("2026-11-3x", "2026-11-14garbage", "20261114", "2026-W46-6", "2026-02-30"):
        _refused(
            world, f"/inspections/{inspection}/carried-out", {**visit, "on": day}, "on", "日期"
        )
    response = world["client"].post(
        f"/inspections/{inspection}/carried-out", json={**visit, "on": "2026-11-14"}
    )
    assert response.status_code == 200, response.text  # the same visit, dated after the notice


# -- methods and checklists ------------------------------------------------------------------------


def test_a_method_the_items_do_not_allow_is_refused(world):
    team = world["teams"][3]
    inspection = _notify(world, team, "2026-11-12").json()["id"]
    url = f"/inspections/{inspection}/carried-out"
    visit = {"on": "2026-11-14", "present": team["members"]}
    # qsxk allows on_site and documentary (现场检查, 书面检查), not online or a telephone call.
    _refused(
        world,
        url,
        {**visit, "method": "online"},
        "method",
        "'online' 不是本次检查事项允许的方式",
    )
    _refused(world, url, {**visit, "method": "电话询问"}, "method", "不是本次检查事项允许的方式")
    assert world["client"].post(url, json={**visit, "method": "书面检查"}).status_code == 200
    (event,) = [
        e
        for _, e in world["app"].records(topics=["inspection.carried_out"])
        if e.envelope["aggregate"] == inspection
    ]
    assert event.envelope["payload"]["method"] == "documentary"  # recorded as its code


def test_a_checklist_must_answer_the_items_own_questions_exactly(world):
    team = world["teams"][4]
    client = world["client"]
    inspection = _notify(world, team, "2026-11-12").json()["id"]
    visit = {"on": "2026-11-14", "method": "on_site", "present": team["members"]}
    assert client.post(f"/inspections/{inspection}/carried-out", json=visit).status_code == 200
    asked = list(world["app"].get(item_id("qsxk")).checklist)
    assert len(asked) >= 3
    url = f"/inspections/{inspection}/checklist"
    member = team["members"][0]

    def answers(qs: list[str]) -> dict[str, Any]:
        return {"answers": [{"question": q, "answer": "yes"} for q in qs], "recorded_by": member}

    # The member's own account answers (the questions are checked once the answerer may answer:
    # the clerk is refused first, by the rulebook, before any question is looked at).
    clerk = client.post(url, json=answers(asked[1:]))
    assert clerk.status_code == 403, clerk.text
    inspector = bound_official(world["app"], member)
    token = Registry(world["app"]).issue_token(inspector, None)
    headers = {"Authorization": f"Bearer {token}"}
    missing = answers(asked[1:])
    _refused(world, url, missing, "answers", f"未回答：{asked[0]}", headers)
    _refused(
        world,
        url,
        answers([*asked, "是否悬挂营业执照"]),
        "answers",
        "不是本次检查事项的问题：是否悬挂营业执照",
        headers,
    )
    twice = answers([*asked, asked[0]])
    _refused(world, url, twice, "answers", "重复回答", headers)
    response = client.post(url, json=answers(list(reversed(asked))), headers=headers)
    assert response.status_code == 200, response.text


def test_the_checklist_rule_names_every_problem():
    assert checklist_problem(["a", "b"], ["a", "b"]) is None
    assert checklist_problem(["b", "a"], ["a", "b"]) is None  # any order
    assert checklist_problem([], ["a"]) == "not answered: a"
    assert checklist_problem(["a"], []) is not None  # an item without questions: nothing to answer
    problem = checklist_problem(["a", "a", "x"], ["a", "b"])
    assert problem is not None
    assert "not answered: b" in problem and "x" in problem and "more than once: a" in problem


# -- unknown fields in files the CLI reads ---------------------------------------------------------


def _cli_refused(world: Any, capsys: Any, args: list[str], named: str, requester: str) -> None:
    """``drawledger ARGS``, on ``requester``'s written request, exits 1 with a message naming
    ``named``, no traceback, nothing recorded."""
    before = _head(world["app"])
    request = ["--on-request-of", requester, *REF]
    code = drawledger([*args, "--data", str(world["data"]), *request])
    err = capsys.readouterr().err.strip()
    assert code == 1 and named in err and "Traceback" not in err, err
    assert _head(world["app"]) == before


def test_a_policy_file_with_an_unknown_key_is_refused_by_the_cli(world, tmp_path, capsys):
    policy = tmp_path / "policy.toml"
    policy.write_text('version = "holes-1"\n[draws]\nexclude_friends = true\n', encoding="utf-8")
    _cli_refused(world, capsys, ["policy", "set", str(policy)], "未知的键", "bgs-admin")


def test_a_registry_file_with_an_unknown_column_is_refused_by_the_cli(world, tmp_path, capsys):
    sheet = tmp_path / "items.csv"
    sheet.write_text("code,name,colour\nxx,某事项,red\n", encoding="utf-8")
    _cli_refused(world, capsys, ["import", "items", str(sheet)], "colour", "szc-clerk")
