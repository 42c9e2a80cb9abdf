"""Reading a large target file's rows on the other core: digests and formats, one batch ahead.

A first import's importing process spends about a third of its CPU on each row's own checks:
the row's import digest (``cells.row_digest``), the clear-marker scan (``cells.given_fields``)
and the format checks of ``targets.parse_target``. None of these reads the ledger: they are
functions of the row's cells alone. So a large target import hands each batch of rows, as the
file gave them, to a helper process that runs those very functions on batch k + 1 while the
importing process checks the references, the duplicates and the authority of batch k, builds
its events and saves them (the signing helper of ``ledger/signing.py`` signs them meanwhile).
What needs the ledger or the whole file stays in the importing process, in the file's order:
the digest lookups, the divisions and items a row names, the duplicate check, the authority
check, what a row changes. The report is the one an import without the helper gives: the
same functions made the same values from the same cells (``test_checking_ahead.py``).

A file whose rows are mostly known unchanged by their digests (an unchanged re-import) stops
using the helper after its first batch: those rows are spared the format checks, so the
helper's work would be thrown away, and a digest alone is cheaper made here than sent.

The helper holds no key and reads nothing but the rows it is sent; it exits when its socket
closes. A batch it cannot do (it died, a cell is not plain data, a check raised something other
than its field problems) has no result, and the importing process checks those rows itself,
where any error is raised exactly as without the helper.
"""

from __future__ import annotations

import marshal
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from .. import helper_process
from ..fields import FieldProblem, InvalidFields
from .cells import FileBatch, Layouts, cells_digest, given_fields, row_digest
from .targets import parse_target

# Files of at least this many rows (by their length hint) are checked ahead in the helper,
# which takes about half a second to start: as for the signing helper (``recording.py``).
CHECK_AHEAD_ROWS = 10_000
INLINE_FIRST = 2  # batches checked here before the helper is sent any (``RowHelper.ahead``)
Row = dict[str, Any]
Batch = list[tuple[int, Row]] | list[tuple[int, Row | None]]
# What the helper made of one row: its import digest, the row as the parsers read it (None:
# the row as the file gave it, no clear marker in it), the fields it gives (a tuple, made a
# frozenset by the importing process: ``bulk.checked_rows``), and the format check's outcome:
# (spec, warnings) or the field problems as (field, value, message).
Outcome = tuple[dict[str, Any], list[str]] | list[tuple[str, Any, str]]
Prepared = tuple[bytes, Row | None, tuple[str, ...], bool, Outcome]
# A file's rows' cells sent with them: [the file's fields, each row's cells]; [] if the file's
# reader digested the rows itself; None for rows not read from a file.
FileCells = list[Any] | None


def prepare(
    kind: str, rows: list[Row | None], layouts: Layouts, cells: FileCells = None
) -> list[Prepared | None]:
    """Each row's digest, unmarked row, given fields and format check (what the helper runs);
    None for a row not sent (known unchanged by the digest of its cells). The digest is that
    of the row's cells as the file gave them when ``cells`` are sent with a file's rows (the
    file's fields and each row's cells: ``cells.cells_digest``), ``b""`` if the file's reader
    made it already (``[]``), else that of the row (``cells.row_digest``)."""
    done: list[Prepared | None] = []
    for index, raw in enumerate(rows):
        if raw is None:
            done.append(None)
            continue
        if cells is None:
            digest = row_digest(kind, raw, layouts)
        elif cells:
            digest = cells_digest(kind, cells[0], cells[1][index], layouts)
        else:
            digest = b""
        row, given = given_fields(raw)
        outcome: Outcome
        try:
            outcome = parse_target(row)
        except InvalidFields as e:
            outcome = [(p.field, p.value, p.message) for p in e.problems]
            done.append((digest, None if row is raw else row, given, False, outcome))
            continue
        done.append((digest, None if row is raw else row, given, True, outcome))
    return done


class Parse:
    """A row's format check as ``check`` calls it: the helper's outcome given back (the spec
    and its warnings, or InvalidFields with the same problems)."""

    __slots__ = ("ok", "outcome")

    def __init__(self, ok: bool, outcome: Outcome) -> None:
        self.ok, self.outcome = ok, outcome

    def __call__(self, row: Row) -> tuple[dict[str, Any], list[str]]:
        outcome: Any = self.outcome
        if self.ok:
            spec, warnings = outcome
            return spec, warnings
        raise InvalidFields([FieldProblem(f, v, m) for f, v, m in outcome])


class RowHelper:
    """The helper process and the batches it is preparing, answered in the order sent."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._conn: Connection | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._broken = False
        self._unneeded = False

    def unneeded(self) -> None:
        """Prepare no more batches in the helper (those sent are still answered): most rows of
        the file are known unchanged by their digests, which spare them the format checks, so
        the helper's work would mostly be thrown away (an unchanged re-import)."""
        self._unneeded = True

    def takes(self, index: int) -> bool:
        """Whether the batch of this index (0, 1, …) will be sent to the helper (``ahead``),
        as far as is known when it is read: not if it is one of the first, checked here, nor
        once the helper is unneeded or broken."""
        return index >= INLINE_FIRST and not (self._broken or self._unneeded)

    def submit(self, batch: Batch) -> bool:
        """Send a batch's rows to the helper; False if it cannot take them (prepare inline)."""
        if self._broken or self._unneeded:
            return False
        try:
            rows = [row for _, row in batch]
            cells: FileCells = None
            if isinstance(batch, FileBatch):
                cells = [] if batch.cells is None else [batch.fields, batch.cells]
            message = marshal.dumps((self.kind, rows, cells))
        except ValueError:  # not plain data: the inline path says what is wrong with it
            return False
        try:
            conn = self._connection()
            conn.send_bytes(message)
        except OSError:
            self._fail()
            return False
        return True

    def answer(self) -> list[Prepared | None] | None:
        """The oldest submitted batch's rows prepared, or None (prepare them inline)."""
        if self._broken or self._conn is None:
            return None
        try:
            status, result = marshal.loads(self._conn.recv_bytes())
        except (OSError, EOFError, ValueError):
            self._fail()
            return None
        return result if status == "ok" else None

    def ahead(
        self, batches: Iterable[Batch]
    ) -> Iterator[tuple[Batch, list[Prepared | None] | None]]:
        """The batches, each with its rows prepared by the helper (None: inline), the next
        batch read and handed over before this one is given back to be checked.

        The first two batches are checked here (``INLINE_FIRST``): the first one is given back
        before any is sent, so that a file whose rows are known unchanged (an unchanged
        re-import: ``unneeded``) never starts the helper, and the second while the helper
        starts (about half a second) on the third, so that nobody waits for it."""
        held: deque[tuple[Batch, bool]] = deque()
        for number, batch in enumerate(batches):
            if number == 0 and INLINE_FIRST:
                yield batch, None  # given back before any batch is sent
                continue
            held.append((batch, number >= INLINE_FIRST and self.submit(batch)))
            if len(held) > 1:
                yield self._give(*held.popleft())
        while held:
            yield self._give(*held.popleft())

    def _give(self, batch: Batch, sent: bool) -> tuple[Batch, list[Prepared | None] | None]:
        prepared = self.answer() if sent else None
        if prepared is not None and len(prepared) != len(batch):
            prepared = None
        return batch, prepared

    def _fail(self) -> None:
        self._broken = True
        self._stop()

    def _connection(self) -> Connection:
        if self._conn is None:
            self._process, self._conn = helper_process.start("ledger.registry.checking_ahead")
        return self._conn

    def close(self) -> None:
        self._stop()

    def __enter__(self) -> RowHelper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _stop(self) -> None:
        helper_process.stop(self._process, self._conn)
        self._process, self._conn = None, None


def _serve(conn: Connection) -> None:
    """The helper: prepare each batch it receives (``helper_process.serve``)."""
    layouts: Layouts = {}

    def work(message: tuple[str, list[Row | None], FileCells]) -> list[Prepared | None]:
        kind, rows, cells = message
        return prepare(kind, rows, layouts, cells)

    helper_process.serve(conn, work)


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
