"""The registry commands as an operator uses them: set up the bureau, issue tokens, import and
export files. On SQLite and, through DRAWLEDGER_DATABASE, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from api import cli_registry
from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.error_texts.words import REGISTRIES
from ledger.errors import Forbidden, NotFound
from ledger.registry.service import Registry

from .test_import_support import (
    TARGET_HEADERS_ZH,
    bad_credit_code,
    count_events,
    csv_bytes,
    target_row,
)

ITEM_HEADERS = [
    "事项编码", "事项名称", "法律依据", "条款", "责任处室", "实施单位", "检查对象类型", "检查内容",
    "检查方式", "事项类别", "抽查比例",
]  # fmt: skip
ITEMS = [
    ["hdjs", "河道管理范围内建设项目检查", "中华人民共和国河道管理条例", "第十一条", "gqc",
     "gqc,szy", "建设单位", "审批手续；施工方案", "现场检查", "一般事项", "5"],
    ["hhgl", "河湖管理检查", "中华人民共和国水法", "第三十七条", "hhc", "hhc", "河湖管理单位", "",
     "现场检查", "重点事项", ""],
]  # fmt: skip


def _database_url(env: dict[str, str]) -> str:
    user, password = quote(env["POSTGRES_USER"]), quote(env["POSTGRES_PASSWORD"])
    host, port, db = env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]
    if host.startswith("/"):
        return f"postgresql://{user}:{password}@/{db}?host={quote(host)}&port={port}"
    return f"postgresql://{user}:{password}@{host}:{port}/{db}"


# The ledgers a test opened to look (``_registry``), closed when its ``data`` ends (every
# module that imports ``_registry`` takes ``data``): left to the collector, their PostgreSQL
# connections could outlive the session's check that none is left open.
_OPENED: list[LedgerApp] = []


@pytest.fixture
def data(store_env, tmp_path, monkeypatch, capsys) -> Iterator[str]:
    """A ledger initialised by 'drawledger init', with the bureau's divisions and items."""
    if store_env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        monkeypatch.setenv("DRAWLEDGER_DATABASE", _database_url(store_env))
    directory = str(tmp_path / "ledger")
    assert drawledger(["init", "--data", directory]) == 0
    for code, name, kind in [
        ("szc", "水政处", "aggregator"),
        ("gqc", "工管处", "business_division"),
        ("hhc", "河湖处", "business_division"),
        ("szy", "水资源服务中心", "service_centre"),
    ]:
        args = ["division", "add", "--data", directory, "--code", code, "--name", name]
        assert drawledger([*args, "--kind", kind]) == 0
    for row in ITEMS:  # each division's head asks the operator to import its items
        division = row[4]
        args = ["official", "add", "--data", directory, "--code", f"head-{division}"]
        args += ["--name", "处长", "--division", division, "--roles", "division_head"]
        assert drawledger(args) == 0
        items = tmp_path / f"items-{division}.csv"
        items.write_bytes(csv_bytes(ITEM_HEADERS, [row]))
        request = ["--on-request-of", f"head-{division}", "--request-ref", "报送事项清单的函"]
        assert drawledger(["import", "items", str(items), "--data", directory, *request]) == 0
    capsys.readouterr()
    try:
        yield directory
    finally:
        while _OPENED:
            _OPENED.pop().close()


# The operator imports gqc's rows on the written request of gqc's head, who may write them.
REQUEST = ["--on-request-of", "head-gqc", "--request-ref", "工管处报送名录的函〔2026〕3号"]


def _token_file(data: str, official: str, tmp_path: Path) -> list[str]:
    """The operator issues ``official`` a token (setting up the bureau): ``--token-file F``."""
    token = _registry(data).issue_token(official, None)
    path = tmp_path / f"{official}.token"
    path.write_text(token + "\n", encoding="utf-8")
    path.chmod(0o600)  # a token file others can read is refused
    return ["--token-file", str(path)]


def _registry(data: str) -> Registry:
    app = LedgerApp.open(Path(data))
    _OPENED.append(app)
    return Registry(app)


def _official(data: str, code: str, division: str, roles: str, *extra: str) -> int:
    return drawledger(
        ["official", "add", "--data", data, "--code", code, "--name", f"{code}的姓名",
         "--division", division, "--roles", roles, *extra]
    )  # fmt: skip


def test_an_admin_registers_a_clerk_and_issues_a_token_shown_once(data, capsys, tmp_path):
    assert _official(data, "admin-1", "szc", "admin") == 0
    admin = ["--as", "admin-1", *_token_file(data, "admin-1", tmp_path)]
    assert _official(data, "clerk-1", "gqc", "clerk", *admin) == 0
    assert "已登记工作人员 clerk-1" in capsys.readouterr().out

    assert drawledger(["token", "issue", "--data", data, "--official", "clerk-1"]) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert token.startswith("dl1.")
    assert "令牌只显示这一次" in err
    assert _registry(data).authenticate(token).code == "clerk-1"

    token_id = token.split(".")[2]
    args = ["token", "revoke", "--data", data, "--official", "clerk-1", "--token-id", token_id]
    assert drawledger([*args, "--reason", "left the division", *admin]) == 0
    with pytest.raises(Forbidden, match="revoked"):
        _registry(data).authenticate(token)
    assert drawledger([*args, "--reason", "again"]) == 1
    assert f"没有有效的令牌 {token_id}" in capsys.readouterr().err


def test_a_token_file_others_can_read_is_refused_before_anything_is_done(data, capsys, tmp_path):
    # Whoever reads the file acts as the official (an identity borrowed from a 0644 file).
    assert _official(data, "admin-1", "szc", "admin") == 0
    admin = ["--as", "admin-1", *_token_file(data, "admin-1", tmp_path)]
    Path(admin[-1]).chmod(0o644)
    assert _official(data, "clerk-1", "gqc", "clerk", *admin) == 1
    err = capsys.readouterr().err
    assert "可被他人读取：请执行 chmod 600" in err and "admin-1.token" in err, err
    with pytest.raises(NotFound):
        _registry(data).official("clerk-1")
    Path(admin[-1]).chmod(0o600)
    assert _official(data, "clerk-1", "gqc", "clerk", *admin) == 0


def test_a_clerk_may_not_register_officials_and_bad_roles_are_named(data, capsys, tmp_path):
    assert _official(data, "clerk-1", "gqc", "clerk") == 0
    clerk = ["--as", "clerk-1", *_token_file(data, "clerk-1", tmp_path)]
    assert _official(data, "clerk-2", "gqc", "clerk", *clerk) == 1
    assert "须具有以下角色之一：系统管理员" in capsys.readouterr().err
    assert _official(data, "x-1", "gqc", "clerk,boss") == 1
    assert "'boss' 应为以下之一：" in capsys.readouterr().err
    assert _official(data, "x-2", "nosuch", "clerk") == 1
    assert "没有代码为 'nosuch' 的处室" in capsys.readouterr().err


def test_import_prints_every_bad_row_records_nothing_and_exits_1(data, tmp_path, capsys):
    rows = [target_row(1), target_row(2, code=bad_credit_code(2)), target_row(3, district="")]
    path = tmp_path / "targets.csv"
    path.write_bytes(csv_bytes(TARGET_HEADERS_ZH, rows, "gb18030"))

    assert drawledger(["import", "targets", str(path), "--data", data, *REQUEST]) == 1

    out, err = capsys.readouterr()
    assert f"错误：第 3 行，列 '统一社会信用代码'，值 '{bad_credit_code(2)}'" in out
    assert "错误：第 4 行，列 '所属区'，值 None：必须填写" in out
    assert "共 3 行：已记录 0 行，更新 0 行，未变 0 行，跳过 0 行" in out
    assert "未记录任何内容：有 2 行有错误" in err
    assert count_events(_registry(data).app, "target.registered") == 0

    args = ["import", "targets", str(path), "--data", data, "--skip-invalid", *REQUEST]
    assert drawledger(args) == 0
    assert "共 3 行：已记录 1 行，更新 0 行，未变 0 行，跳过 2 行" in capsys.readouterr().out


def test_an_official_of_another_division_is_refused_once_for_the_file(data, tmp_path, capsys):
    _official(data, "clerk-hhc", "hhc", "clerk")
    path = tmp_path / "targets.csv"
    path.write_bytes(csv_bytes(TARGET_HEADERS_ZH, [target_row(1, division="gqc")]))
    clerk = ["--as", "clerk-hhc", *_token_file(data, "clerk-hhc", tmp_path)]
    assert drawledger(["import", "targets", str(path), "--data", data, *clerk]) == 1
    err = capsys.readouterr().err
    assert "检查对象名录文件被拒绝，未记录任何内容：第 2 (" in err
    assert "处室 hhc 的工作人员 clerk-hhc 无权登记或更正检查对象（target.write）" in err
    assert count_events(_registry(data).app, "target.registered") == 0


@pytest.mark.parametrize(("suffix", "headers"), [(".csv", "zh"), (".xlsx", "en")])
def test_an_exported_registry_reimports_as_unchanged(data, tmp_path, capsys, suffix, headers):
    path = tmp_path / "targets.csv"
    path.write_bytes(csv_bytes(TARGET_HEADERS_ZH, [target_row(n) for n in range(1, 4)]))
    source = ["--source", "工管处2026年名录"]
    assert drawledger(["import", "targets", str(path), "--data", data, *source, *REQUEST]) == 0
    for kind, count in (("targets", 3), ("items", 1)):  # gqc's: its head asks for the import
        out = tmp_path / f"{kind}-export{suffix}"
        args = ["export-registry", kind, "--data", data, "--out", str(out), "--headers", headers]
        args += ["--division", "gqc"]
        assert drawledger(args) == 0
        assert f"已写入 {out}：{count} 个{REGISTRIES[kind]}" in capsys.readouterr().out
        assert drawledger(["import", kind, str(out), "--data", data, *REQUEST]) == 0
        assert f"共 {count} 行：已记录 0 行，更新 0 行，未变 {count} 行" in (
            capsys.readouterr().out
        )


def test_export_to_another_kind_of_file_is_refused(data, tmp_path, capsys):
    out = tmp_path / "targets.ods"
    assert drawledger(["export-registry", "targets", "--data", data, "--out", str(out)]) == 1
    assert "文件名应以 .csv 或 .xlsx 结尾" in capsys.readouterr().err


def test_a_missing_file_is_exit_1_with_a_message(data, tmp_path, capsys):
    assert drawledger(["import", "targets", str(tmp_path / "none.csv"), "--data", data]) == 1
    assert "无法读取" in (err := capsys.readouterr().err) and "文件或文件夹不存在" in err


def test_long_imports_show_progress_on_stderr(data, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli_registry, "PROGRESS_FROM", 10)
    path = tmp_path / "targets.csv"
    path.write_bytes(csv_bytes(TARGET_HEADERS_ZH, [target_row(n) for n in range(1, 21)]))
    assert drawledger(["import", "targets", str(path), "--data", data, *REQUEST]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "核对检查对象: 1/20 (5%)"
    assert "核对检查对象: 20/20 (100%)" in err
    assert err[-1] == "记录检查对象: 20/20 (100%)"


def test_short_imports_show_no_progress(data, tmp_path, capsys):
    # Files under PROGRESS_FROM rows import in about a second: a bar would only be noise.
    path = tmp_path / "targets.csv"
    path.write_bytes(csv_bytes(TARGET_HEADERS_ZH, [target_row(n) for n in range(1, 21)]))
    assert drawledger(["import", "targets", str(path), "--data", data, *REQUEST]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "command",
    [
        ["export-registry", "targets", "--out", "{missing}/targets.xlsx"],
        ["export", "--out", "{missing}/bundle"],
    ],
)
def test_a_file_written_into_a_missing_folder_is_exit_1_naming_it(data, tmp_path, capsys, command):
    # These printed a Python traceback before.
    missing = tmp_path / "no-such-folder"
    args = [a.replace("{missing}", str(missing)) for a in command]
    assert drawledger(["seal", "--data", data]) == 0  # PostgreSQL: an export needs a checkpoint
    capsys.readouterr()
    assert drawledger([*args, "--data", data]) == 1
    err = capsys.readouterr().err
    assert "no-such-folder" in err and "文件或文件夹不存在" in err
    assert "错误（file_unusable）：无法使用" in err
    assert "Traceback" not in err
