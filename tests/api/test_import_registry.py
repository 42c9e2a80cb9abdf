"""Importing and exporting the registries as a clerk does, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.importing import export_file, import_file
from ledger.errors import Forbidden
from ledger.registry.layouts import LAYOUTS
from ledger.registry.targets import Target, target_id

from .test_import_support import (
    TARGET_HEADERS_EN,
    TARGET_HEADERS_ZH,
    bad_credit_code,
    bureau,
    count_events,
    credit_code,
    csv_bytes,
    target_row,
    xlsx_bytes,
)


@pytest.fixture
def registry(ledger):
    """The bureau's registry on a new ledger (SQLite, then PostgreSQL)."""
    return bureau(ledger)


INSPECTOR_HEADERS = [
    "编号", "姓名", "执法证号", "执法证有效期至", "单位", "处室", "机关人员", "执法资格", "状态",
]  # fmt: skip


def _import(registry, kind, data, by=None, **kwargs):
    return import_file(registry, kind, data, by=by, source="test file", **kwargs)


def test_a_clerk_imports_targets_and_reimporting_the_same_file_records_nothing_new(registry):
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(n) for n in range(1, 6)], "utf-8-sig")
    result = _import(registry, "targets", data, by="clerk-gqc")
    assert (result.recorded, result.problems) == (5, [])
    target = registry.app.get(target_id("enterprise", credit_code(3)), Target)
    assert target.permit == {
        "number": "常水许〔2024〕3号",
        "valid_from": "2024-01-01",
        "valid_until": "2029-12-31",
    }
    assert target.risk_flags == ["complaints"]

    before = count_events(registry.app)
    again = _import(registry, "targets", data, by="clerk-gqc")
    assert (again.recorded, again.updated, again.unchanged) == (0, 0, 5)
    assert count_events(registry.app) == before


def test_a_changed_row_records_one_target_updated_event(registry):
    rows = [target_row(1), target_row(2)]
    _import(registry, "targets", csv_bytes(TARGET_HEADERS_ZH, rows))
    rows[1] = target_row(2, address="江苏省常州市新北区长江路9号", credit_class="C")
    before = count_events(registry.app)

    result = _import(registry, "targets", csv_bytes(TARGET_HEADERS_ZH, rows))

    assert (result.recorded, result.updated, result.unchanged) == (0, 1, 1)
    assert count_events(registry.app) == before + 1
    assert count_events(registry.app, "target.updated") == 1
    target = registry.app.get(target_id("enterprise", credit_code(2)), Target)
    assert (target.address, target.credit_class) == ("江苏省常州市新北区长江路9号", "C")


def test_every_bad_row_is_reported_with_its_header_and_file_row_and_nothing_is_recorded(
    registry,
):
    rows = [
        target_row(1),  # row 2: good
        target_row(2, code=bad_credit_code(2)),  # row 3
        [""] * 14,  # row 4: blank, not an entry
        target_row(5, division="nosuch"),  # row 5
        target_row(6, risk_flags="投诉举报多、foo", credit_class="E"),  # row 6: two problems
        target_row(7, name=""),  # row 7
        target_row(1),  # row 8: the same target as row 2
        target_row(9, permit_valid_until=""),  # row 9
        target_row(10, items="hdjs,nosuch"),  # row 10
    ]
    before = count_events(registry.app)

    result = _import(registry, "targets", csv_bytes(TARGET_HEADERS_ZH, rows))

    found = sorted((p.row, p.column, p.value) for p in result.problems)
    assert found == [
        (3, "统一社会信用代码", bad_credit_code(2)),
        (5, "责任处室", "nosuch"),
        (6, "信用等级", "E"),
        (6, "风险标记", "complaints,foo"),
        (7, "名称", None),
        (8, "统一社会信用代码", credit_code(1)),
        (9, "许可有效期至", None),
        (10, "抽查事项", "nosuch"),
    ]
    messages = {(p.row, p.column): p.message for p in result.problems}
    assert "check character is" in messages[3, "统一社会信用代码"]
    assert "'foo' is not one of complaints" in messages[6, "风险标记"]
    assert "投诉举报多" in messages[6, "风险标记"]  # the labels are named too
    assert messages[7, "名称"] == "is required"
    assert messages[8, "统一社会信用代码"] == "duplicate of row 2"
    assert result.refused and result.recorded == 0
    assert count_events(registry.app) == before


def test_skip_invalid_records_the_good_rows_only(registry):
    rows = [target_row(1), target_row(2, code=bad_credit_code(2)), target_row(3)]
    result = _import(registry, "targets", csv_bytes(TARGET_HEADERS_EN, rows), skip_invalid=True)
    assert (result.recorded, result.skipped) == (2, 1)
    assert [(p.row, p.column) for p in result.problems] == [(3, "code")]
    assert count_events(registry.app, "target.registered") == 2
    assert not result.refused


def test_an_official_importing_targets_of_another_division_is_refused_once_for_the_file(
    registry,
):
    rows = [
        target_row(1, division="hhc"),
        target_row(2, division="gqc"),
        target_row(3, division="hhc"),
    ]
    with pytest.raises(Forbidden) as refused:
        _import(registry, "targets", csv_bytes(TARGET_HEADERS_ZH, rows), by="clerk-gqc")
    message = str(refused.value)
    assert message.startswith("the targets file is refused and nothing of it was recorded")
    assert "rows 2 (" in message and ", 4 (" in message and "division hhc" in message
    assert message.count("谁审批谁监管") == 1  # one refusal for the file, not one per row
    assert count_events(registry.app, "target.registered") == 0


def test_inspectors_from_excel_with_an_expired_certificate_are_refused_by_row(registry):
    rows = [
        ["i-001", "赵六", "32040001", "2029-06-30", "szy", "gqc", "是", "hdjs", "在岗"],
        ["i-002", "钱七", "32040002", "2020-01-31", "szy", "gqc", "否", "hdjs", "在岗"],
    ]
    result = _import(registry, "inspectors", xlsx_bytes(INSPECTOR_HEADERS, rows), by="clerk-gqc")
    assert [(p.row, p.column) for p in result.problems] == [(3, "执法证有效期至")]
    assert "expired on 2020-01-31" in result.problems[0].message
    assert count_events(registry.app, "inspector.registered") == 0


def _fill(registry) -> None:
    """Targets (with an individual), inspectors and the two items of the bureau."""
    rows = [target_row(n) for n in range(1, 4)]
    rows.append(target_row(4, division="hhc", risk_flags="失信主体、有违法记录", grid=""))
    rows.append(
        target_row(
            5,
            code="320404199001011234",
            name="张某",
            kind="个人",
            permit_number="",
            permit_valid_from="",
            permit_valid_until="",
            risk_flags="",
        )  # fmt: skip
    )
    assert not _import(registry, "targets", csv_bytes(TARGET_HEADERS_ZH, rows)).problems
    inspectors = [
        ["i-001", "赵六", "32040001", "2029-06-30", "szy", "gqc", "是", "hdjs", "在岗"],
        ["i-002", "钱七", "32040002", "2030-01-31", "szy", "hhc", "否", "hhgl,hdjs", "暂停执法"],
    ]
    assert not _import(registry, "inspectors", csv_bytes(INSPECTOR_HEADERS, inspectors)).problems


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_export_then_reimport_of_every_registry_records_nothing_new(
    registry, tmp_path: Path, suffix, language
):
    _fill(registry)
    before = count_events(registry.app)
    for kind in ("targets", "inspectors", "items"):
        out = tmp_path / f"{kind}{suffix}"
        count, warnings = export_file(registry.app, kind, out, language)
        assert (count, warnings) == ({"targets": 5, "inspectors": 2, "items": 2}[kind], [])

        result = _import(registry, kind, out.read_bytes())

        assert (result.problems, result.recorded, result.updated) == ([], 0, 0), kind
        assert result.unchanged == count
    assert count_events(registry.app) == before


def test_an_export_has_the_layout_headers_in_the_chosen_language(registry, tmp_path):
    _fill(registry)
    export_file(registry.app, "targets", tmp_path / "zh.csv", "zh")
    export_file(registry.app, "inspectors", tmp_path / "en.csv", "en")
    zh = (tmp_path / "zh.csv").read_bytes()
    assert zh.startswith("\ufeff".encode() + ",".join(TARGET_HEADERS_ZH).encode())
    assert "失信主体、有违法记录" in zh.decode("utf-8-sig")
    assert "320404199001011234,张某,个人" in zh.decode("utf-8-sig")
    en = (tmp_path / "en.csv").read_text(encoding="utf-8-sig").splitlines()
    assert en[0] == ",".join(c.field for c in LAYOUTS["inspectors"])
    assert en[2] == 'i-002,钱七,32040002,2030-01-31,szy,hhc,false,"hdjs,hhgl",suspended,'


def test_an_edited_export_records_exactly_the_edit(registry, tmp_path):
    _fill(registry)
    out = tmp_path / "targets.csv"
    export_file(registry.app, "targets", out, "zh")
    text = out.read_text(encoding="utf-8-sig").replace("常州市第2水利", "常州市第二水利")
    before = count_events(registry.app)

    result = _import(registry, "targets", text.encode("gb18030"))

    assert (result.updated, result.unchanged) == (1, 4)
    assert count_events(registry.app) == before + 1


def test_warnings_and_duplicates_name_the_files_own_rows_past_blank_rows(registry):
    # The registry is given the file's row numbers: a blank row (Excel keeps many) and the
    # header row count, in warnings and in "duplicate of row" alike.
    rows = [[""] * 14, target_row(1), [""] * 14, target_row(1)]
    result = _import(registry, "targets", csv_bytes(TARGET_HEADERS_ZH, rows))
    assert [(p.row, p.message) for p in result.problems] == [(5, "duplicate of row 3")]
    assert result.warnings[0].startswith("row 3: credit code ")
    assert result.refused and result.bad_rows == 1


def test_skipping_bad_rows_counts_them_for_every_registry(registry):
    today = "2099-12-31"
    inspectors = [
        ["insp-1", "张三", "常水执001", today, "gqc", "gqc", "是", "hdjs", "在岗"],
        ["insp-2", "李四", "常水执002", "2020-01-31", "gqc", "gqc", "否", "", "在岗"],
    ]
    data = csv_bytes(INSPECTOR_HEADERS, inspectors)
    result = _import(registry, "inspectors", data, skip_invalid=True)
    assert (result.recorded, result.skipped, result.bad_rows) == (1, 1, 1)
    assert result.to_json()["problems"][0]["row"] == 3
