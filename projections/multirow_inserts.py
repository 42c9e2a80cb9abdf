"""SQLite's multi-row INSERTs: how a rebuild's writer (thread or process) inserts a run of rows.

``executemany`` steps each row apart, and a writer thread takes the interpreter's lock back
once a row; a few statements of thousands of rows each (at most ``VARIABLES`` values) bind a
statement's values in one call, and SQLite inserts all its rows in one step without the lock.
The statements are laid out by the runner's thread (``tracking.Writer``), done by the writer.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import Column, Table

from .tables import GIVEN_AS_UTF8

# The values one statement may bind: SQLite's default limit since 3.32 (a build may allow more).
VARIABLES = 32766


class Statements(list[tuple[str, list[Any]]]):
    """Statements and their values, in order (``insert_statements``)."""


def insert_statements(table: Table, rows: list[tuple[Any, ...]]) -> Statements:
    """The rows as few multi-row INSERTs as SQLite takes (at most ``VARIABLES`` values each):
    (the statement, its values in order). The driver binds the very values ``executemany``
    would, so the rows stored are the same; the writer thread binds a statement's values in
    one call and SQLite inserts all its rows in one step without the interpreter's lock.
    A column NULL in every row of a statement is left out of it (``_unset``): SQLite stores
    NULL all the same, and the thread binds none of them."""
    width = len(table.columns)
    most = VARIABLES // width
    statements = Statements()
    for start in range(0, len(rows), most):
        part = rows[start : start + most]
        values = list(chain.from_iterable(part))
        unset = _unset(table, values, len(part))
        left = width
        for i in reversed(unset):  # each its column's values taken out, the last first
            del values[i::left]
            left -= 1
        statements.append((insert_of(table, unset, len(part)), values))
    return statements


def _unset(table: Table, values: list[Any], count: int) -> tuple[int, ...]:
    """The places of the columns that may be left out of a statement of ``count`` rows laid
    out in ``values``: NULL in every row, and NULL if left out (no default of the database's
    own, not a key). Binding a NULL costs the thread more than a number or a text does (the
    driver looks for an adapter of None first): three columns NULL in every act of the trail
    cost ~0.6 µs a row."""
    width = len(table.columns)
    unset = tuple(
        i for i in _omissible(table) if values[i] is None and values[i::width].count(None) == count
    )
    return unset if len(unset) < width else ()  # (a row of no column: every NULL bound)


@lru_cache(maxsize=256)
def _omissible(table: Table) -> tuple[int, ...]:
    return tuple(
        i
        for i, c in enumerate(table.columns)
        if c.nullable and c.server_default is None and not c.primary_key
    )


@lru_cache(maxsize=1024)
def insert_of(table: Table, unset: tuple[int, ...], count: int) -> str:
    """``INSERT INTO t (columns) VALUES (?, …), …`` of ``count`` rows, without the columns at
    the places ``unset``."""
    columns = [c for i, c in enumerate(table.columns) if i not in unset]
    row = f"({', '.join(placeholder(c) for c in columns)})"
    names = ", ".join(c.name for c in columns)
    return f"INSERT INTO {table.name} ({names}) VALUES {', '.join([row] * count)}"


def placeholder(column: Column[Any]) -> str:
    """A column's value in an INSERT on SQLite: ``?``, or ``CAST(? AS TEXT)`` for a column
    whose values may be given as UTF-8 bytes (``tables.GIVEN_AS_UTF8``): SQLite reads a blob
    cast to text as text in the file's encoding (UTF-8), and leaves a text as it is."""
    return "CAST(? AS TEXT)" if column.info.get(GIVEN_AS_UTF8) else "?"
