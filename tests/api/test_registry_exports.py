"""Exports that round-trip (issue 14 parts 2 and 3): status and conflicts included, by division,
as of a position, over HTTP; re-imported unchanged they record nothing. A drawn target is not
renamed by a file. The template workbook and docs/IMPORT.md. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from api.importing import export_bytes, import_file
from api.templates import LISTS_SHEET, RULES_SHEET, template_bytes
from ledger.application import LedgerApp
from ledger.demo.bureau import build_demo
from ledger.draws.service import Draws
from ledger.errors import BadInput, Forbidden, NotFound
from ledger.registry.exports import coded_values
from ledger.registry.layouts import LAYOUTS
from ledger.registry.service import Registry
from ledger.registry.targets import Target, target_id
from tests.ledger.workflow import draw_until

from .test_import_support import (
    TARGET_HEADERS_ZH,
    bureau,
    count_events,
    credit_code,
    csv_bytes,
    target_row,
)

INSPECTOR_HEADERS = ["编号", "姓名", "执法证号", "执法证有效期至", "单位", "处室", "执法资格"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry(ledger):
    """The bureau with five targets (one in 河湖处), two inspectors, a closed target and a
    declared conflict."""
    registry = bureau(ledger)
    rows = [target_row(n) for n in range(1, 4)] + [target_row(4, division="hhc")]
    _import(registry, "targets", csv_bytes(TARGET_HEADERS_ZH, rows))
    roster = [
        ["i-1", "赵六", "C-1", "2029-06-30", "szy", "gqc", "hdjs"],
        ["i-2", "钱七", "C-2", "2030-01-31", "szy", "hhc", "hhgl"],
    ]
    _import(registry, "inspectors", csv_bytes(INSPECTOR_HEADERS, roster))
    registry.change_target_status(_tid(2), "closed", "停业", "test", "clerk-gqc")
    registry.declare_conflict("i-1", _tid(1), "亲属任职", "clerk-gqc")
    return registry


def _import(registry, kind, data, by=None, **kwargs):
    report = import_file(registry, kind, data, by=by, source="t.csv", **kwargs)
    return report


def _tid(n):
    return target_id("enterprise", credit_code(n))


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _csv(rows: list[dict[str, str]], encoding: str = "gb18030") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_export_with_status_and_conflicts_reimports_recording_nothing(
    registry, suffix, language
):
    before = count_events(registry.app)
    for kind, rows in (("targets", 4), ("inspectors", 2), ("items", 2)):
        data, count, _ = export_bytes(registry.app, kind, suffix, language)
        assert count == rows
        report = _import(registry, kind, data)
        assert (report.problems, report.recorded, report.updated, report.changes) == (
            [],
            0,
            0,
            [],
        ), kind
        assert report.unchanged == rows
    assert count_events(registry.app) == before


def test_the_export_carries_status_and_conflicts_and_an_import_may_not_change_them(registry):
    targets = _rows(export_bytes(registry.app, "targets", ".csv")[0])
    assert [r["状态"] for r in targets] == ["在营", "已关闭停业", "在营", "在营"]
    inspectors = _rows(export_bytes(registry.app, "inspectors", ".csv")[0])
    assert [r["回避对象"] for r in inspectors] == [credit_code(1), ""]
    # The export re-encoded as GB18030 by a Chinese Excel: still nothing to record.
    assert _import(registry, "targets", _csv(targets)).unchanged == 4

    targets[1]["状态"] = "在营"  # reopening a closed company by a cell
    inspectors[0]["回避对象"] = credit_code(3)  # swapping a declared conflict by a cell
    before = count_events(registry.app)
    report = _import(registry, "targets", _csv(targets), skip_invalid=True)
    assert [(p.row, p.column) for p in report.problems] == [(3, "状态")]
    report = _import(registry, "inspectors", _csv(inspectors), skip_invalid=True)
    assert [(p.row, p.column) for p in report.problems] == [(2, "回避对象")]
    assert count_events(registry.app) == before
    assert registry.app.get(_tid(2), Target).status == "closed"


def test_an_export_by_division_and_as_of_a_position(registry):
    position = registry.app.recorder.max_notification_id()
    _import(registry, "targets", csv_bytes(TARGET_HEADERS_ZH, [target_row(1, grid="G-99")]))

    hhc = _rows(export_bytes(registry.app, "targets", ".csv", division="hhc")[0])
    assert [r["统一社会信用代码"] for r in hhc] == [credit_code(4)]
    now = _rows(export_bytes(registry.app, "targets", ".csv")[0])
    then = _rows(export_bytes(registry.app, "targets", ".csv", as_of=position)[0])
    assert (now[0]["网格"], then[0]["网格"]) == ("G-99", "G-07")
    before_status = _rows(export_bytes(registry.app, "targets", ".csv", as_of=position - 3)[0])
    assert [r["状态"] for r in before_status] == ["在营"] * 4  # before target 2 was closed

    for bad in (0, position + 10):
        with pytest.raises(BadInput, match="as_of"):
            export_bytes(registry.app, "targets", ".csv", as_of=bad)
    with pytest.raises(NotFound, match="no division"):
        export_bytes(registry.app, "targets", ".csv", division="nosuch")


def test_exports_over_http_by_division_for_those_who_keep_them(registry):
    client = TestClient(create_app(registry.app))
    clerk = {"Authorization": f"Bearer {registry.issue_token('clerk-gqc', None)}"}

    response = client.get("/exports/targets", headers=clerk)  # the clerk's own division
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["registry-rows"] == "3"
    assert {r["责任处室"] for r in _rows(response.content)} == {"gqc"}
    xlsx = client.get("/exports/targets", headers=clerk, params={"format": "xlsx", "as_of": 5})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")

    before = count_events(registry.app)
    upload = client.post(
        "/imports/targets", files={"file": ("t.csv", response.content)}, headers=clerk
    )
    assert (upload.status_code, upload.json()["unchanged"], upload.json()["updated"]) == (
        200,
        3,
        0,
    )
    assert count_events(registry.app) == before

    other = client.get("/exports/targets", headers=clerk, params={"division": "hhc"})
    assert other.status_code == 403
    assert client.get("/exports/targets").status_code == 401
    bad = client.get("/exports/targets", headers=clerk, params={"as_of": 10**6})
    assert bad.status_code == 422 and "as_of" in bad.text
    with pytest.raises(Forbidden):
        export_bytes(registry.app, "targets", ".csv", division="hhc", by="clerk-gqc")


def test_a_drawn_target_is_never_renamed_by_a_file_even_skipping_invalid_rows(ledger):
    build_demo(ledger, targets=300, inspectors=30)
    draws = Draws(ledger)
    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 3}, "team_size": 2}
    drawn = set(draws.selected_targets(draw_until(draws, spec, "select")))
    rows = _rows(export_bytes(ledger, "targets", ".csv", division="szc")[0])
    chosen = next(r for r in rows if r["统一社会信用代码"] in drawn)
    free = next(r for r in rows if r["统一社会信用代码"] not in drawn)
    old_name = chosen["名称"]
    chosen["名称"] = "已登记公司"
    chosen["网格"] = ""  # a blank cell beside it: never an erasure
    free["名称"] = free["名称"] + "更名后"
    edited = [r for r in rows if r is chosen or r is free]

    report = _import(Registry(ledger), "targets", _csv(edited), by="szc-clerk", skip_invalid=True)

    (problem,) = report.problems
    assert (problem.column, problem.value) == ("名称", "已登记公司")
    assert "has been drawn" in problem.message
    assert [(c.column, c.after) for c in report.changes] == [("名称", free["名称"])]
    assert (report.updated, report.skipped) == (1, 1)
    state = ledger.get(target_id("enterprise", chosen["统一社会信用代码"]), Target)
    assert state.name == old_name and state.grid is not None


def test_the_template_has_headers_an_example_drop_downs_and_the_rules(registry, tmp_path):
    coded = coded_values(registry.app)
    assert coded["division"] == ["szc", "gqc", "hhc", "szy"] and coded["district"] == ["新北区"]
    book = openpyxl.load_workbook(io.BytesIO(template_bytes("targets", coded)))
    assert book.sheetnames == ["targets", RULES_SHEET, LISTS_SHEET]
    sheet = book["targets"]
    layout = LAYOUTS["targets"]
    assert [c.value for c in sheet[1]] == [c.zh for c in layout]
    example = {c.field: v.value for c, v in zip(layout, sheet[2], strict=True)}
    assert example["kind"] == "企业" and example["permit_valid_until"] == "2029-12-31"
    assert example["division"] == "gqc"  # the rule's example, a division this ledger has
    other = {**coded, "division": ["szc", "hhc"], "district": ["武进区"]}  # another bureau's
    book2 = openpyxl.load_workbook(io.BytesIO(template_bytes("targets", other)))
    again = {c.field: v.value for c, v in zip(layout, book2["targets"][2], strict=True)}
    assert again["division"] == "szc" and again["district"] == "武进区"  # its own, not the demo's
    without = openpyxl.load_workbook(io.BytesIO(template_bytes("targets", None)))["targets"]
    assert {c.field: v.value for c, v in zip(layout, without[2], strict=True)} == example
    lists = book[LISTS_SHEET]
    validated = {}
    for check in sheet.data_validations.dataValidation:
        letter = str(check.sqref).split(":")[0].rstrip("0123456789")
        column = layout[openpyxl.utils.column_index_from_string(letter) - 1]
        source = check.formula1.split("!")[1].replace("$", "")
        validated[column.field] = [c.value for row in lists[source] for c in row]
    assert validated["kind"] == ["企业", "机关事业单位", "项目", "个人"]
    assert validated["status"] == ["在营", "已关闭停业", "已注销", "已被吊销", "已迁出"]
    assert validated["credit_class"] == ["A", "B", "C", "D"]
    assert validated["division"] == ["szc", "gqc", "hhc", "szy"]
    assert validated["district"] == ["新北区"]
    rules = [[c.value for c in row] for row in book[RULES_SHEET].iter_rows()]
    assert [r[1] for r in rules[1 : len(layout) + 1]] == [c.field for c in layout]
    assert any("<清空>" in (r[3] or "") for r in rules)

    for kind in ("inspectors", "items"):
        book = openpyxl.load_workbook(io.BytesIO(template_bytes(kind, coded, "en")))
        assert [c.value for c in book[kind][1]] == [c.field for c in LAYOUTS[kind]]
        assert book[kind].data_validations.dataValidation  # status, division, unit, class…


def test_the_template_from_the_cli_and_the_api(registry, tmp_path, capsys):
    out = tmp_path / "t.xlsx"
    assert drawledger(["template", "inspectors", "--out", str(out)]) == 0
    assert openpyxl.load_workbook(out)["inspectors"]["C1"].value == "执法证号"
    assert drawledger(["template", "inspectors", "--out", str(tmp_path / "t.csv")]) == 1
    assert "文件名应以 .xlsx 结尾" in capsys.readouterr().err

    client = TestClient(create_app(registry.app))
    clerk = {"Authorization": f"Bearer {registry.issue_token('clerk-gqc', None)}"}
    response = client.get("/imports/templates/items", headers=clerk)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book["items"][1]][:2] == ["事项编码", "事项名称"]
    assert client.get("/imports/templates/nosuch", headers=clerk).status_code == 422
    assert client.get("/imports/templates/items").status_code == 401


def test_docs_import_md_names_every_column_rule_and_the_clear_marker():
    text = (ROOT / "docs" / "IMPORT.md").read_text(encoding="utf-8")
    for kind, layout in LAYOUTS.items():
        assert f"## {kind}" in text
        for column in layout:
            assert f"| {column.zh} | `{column.field}` |" in text, (kind, column.field)
    assert "<清空>" in text and "<clear>" in text
    assert "drawledger template" in text and "--dry-run" in text


def test_an_exported_cli_file_by_division_reimports_unchanged(tmp_path, capsys):
    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data)]) == 0
    registry = bureau(LedgerApp.open(data))
    rows = [target_row(1), target_row(2, division="hhc")]
    assert _import(registry, "targets", csv_bytes(TARGET_HEADERS_ZH, rows)).recorded == 2
    out = tmp_path / "gqc.xlsx"
    args = ["export-registry", "targets", "--data", str(data), "--out", str(out)]
    head = str(registry.app.recorder.max_notification_id())
    assert drawledger([*args, "--division", "gqc", "--as-of", head]) == 0
    assert "1 个检查对象" in capsys.readouterr().out
    assert (
        drawledger(
            [
                "import",
                "targets",
                str(out),
                "--data",
                str(data),
                "--on-request-of",
                "clerk-gqc",
                "--request-ref",
                "各处室报送名录的函",
            ]
        )
        == 0
    )
    assert "已记录 0 行，更新 0 行，未变 1 行" in capsys.readouterr().out
