"""The CLI never acts in an official's name without that official's credential (issue 11,
part 2): ``--as CODE`` needs CODE's API token (``--token-file`` or ``DRAWLEDGER_TOKEN``),
checked like the API's bearer tokens; without one the act is the operator's, only where the
policy lets the operator act, and on a named written request where that is required."""

from __future__ import annotations

import pytest

from api.cli import main as drawledger
from verify.events import decode_record

from .test_cli_registry import REQUEST, _official, _registry, _token_file, data  # noqa: F401
from .test_import_support import TARGET_HEADERS_ZH, count_events, csv_bytes, target_row


def _targets(tmp_path, division: str = "gqc"):  # type: ignore[no-untyped-def]
    path = tmp_path / "targets.csv"
    path.write_bytes(csv_bytes(TARGET_HEADERS_ZH, [target_row(1, division=division)]))
    return str(path)


def _actors(data: str, kind: str) -> list[dict[str, str]]:  # noqa: F811
    app = _registry(data).app
    return [
        decode_record(n.state).envelope["actor"]
        for n in app.recorder.select_notifications(1, 10_000)
        if n.topic == kind
    ]


def test_as_an_official_without_their_token_is_refused(data, tmp_path, capsys):  # noqa: F811
    """The issue's `drawledger import … --as szc-clerk` with no credential."""
    _official(data, "clerk-gqc", "gqc", "clerk")
    args = ["import", "targets", _targets(tmp_path), "--data", data, "--as", "clerk-gqc"]
    assert drawledger(args) == 1
    assert "命令行只有持该工作人员的凭据" in capsys.readouterr().err
    assert count_events(_registry(data).app, "target.registered") == 0


def test_rollover_as_an_official_without_their_token_is_refused(data, capsys):  # noqa: F811
    _official(data, "head-gqc", "gqc", "division_head")
    args = ["plans", "rollover", "--data", data, "--month", "2026-03", "--as", "head-gqc"]
    assert drawledger(args) == 1
    assert "命令行只有持该工作人员的凭据" in capsys.readouterr().err


def test_another_officials_token_does_not_lend_their_name(
    data,  # noqa: F811
    tmp_path,
    capsys,
):
    _official(data, "clerk-gqc", "gqc", "clerk")
    _official(data, "clerk-hhc", "hhc", "clerk")
    theirs = _token_file(data, "clerk-hhc", tmp_path)
    args = ["import", "targets", _targets(tmp_path), "--data", data, "--as", "clerk-gqc"]
    assert drawledger([*args, *theirs]) == 1
    assert "所给令牌属于工作人员 clerk-hhc，而非 clerk-gqc" in capsys.readouterr().err
    assert count_events(_registry(data).app, "target.registered") == 0


def test_the_officials_own_token_records_in_their_name(
    data,  # noqa: F811
    tmp_path,
    capsys,
    monkeypatch,
):
    _official(data, "clerk-gqc", "gqc", "clerk")
    token = _registry(data).issue_token("clerk-gqc", None)
    monkeypatch.setenv("DRAWLEDGER_TOKEN", token)
    args = ["import", "targets", _targets(tmp_path), "--data", data, "--as", "clerk-gqc"]
    assert drawledger(args) == 0, capsys.readouterr()
    assert _actors(data, "target.registered") == [  # naming the credential it was done with
        {
            "official": "clerk-gqc",
            "role": "clerk",
            "department": "gqc",
            "token": token.split(".")[2],
        }
    ]


def test_a_revoked_token_is_no_credential(data, tmp_path, capsys, monkeypatch):  # noqa: F811
    _official(data, "clerk-gqc", "gqc", "clerk")
    registry = _registry(data)
    token = registry.issue_token("clerk-gqc", None)
    registry.revoke_token("clerk-gqc", token.split(".")[2], "lost", None)
    monkeypatch.setenv("DRAWLEDGER_TOKEN", token)
    assert drawledger(["import", "targets", _targets(tmp_path), "--data", data]) == 1
    assert "访问令牌未知或已吊销" in capsys.readouterr().err
    assert count_events(_registry(data).app, "target.registered") == 0


def test_the_operator_imports_only_on_a_named_written_request(
    data,  # noqa: F811
    tmp_path,
    capsys,
):
    args = ["import", "targets", _targets(tmp_path), "--data", data]
    assert drawledger(args) == 1
    err = capsys.readouterr().err
    assert "只有在有权办理的工作人员书面请求时才能登记或更正检查对象" in err
    assert count_events(_registry(data).app, "target.registered") == 0

    assert drawledger([*args, *REQUEST]) == 0
    [actor] = _actors(data, "target.registered")
    assert actor == {
        "official": "drawledger",
        "role": "system",
        "department": "drawledger",
        "on_request_of": "head-gqc",
        "request": REQUEST[3],
    }


def test_a_request_lends_the_operator_no_authority_its_author_lacks(
    data,  # noqa: F811
    tmp_path,
    capsys,
):
    """hhc's head asks the operator to import a gqc row: refused as if hhc's head had imported
    it; a request by nobody, or naming no written request, is refused too; nothing recorded."""
    args = ["import", "targets", _targets(tmp_path, "gqc"), "--data", data]
    assert drawledger([*args, "--on-request-of", "head-hhc", "--request-ref", "函"]) == 1
    err = capsys.readouterr().err
    assert "运维人员受 head-hhc 的书面请求办理，但 head-hhc 本人无权办理" in err
    assert "处室 gqc" in err
    assert drawledger([*args, "--on-request-of", "nobody", "--request-ref", "函"]) == 1
    assert "没有工作人员 nobody" in capsys.readouterr().err
    assert drawledger([*args, "--on-request-of", "head-gqc"]) == 1
    assert "请用 --request-ref 指明书面请求" in capsys.readouterr().err
    assert count_events(_registry(data).app, "target.registered") == 0


@pytest.mark.parametrize("act", ["division", "rollover"])
def test_the_operator_does_only_what_the_policy_lets_it(
    data,  # noqa: F811
    tmp_path,
    capsys,
    act,
):
    from ledger.policies import Policies

    assert _official(data, "admin-1", "szc", "admin") == 0
    app = _registry(data).app
    in_force = app.policy_in_force()
    document = {**in_force, "version": "no-operator", "authority": {"operator": []}}
    Policies(app).set(document, "admin-1", "运维人员不得自行操作")
    before = app.recorder.max_notification_id()
    app.close()
    if act == "division":
        args = ["division", "add", "--data", data, "--code", "nsc", "--name", "农水处"]
    else:
        args = ["plans", "rollover", "--data", data, "--month", "2026-03"]
    assert drawledger(args) == 1
    err = capsys.readouterr().err
    assert "账本运维人员不得" in err and "[authority] operator" in err
    app = _registry(data).app
    try:
        assert app.recorder.max_notification_id() == before  # nothing recorded
    finally:
        app.close()
