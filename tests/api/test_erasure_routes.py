"""Erasing an individual's personal data over HTTP and from the CLI: the legal office's act, one
problem+json for anyone else, and the export and the column never show the erased person."""

# ruff: noqa: F811 - the fixtures imported below are used by name as test arguments

from __future__ import annotations

from typing import Any

from api.cli import main as drawledger
from ledger.registry.targets import Target, target_id

from .test_registry_routes import assert_problem, bureau, target  # noqa: F401 - the fixture

PERSON = {"kind": "individual", "code": "DEMO320481000001", "name": "张三"}
BODY = {"reason": "本人申请删除个人信息", "source": "申请书 2026-001"}


def _person(bureau: Any) -> str:
    legal = {"code": "fzc-legal", "name": "法制处", "division": "szc", "roles": ["legal_office"]}
    assert bureau.post("/officials", "admin", legal).status_code == 201
    bureau.tokens["fzc-legal"] = bureau.post("/officials/fzc-legal/tokens", "admin").json()["token"]
    response = bureau.post("/targets", "szc-clerk", target(**PERSON))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_the_legal_office_erases_over_http_and_the_event_names_only_the_reference(bureau):
    tid = _person(bureau)
    before = bureau.app.recorder.max_notification_id()

    response = bureau.post(f"/targets/{tid}/personal-data/erasure", "fzc-legal", BODY)

    assert response.status_code == 200, response.text
    [event] = bureau.events(before + 1)
    assert event["type"] == "target.personal_data_erased"
    assert event["actor"]["role"] == "legal_office"
    assert set(event["payload"]) == {"ref", "reason", "source"}
    assert "张三" not in str(event) and PERSON["code"] not in str(event)
    again = bureau.post(f"/targets/{tid}/personal-data/erasure", "fzc-legal", BODY)
    assert "个人信息已删除" in assert_problem(again, 409)["detail"]


def test_a_clerk_cannot_erase_and_the_person_s_data_stays(bureau):
    tid = _person(bureau)
    response = bureau.post(f"/targets/{tid}/personal-data/erasure", "szc-clerk", BODY)
    assert "personal_data.erase" in assert_problem(response, 403)["detail"]
    registry = bureau.client.app.state.registry
    ref = registry.people.reference(PERSON["code"])
    assert registry.people.reveal(ref)[0]["name"] == "张三"


def test_an_erasure_without_a_reason_is_422_and_records_nothing(bureau):
    tid = _person(bureau)
    before = bureau.app.recorder.max_notification_id()
    response = bureau.post(f"/targets/{tid}/personal-data/erasure", "fzc-legal", {"reason": ""})
    assert_problem(response, 422)
    assert bureau.app.recorder.max_notification_id() == before


def test_the_operator_erases_from_the_cli_by_id_number_and_the_export_leaves_the_person_out(
    tmp_path, capsys
):
    data = str(tmp_path / "ledger")
    assert drawledger(["demo", "--data", data, "--targets", "60"]) == 0
    from pathlib import Path

    from ledger.application import LedgerApp
    from ledger.registry.service import Registry

    registry = Registry(LedgerApp.open(Path(data)))
    people = [t for t in _individuals(registry)]
    assert people, "the demo registers individuals"
    ref = people[0].person["ref"]
    registry.app.close()
    capsys.readouterr()

    args = ["personal-data", "erase", ref, "--data", data, "--on-request-of", "szc-legal"]
    args += ["--request-ref", "申请书 1"]
    alone = ["personal-data", "erase", ref, "--data", data, "--reason", "r", "--source", "s"]
    assert drawledger(alone) == 1  # the operator erases only on a written request
    assert "只有在有权办理的工作人员书面请求时才能删除个人信息" in capsys.readouterr().err
    assert drawledger([*args, "--reason", "本人申请", "--source", "申请书 1"]) == 0
    assert f"已删除 {ref} 的个人信息" in capsys.readouterr().out
    assert drawledger([*args, "--reason", "本人申请", "--source", "申请书 2"]) == 1
    assert "的个人信息已删除" in capsys.readouterr().err  # in Chinese, as the API says it

    out = tmp_path / "targets.csv"
    assert drawledger(["export-registry", "targets", "--data", data, "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert ref in printed.out + printed.err  # the warning names the left-out reference
    registry = Registry(LedgerApp.open(Path(data)))
    try:
        assert registry.app.get(target_id("individual", ref), Target).personal_data_erased
    finally:
        registry.app.close()


def _individuals(registry: Any) -> list[Any]:
    from ledger.registry.exports import current

    return [t for t in current(registry.app, "targets") if t.kind == "individual"]


def test_the_http_export_says_in_chinese_which_individual_it_left_out_as_the_cli_does(bureau):
    """The file leaves the erased person out; the caller is told so in the response headers,
    in the words the CLI prints (提示), never silently short of a row."""
    from urllib.parse import unquote

    from api.importing import export_bytes
    from api.problem_texts import warning_text

    tid = _person(bureau)
    clerk = {"Authorization": f"Bearer {bureau.tokens['szc-clerk']}"}
    before = bureau.client.get("/exports/targets", headers=clerk)
    assert before.status_code == 200 and before.headers["Registry-Warnings"] == "0"
    assert "Registry-Warning" not in before.headers
    start = bureau.app.recorder.max_notification_id()
    erased = bureau.post(f"/targets/{tid}/personal-data/erasure", "fzc-legal", BODY)
    assert erased.status_code == 200, erased.text
    [event] = bureau.events(start + 1)
    ref = event["payload"]["ref"]

    _, _, warnings = export_bytes(bureau.app, "targets", ".csv", division="szc", by="szc-clerk")
    said = [warning_text(w) for w in warnings]  # what `drawledger export-registry` prints
    assert said == [f"个人 {ref} 的个人信息已删除，未导出"]
    for fmt in ("csv", "xlsx"):
        answer = bureau.client.get(f"/exports/targets?format={fmt}", headers=clerk)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Registry-Warnings"] == "1"
        assert [unquote(h) for h in answer.headers.get_list("Registry-Warning")] == said
        assert int(answer.headers["Registry-Rows"]) == int(before.headers["Registry-Rows"]) - 1
    assert "张三".encode() not in answer.content


def test_many_warnings_are_counted_whole_and_shown_twenty_then_how_many_more():
    from urllib.parse import unquote

    from api.routes.exports import warning_headers

    warnings = [f"individual person-{n}: personal data erased, not exported" for n in range(25)]
    headers = warning_headers(warnings)
    assert headers[0] == ("Registry-Warnings", "25")
    shown = [unquote(v) for k, v in headers[1:] if k == "Registry-Warning"]
    assert len(shown) == 21 and shown[0] == "个人 person-0 的个人信息已删除，未导出"
    assert shown[-1] == "…… 另有 5 条提示"
    assert all(v.isascii() and "," not in v for _, v in headers)  # Latin-1, splittable
