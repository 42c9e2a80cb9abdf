"""Registry files as bytes: reading CSV and Excel into a header and numbered rows, and writing
rows back out. What the columns mean, and how rows become registry entries, is the registry's
(``ledger/registry/layouts.py`` for the layouts, ``ledger/registry/sheets.py`` for the rows).

Files: ``.xlsx`` (the first sheet; old ``.xls`` is refused: save it as .xlsx or CSV) and CSV in
UTF-8 with or without a BOM, UTF-16 with a BOM (tab-separated "Unicode text"), or GB18030 (what
Chinese Excel writes for "CSV (逗号分隔)"). Each row keeps the file's own row number (the header
is row 1), as a spreadsheet shows it. Cells are read as text (Excel numbers and dates as the text
a person typed), a bool, or None when blank. Exports are written as UTF-8 CSV with a BOM, so
that Excel opens them with the right characters, or as .xlsx with every cell as text; a CSV
cell that a spreadsheet would run as a formula is written with a leading apostrophe, which an
import takes off again.

Failure modes: a file that cannot be read refuses the whole file (``FileRefused``, nothing
recorded).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ledger.application import LedgerApp
from ledger.errors import BadInput
from ledger.registry.exports import covered_division, export_rows
from ledger.registry.layouts import LAYOUTS
from ledger.registry.reports import ImportReport
from ledger.registry.service import Registry
from ledger.registry.sheets import FileRefused, Sheet, Table, check_kind, import_sheet

MAX_BYTES = 256 * 1024 * 1024
Progress = Callable[[int, int], None]

# -- reading -------------------------------------------------------------------------------------


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


def _read_csv(data: bytes) -> Table:
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

    return Table(lines[0], rows(), len(lines) - 1)


# A spreadsheet runs a CSV cell that starts with one of these as a formula (CSV injection):
# exports write such a cell with a leading apostrophe, and imports take it off again.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _unescape(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def _cell(value: Any) -> Any:
    """An Excel cell as text, a bool or None: numbers and dates become the text a person typed
    (10.0 → '10', a date → '2026-12-31'); blank is None."""
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


def _read_xlsx(data: bytes) -> Table:
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
                yield number, [c if type(c) is str else _cell(c) for c in row]
        finally:
            book.close()

    return Table(headers, rows(), total)


def read_table(data: bytes) -> Table:
    """The sheet of an .xlsx workbook or a CSV file, told apart by their first bytes."""
    if len(data) > MAX_BYTES:
        raise FileRefused(f"the file is larger than {MAX_BYTES // 2**20} MiB; split it")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused("old Excel .xls files are not read: save the sheet as .xlsx or CSV")
    return _read_csv(data)


def read_rows(kind: str, data: bytes) -> list[dict[str, Any]]:
    """Every entry of a registry file as the Registry's row dicts (FileRefused if unreadable)."""
    check_kind(kind)
    return [row for _, row in Sheet(kind, read_table(data))]


def import_file(
    registry: Registry,
    kind: str,
    data: bytes,
    *,
    by: str | None,
    source: str,
    skip_invalid: bool = False,
    dry_run: bool = False,
    checking: Progress | None = None,
    recording: Progress | None = None,
) -> ImportReport:
    """Import a registry file's bytes: ``read_table``, then ``ledger.registry.sheets
    .import_sheet`` (every row checked first; with any bad row nothing recorded unless
    ``skip_invalid``). Raises FileRefused if the file as a whole is unreadable."""
    check_kind(kind)
    table = read_table(data)
    return import_sheet(
        registry,
        kind,
        table,
        by=by,
        source=source,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        checking=checking,
        recording=recording,
    )


# -- writing -------------------------------------------------------------------------------------


def export_bytes(
    app: LedgerApp,
    kind: str,
    suffix: str,
    language: str = "zh",
    *,
    division: str | None = None,
    as_of: int | None = None,
    by: str | None = None,
) -> tuple[bytes, int, list[str]]:
    """A registry (``ledger.registry.exports.export_rows``: of one division, at a position) as
    the bytes of a ``.csv`` or ``.xlsx`` file with the layout's headers in ``language``; with
    the number of rows and any warnings. For an official (``by``), the division is theirs
    unless named, and they must be allowed to keep its entries (``covered_division``)."""
    check_kind(kind)
    division = covered_division(app, kind, by, division)
    if suffix not in (".csv", ".xlsx"):
        raise BadInput(f"export format {suffix!r}: it must be .csv or .xlsx")
    layout = LAYOUTS[kind]
    warnings: list[str] = []
    header = [c.header(language) for c in layout]
    rows = export_rows(app, kind, language, warnings, division=division, as_of=as_of)
    lines = (["" if row[c.field] is None else str(row[c.field]) for c in layout] for row in rows)
    count = 0
    out = io.BytesIO()
    if suffix == ".csv":
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(header)
        for line in lines:
            writer.writerow([_escape(v) for v in line])
            count += 1
        out.write(text.getvalue().encode("utf-8-sig"))
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
    return out.getvalue(), count, warnings


def export_file(
    app: LedgerApp,
    kind: str,
    out: Path,
    language: str = "zh",
    *,
    division: str | None = None,
    as_of: int | None = None,
) -> tuple[int, list[str]]:
    """Write a registry to ``out`` (.csv or .xlsx, by its suffix; ``export_bytes``); return the
    number of rows written and any warnings."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise BadInput(f"export file {out.name!r}: the name must end in .csv or .xlsx")
    data, count, warnings = export_bytes(
        app, kind, suffix, language, division=division, as_of=as_of
    )
    out.write_bytes(data)
    return count, warnings


__all__ = [
    "MAX_BYTES",
    "FileRefused",
    "export_bytes",
    "export_file",
    "import_file",
    "read_rows",
    "read_table",
]
