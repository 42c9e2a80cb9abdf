"""Registry files: reading CSV and Excel into the Registry's rows, and writing them back out.

The column layout: one header row, then one row per entry; columns in any order, headed in
Chinese or in English (English headers ignore case, spaces and hyphens); ``*`` marks a header
that must be present (its cells may still be empty where the field is optional).

targets (检查对象名录库)
    统一社会信用代码/code*, 名称/name*, 类型/kind, 法定代表人/legal_representative,
    地址/address, 所属区/district*, 网格/grid, 责任处室/division*, 抽查事项/items,
    许可证号/permit_number, 许可有效期起/permit_valid_from, 许可有效期至/permit_valid_until,
    信用等级/credit_class, 风险标记/risk_flags
inspectors (执法人员名录库)
    编号/code*, 姓名/name*, 执法证号/certificate_number*,
    执法证有效期至/certificate_valid_until*, 单位/unit*, 处室/division*,
    机关人员/agency_staff, 执法资格/qualifications, 状态/status
items (随机抽查事项清单)
    事项编码/code*, 事项名称/name*, 法律依据/law*, 条款/article*, 依据原文/basis_text,
    责任处室/division*, 实施单位/executing_units, 检查对象类型/object_type*,
    检查内容/checklist, 检查方式/method, 事项类别/item_class, 抽查比例/ratio_percent,
    抽查频次/frequency_per_year

Lists of codes (抽查事项, 风险标记, 执法资格, 实施单位, 检查方式) are separated by ``,`` ``;``
``、`` or spaces; 检查内容 (the checklist) by ``;`` or ``；``. Dates are ``YYYY-MM-DD`` (or
Excel dates). Choice values may be codes or their Chinese labels (``LABELS``):

- 类型: 企业, 机关事业单位, 项目, 个人 (enterprise, public_body, project, individual);
- 风险标记: 投诉举报多, 重大安全隐患, 经营异常名录, 失信主体, 有违法记录;
- 状态: 在岗, 调离, 退休, 暂停执法; 机关人员: 是, 否;
- 检查方式: 现场检查, 书面检查, 网络检查, 抽样检测; 事项类别: 重点事项, 一般事项.

Files: ``.xlsx`` (the first sheet; old ``.xls`` is refused: save it as .xlsx or CSV) and CSV in
UTF-8 with or without a BOM, UTF-16 with a BOM (tab-separated "Unicode text"), or GB18030 (what
Chinese Excel writes for "CSV (逗号分隔)"). Exports are written as UTF-8 CSV with a BOM, so that
Excel opens them with the right characters, or as .xlsx with every cell as text.

Failure modes: a file that cannot be read, an unknown or repeated header, a missing required
header or a value in a column without a header refuses the whole file (``FileRefused``, nothing
recorded). Bad rows are reported by the Registry and mapped back here to the header the file
used and to the file's own row number (the header is row 1), as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger.application import LedgerApp
from ledger.catalogue import event_types
from ledger.errors import BadInput, NotFound
from ledger.fields import FieldProblem, InvalidFields
from ledger.registry.service import ImportReport, Registry

KINDS = ("targets", "inspectors", "items")
HEADERS = ("zh", "en")
MAX_BYTES = 256 * 1024 * 1024
Progress = Callable[[int, int], None]

# Chinese labels of choice values: accepted on import beside the codes, written by zh exports.
LABELS: dict[str, dict[str, str]] = {
    "kind": {
        "enterprise": "企业",
        "public_body": "机关事业单位",
        "project": "项目",
        "individual": "个人",
    },
    "risk_flags": {
        "complaints": "投诉举报多",
        "major_hazard": "重大安全隐患",
        "abnormal_operation": "经营异常名录",
        "dishonest": "失信主体",
        "past_violations": "有违法记录",
    },
    "status": {
        "on_duty": "在岗",
        "transferred": "调离",
        "retired": "退休",
        "suspended": "暂停执法",
    },
    "method": {
        "on_site": "现场检查",
        "documentary": "书面检查",
        "online": "网络检查",
        "sampling_test": "抽样检测",
    },
    "item_class": {"key": "重点事项", "general": "一般事项"},
}
_CODE_LISTS = ("items", "risk_flags", "qualifications", "executing_units", "method")
_SPLIT = re.compile(r"[,;，；、\s]+")
_ROW = re.compile(r"\brow (\d+)\b")  # a row number in the Registry's messages


@dataclass(frozen=True)
class Column:
    field: str  # the Registry's field name, which is also the English header
    zh: str
    required: bool = False

    def header(self, language: str) -> str:
        return self.zh if language == "zh" else self.field


LAYOUTS: dict[str, tuple[Column, ...]] = {
    "targets": (
        Column("code", "统一社会信用代码", True),
        Column("name", "名称", True),
        Column("kind", "类型"),
        Column("legal_representative", "法定代表人"),
        Column("address", "地址"),
        Column("district", "所属区", True),
        Column("grid", "网格"),
        Column("division", "责任处室", True),
        Column("items", "抽查事项"),
        Column("permit_number", "许可证号"),
        Column("permit_valid_from", "许可有效期起"),
        Column("permit_valid_until", "许可有效期至"),
        Column("credit_class", "信用等级"),
        Column("risk_flags", "风险标记"),
    ),
    "inspectors": (
        Column("code", "编号", True),
        Column("name", "姓名", True),
        Column("certificate_number", "执法证号", True),
        Column("certificate_valid_until", "执法证有效期至", True),
        Column("unit", "单位", True),
        Column("division", "处室", True),
        Column("agency_staff", "机关人员"),
        Column("qualifications", "执法资格"),
        Column("status", "状态"),
    ),
    "items": (
        Column("code", "事项编码", True),
        Column("name", "事项名称", True),
        Column("law", "法律依据", True),
        Column("article", "条款", True),
        Column("basis_text", "依据原文"),
        Column("division", "责任处室", True),
        Column("executing_units", "实施单位"),
        Column("object_type", "检查对象类型", True),
        Column("checklist", "检查内容"),
        Column("method", "检查方式"),
        Column("item_class", "事项类别"),
        Column("ratio_percent", "抽查比例"),
        Column("frequency_per_year", "抽查频次"),
    ),
}


class FileRefused(InvalidFields):
    """The file as a whole cannot be imported (422, CLI exit 1); nothing of it is recorded."""

    def __init__(self, message: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(problems or [])
        self.args = (message,)


@dataclass(frozen=True)
class ImportProblem:
    """A bad row: the file's row number (header = 1), the header of the column as the file
    spells it, the Registry's field name, the value and what is wrong with it."""

    row: int
    column: str
    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}, value {self.value!r}: {self.message}"


@dataclass
class ImportResult:
    kind: str
    total: int = 0
    recorded: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """Some rows were bad and no row was taken: the file was refused (or, skipping the bad
        rows, none was good)."""
        return bool(self.problems) and not (self.recorded or self.updated or self.unchanged)

    def summary(self) -> str:
        return (
            f"{self.total} rows: recorded {self.recorded}, updated {self.updated}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "total": self.total,
            "recorded": self.recorded,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "problems": [
                {
                    "row": p.row,
                    "column": p.column,
                    "field": p.field,
                    "value": _jsonable(p.value),
                    "message": p.message,
                }
                for p in self.problems
            ],
            "warnings": self.warnings,
        }


# -- reading -------------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    key = unicodedata.normalize("NFKC", text).strip().lstrip("\ufeff").strip()
    return re.sub(r"[\s\-]+", "_", key).casefold()


def _columns(kind: str, headers: list[str]) -> list[Column | None]:
    """The layout column of each header cell (None for an empty header); refuses the file on
    an unknown, repeated or missing header."""
    layout = LAYOUTS[kind]
    by_key = {_header_key(c.zh): c for c in layout} | {_header_key(c.field): c for c in layout}
    columns: list[Column | None] = []
    problems: list[FieldProblem] = []
    seen: dict[str, str] = {}
    for text in headers:
        if not text.strip():
            columns.append(None)
            continue
        column = by_key.get(_header_key(text))
        if column is None:
            problems.append(
                FieldProblem(
                    "header",
                    text,
                    f"is not a column of the {kind} layout; the columns are "
                    + ", ".join(f"{c.zh}/{c.field}" for c in layout),
                )
            )
        elif column.field in seen:
            problems.append(
                FieldProblem("header", text, f"repeats the column {seen[column.field]!r}")
            )
        else:
            seen[column.field] = text
        columns.append(column)
    for column in layout:
        if column.required and column.field not in seen:
            problems.append(
                FieldProblem(
                    "header", f"{column.zh}/{column.field}", "a required column is missing"
                )
            )
    if problems:
        raise FileRefused(
            f"the {kind} file's header row is not the documented layout: "
            + "; ".join(f"{p.value!r} {p.message}" for p in problems),
            problems,
        )
    return columns


class _Table:
    """A sheet: its header cells and an iterator of (row number, cells) for the data rows."""

    def __init__(self, headers: list[str], rows: Iterator[tuple[int, list[Any]]], total: int):
        self.headers = headers
        self.rows = rows
        self.total = total  # data rows (for progress; Excel's own count may include blanks)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as e:
        raise FileRefused(
            f"the file is neither UTF-8 nor GB18030 text (byte {e.start}); save it as "
            "'CSV UTF-8' or as .xlsx"
        ) from None


def _read_csv(data: bytes) -> _Table:
    text = _decode(data)
    first = text[: text.find("\n")]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    # One pass reads every row (their count is the progress bar's total); a row that is not
    # valid CSV is reported when the rows are read, after the header has been checked.
    lines: list[list[str]] = []
    broken: csv.Error | None = None
    try:
        lines.extend(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as e:
        broken = e  # the rows before it are kept: their problems are reported too
    if not lines:
        if broken is not None:
            raise FileRefused(f"row 1 is not valid CSV: {broken}")
        raise FileRefused("the file is empty: it needs a header row")
    # Only a file that holds an apostrophe followed by a formula's first character can have
    # an escaped cell (_escape); the cells of any other file are taken as they are.
    escaped = any("'" + start in text for start in _FORMULA_START)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number in range(2, len(lines) + 1):
            cells = lines[number - 1]
            yield number, [_unescape(c) for c in cells] if escaped else cells
        if broken is not None:
            raise FileRefused(f"row {len(lines) + 1} is not valid CSV: {broken}")

    return _Table(lines[0], rows(), len(lines) - 1)


# A spreadsheet runs a CSV cell that starts with one of these as a formula (CSV injection):
# exports write such a cell with a leading apostrophe, and imports take it off again.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _unescape(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def _read_xlsx(data: bytes) -> _Table:
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as e:
        raise FileRefused(f"the file is not a readable .xlsx workbook: {e}") from None
    sheet = book.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    try:
        headers = ["" if c is None else str(c) for c in next(cells)]
    except StopIteration:
        book.close()
        raise FileRefused(
            f"the first sheet ({sheet.title}) is empty: it needs a header row"
        ) from None
    total = max((sheet.max_row or 1) - 1, 0)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, row in enumerate(cells, start=2):
                yield number, list(row)
        finally:
            book.close()

    return _Table(headers, rows(), total)


def read_table(data: bytes) -> _Table:
    """The sheet of an .xlsx workbook or a CSV file, told apart by their first bytes."""
    if len(data) > MAX_BYTES:
        raise FileRefused(f"the file is larger than {MAX_BYTES // 2**20} MiB; split it")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused("old Excel .xls files are not read: save the sheet as .xlsx or CSV")
    return _read_csv(data)


def _cell(value: Any) -> Any:
    """A cell as the Registry's parsers read it: text, or a bool; Excel numbers and dates
    become the text a person typed (10.0 → '10', a date → '2026-12-31'); blank is None."""
    if type(value) is str:  # every CSV cell, most Excel cells
        return value if value and not value.isspace() else None
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


_CODE_OF_LABEL = {
    name: {label: code for code, label in labels.items()} for name, labels in LABELS.items()
}


def _converter(field_name: str) -> Callable[[Any], Any] | None:
    """How a column's non-blank cells become the Registry's values: lists of codes are split
    into lists, Chinese labels of choice values become their codes; None: the cell stays."""
    codes = _CODE_OF_LABEL.get(field_name, {})
    if field_name in _CODE_LISTS:

        def code_list(value: Any) -> Any:
            if not isinstance(value, str):
                return value
            items = _SPLIT.split(unicodedata.normalize("NFKC", value))
            return [codes.get(v, v) for v in items if v]

        return code_list
    if codes:

        def choice(value: Any) -> Any:
            if not isinstance(value, str):
                return value
            return codes.get(unicodedata.normalize("NFKC", value).strip(), value)

        return choice
    return None


class _Rows:
    """The Registry's row dicts from a table, remembering each row's number in the file."""

    def __init__(self, kind: str, table: _Table, progress: Progress | None) -> None:
        self.kind = kind
        self.table = table
        self.columns = _columns(kind, table.headers)
        self.headers = {
            c.field: h for c, h in zip(self.columns, table.headers, strict=True) if c is not None
        }
        zh = sum(1 for c, h in self.headers.items() if _header_key(h) != _header_key(c))
        self.language = "zh" if zh * 2 >= len(self.headers) else "en"
        self.numbers: list[int] = []  # the file row of the Registry's row n is numbers[n - 1]
        self.progress = progress

    def __iter__(self) -> Iterator[dict[str, Any]]:
        # For each column: its field and how its cells are read (None: a column without header).
        slots = [(c.field, _converter(c.field)) if c else None for c in self.columns]
        width = len(slots)
        total = self.table.total
        step = max(total // 100, 1)
        done = 0
        # Every column of the file is in every row: a blank cell is an empty field (None).
        empty = dict.fromkeys(slot[0] for slot in slots if slot)
        for number, cells in self.table.rows:
            row: dict[str, Any] = {}
            for i, cell in enumerate(cells):
                if type(cell) is str:  # every CSV cell: _cell's first case, without the call
                    if not cell or cell.isspace():
                        continue
                    value: Any = cell
                else:
                    value = _cell(cell)
                    if value is None:
                        continue
                slot = slots[i] if i < width else None
                if slot is None:
                    raise FileRefused(
                        f"row {number} has a value in column {_column_letter(i)}, which has no "
                        "header: name the column or clear it"
                    )
                name, convert = slot
                row[name] = value if convert is None else convert(value)
            if not row:
                continue  # blank rows (Excel keeps many) are not entries
            row = empty | row
            self.numbers.append(number)
            done += 1
            if self.progress and total and done % step == 0:
                self.progress(min(done, total), total)
            yield row
        if self.progress:
            self.progress(done, done)

    def header(self, field_name: str) -> str:
        if field_name in self.headers:
            return self.headers[field_name]
        column = next((c for c in LAYOUTS[self.kind] if c.field == field_name), None)
        return column.header(self.language) if column else field_name

    def problem(self, row: int, field_name: str, value: Any, message: str) -> ImportProblem:
        labels = LABELS.get(field_name)
        if labels and "one of" in message:
            message += f" (or their labels {'、'.join(labels.values())})"
        if isinstance(value, list):  # a list of codes read from one cell: show it as a cell
            value = ",".join(str(v) for v in value)
        return ImportProblem(
            self.number(row), self.header(field_name), field_name, value, self.renumber(message)
        )

    def number(self, row: int) -> int:
        """The file's row number of the Registry's row ``row`` (they differ by the header and
        by blank rows)."""
        return self.numbers[row - 1] if 0 < row <= len(self.numbers) else row

    def renumber(self, text: str) -> str:
        """A Registry message ("row 3: …", "duplicate of row 1") with the file's row numbers."""
        return _ROW.sub(self._renumbered, text)

    def _renumbered(self, match: re.Match[str]) -> str:
        return f"row {self.number(int(match[1]))}"


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def read_rows(kind: str, data: bytes) -> list[dict[str, Any]]:
    """Every entry of a registry file as the Registry's row dicts (FileRefused if unreadable)."""
    _check_kind(kind)
    return list(_Rows(kind, read_table(data), None))


def import_file(
    registry: Registry,
    kind: str,
    data: bytes,
    *,
    by: str | None,
    source: str,
    skip_invalid: bool = False,
    checking: Progress | None = None,
    recording: Progress | None = None,
) -> ImportResult:
    """Import a registry file through the Registry; see the module docstring for the layout.

    Every row is checked before anything is recorded: with any bad row nothing is recorded
    unless ``skip_invalid`` (then the good rows are). ``source`` is recorded with each target
    (inspectors and items record no source). ``checking`` is told rows read and checked,
    ``recording`` (targets only) rows recorded. Raises FileRefused if the file as a whole is
    unreadable, NotFound if ``by`` names no official.
    """
    _check_kind(kind)
    rows = _Rows(kind, read_table(data), checking)
    report: ImportReport
    if kind == "targets":
        report = registry.import_targets(
            rows, by, source, skip_invalid=skip_invalid, progress=recording
        )
    elif kind == "inspectors":
        report = registry.import_inspectors(rows, by, skip_invalid=skip_invalid)
    else:
        report = registry.import_items(rows, by, skip_invalid=skip_invalid)
    problems = [rows.problem(p.row, p.field, p.value, p.message) for p in report.problems]
    return ImportResult(
        kind=kind,
        total=report.total,
        recorded=report.recorded,
        updated=report.updated,
        unchanged=report.unchanged,
        # The Registry counts skipped rows for targets only; a bad row is skipped only when
        # the good rows are recorded without it.
        skipped=len({p.row for p in problems}) if skip_invalid else 0,
        problems=problems,
        warnings=[rows.renumber(w) for w in report.warnings],
    )


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise BadInput(f"registry {kind!r} is not one of {', '.join(KINDS)}")


# -- the current registries, from the log ---------------------------------------------------------


def current(app: LedgerApp, kind: str) -> list[Any]:
    """The current state of every entry of a registry, in the order they were registered,
    folded from the log in one pass (each event is checked by the signing mapper as it is
    read); withdrawn items are left out: they are no longer on the list."""
    _check_kind(kind)
    prefix = {"targets": "target.", "inspectors": "inspector.", "items": "item."}[kind]
    topics = [t for t in event_types() if t.startswith(prefix)]
    states: dict[UUID, Any] = {}
    for notification in app.notifications(topics=topics):
        event: Any = app.mapper.to_domain_event(notification)
        states[event.originator_id] = event.mutate(states.get(event.originator_id))
    return [s for s in states.values() if not getattr(s, "withdrawn", False)]


def _joined(field_name: str, codes: list[str], language: str) -> str:
    labels = LABELS.get(field_name, {}) if language == "zh" else {}
    return ("、" if labels else ",").join(labels.get(c, c) for c in codes)


def _choice(field_name: str, code: str | None, language: str) -> str | None:
    if code is None or language != "zh":
        return code
    return LABELS.get(field_name, {}).get(code, code)


def export_rows(
    app: LedgerApp, kind: str, language: str = "zh", warnings: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    """The registry's current entries as rows of its layout (field names → cell text).

    Individuals' names and ID numbers are read from the erasable personal-data table; an
    individual whose data was erased cannot be re-imported and is left out (with a warning).
    """
    if language not in HEADERS:
        raise BadInput(f"headers {language!r} must be one of {', '.join(HEADERS)}")
    people = Registry(app).people if kind == "targets" else None
    for state in current(app, kind):
        if kind == "targets":
            assert people is not None
            row = _target_row(state, language, people, warnings)
        elif kind == "inspectors":
            row = _inspector_row(state, language)
        else:
            row = _item_row(state, language)
        if row is not None:
            yield row


def _target_row(
    target: Any, language: str, people: Any, warnings: list[str] | None
) -> dict[str, Any] | None:
    code, name = target.code, target.name
    if target.kind == "individual":
        try:
            person, _ = people.reveal(target.code)
        except NotFound:
            if warnings is not None:
                warnings.append(f"individual {target.code}: personal data erased, not exported")
            return None
        code, name = person.get("identity"), person.get("name")
    permit = target.permit or {}
    return {
        "code": code,
        "name": name,
        "kind": _choice("kind", target.kind, language),
        "legal_representative": target.legal_representative,
        "address": target.address,
        "district": target.district,
        "grid": target.grid,
        "division": target.division,
        "items": _joined("items", target.items, language),
        "permit_number": permit.get("number"),
        "permit_valid_from": permit.get("valid_from"),
        "permit_valid_until": permit.get("valid_until"),
        "credit_class": target.credit_class,
        "risk_flags": _joined("risk_flags", target.risk_flags, language),
    }


def _inspector_row(inspector: Any, language: str) -> dict[str, Any]:
    yes, no = ("是", "否") if language == "zh" else ("true", "false")
    return {
        "code": inspector.code,
        "name": inspector.name,
        "certificate_number": inspector.certificate.get("number"),
        "certificate_valid_until": inspector.certificate.get("valid_until"),
        "unit": inspector.unit,
        "division": inspector.division,
        "agency_staff": yes if inspector.agency_staff else no,
        "qualifications": _joined("qualifications", inspector.qualifications, language),
        "status": _choice("status", inspector.status, language),
    }


def _item_row(item: Any, language: str) -> dict[str, Any]:
    basis = item.legal_basis
    return {
        "code": item.code,
        "name": item.name,
        "law": basis.get("law"),
        "article": basis.get("article"),
        "basis_text": basis.get("text"),
        "division": item.division,
        "executing_units": _joined("executing_units", item.executing_units, language),
        "object_type": item.object_type,
        "checklist": ("；" if language == "zh" else "; ").join(item.checklist),
        "method": _joined("method", item.method, language),
        "item_class": _choice("item_class", item.item_class, language),
        "ratio_percent": item.ratio_percent,
        "frequency_per_year": item.frequency_per_year,
    }


def export_file(
    app: LedgerApp, kind: str, out: Path, language: str = "zh"
) -> tuple[int, list[str]]:
    """Write a registry to ``out`` (.csv or .xlsx, by its suffix) with the layout's headers in
    ``language``; return the number of rows written and any warnings."""
    _check_kind(kind)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise BadInput(f"export file {out.name!r}: the name must end in .csv or .xlsx")
    layout = LAYOUTS[kind]
    warnings: list[str] = []
    header = [c.header(language) for c in layout]
    lines = (
        ["" if row[c.field] is None else str(row[c.field]) for c in layout]
        for row in export_rows(app, kind, language, warnings)
    )
    count = 0
    if suffix == ".csv":
        with out.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for line in lines:
                writer.writerow([_escape(v) for v in line])
                count += 1
    else:
        import openpyxl
        from openpyxl.cell import WriteOnlyCell

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet(title=kind)
        sheet.append(header)
        for line in lines:
            cells = []
            for value in line:
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, always: never a formula, a number or a date
                cells.append(cell)
            sheet.append(cells)
            count += 1
        book.save(out)
    return count, warnings


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


__all__ = [
    "HEADERS",
    "KINDS",
    "LABELS",
    "LAYOUTS",
    "FileRefused",
    "ImportProblem",
    "ImportResult",
    "export_file",
    "export_rows",
    "import_file",
    "read_rows",
]
