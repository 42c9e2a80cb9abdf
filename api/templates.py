"""The template workbook of a registry: what an officer fills in and imports.

An .xlsx file whose first sheet has the layout's headers (Chinese or English), one example row,
and a drop-down list (Excel data validation) for every coded column: the choices a column allows
(kind, status, credit class, item class, method, yes/no) and, from the ledger, the registered
divisions and units and the districts the targets name (a district outside the list is allowed
with a warning: it is free text). The second sheet, 填写说明, gives each column's rule and
example (``ledger/registry/layout_rules.py``) and the clear marker; a hidden third sheet holds
the lists the drop-downs read. Everything a person may type is written as text.
"""

from __future__ import annotations

import io

from ledger.registry.layout_rules import BLANK_AND_CLEAR, RULES
from ledger.registry.layouts import LAYOUTS, Column
from ledger.registry.sheets import check_kind
from ledger.registry.targets import CREDIT_CLASSES

RULES_SHEET = "填写说明"
LISTS_SHEET = "代码表"


def _choices(column: Column, language: str, coded: dict[str, list[str]]) -> list[str]:
    """The values a column's drop-down offers (none: the column is free text or a list)."""
    if column.field in coded:
        return coded[column.field]
    if column.field == "credit_class":
        return list(CREDIT_CLASSES)
    if column.cells == "yes_no":
        return ["是", "否"] if language == "zh" else ["true", "false"]
    if column.cells == "choice" or (column.labels and column.cells == "codes"):
        return list(column.labels.values() if language == "zh" else column.labels)
    return []


def template_bytes(
    kind: str, coded: dict[str, list[str]] | None = None, language: str = "zh"
) -> bytes:
    """The template workbook of registry ``kind``; ``coded`` lists the ledger's divisions,
    units and districts (``ledger.registry.exports.coded_values``; none without a ledger)."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    check_kind(kind)
    coded = coded or {}
    layout = LAYOUTS[kind]
    rules = RULES[kind]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = kind
    lists = book.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    for index, column in enumerate(layout, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(row=1, column=index, value=column.header(language))
        head.font = bold
        head.comment = Comment(rules[column.field].zh, "drawledger")
        choices = _choices(column, language, coded)
        value = rules[column.field].example or None
        if column.field in coded and choices and value not in choices:
            value = choices[0]  # the ledger's own (a division, a district), not the demo's
        example = sheet.cell(row=2, column=index, value=value)
        example.number_format = "@"  # text: a code or a date stays as typed
        sheet.column_dimensions[letter].width = max(12, len(column.header(language)) * 2 + 4)
        if not choices:
            continue
        lists.cell(row=1, column=index, value=column.field)
        for n, value in enumerate(choices, start=2):
            lists.cell(row=n, column=index, value=value).number_format = "@"
        source = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(choices) + 1}"
        free_text = column.field == "district"
        check = DataValidation(
            type="list",
            formula1=source,
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning" if free_text else "stop",
            errorTitle=column.zh,
            error=rules[column.field].zh,
        )
        sheet.add_data_validation(check)
        check.add(f"{letter}2:{letter}10000")
    sheet["A2"].comment = Comment("示例行：导入前请删除或改写", "drawledger")
    sheet.freeze_panes = "A2"

    notes = book.create_sheet(RULES_SHEET, 1)
    notes.append(["列名", "column", "必填", "规则", "rule", "示例"])
    for cell in notes[1]:
        cell.font = bold
    for column in layout:
        rule = rules[column.field]
        notes.append(
            [
                column.zh,
                column.field,
                "是" if column.required else "否",
                rule.zh,
                rule.en,
                rule.example,
            ]
        )
    notes.append([])
    notes.append(
        ["清空", "clear", "", BLANK_AND_CLEAR.zh, BLANK_AND_CLEAR.en, BLANK_AND_CLEAR.example]
    )
    notes.append(
        ["说明", "notes", "", "完整说明见 docs/IMPORT.md", "the whole layout: docs/IMPORT.md", ""]
    )
    for letter, width in zip("ABCDEF", (16, 24, 6, 60, 60, 24), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows():
        for cell in row:
            cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


__all__ = ["LISTS_SHEET", "RULES_SHEET", "template_bytes"]
