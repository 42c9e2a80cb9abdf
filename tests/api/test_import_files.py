"""Reading registry files: encodings, headers in Chinese or English, Excel cells, bad layouts."""

from __future__ import annotations

from datetime import datetime

import pytest

from api.importing import FileRefused, read_rows

from .test_import_support import (
    TARGET_HEADERS_EN,
    TARGET_HEADERS_ZH,
    csv_bytes,
    target_row,
    xlsx_bytes,
)


def test_chinese_and_english_headers_give_the_same_rows():
    rows = [target_row(1), target_row(2)]
    zh = read_rows("targets", csv_bytes(TARGET_HEADERS_ZH, rows))
    en = read_rows("targets", csv_bytes(TARGET_HEADERS_EN, rows))
    assert zh == en
    assert zh[0]["name"] == "常州市第1水利工程有限公司"
    assert zh[0]["kind"] == "enterprise"  # the label 企业, read as its code
    assert zh[0]["risk_flags"] == ["complaints"]


def test_english_headers_ignore_case_spaces_and_hyphens():
    headers = [h.replace("_", " ").title() for h in TARGET_HEADERS_EN]
    headers[3] = "legal-representative"
    rows = read_rows("targets", csv_bytes(headers, [target_row(1)]))
    assert rows[0]["legal_representative"] == "王芳"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030_from_chinese_excel(encoding):
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1)], encoding)
    rows = read_rows("targets", data)
    assert rows[0]["code"] == target_row(1)[0]
    assert rows[0]["address"] == "江苏省常州市新北区滨河路1号"


def test_tab_separated_utf16_unicode_text_from_excel():
    lines = ["\t".join(TARGET_HEADERS_ZH), "\t".join(target_row(1))]
    rows = read_rows("targets", "\r\n".join(lines).encode("utf-16"))
    assert rows[0]["name"] == "常州市第1水利工程有限公司"


def test_excel_numbers_and_dates_are_read_as_the_text_a_person_typed():
    headers = ["事项编码", "事项名称", "法律依据", "条款", "责任处室", "检查对象类型", "抽查比例",
               "抽查频次", "检查方式", "事项类别"]  # fmt: skip
    row = [
        "qsxk",
        "取水许可检查",
        "水法",
        "第四十八条",
        "szc",
        "取水单位",
        10.0,
        2,
        "现场检查、书面检查",
        "重点事项",
    ]
    rows = read_rows("items", xlsx_bytes(headers, [row]))
    assert rows[0]["ratio_percent"] == "10"
    assert rows[0]["frequency_per_year"] == "2"
    assert rows[0]["method"] == ["on_site", "documentary"]
    assert rows[0]["item_class"] == "key"

    headers = ["编号", "姓名", "执法证号", "执法证有效期至", "单位", "处室", "机关人员"]
    row = ["i-001", "赵六", "32040001", datetime(2029, 6, 30), "szy", "szc", True]
    rows = read_rows("inspectors", xlsx_bytes(headers, [row]))
    assert rows[0]["certificate_valid_until"] == "2029-06-30"
    assert rows[0]["agency_staff"] is True


def test_blank_rows_and_trailing_empty_cells_are_not_entries():
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1), [""] * 14, target_row(2) + ["", ""]])
    assert len(read_rows("targets", data)) == 2


def test_an_unknown_header_refuses_the_file_naming_the_header():
    headers = [*TARGET_HEADERS_ZH, "备注"]
    with pytest.raises(FileRefused) as refused:
        read_rows("targets", csv_bytes(headers, [target_row(1) + ["x"]]))
    assert "'备注' is not a column of the targets layout" in str(refused.value)
    assert refused.value.problems[0].value == "备注"


def test_a_missing_required_header_refuses_the_file_naming_the_header():
    headers = [h for h in TARGET_HEADERS_ZH if h != "所属区"]
    with pytest.raises(FileRefused) as refused:
        read_rows("targets", csv_bytes(headers, []))
    assert "'所属区/district' a required column is missing" in str(refused.value)


def test_a_repeated_header_refuses_the_file():
    headers = [*TARGET_HEADERS_ZH, "name"]
    with pytest.raises(FileRefused, match="'name' repeats the column '名称'"):
        read_rows("targets", csv_bytes(headers, []))


def test_a_value_under_no_header_refuses_the_file_naming_row_and_column():
    data = csv_bytes([*TARGET_HEADERS_ZH, ""], [target_row(1) + [""], target_row(2) + ["?"]])
    with pytest.raises(FileRefused, match="row 3 has a value in column O, which has no header"):
        read_rows("targets", data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old Excel .xls files are not read"),
        (b"PK\x03\x04not a zip", "not a readable .xlsx workbook"),
        (b"\xff\xff\xff\xff", "neither UTF-8 nor GB18030"),
        (csv_bytes(TARGET_HEADERS_EN, [["x" * 200_000]]), "row 2 is not valid CSV"),
    ],
)
def test_unreadable_files_are_refused_saying_what_to_do(data, message):
    with pytest.raises(FileRefused, match=message):
        read_rows("targets", data)


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_come_back_unescaped():
    row = target_row(1, name="'=HYPERLINK(1)", grid="'-7")
    rows = read_rows("targets", csv_bytes(TARGET_HEADERS_EN, [row]))
    assert rows[0]["name"] == "=HYPERLINK(1)"
    assert rows[0]["grid"] == "-7"


def test_an_apostrophe_inside_a_cell_is_kept_and_only_a_leading_escape_is_taken_off():
    row = target_row(1, name="O'-Brien 水务", grid="'+3", address="'plain")
    rows = read_rows("targets", csv_bytes(TARGET_HEADERS_EN, [row]))
    assert rows[0]["name"] == "O'-Brien 水务"
    assert rows[0]["grid"] == "+3"
    assert rows[0]["address"] == "'plain"  # no formula after it: not an escape


def test_a_blank_cell_is_an_empty_field_and_a_missing_optional_column_is_no_field():
    headers = ["统一社会信用代码", "名称", "所属区", "责任处室", "网格"]
    rows = read_rows("targets", csv_bytes(headers, [["X", "甲", "新北区", "gqc", ""]]))
    assert rows == [
        {"code": "X", "name": "甲", "district": "新北区", "division": "gqc", "grid": None}
    ]
