"""Registry sheets: a file's header and cells as the Registry's rows, and back.

Reading: the header row is matched to the kind's layout (``layouts.py``); each data row becomes
the Registry's fields, numbered by its row in the file (the header is row 1), and the import's
report names each bad row by that number and each field by the header the file used. Writing
the entries back as rows is ``exports.py``'s.

Failure modes: an unknown, repeated or missing required header, or a value in a column without
a header, refuses the whole file (``FileRefused``, nothing recorded).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from ..errors import SHOWN, BadInput
from ..fields import FieldProblem, InvalidFields
from .bulk import may_act
from .cells import FileBatch, Layouts, cells_digest
from .changes import is_clear
from .importer import ACTIONS
from .layouts import KINDS, LABELS, LAYOUTS, Column
from .reports import ImportReport, RowProblem
from .service import Registry

Progress = Callable[[int, int], None]
_SPLIT = re.compile(r"[,;，；、\s]+")
# Limits checked while the rows are read (docs/IMPORT.md, "Files"): Excel's own for a cell and a
# sheet, and a run of blank rows (a sheet formatted to its last row) that would cost minutes.
MAX_CELL = 32_767  # characters in a cell
MAX_ROWS = 1_048_576  # rows in a sheet, the header included
MAX_BLANK_RUN = 10_000  # blank rows in a row
CONVERTED = 1024  # texts whose value a column's converter keeps (``_converter``)


class FileRefused(InvalidFields):
    """The file as a whole cannot be imported (422, CLI exit 1); nothing of it is recorded."""

    def __init__(self, message: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(problems or [])
        self.args = (message,)


@dataclass
class Table:
    """A file's first sheet: its header cells and its data rows as ``(row number, cells)``;
    a cell is text, a bool, or None when blank. ``total`` counts the data rows for progress
    (Excel's own count may include blank rows)."""

    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    total: int


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise BadInput(f"registry {kind!r} is not one of {', '.join(KINDS)}")


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


def _converter(column: Column) -> Callable[[Any], Any] | None:
    """How a column's non-blank cells become the Registry's values: lists of codes are split
    into lists, Chinese labels of choice values become their codes; None: the cell stays."""
    codes = {label: code for code, label in column.labels.items()}
    # A file repeats few values in these columns (a kind, a class, a list of items): each
    # cell's value is kept once made, for the next row holding the same text (at most
    # ``CONVERTED`` texts a column, so a file of all different cells holds no more).
    made: dict[str, Any] = {}
    if column.cells == "codes":

        def code_list(value: Any) -> Any:
            if type(value) is str:
                listed = made.get(value)
                if listed is not None:
                    return list(listed)  # a list of its own: a row's value is never shared
            if not isinstance(value, str):
                return value
            items = _SPLIT.split(unicodedata.normalize("NFKC", value))
            listed = [codes.get(v, v) for v in items if v]
            if len(made) < CONVERTED:
                made[value] = tuple(listed)
            return listed

        return code_list
    if codes:

        def choice(value: Any) -> Any:
            if type(value) is str:
                chosen = made.get(value)
                if chosen is not None:
                    return chosen
            if not isinstance(value, str):
                return value
            chosen = codes.get(unicodedata.normalize("NFKC", value).strip(), value)
            if len(made) < CONVERTED:
                made[value] = chosen
            return chosen

        return choice
    return None


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class Sheet:
    """The Registry's numbered rows from a table of one registry kind."""

    def __init__(self, kind: str, table: Table, progress: Progress | None = None) -> None:
        check_kind(kind)
        self.kind = kind
        self.table = table
        self.columns = _columns(kind, table.headers)
        self.headers = {
            c.field: h for c, h in zip(self.columns, table.headers, strict=True) if c is not None
        }
        zh = sum(1 for c, h in self.headers.items() if _header_key(h) != _header_key(c))
        self.language = "zh" if zh * 2 >= len(self.headers) else "en"
        self.progress = progress

    def __length_hint__(self) -> int:
        """The file's estimated rows (``Table.total``: a CSV's lines, a sheet's last row), so
        that a large import starts its signing helper with its first batch."""
        return self.table.total

    def _slots(self) -> list[tuple[str, Callable[[Any], Any] | None] | None]:
        """For each column: its field and how its cells are read (None: no header)."""
        return [(c.field, _converter(c)) if c else None for c in self.columns]

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        slots = self._slots()
        # Every column of the file is in every row: a blank cell is an empty field (None).
        empty = dict.fromkeys(slot[0] for slot in slots if slot)
        counted = _Counted(self.table.total, self.progress)
        for number, cells in self.table.rows:
            row = _row(number, cells, slots)
            if counted.blank(number, row):
                continue
            yield number, empty | row
        counted.end()

    def digested(
        self,
        known: Callable[[list[bytes]], dict[bytes, Any]],
        size: int,
        layouts: Layouts,
        ahead: Callable[[int], bool] | None = None,
    ) -> Iterator[FileBatch]:
        """The rows ``size`` at a time, each batch with the digest of each row's cells as the
        file's reader gave them (``cells.cells_digest``) and those of the digests ``known``
        finds: a known row's cells are not made into the Registry's values (its row is None
        in the batch, made only if the import needs it after all: ``FileBatch.convert``).
        What a known row is spared is a function of its cells under the same columns, all
        checked when its digest was kept; every other row is read as ``__iter__`` reads it.
        A batch for which ``ahead(its index)`` is true goes to the row helper, which makes the
        digests on the other core: its rows are all read here, its cells kept for the helper,
        and the digests are looked up once the helper has made them (``bulk.checked_rows``)."""
        slots = self._slots()
        empty = dict.fromkeys(slot[0] for slot in slots if slot)
        fields = tuple(slot[0] if slot else None for slot in slots)
        counted = _Counted(self.table.total, self.progress)
        kind = self.kind
        raw: list[tuple[int, list[Any]]] = []

        def for_helper() -> FileBatch:
            rows: list[tuple[int, dict[str, Any] | None]] = []
            sent: list[list[Any]] = []
            for number, cells in raw:
                row = _row(number, cells, slots)
                if counted.blank(number, row):
                    continue
                rows.append((number, empty | row))
                sent.append(cells)
            return FileBatch(rows, None, {}, _unneeded, (kind, fields, sent))

        def batch() -> FileBatch:
            if ahead is not None and ahead(made):
                return for_helper()
            digests = [cells_digest(kind, fields, cells, layouts) for _, cells in raw]
            found = known(digests)
            rows: list[tuple[int, dict[str, Any] | None]] = []
            kept: list[bytes] = []
            unread: dict[int, tuple[int, list[Any]]] = {}
            for (number, cells), digest in zip(raw, digests, strict=True):
                if digest in found:  # a known row is not blank
                    counted.blank(number, cells)
                    unread[len(rows)] = (number, cells)
                    rows.append((number, None))
                else:
                    row = _row(number, cells, slots)
                    if counted.blank(number, row):
                        continue
                    rows.append((number, empty | row))
                kept.append(digest)

            def convert(index: int) -> dict[str, Any]:
                number, cells = unread[index]
                return empty | _row(number, cells, slots)

            return FileBatch(rows, kept, found, convert)

        made = 0  # batches made so far
        for numbered in self.table.rows:
            if numbered[0] > MAX_ROWS:
                raise FileRefused(f"the file has more than {MAX_ROWS:,} rows: split it")
            raw.append(numbered)
            if len(raw) == size:
                yield batch()
                made += 1
                raw = []
        if raw:
            yield batch()
        counted.end()

    def header(self, field_name: str) -> str:
        if field_name in self.headers:
            return self.headers[field_name]
        column = next((c for c in LAYOUTS[self.kind] if c.field == field_name), None)
        return column.header(self.language) if column else field_name

    def described(self, problem: RowProblem) -> RowProblem:
        """A problem as the file shows it: under the file's header, a list of codes as the
        cell held it, and the Chinese labels beside the codes a choice allows."""
        message, value = problem.message, problem.value
        labels = LABELS.get(problem.field)
        if labels and "one of" in message:
            message += f" (or their labels {'、'.join(labels.values())})"
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        column = self.header(problem.field)
        return replace(problem, column=column, value=value, message=message)


def _unneeded(index: int) -> dict[str, Any]:
    raise AssertionError("every row of a batch read for the row helper is made")


def _row(
    number: int, cells: list[Any], slots: list[tuple[str, Callable[[Any], Any] | None] | None]
) -> dict[str, Any]:
    """A row's non-blank cells as the Registry's fields (empty: a blank row); FileRefused
    beyond the file's limits: a row past ``MAX_ROWS``, a cell of more than ``MAX_CELL``
    characters, a value in a column without a header."""
    if number > MAX_ROWS:
        raise FileRefused(f"the file has more than {MAX_ROWS:,} rows: split it")
    width = len(slots)
    row: dict[str, Any] = {}
    for i, cell in enumerate(cells):
        if type(cell) is str:
            if not cell or cell.isspace():
                continue
            if len(cell) > MAX_CELL:
                raise FileRefused(
                    f"row {number}, column {_column_letter(i)}: a cell of {len(cell):,} "
                    f"characters ({cell[:SHOWN]!r}…); a cell holds at most {MAX_CELL:,}"
                )
        elif cell is None:
            continue
        slot = slots[i] if i < width else None
        if slot is None:
            raise FileRefused(
                f"row {number} has a value in column {_column_letter(i)}, which has no "
                "header: name the column or clear it"
            )
        name, convert = slot
        if convert is None or (type(cell) is str and cell[:1] == "<" and is_clear(cell)):
            row[name] = cell  # the clear marker reaches the registry as written
        else:
            row[name] = convert(cell)
    return row


class _Counted:
    """The rows read so far, for the progress bar, and the current run of blank rows."""

    __slots__ = ("total", "progress", "step", "done", "blank_from")

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.progress = total, progress
        self.step = max(total // 100, 1)
        self.done = 0
        self.blank_from = 0  # the first row of the current run of blank rows (0: none)

    def blank(self, number: int, row: Any) -> bool:
        """Whether the row is blank (blank rows, which Excel keeps many, are not entries);
        FileRefused after ``MAX_BLANK_RUN`` of them in a row. Counts the others."""
        if not row:
            self.blank_from = self.blank_from or number
            if number - self.blank_from >= MAX_BLANK_RUN:
                raise FileRefused(
                    f"rows {self.blank_from} to {number} are blank, more than "
                    f"{MAX_BLANK_RUN:,} in a row: delete the empty rows (or the formatting "
                    "that keeps them) and import again"
                )
            return True
        self.blank_from = 0
        self.done += 1
        if self.progress and self.total and self.done % self.step == 0:
            self.progress(min(self.done, self.total), self.total)
        return False

    def end(self) -> None:
        if self.progress:
            self.progress(self.done, self.done)


def import_sheet(
    registry: Registry,
    kind: str,
    table: Table,
    *,
    by: str | None,
    source: str,
    skip_invalid: bool = False,
    dry_run: bool = False,
    checking: Progress | None = None,
    recording: Progress | None = None,
) -> ImportReport:
    """Import a registry file's table through the Registry (``Registry.import_rows``), its
    problems named by the file's rows and headers. ``checking`` is told rows read and checked,
    ``recording`` (targets only) rows recorded. Raises FileRefused for a header that is not the
    layout, NotFound if ``by`` names no official."""
    check_kind(kind)
    may_act(registry.app, by, ACTIONS[kind])  # one 403 for the file, before its header is read
    sheet = Sheet(kind, table, checking)

    def recorded(done: int, read: int) -> None:  # rows recorded of the file's (estimated) rows
        if recording is not None:
            recording(done, max(table.total, read))

    report = registry.import_rows(
        kind,
        sheet,
        by,
        source=source,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        progress=recorded,
    )
    report.problems = [sheet.described(p) for p in report.problems]
    report.changes = [replace(c, column=sheet.header(c.field)) for c in report.changes]
    return report


__all__ = [
    "FileRefused",
    "Sheet",
    "Table",
    "check_kind",
    "import_sheet",
]
