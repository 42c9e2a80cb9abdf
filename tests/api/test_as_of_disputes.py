"""A company disputes its selection: "what did the registry, the plan, the draw, the inspection
look like then?" The ledger changes each of them after position P; as of P every answer shows
the old state, says it answered for P, and the date form of P gives the same answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.as_of import AS_OF_HEADER
from ledger.as_of import CHINA, time_at
from ledger.demo.changzhou import LEADERS
from ledger.demo.year import CEREMONY_PARTY
from ledger.draws.service import Draws
from ledger.inspections.service import Inspections
from ledger.plans.service import Plans
from ledger.registry.service import Registry
from projections.views import entry_uuid
from verify.entropy import contribution_commitment

LEADER = next(code for code, divisions in LEADERS.items() if "szc" in divisions)
CONTRIBUTIONS = {"szc": "a" * 64, CEREMONY_PARTY: "b" * 64}


@pytest.fixture
def dispute(demo_ledger):  # type: ignore[no-untyped-def]
    """The demo bureau; then, before P, a new draft plan and a draw opened and frozen; after
    P, a target renamed, the plan amended and approved, the draw revealed and its targets
    selected, and an inspection's result confirmed."""
    ledger, summary = demo_ledger(targets=60, inspectors=24, plans_and_draws=True)
    assert summary.results is not None
    plans, draws = Plans(ledger), Draws(ledger)
    plan = plans.draft(
        {
            "division": "szc",
            "kind": "annual",
            "period": "2027",
            "items": ["qsxk"],
            "counts": {"all": 2},
            "team_size": 2,
        },
        "szc-clerk",
    )
    spec = {
        "division": "szc",
        "items": ["qsxk"],
        "counts": {"all": 2},
        "team_size": 2,
        "ceremony": [
            {"party": party, "commitment": contribution_commitment(value)}
            for party, value in CONTRIBUTIONS.items()
        ],
    }
    draw = draws.open(spec, "szc-clerk")
    draws.freeze(draw, "szc-clerk")
    inspection = UUID(summary.results.awaiting_confirmation[0])
    app = create_app(ledger)
    # The dispute's reader is the legal office, which reads every division's records (the
    # administrator does not: a division's plans and inspections are read as its trail is).
    legal = Registry(ledger).issue_token("szc-legal", None)
    with TestClient(app, headers={"Authorization": f"Bearer {legal}"}) as client:
        target = client.get("/targets", params={"division": "szc", "limit": 1}).json()["items"][0]
        p = ledger.recorder.max_notification_id()
        # -- after P ----------------------------------------------------------------------
        Registry(ledger).update_target(
            entry_uuid("target", target["code"]),
            {"name": "改名后的取水户"},
            "更名",
            "市场监管部门通报",
            by="szc-head",
        )
        plans.amend(plan, {"counts": {"all": 3}}, "新增投诉", "szc-clerk")
        plans.review(plan, True, "同意", LEADER)
        draws.reveal(draw, None, CONTRIBUTIONS, "szc-head")
        draws.select(draw, "szc-clerk")
        division = Inspections(ledger).get(inspection).division
        today = datetime.now(CHINA).date().isoformat()
        Inspections(ledger).record_confirmation(inspection, {"on": today}, f"{division}-clerk")
        assert ledger.recorder.max_notification_id() > p
        yield (
            client,
            ledger,
            p,
            {
                "target": target,
                "plan": plan,
                "draw": draw,
                "inspection": inspection,
            },
        )
    app.state.read_models.close()


def _at(client: TestClient, path: str, as_of: Any = None, **params: Any) -> Any:
    if as_of is not None:
        params["as_of"] = as_of
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response


def test_as_of_p_the_target_has_its_old_name_in_its_entry_and_in_the_registry_list(dispute):
    client, ledger, p, made = dispute
    code, old_name = made["target"]["code"], made["target"]["name"]
    assert _at(client, f"/targets/{code}").json()["name"] == "改名后的取水户"
    then = _at(client, f"/targets/{code}", p)
    assert (then.json()["name"], then.headers[AS_OF_HEADER]) == (old_name, str(p))
    listed = _at(client, "/targets", p, q=code).json()["items"]
    assert [t["name"] for t in listed] == [old_name]
    assert _at(client, "/targets", p, q="改名后的取水户").json()["total"] == 0
    assert _at(client, "/targets", q="改名后的取水户").json()["total"] == 1
    history = _at(client, f"/targets/{code}/history", p).json()["events"]
    assert all(e["position"] <= p for e in history)
    assert len(_at(client, f"/targets/{code}/history").json()["events"]) == len(history) + 1


def test_as_of_p_the_plan_is_the_draft_before_its_amendment(dispute):
    client, _, p, made = dispute
    now = _at(client, f"/plans/{made['plan']}").json()
    then = _at(client, f"/plans/{made['plan']}", p).json()
    assert now["content"]["counts"] == {"all": 3} and now["status"] != "drafted"
    assert (then["content"]["counts"], then["status"]) == ({"all": 2}, "drafted")


def test_as_of_p_the_draw_record_is_frozen_with_no_selection(dispute):
    client, _, p, made = dispute
    now = _at(client, f"/draws/{made['draw']}/record").json()["manifest"]
    then = _at(client, f"/draws/{made['draw']}/record", p).json()
    assert now["step"] != "frozen" and "targets_selected" in now
    assert then["manifest"]["step"] == "frozen"
    assert "targets_selected" not in then["manifest"]
    # the population frozen then is the one frozen now: the record of a step does not change
    assert then["population"] == _at(client, f"/draws/{made['draw']}/record").json()["population"]


def test_as_of_p_the_inspection_awaits_confirmation_and_is_on_the_staff_list(dispute):
    client, _, p, made = dispute
    inspection = str(made["inspection"])
    assert _at(client, f"/inspections/{inspection}", p).json()["step"] == "result_recorded"
    assert _at(client, f"/inspections/{inspection}").json()["step"] == "confirmation_recorded"


def test_the_date_form_of_p_gives_the_same_answers_as_the_position(dispute):
    client, ledger, p, made = dispute
    moment = time_at(ledger, p).astimezone(CHINA)
    assert time_at(ledger, p + 1) > time_at(ledger, p)  # P's event is the last at its time
    written = moment.replace(tzinfo=None).isoformat(timespec="microseconds")
    paths = [
        f"/targets/{made['target']['code']}",
        "/targets",
        f"/plans/{made['plan']}",
        f"/draws/{made['draw']}/record",
        f"/inspections/{made['inspection']}",
    ]
    for path in paths:
        by_position = _at(client, path, p)
        by_time = _at(client, path, written)
        assert by_time.headers[AS_OF_HEADER] == str(p), path
        assert by_time.json() == by_position.json(), path
    # a date means the end of that day: today's is in the future, yesterday's before the log
    today = datetime.now(CHINA).date()
    refused = client.get("/targets", params={"as_of": today.isoformat()})
    assert refused.status_code == 422 and "在未来" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("as_of", "says"),
    [
        ("0", "as_of 0：日志的位置为 1 到 {head}；位置从 1 开始"),
        ("-5", "as_of -5：日志的位置为 1 到 {head}；位置从 1 开始"),
        ("{beyond}", "as_of {beyond}：日志的位置为 1 到 {head}；{beyond} 超出其末尾"),
        ("2001-01-01", "2001-01-01T23:59:59.999999+08:00 早于账本的建立"),
        ("2001-01-01T10:00", "2001-01-01T10:00:00.000000+08:00 早于账本的建立"),
        ("2099-01-01", "在未来"),
        ("2026-02-30", "as_of '2026-02-30'：2026-02-30 不是日期"),
        ("2026-11-30T25:00", "25:00 不是时刻"),
        ("yesterday", "as_of 'yesterday'：应为账本位置"),
        ("30/11/2026", "应为账本位置（1、2……）、日期（2026-11-30）"),
        ("x" * 41, "至多 40 个字符"),
    ],
)
def test_a_bad_as_of_is_a_422_naming_what_is_wrong(dispute, as_of, says):
    client, ledger, _, made = dispute
    head = ledger.recorder.max_notification_id()
    as_of = as_of.format(beyond=head + 1)
    says = says.format(head=head, beyond=head + 1)
    for path in ["/targets", f"/plans/{made['plan']}", "/policy", "/public/item-list"]:
        response = client.get(path, params={"as_of": as_of})
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert says in response.json()["detail"], (path, response.json()["detail"])


def test_a_time_with_an_explicit_offset_is_the_same_moment(dispute):
    client, ledger, p, _ = dispute
    moment = time_at(ledger, p)
    in_utc = moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    in_china = moment.astimezone(CHINA).isoformat(timespec="microseconds")
    assert _at(client, "/policy", in_utc + "Z").headers[AS_OF_HEADER] == str(p)
    assert _at(client, "/policy", in_china).headers[AS_OF_HEADER] == str(p)
