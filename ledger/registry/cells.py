"""A row's cells as a file gave them: the clear marker, blank cells, the row's import digest.

Functions of the row alone, reading nothing of the ledger: the importing process runs them, and
so does the row helper of ``checking_ahead.py``, which imports only this, ``fields.py`` and
``targets.py`` (a light start).
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

CLEAR = ("<清空>", "<clear>")


def is_clear(value: Any) -> bool:
    return isinstance(value, str) and unicodedata.normalize("NFKC", value).strip() in CLEAR


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def unmarked(row: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """The row as the parsers read it (a clear marker is an empty cell) and the fields it gives:
    a value, or the clear marker."""
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
    return row, frozenset(given)


Layouts = dict[tuple[str, tuple[str, ...]], Any]  # each layout's hash, made once


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


__all__ = ["CLEAR", "Layouts", "blank", "is_clear", "row_digest", "unmarked"]
