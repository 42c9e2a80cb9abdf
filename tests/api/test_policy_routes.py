"""The policy over HTTP and from the command line: anyone reads the rules in force (now or as
of a position); the admin records the 2027 table; a clerk or a leader cannot; the health check
and the staff views warn from 60 days before the working-day calendar runs out."""

from __future__ import annotations

import copy
import json
import tomllib
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as cli_main
from ledger.demo.bureau import ADMIN
from ledger.inspections.service import china_today
from ledger.policies import calendar_warnings
from ledger.policy import default_policy
from ledger.registry.service import Registry

from ..ledger.test_policy import FIXTURE_2027
from .test_answers_speak_chinese import not_chinese

FIRST = "changzhou-water-2018/1"
DEMO = f"{FIRST}+leaders"  # the demo's admin names its leaders in charge ([leaders])


def _with_2027(version: str = "changzhou-water-2018/2") -> dict:
    document = copy.deepcopy(default_policy())
    document["version"] = version
    document["calendar"] = {"years": {"2027": copy.deepcopy(FIXTURE_2027)}}
    return document


@pytest.fixture
def world(demo_ledger):
    ledger, _ = demo_ledger(targets=20, inspectors=8, today=date(2026, 11, 25))
    app = create_app(ledger)
    app.state.policies.today = lambda: date(2026, 12, 2)
    registry = Registry(ledger)

    def bearer(code: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {registry.issue_token(code, None)}"}

    return {
        "ledger": ledger,
        "app": app,
        "client": TestClient(app),
        "admin": bearer(ADMIN),
        "clerk": bearer("szc-clerk"),
        "leader": bearer("jld-leader-1"),
    }


def test_anyone_reads_the_policy_in_force_with_its_position_setter_and_warning(world):
    client = world["client"]
    head = world["ledger"].recorder.max_notification_id()
    body = client.get("/policy").json()
    assert (body["version"], body["as_of"]) == (DEMO, head)
    assert body["set_by"]["role"] == "admin"
    assert body["document"]["publication"]["deadline_working_days"] == 7
    (warning,) = body["warnings"]
    assert warning["year_to_add"] == "2027" and warning["known_until"] == "2026-12-31"
    first = client.get("/policy", params={"as_of": 2}).json()
    assert (first["version"], first["position"], first["set_by"]["role"]) == (FIRST, 2, "system")
    assert client.get("/policy/versions").json() == {
        "versions": [
            {k: v for k, v in version.items() if k not in ("document", "as_of", "warnings")}
            for version in (first, body)
        ]
    }


def test_the_admin_records_the_2027_table_and_the_policy_is_read_as_of_before_it(world):
    client, ledger = world["client"], world["ledger"]
    before = ledger.recorder.max_notification_id()
    response = client.post(
        "/policy",
        json={"document": _with_2027(), "reason": "2027年部分节假日安排"},
        headers=world["admin"],
    )
    assert response.status_code == 201, response.text
    assert response.json()["recorded"] is True
    assert not_chinese(response.json()) == []  # its detail is for people: Chinese
    now = client.get("/policy").json()
    assert (now["version"], now["position"], now["reason"]) == (
        "changzhou-water-2018/2",
        before + 1,
        "2027年部分节假日安排",
    )
    token_id = world["admin"]["Authorization"].split(".")[2]  # the credential it was set with
    admin = {"official": ADMIN, "role": "admin", "department": "bgs", "token": token_id}
    assert now["set_by"] == admin
    assert now["warnings"] == []  # the calendar now knows 2027
    then = client.get("/policy", params={"as_of": before}).json()
    assert (then["version"], then["as_of"]) == (DEMO, before)
    positions = [v["position"] for v in client.get("/policy/versions").json()["versions"]]
    assert positions[0] == 2 and positions[-1] == before + 1 and len(positions) == 3

    # The same document again records nothing and says so.
    again = client.post("/policy", json={"document": _with_2027()}, headers=world["admin"])
    assert again.status_code == 200 and again.json()["recorded"] is False
    assert "未记录任何内容" in again.json()["detail"] and not_chinese(again.json()) == []
    assert ledger.recorder.max_notification_id() == before + 1


@pytest.mark.parametrize("who", ["clerk", "leader"])
def test_a_clerk_or_a_leader_cannot_set_the_policy(world, who):
    head = world["ledger"].recorder.max_notification_id()
    response = world["client"].post("/policy", json={"document": _with_2027()}, headers=world[who])
    assert response.status_code == 403
    assert "须具有以下角色之一：系统管理员" in response.json()["detail"]
    assert world["ledger"].recorder.max_notification_id() == head
    assert world["client"].post("/policy", json={"document": _with_2027()}).status_code == 401


def test_a_bad_version_over_http_is_422_naming_each_problem(world):
    document = _with_2027()
    document["publication"]["deadline_working_days"] = 25
    document["calendar"]["years"]["2027"]["holidays"].append("2026-10-01")
    response = world["client"].post(
        "/policy", json={"document": document, "extra": 1}, headers=world["admin"]
    )
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "extra"
    response = world["client"].post("/policy", json={"document": document}, headers=world["admin"])
    assert response.status_code == 422
    assert {(p["field"], p["message"]) for p in response.json()["problems"]} == {
        ("publication.deadline_working_days", "应在 1 到 20 之间"),
        ("calendar.years.2027.holidays", "不在 2027 年内"),
    }


@pytest.mark.parametrize("as_of", [0, -3, 10**9, 10**20])
def test_an_as_of_outside_the_log_is_refused_naming_it(world, as_of):
    response = world["client"].get("/policy", params={"as_of": as_of})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("as_of")
    if 1 <= as_of < 2**63:  # a position a database can hold: the log's own bounds are named
        assert response.json()["detail"].startswith(f"as_of {as_of}：日志的位置为 1 到 ")


def test_health_and_the_staff_views_warn_that_the_calendar_ends(world):
    client = world["client"]
    for path, headers in [
        ("/health", {}),
        ("/staff/publications-due", world["clerk"]),
        ("/staff/awaiting-confirmation", world["clerk"]),
    ]:
        (warning,) = client.get(path, headers=headers).json()["warnings"]
        assert "2027" in warning["zh"] and "国务院" in warning["zh"], path
        assert 'calendar.years."2027"' in warning["en"], path
    world["app"].state.policies.today = lambda: date(2026, 10, 31)
    assert client.get("/health").json()["warnings"] == []
    # Once the calendar has ended (no 2027 table recorded): it says so, on every view.
    world["app"].state.policies.today = lambda: date(2027, 1, 4)
    for path, headers in [
        ("/health", {}),
        ("/staff/publications-due", world["clerk"]),
        ("/staff/awaiting-confirmation", world["clerk"]),
    ]:
        (warning,) = client.get(path, headers=headers).json()["warnings"]
        assert warning["code"] == "calendar_ended", path
        assert "工作日历已于 2026-12-31 结束" in warning["zh"], path


# -- the command line ------------------------------------------------------------------------------


def _admin(data: Path) -> list[str]:
    """The bureau's first admin (positions 3 and 4), on whose written request the operator
    records a policy version (the policy in force lets admins set it)."""
    add = ["division", "add", "--data", str(data), "--code", "bgs", "--name", "办公室"]
    assert cli_main([*add, "--kind", "other_unit"]) == 0
    add = ["official", "add", "--data", str(data), "--code", "admin-1", "--name", "周敏"]
    assert cli_main([*add, "--division", "bgs", "--roles", "admin"]) == 0
    return ["--on-request-of", "admin-1", "--request-ref", "局办公会纪要〔2026〕12号"]


def test_the_operator_shows_and_sets_the_policy_from_the_command_line(tmp_path, capsys):
    data = tmp_path / "ledger"
    assert cli_main(["init", "--data", str(data)]) == 0
    capsys.readouterr()
    assert cli_main(["policy", "show", "--data", str(data)]) == 0
    shown = capsys.readouterr()
    assert f"制度 {FIRST}（截至位置 2）" in shown.out
    assert "发布人    drawledger（drawledger 系统（账本运营方））" in shown.out
    # The warning of the day the test runs: ``calendar_ends`` until 31 December 2026 (from 1
    # November), ``calendar_ended`` after it (pinned to each date in tests/ledger/test_policy.py).
    (warning,) = calendar_warnings(default_policy(), china_today())
    assert f"提示：{warning['zh']}" in shown.err
    assert 'calendar.years."2027"' in shown.err

    request = _admin(data)
    good = tmp_path / "policy-2027.toml"
    good.write_text(_toml_2027(), encoding="utf-8")
    assert cli_main(["policy", "set", str(good), "--data", str(data), "--reason", "2027"]) == 1
    assert "只有在有权办理的工作人员书面请求时才能发布制度版本" in capsys.readouterr().err
    args = ["policy", "set", str(good), "--data", str(data), *request]
    assert cli_main([*args, "--reason", "2027"]) == 0
    assert "已在位置 5 记录制度 changzhou-water-2018/2" in capsys.readouterr().out
    assert cli_main(args) == 0
    assert "未记录任何内容" in capsys.readouterr().out
    assert cli_main(["policy", "show", "--as-of", "2", "--data", str(data)]) == 0
    assert f"制度 {FIRST}（截至位置 2）" in capsys.readouterr().out


def test_a_bad_policy_file_exits_1_naming_each_problem(tmp_path, capsys):
    data = tmp_path / "ledger"
    cli_main(["init", "--data", str(data)])
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'version = "v2"\n[teams]\nmin_inspectors = 1\n[calendar.years."2027"]\n'
        "holidays = [2027-01-01]\nworkdays = []\n",
        encoding="utf-8",
    )
    request = _admin(data)
    capsys.readouterr()
    assert cli_main(["policy", "set", str(bad), "--data", str(data), *request]) == 1
    err = capsys.readouterr().err
    assert "被拒绝，未记录任何内容" in err
    assert "teams.min_inspectors（1）：应在 2 到 20 之间" in err
    assert "calendar.years.2027.holidays（'2027-01-01'）：不是带引号的日期 'YYYY-MM-DD'" in err
    bad.write_text("version = \n", encoding="utf-8")
    assert cli_main(["policy", "set", str(bad), "--data", str(data), *request]) == 1
    err = capsys.readouterr().err
    assert "不是 TOML 文档：第 1 行第" in err  # where, in Chinese; tomllib's words marked 原文
    assert cli_main(["policy", "show", "--as-of", "5", "--data", str(data)]) == 1
    assert "as_of 5：日志的位置为 1 到 4" in capsys.readouterr().err


def _toml_2027() -> str:
    """The shipped default policy file with version 2 and the fixture's 2027 table appended,
    as the bureau would edit it."""
    from importlib import resources

    text = resources.files("ledger").joinpath("policy_default.toml").read_text(encoding="utf-8")
    text = text.replace(f'version = "{FIRST}"', 'version = "changzhou-water-2018/2"')
    table = FIXTURE_2027
    text += '\n[calendar.years."2027"]\n' + "".join(
        f"{key} = {json.dumps(table[key], ensure_ascii=False)}\n"  # JSON strings, arrays: TOML
        for key in ("source", "holidays", "workdays")
    )
    assert tomllib.loads(text)["calendar"]["years"]["2027"] == table
    return text


def test_the_documented_2027_walk_keeps_what_the_policy_in_force_holds(tmp_path, capsys):
    """docs/POLICY.md, "Adding a year's State Council schedule", step by step on a ledger whose
    policy was changed since the default (its leaders in charge, a source with quotes): step 1's
    `policy show --toml` writes the document in force, which `policy set` takes back as it is
    (nothing recorded); edited as step 2 says it records version 3 keeping the leaders, and the
    warning is gone. Before --toml the operator had only the default file, which drops them."""
    data = tmp_path / "ledger"
    assert cli_main(["init", "--data", str(data)]) == 0
    request = _admin(data)
    changed = tmp_path / "changed.toml"
    text = _toml_2027().split('\n[calendar.years."2027"]')[0]  # version 2, no year table
    text = text.replace("national practice", 'national practice; \\"局\\" \\\\ 2')
    changed.write_text(text + '\n[leaders]\n"leader-01" = ["bgs"]\n', encoding="utf-8")
    assert cli_main(["policy", "set", str(changed), "--data", str(data), *request]) == 0
    in_force = tomllib.loads(changed.read_text(encoding="utf-8"))
    capsys.readouterr()

    # 1. the document in force, as TOML, and the warning on standard error
    assert cli_main(["policy", "show", "--data", str(data), "--toml"]) == 0
    shown = capsys.readouterr()
    (warning,) = calendar_warnings(in_force, china_today())  # the warning of the run's day
    assert f"提示：{warning['zh']}" in shown.err and "2026-12-31" in warning["zh"]
    assert tomllib.loads(shown.out) == in_force
    assert shown.out.startswith("# 制度 changzhou-water-2018/2：")
    policy_2027 = tmp_path / "policy-2027.toml"
    policy_2027.write_text(shown.out, encoding="utf-8")
    args = ["policy", "set", str(policy_2027), "--data", str(data), *request]
    assert cli_main(args) == 0  # the same document: nothing recorded
    assert "已是现行版本：未记录任何内容" in capsys.readouterr().out

    # 2. a new version, and the year's table appended as the doc shows it
    edited = shown.out.replace(
        'version = "changzhou-water-2018/2"', 'version = "changzhou-water-2018/3"'
    )
    assert edited != shown.out
    edited += (
        '\n[calendar.years."2027"]\nsource = "国办发明电〔2026〕N号"\n'
        'holidays = ["2027-01-01", "2027-01-04"]\nworkdays = ["2027-01-09"]\n'
    )
    policy_2027.write_text(edited, encoding="utf-8")
    # 3. recorded
    assert cli_main([*args, "--reason", "国务院办公厅 2027 年节假日安排"]) == 0
    assert "记录制度 changzhou-water-2018/3" in capsys.readouterr().out
    # 4. no warning for 2027 (none at all until 2027-11-01, then 2028's); the leaders and the
    # source are as they were
    assert cli_main(["policy", "show", "--data", str(data), "--toml"]) == 0
    shown = capsys.readouterr()
    now = tomllib.loads(shown.out)
    expected = calendar_warnings(now, china_today())
    assert shown.err == "".join(f"提示：{w['zh']}\n" for w in expected)
    assert '[calendar.years."2027"]' not in shown.err
    assert now["leaders"] == {"leader-01": ["bgs"]}
    assert now["source"] == in_force["source"]
    assert now["calendar"]["years"]["2027"]["workdays"] == ["2027-01-09"]
