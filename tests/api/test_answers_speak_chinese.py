"""Every message a person reads in an answer with per-item messages is Chinese.

An HTTP import's report (a refused file, a preview, skipped rows), a whole-file refusal, a
registration's warnings: each row's ``message``, each warning, each ``detail`` and ``title``
must hold Chinese words, and never the English of a message the tables do not know (marked
原文). Only codes, field names, columns and values quoted from the input stay as they were.
The CLI prints the same words for the same file (one table: ``ledger.error_texts``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli_texts import row_problem_text
from api.importing import import_file

from .test_import_support import (
    TARGET_HEADERS_ZH,
    bad_credit_code,
    bureau,
    count_events,
    csv_bytes,
    target_row,
)

CJK = re.compile(r"[\u3400-\u9fff]")
# Keys whose strings are for people; codes, fields, columns and values are for machines.
FOR_PEOPLE = {"message", "detail", "title", "warnings", "zh"}
INSPECTOR_HEADERS = [
    "code", "name", "certificate_number", "certificate_valid_until", "unit", "division",
    "qualifications",
]  # fmt: skip
ITEM_HEADERS = [
    "code", "name", "law", "article", "division", "executing_units", "object_type", "method",
]  # fmt: skip


def words_for_people(body: Any, key: str = "") -> list[str]:
    """Every string in an answer under a key a person reads (``FOR_PEOPLE``)."""
    if isinstance(body, dict):
        return [s for k, v in body.items() for s in words_for_people(v, k)]
    if isinstance(body, list):
        return [s for v in body for s in words_for_people(v, key)]
    return [body] if isinstance(body, str) and key in FOR_PEOPLE else []


def not_chinese(body: Any) -> list[str]:
    """The strings for people with no Chinese, marked 原文, or holding a run of English words
    beside their Chinese (`统一社会信用代码 'ABC'：expected 18 characters, got 3` passed for
    Chinese; the CLI's heuristic, ``english_sentences``, finds it)."""
    return [s for s in words_for_people(body) if not CJK.search(s) or "原文" in s or _english(s)]


def _english(text: str) -> bool:
    """A run of English words in a sentence (`expected 18 characters, got 3`), not a list of
    codes a rule offers (`enterprise, public_body, project`; `A, B, C, D`)."""
    from tests.test_cli_speaks_chinese import english_sentences

    return any(re.search(r"[A-Za-z] +[A-Za-z]", run) for run in english_sentences(text))


def test_the_walk_finds_english_and_a_message_the_tables_do_not_know():
    body = {
        "code": "import_refused",
        "problems": [{"field": "code", "value": "x", "message": "is required"}],
        "warnings": ["第 2 行：提示（原文：something new）"],
    }
    assert not_chinese(body) == ["is required", "第 2 行：提示（原文：something new）"]
    assert not_chinese({"code": "bad_input", "field": "kind", "value": "enterprise"}) == []


@pytest.fixture
def registry(ledger):
    return bureau(ledger)


@pytest.fixture
def client(registry):
    return TestClient(create_app(registry.app))


@pytest.fixture
def clerk(registry):
    return {"Authorization": f"Bearer {registry.issue_token('clerk-gqc', None)}"}


def _upload(client, kind, data, headers, name="file.csv", **params):
    return client.post(
        f"/imports/{kind}", files={"file": (name, data)}, headers=headers, params=params
    )


BAD_TARGETS = [
    target_row(1),  # good, but its organisation code fails GB 11714: a warning
    target_row(2, code=bad_credit_code(2)),  # check character
    target_row(3, district=""),  # required
    target_row(4, items="no-such-item"),  # a reference
    target_row(5, permit_valid_from="2026-13-01"),  # a date
    target_row(6, division="nodiv"),  # a division that does not exist
    target_row(7, kind="公司"),  # a kind not in the list
    target_row(8, credit_class="Z"),
    target_row(9, permit_valid_from="2030-01-01"),  # starts after it ends
    target_row(10, name="\x07响铃"),  # a control character
    target_row(11, name="\u200b\u200b"),  # invisible only
    target_row(12, code="ABC"),  # too short
    target_row(13, name="长" * 300),  # too long
    target_row(1, name="另一个名字"),  # row 2's code once more
]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"dry_run": "true"},
        {"skip_invalid": "true"},
        {"dry_run": "true", "skip_invalid": "true"},
    ],
)
def test_an_import_report_over_http_is_chinese_and_says_what_the_cli_says(
    registry, client, clerk, params
):
    headers = [*TARGET_HEADERS_ZH, "状态"]
    rows = [[*r, ""] for r in BAD_TARGETS] + [[*target_row(14), "moved_away"]]
    data = csv_bytes(headers, rows)
    before = count_events(registry.app)

    response = _upload(client, "targets", data, clerk, **params)

    body = response.json()
    assert response.status_code == (200 if "skip_invalid" in params else 422), body
    assert len(body["problems"]) >= 12, body["problems"]
    assert body["warnings"], "row 2's organisation code check warns"
    assert not_chinese(body) == []
    if not params:
        assert count_events(registry.app) == before
        # The CLI's words for each row are the service's: one table.
        report = import_file(registry, "targets", data, by="clerk-gqc", source="f.csv")
        cli = [row_problem_text(p).split("：", 1)[1] for p in report.problems]
        assert [p["message"] for p in body["problems"]] == cli


def test_inspector_and_item_rows_are_refused_in_chinese(registry, client, clerk):
    inspectors = [
        ["i-1", "赵六", "C-1", "2029-06-30", "szy", "gqc", "hdjs"],
        ["i-2", "钱七", "C-1", "2029-06-30", "szy", "gqc", "hdjs"],  # row 2's certificate
        ["i-3", "孙八", "C-3", "2029-02-30", "szy", "gqc", "hdjs"],  # no such day
        ["i-4", "李九", "C-4", "2029-06-30", "no-unit", "gqc", "no-such-item"],
        ["", "周十", "C-5", "2029-06-30", "szy", "gqc", "hdjs"],
    ]
    response = _upload(client, "inspectors", csv_bytes(INSPECTOR_HEADERS, inspectors), clerk)
    assert response.status_code == 422
    assert len(response.json()["problems"]) >= 4
    assert not_chinese(response.json()) == []

    items = [
        ["it-1", "检查", "", "第一条", "gqc", "gqc", "单位", "on_site"],  # no law
        ["it-2", "检查", "法", "第一条", "gqc", "nodiv", "单位", "by_post"],
        ["it-3", "检查", "法", "第一条", "hhc", "hhc", "单位", "on_site"],  # another division
    ]
    response = _upload(client, "items", csv_bytes(ITEM_HEADERS, items), clerk)
    assert response.status_code in (403, 422)
    assert not_chinese(response.json()) == []


def _zip_without_a_workbook() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "不是工作簿")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "params"),
    [
        (b"", "empty.csv", {}),
        (b"\xd0\xcf\x11\xe0old", "old.xls", {}),
        (b"PK\x03\x04not a zip", "broken.xlsx", {}),
        (_zip_without_a_workbook(), "other.xlsx", {}),  # "There is no item named …"
        (b"\xff\xfe\x00\xd8", "odd.csv", {}),
        ("名称,地址\n甲,乙\n".encode(), "plain.csv", {"encoding": "utf-16"}),  # was a 500
        ("代碼,名稱\n".encode("big5") + "臺灣貓頭鷹".encode("big5") * 4, "big5.csv", {}),
        (b"code,name\n", "headers.csv", {}),
    ],
)
def test_a_whole_file_refusal_is_a_4xx_in_chinese(registry, client, clerk, data, name, params):
    before = count_events(registry.app)
    response = _upload(client, "targets", data, clerk, name=name, **params)
    assert 400 <= response.status_code < 500, response.text
    assert not_chinese(response.json()) == []
    assert count_events(registry.app) == before


def test_a_registration_s_warnings_are_chinese(client, clerk):
    # An issued code whose organisation code fails GB 11714: kept, with a warning.
    code = "91320400MA0000001T"
    body = {
        "code": code,
        "name": "常州市预警水利有限公司",
        "kind": "enterprise",
        "district": "新北区",
        "division": "gqc",
        "items": ["hdjs"],
    }
    response = client.post("/targets", json=body, headers=clerk)
    assert response.status_code == 201, response.text
    assert response.json()["warnings"]
    assert not_chinese(response.json()) == []


def test_a_draw_s_exclusions_and_skips_are_given_in_chinese_too(demo_ledger):
    from tests.ledger.workflow import CEREMONY, CONTRIBUTIONS

    from .test_draw_routes import _token

    ledger, _ = demo_ledger(targets=200, inspectors=24)
    client = TestClient(create_app(ledger))
    client.headers["Authorization"] = f"Bearer {_token(ledger, 'szc-clerk')}"
    body = {"ceremony": CEREMONY, "division": "szc", "items": ["qsxk"], "counts": {"all": 6}}
    draw = client.post("/draws", json={**body, "team_size": 2}).json()["id"]
    frozen = client.post(f"/draws/{draw}/freeze").json()
    client.post(f"/draws/{draw}/reveal", json={"contributions": CONTRIBUTIONS})
    client.post(f"/draws/{draw}/select")
    teams = client.post(f"/draws/{draw}/assign").json()

    reasons = frozen["exclusions"] + [s for t in teams for s in t["skips"]]
    assert frozen["exclusions"], "the demo bureau has targets a freeze leaves out"
    assert all(CJK.search(r["reason_zh"]) for r in reasons), reasons
    assert all(r["reason"] and not CJK.search(r["reason"]) for r in reasons)  # as recorded
    # A step refused lists its reasons in Chinese.
    again = client.post(f"/draws/{draw}/assign")
    assert again.status_code == 409 and not_chinese(again.json()) == []
