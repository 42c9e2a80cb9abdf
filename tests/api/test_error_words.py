"""No English left inside a Chinese detail, on every path a person reads one.

- The ledger's own words a message fills in (roles, acts, statuses, steps, registries, kinds,
  channels, the system's file errors) are each in their table (``ledger/error_texts/words.py``):
  the words are collected from where the ledger defines or writes them, not listed here.
- A refusal naming them reads Chinese only (codes, values and field names aside).
- ``drawledger …`` refusals (exit 1) print ``错误（code）：`` and the Chinese detail.
- A fault of the service (5xx) answers Chinese words; its English goes to the log only.
- The public column's and the legal office's login page's refused ``as_of`` is Chinese.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from api.openapi_errors import PROBLEM
from ledger import actors
from ledger.draws import aggregate as draws
from ledger.error_texts import ERROR_TEXTS, FIELD_TEXTS, error_text
from ledger.error_texts.words import (
    ACTS,
    CHANNELS,
    INSPECTOR_STATUSES,
    PARTNER_STATUSES,
    PLAN_STATUSES,
    REGISTRIES,
    STEPS,
    TARGET_KINDS,
    TARGET_STATUSES,
    WHO,
    table_of,
)
from ledger.errors import TamperedEvent
from ledger.inspections import aggregate as inspections
from ledger.labels import ROLE_LABELS
from ledger.policies import Policies
from ledger.registry import inspectors, targets
from ledger.registry.layouts import KINDS as REGISTRY_KINDS
from verify.authority_rules import OPERATOR_ACT_NAMES
from verify.results import CHANNELS as PUBLICATION_CHANNELS

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff]")
# An English word: three letters or more, not part of a code (dots, underscores, dashes, digits
# or slashes beside it) and not inside a quoted value.
WORD = re.compile(r"(?<![\w./:-])[A-Za-z]{3,}(?![\w./:-])")


def english_words(text: str) -> set[str]:
    return set(WORD.findall(re.sub(r"'[^']*'", "", text)))


def _literals(path: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, (ROOT / path).read_text(encoding="utf-8")))


def test_every_word_the_ledger_fills_into_a_message_is_in_its_table():
    """Each vocabulary, read from where the ledger defines or writes it, is in its table."""
    plan_statuses = _literals("ledger/plans/aggregate.py", r'plan\.status = "(\w+)"')
    partner_statuses = _literals("ledger/draws/aggregate.py", r'status(?:"\])? ?= ?"(\w+)"')
    partner_statuses |= _literals("ledger/draws/aggregate.py", r'"status": "(\w+)"')
    who: set[str] = set()
    for path in (ROOT / "ledger/draws").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        who |= set(re.findall(r'check_own_items\([^)]*?"([a-z ]+)"\)', text, re.DOTALL))
    found = {
        "roles": (set(actors.ROLES), ROLE_LABELS),
        "acts": (set(OPERATOR_ACT_NAMES), ACTS),
        "plan statuses": (plan_statuses, PLAN_STATUSES),
        "steps": (set(draws.STEPS) | set(inspections.STEPS), STEPS),
        "target statuses": (set(targets.STATUSES), TARGET_STATUSES),
        "inspector statuses": (set(inspectors.STATUSES), INSPECTOR_STATUSES),
        "partner statuses": (partner_statuses, PARTNER_STATUSES),
        "registries": (set(REGISTRY_KINDS) | {k.rstrip("s") for k in REGISTRY_KINDS}, REGISTRIES),
        "target kinds": (set(targets.KINDS), TARGET_KINDS),
        "channels": (set(PUBLICATION_CHANNELS), CHANNELS),
        "who": (who, WHO),
    }
    for name, (words, table) in found.items():
        assert words, f"the search for {name} found nothing"  # the search itself worked
        assert words <= set(table), (name, words - set(table))
        assert all(CJK.search(table[w]) for w in words), name
    assert len(plan_statuses) >= 6 and len(partner_statuses) >= 3 and len(who) == 2


def test_every_group_of_words_reads_a_table():
    for pattern, _ in ERROR_TEXTS + FIELD_TEXTS:
        for group in re.compile(pattern).groupindex:
            if group.startswith("zh_"):
                assert table_of(group) is not None, (pattern, group)


REFUSALS = [
    # (message, what the Chinese says); each read with no English word left
    (
        "official c1 (roles: clerk, auditor) may not oversight.read: it needs one of the roles "
        "auditor, legal_office",
        "（角色：经办人员、审计人员）无权查阅监督页面（oversight.read）：须具有以下角色之一：审计人员、法制处",
    ),
    (
        "cannot amend: the plan is uploaded; this step needs drafted or reviewed or submitted or "
        "consolidated",
        "计划状态为已上传；此步骤须为已拟订或已审核或已报送或已汇总",
    ),
    (
        "cannot reveal the seed: the draw is at step 'assigned', this step needs 'frozen'",
        "该抽取处于步骤“已分配执法人员”，此步骤须为“已冻结抽取范围”",
    ),
    (
        "cannot assign a partner's inspectors: the lead division has not selected the targets "
        "yet (the draw is at step 'opened'); partners assign inspectors for selected targets",
        "无法分配联合检查部门的执法人员：牵头处室尚未抽取检查对象（抽取处于步骤“已开启”）",
    ),
    ("target 91320400MA0000001T is deregistered already", "的状态已是“已注销”"),
    ("inspector insp-001 is retired, not on duty", "的状态为退休，不在岗"),
    ("division ggc was invited to this draw already (invited)", "（已邀请）"),
    (
        "division ggc cannot accept: it has declined already; an invitation is answered once",
        "其状态已是“已谢绝”",
    ),
    (
        "target enterprise 91320400MA0000001T is registered already; send a correction to "
        "change it",
        "检查对象（企业）",
    ),
    (
        "the targets file is refused and nothing of it was recorded: rows 2 (a), 3 (b) and 4 "
        "more: no division with code 'x'",
        "检查对象名录文件被拒绝，未记录任何内容：第 2 (a), 3 (b) 行及另外 4 行",
    ),
    (
        "the results publication of inspection i1 exists (p1); correct or withdraw it instead",
        "检查 i1 的检查结果公示已存在",
    ),
    (
        "items: item qsxk belongs to division szc (executed by ggc); a division draws only for "
        "items it owns or executes (谁审批谁监管)",
        "（执行单位：ggc）；只能就本处室所有或执行的事项抽取",
    ),
    (
        "cannot read data/t.csv: No such file or directory",
        "无法读取 data/t.csv：文件或文件夹不存在",
    ),
    (
        "a dispute file is written by legal_office, auditor only (dispute.write); roles held: "
        "clerk",
        "争议文件只能由法制处、审计人员编写",
    ),
    (
        "the ledger's operator may not record division.manage (the policy in force: "
        "[authority] operator lets it record nothing on its own, and operator_on_request "
        "target.write on a written request): act as an official with their credential (--as "
        "CODE with --token-file FILE or DRAWLEDGER_TOKEN)",
        "账本运维人员不得管理处室（division.manage）",
    ),
    (
        "the file is neither UTF-8 nor GB18030 text (byte 12); save it as 'CSV UTF-8' or as .xlsx",
        "文件既不是 UTF-8 也不是 GB18030 文本",
    ),
    ("witness abc was removed: a removed key is never added again", "移除的密钥不能再次加入"),
]
# Words that are names, not English: the policy's tables and keys, options, variables.
NAMES = {"CODE", "FILE", "DRAWLEDGER_TOKEN", "UTF", "GB18030", "CSV", "authority", "operator"}
NAMES |= {"ggc", "szc", "abc", "qsxk", "items"}  # codes and a field the messages name


@pytest.mark.parametrize(("message", "says"), REFUSALS)
def test_a_refusal_naming_the_ledgers_words_reads_chinese_only(message, says):
    text = error_text(message)
    assert text is not None and says in text, text
    assert english_words(text) <= NAMES, (english_words(text), text)


def test_a_refusal_on_the_command_line_is_chinese_with_its_english_code(tmp_path, capsys):
    """A refusal of each kind (a missing ledger, bad input, a folder that is not there, a step
    the ledger refuses) is one line: ``drawledger COMMAND: 错误（code）：`` then Chinese."""
    data = tmp_path / "ledger"
    cases = [
        (
            ["export", "--data", str(tmp_path / "none"), "--out", "x"],
            "ledger_misconfigured",
            "未找到",
        ),
        (["init", "--data", str(data)], None, None),
        (["init", "--data", str(data)], "error", "中已有账本"),
        (
            ["export-registry", "targets", "--data", str(data), "--out", "t.ods"],
            "bad_input",
            "文件名应以 .csv 或 .xlsx 结尾",
        ),
        (["seal", "--data", str(data)], None, None),
        (
            ["export", "--data", str(data), "--out", str(tmp_path / "no-such" / "b")],
            "file_unusable",
            "文件或文件夹不存在",
        ),
    ]
    for args, code, says in cases:
        status = drawledger(args)
        err = capsys.readouterr().err
        if code is None:
            continue
        assert status == 1, (args, err)
        line = err.strip()
        assert len(line.splitlines()) == 1 and "Traceback" not in line, line
        assert line.startswith(f"drawledger {args[0]}: 错误（{code}）："), line
        assert says in line and "原文" not in line, line
        assert english_words(line.split("：", 1)[1]) <= NAMES | {"drawledger", "init", "data"}


@pytest.fixture
def service(demo_ledger):  # type: ignore[no-untyped-def]
    ledger, _ = demo_ledger(targets=10, inspectors=4)
    app = create_app(ledger)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, ledger
    app.state.read_models.close()


@pytest.mark.store_tampered  # its 500s are expected (undocumented), still problem+json
@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_fault_of_the_service_is_500_in_chinese_and_its_english_only_in_the_log(
    service, monkeypatch, caplog
):
    client, _ = service
    secret = "event policy.set of aggregate 1234 v1: stored under /srv/secret/path"

    def tampered(self, at=None):  # type: ignore[no-untyped-def]
        raise TamperedEvent(secret)

    monkeypatch.setattr(Policies, "in_force", tampered)
    with caplog.at_level(logging.ERROR, logger="api.errors"):
        response = client.get("/policy")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "tampered_event" and CJK.search(body["title"])
    assert CJK.search(body["detail"]) and "/srv/secret" not in response.text, body
    assert any("/srv/secret/path" in r.getMessage() for r in caplog.records)

    def broken(self, at=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug in /srv/secret/module.py")

    monkeypatch.setattr(Policies, "in_force", broken)
    response = client.get("/policy")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "error" and body["title"] == "服务出错", body
    assert CJK.search(body["detail"]) and not english_words(body["detail"]), body
    assert "secret" not in response.text


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_the_column_and_the_login_page_refuse_as_of_in_chinese(service):
    client, _ = service
    for url in ("/column?as_of=1", "/column/results?as_of=1", "/legal/login?as_of=1"):
        response = client.get(url, headers={"Accept": PROBLEM})  # else the column: a page
        assert response.status_code == 422, (url, response.text)
        detail = response.json()["detail"]
        assert "不支持 as_of" in detail and english_words(detail) <= {"GET"}, detail
