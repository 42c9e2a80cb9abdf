"""A row's cells as a file gave them: the clear marker, blank cells, the row's import digest.

Functions of the row alone, reading nothing of the ledger: the importing process runs them, and
so does the row helper of ``checking_ahead.py``, which imports only this, ``fields.py`` and
``targets.py`` (a light start).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from typing import Any

CLEAR = ("<清空>", "<clear>")


def is_clear(value: Any) -> bool:
    return isinstance(value, str) and unicodedata.normalize("NFKC", value).strip() in CLEAR


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def unmarked(row: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """The row as the parsers read it (a clear marker is an empty cell) and the fields it gives:
    a value, or the clear marker."""
    row, given = given_fields(row)
    return row, frozenset(given)


def given_fields(row: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``unmarked`` with the fields the row gives as a tuple in the row's order (what the row
    helper sends back: ``marshal.dumps`` of a tuple costs about a twentieth of a frozenset's)."""
    given = []
    marked = False
    for name, value in row.items():  # inline: a bulk import reads ~15 cells a row
        if value is None:
            continue
        if type(value) is str:
            if not value or value.isspace():
                continue
            # A marker starts with "<" or "＜": a cell holding neither is not one (one search
            # in C, where the strip of every cell cost a bulk import ~5 µs a row).
            if not marked and ("<" in value or "＜" in value):
                marked = value.lstrip()[:1] in "<＜" and is_clear(value)
        given.append(name)
    if marked:
        row = {name: None if is_clear(value) else value for name, value in row.items()}
    return row, tuple(given)


class FileBatch(list[tuple[int, dict[str, Any] | None]]):
    """A batch of a file's rows as ``sheets.Sheet.digested`` reads them: ``(number, row)``
    each, the row None where the digest of its cells is known (its cells were not made into
    the Registry's values: ``convert(index)`` makes them when they are needed after all),
    with each row's digest (``cells_digest``) and those of them known unchanged
    (``digests.Known``). A batch read for the row helper (``checking_ahead.py``) has every row
    made and no digests yet (None): it carries each row's ``cells`` and the file's ``fields``
    instead, from which the helper makes the digests (or ``cells_digests``, here)."""

    __slots__ = ("digests", "known", "convert", "kind", "fields", "cells")

    def __init__(
        self,
        rows: list[tuple[int, dict[str, Any] | None]],
        digests: list[bytes] | None,
        known: dict[bytes, Any],
        convert: Callable[[int], dict[str, Any]],
        cells: tuple[str, tuple[str | None, ...], list[list[Any]]] | None = None,
    ) -> None:
        super().__init__(rows)
        self.digests, self.known, self.convert = digests, known, convert
        self.kind: str = cells[0] if cells else ""
        self.fields: tuple[str | None, ...] = cells[1] if cells else ()
        self.cells: list[list[Any]] | None = cells[2] if cells else None

    def cells_digests(self, layouts: Layouts) -> list[bytes]:
        """The digest of each row's cells (what the row helper makes of a batch read for it)."""
        if self.digests is not None:
            return self.digests
        kind, fields = self.kind, self.fields
        return [cells_digest(kind, fields, cells, layouts) for cells in self.cells or ()]


Layouts = dict[tuple[Any, ...], Any]  # each layout's hash, made once


def row_digest(kind: str, row: dict[str, Any], layouts: Layouts) -> bytes:
    """The digest of a row as the file gave it: the registry kind and the row's column names
    in the file's order (hashed once per layout, kept in ``layouts``), then its cells (another
    order only misses; a clear marker is a cell like any other). The cells are text, lists of
    text, bools or None, whose ``repr`` is exact; each part is one whole ``repr``. A function of
    the row alone: the row helper of ``checking_ahead.py`` computes it too."""
    names = tuple(row)
    layout = layouts.get((kind, names))
    if layout is None:
        text = repr((kind, names)).encode("utf-8", "surrogatepass")
        layout = layouts[(kind, names)] = hashlib.sha256(text)
    h = layout.copy()
    h.update(repr(tuple(row.values())).encode("utf-8", "surrogatepass"))
    return h.digest()


def cells_digest(
    kind: str, fields: tuple[str | None, ...], cells: list[Any], layouts: Layouts
) -> bytes:
    """The digest of a file's row as its reader gave it, before its cells become the Registry's
    values (``sheets.Sheet.digested``): the registry kind and the field of each column of the
    file, in its order (None: a column without a header; hashed once per layout, under a
    "cells" tag of its own, so that it never equals a ``row_digest``), then the row's cells,
    each text, a bool or None, as one exact ``repr``. The same cells under the same columns
    make the same row; another cell, another column, a cell more or less, even one differing
    only in blanks, make another digest (a miss, which gets every check)."""
    layout = layouts.get(("cells", kind, fields))
    if layout is None:
        text = repr(("cells", kind, fields)).encode("utf-8", "surrogatepass")
        layout = layouts[("cells", kind, fields)] = hashlib.sha256(text)
    h = layout.copy()
    h.update(repr(cells).encode("utf-8", "surrogatepass"))
    return h.digest()


__all__ = [
    "CLEAR",
    "FileBatch",
    "Layouts",
    "blank",
    "cells_digest",
    "given_fields",
    "is_clear",
    "row_digest",
    "unmarked",
]
