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

import codecs
import contextlib
import csv
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from ledger.application import LedgerApp
from ledger.errors import SHOWN, BadInput
from ledger.registry.exports import covered_division, export_rows
from ledger.registry.layouts import LAYOUTS
from ledger.registry.reports import ImportReport
from ledger.registry.service import Registry
from ledger.registry.sheets import FileRefused, Sheet, Table, check_kind, import_sheet
from ledger.whole_files import write_whole

MAX_BYTES = 256 * 1024 * 1024
Progress = Callable[[int, int], None]

# -- reading -------------------------------------------------------------------------------------


Source = bytes | BinaryIO
CHUNK = 1 << 20  # bytes decoded at a time while a CSV file's encoding is checked


ENCODINGS = ("utf-8", "gb18030", "utf-16", "big5", "shift_jis")  # what a caller may declare
COMMON_SHARE = 0.6  # of GB18030 text's Chinese characters, at least this many in GB2312
FEWEST_WIDE = 4  # below this many wide characters there is too little text to judge


def _looks_like_gb(text: str) -> None:
    """Refuse text that decodes as GB18030 only into uncommon characters: Big5 or Shift-JIS
    bytes do (real GB18030 text keeps nearly all its characters in GB2312's common set)."""
    wide = [c for c in text if ord(c) >= 0x3000]
    if len(wide) < FEWEST_WIDE:  # one short row is judged too: a name and a district are enough
        return
    common = 0
    for c in wide:
        try:
            c.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    if common < COMMON_SHARE * len(wide):
        raise FileRefused(
            f"the file reads as GB18030 only into uncommon characters ({common} of {len(wide)} "
            "in GB2312): it is probably Big5 or Shift-JIS. Save it as 'CSV UTF-8', or declare "
            "its encoding (--encoding, ?encoding=)"
        )


def _scan(stream: BinaryIO, declared: str | None = None) -> tuple[str, str, bool, int]:
    """A CSV file's encoding (UTF-16 by its BOM, else UTF-8, else GB18030: the whole file
    decoded a chunk at a time, never held), its first line, whether any cell may carry an
    export's formula escape (``_escape``) and its number of lines (the progress bar's total)."""
    stream.seek(0)
    bom = stream.read(2)
    candidates = ["utf-16"] if bom in (b"\xff\xfe", b"\xfe\xff") else ["utf-8-sig", "gb18030"]
    if declared is not None:
        if declared not in ENCODINGS:
            raise BadInput(f"encoding {declared!r}: it must be one of {', '.join(ENCODINGS)}")
        candidates = ["utf-8-sig" if declared == "utf-8" else declared]
    for encoding in candidates:
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        first: str | None = None
        head, carry, escaped, lines, offset = "", "", False, 0, 0
        try:
            while True:
                chunk = stream.read(CHUNK)
                text = decoder.decode(chunk, final=not chunk)
                offset += len(chunk)
                if offset == len(chunk) and encoding == "gb18030" and declared is None:
                    _looks_like_gb(text)  # the first chunk: Big5 or Shift-JIS read as GB18030?
                if first is None:
                    head += text
                    if "\n" in head or not chunk:
                        first = head.split("\n", 1)[0]
                        head = ""
                lines += text.count("\n")
                both = carry + text
                escaped = escaped or any("'" + start in both for start in _FORMULA_START)
                carry = text[-1:]
                if not chunk:
                    break
        except UnicodeError as e:  # UTF-16 without its BOM is a UnicodeError, not a decode one
            if encoding == candidates[-1]:
                at = offset - len(chunk) + getattr(e, "start", 0)
                what = declared or "UTF-8 nor GB18030"
                raise FileRefused(
                    f"the file is {'not ' if declared else 'neither '}{what} text (byte {at}); "
                    "save it as 'CSV UTF-8' or as .xlsx"
                ) from None
            continue
        stream.seek(0)
        return encoding, first or "", escaped, lines
    raise AssertionError("unreachable")


def _read_csv(stream: BinaryIO, declared: str | None = None) -> Table:
    encoding, first, escaped, lines = _scan(stream, declared)
    delimiter = "\t" if "\t" in first and "," not in first else ","
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as e:
        raise FileRefused(f"row 1 is not valid CSV: {e}") from None
    if header is None:
        raise FileRefused("the file is empty: it needs a header row")

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # Read a row at a time: a row that is not valid CSV (or a cell beyond the csv module's
        # field limit) refuses the file where it is met.
        number = 1
        try:
            for cells in reader:
                number += 1
                yield number, [_unescape(c) for c in cells] if escaped else cells
        except csv.Error as e:
            raise FileRefused(f"row {number + 1} is not valid CSV: {e}") from None
        finally:
            with contextlib.suppress(ValueError):  # already closed: nothing to hand back
                text.detach()  # the caller's file stays open

    return Table(header, rows(), max(lines - 1, 0))


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


MAX_EXPANDED = 1024 * 1024 * 1024  # bytes a workbook's parts may expand to, together
MAX_RATIO = 100  # how many times a large part may expand (an ordinary sheet: 5 to 20)


def _no_bomb(stream: BinaryIO) -> None:
    """Refuse a workbook whose parts expand beyond ``MAX_EXPANDED`` together, or a part of more
    than 16 MiB that expands more than ``MAX_RATIO`` times (one huge repeated cell: openpyxl
    would hold the text of its shared strings whole) — checked from the zip's directory,
    before anything is expanded."""
    from zipfile import BadZipFile, ZipFile

    try:
        parts = ZipFile(stream).infolist()
    except (BadZipFile, OSError, ValueError) as e:
        raise FileRefused(f"the file is not a readable .xlsx workbook: {e}") from None
    finally:
        stream.seek(0)
    total = sum(p.file_size for p in parts)
    if total > MAX_EXPANDED:
        raise FileRefused(
            f"the workbook expands to {total // 2**20:,} MiB (at most "
            f"{MAX_EXPANDED // 2**20:,}): split it or save it as CSV"
        )
    for part in parts:
        if part.file_size > 16 * 2**20 and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise FileRefused(
                f"the workbook's part {part.filename[:SHOWN]!r} expands "
                f"{part.file_size // max(part.compress_size, 1):,} times to "
                f"{part.file_size // 2**20:,} MiB: a cell far beyond Excel's 32,767 characters; "
                "the file is refused"
            )


def _read_xlsx(stream: BinaryIO) -> Table:
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _no_bomb(stream)
    try:  # read-only: the sheet is read a row at a time, never loaded whole
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
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


def read_table(source: Source, encoding: str | None = None) -> Table:
    """The sheet of an .xlsx workbook or a CSV file, told apart by their first bytes, read a
    row at a time from a seekable binary file (or bytes): nothing holds the whole file."""
    stream: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source
    stream.seek(0, io.SEEK_END)
    if stream.tell() > MAX_BYTES:
        raise FileRefused(f"the file is larger than {MAX_BYTES // 2**20} MiB; split it")
    stream.seek(0)
    magic = stream.read(4)
    stream.seek(0)
    if magic.startswith(b"PK\x03\x04"):
        return _read_xlsx(stream)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused("old Excel .xls files are not read: save the sheet as .xlsx or CSV")
    return _read_csv(stream, encoding)


def read_rows(kind: str, data: Source) -> list[dict[str, Any]]:
    """Every entry of a registry file as the Registry's row dicts (FileRefused if unreadable)."""
    check_kind(kind)
    return [row for _, row in Sheet(kind, read_table(data))]


def import_file(
    registry: Registry,
    kind: str,
    data: Source,
    *,
    by: str | None,
    source: str,
    skip_invalid: bool = False,
    dry_run: bool = False,
    checking: Progress | None = None,
    recording: Progress | None = None,
    encoding: str | None = None,
) -> ImportReport:
    """Import a registry file (bytes, or a seekable binary file read a row at a time):
    ``read_table``, then ``ledger.registry.sheets
    .import_sheet`` (every row checked first; with any bad row nothing recorded unless
    ``skip_invalid``). Raises FileRefused if the file as a whole is unreadable."""
    check_kind(kind)
    table = read_table(data, encoding)  # a CSV's encoding detected unless declared
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
    write_whole(out, data)
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
