"""A batch's writes as data, and how they are done on a connection.

A projection's writer (``tracking.Writer``) buffers what its handlers write and sends it as
*steps*: ``(table, shape, params)``, each one statement's run of rows —

- ``("insert",)``: the rows, tuples in the table's column order (``tracking.Writer.row``),
  written on SQLite as a few multi-row INSERTs (``multirow_inserts.insert_statements``, laid
  out by the writer), on PostgreSQL by COPY;
- ``("update", table name, key columns, value columns, kept first)`` and ``("delete", table
  name, key columns)``: one parameter dict a row (``statement``).

Steps are plain values (names, numbers, texts, lists, dicts): a rebuild's writer thread runs
them (``write_behind.py``) and so does its writer process (``write_aside.py``), after they
crossed a socket as ``marshal`` bytes. :class:`BatchSteps` does a rebuild's batches, each in
one transaction: the claim of the projections' tracking positions (``claim``), the steps, the
reads a handler makes of rows written before (``select_rows``), what the batch does before its
commit.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table, and_, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import Delete, Update

from . import tables, text_runs
from .bulk_writing import index_builds
from .multirow_inserts import Statements, insert_of, insert_statements
from .tables import GIVEN_AS_UTF8, tracking

INSERT = ("insert",)  # the shape of every run of inserts (its table is the step's)
Step = tuple[Table, tuple[Any, ...], Any]
# SQLite: per table, what to note before a run of inserts and what to do after it with that
# note, given the driver's cursor (the targets' text index, ``text_runs.py``).
AfterInserts = dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], None]]]
TEXT_BY_RUNS: AfterInserts = {
    tables.targets.name: (text_runs.last_target_rowid, text_runs.index_text_since)
}


class PositionMoved(Exception):
    """Another runner committed the batch first: re-read the positions and go on."""


def claim(conn: Connection, positions: Sequence[tuple[str, int]], end: int) -> None:
    """Move each named projection's tracking position from the value read to ``end``."""
    for name, position in positions:
        claimed = conn.execute(
            update(tracking)
            .where(tracking.c.name == name, tracking.c.position == position)
            .values(position=end)
        ).rowcount
        if claimed != 1:
            raise PositionMoved


@lru_cache(maxsize=1024)
def statement(table: Table, shape: tuple[Any, ...]) -> Update | Delete:
    """The UPDATE or DELETE of a step's shape: its parameters ``k_<key column>``, and
    ``v_<column>`` for each value set (a column ``kept first`` only while it is still NULL)."""
    where = and_(*(table.c[k] == bindparam(f"k_{k}") for k in shape[2]))
    if shape[0] == "delete":
        return delete(table).where(where)
    kept_first = shape[4]

    def value(v: str) -> Any:
        new = bindparam(f"v_{v}", type_=table.c[v].type)
        return func.coalesce(table.c[v], new) if v in kept_first else new

    return update(table).where(where).values({table.c[v]: value(v) for v in shape[3]})


def keyed(conn: Connection, table: Table, unindexed: set[str]) -> None:
    """Build ``table``'s unique indexes if a rebuild has not yet (``Writer.unindexed``)."""
    if table.name in unindexed:
        with index_builds(conn):
            for index in table.indexes:
                if index.unique:
                    index.create(conn, checkfirst=True)
        unindexed.discard(table.name)


def insert_rows(
    conn: Connection, table: Table, rows: list[tuple[Any, ...]] | Statements, after: AfterInserts
) -> None:
    """SQLite: the rows on the driver's own cursor (through SQLAlchemy, building each row's
    parameters cost more than the insert itself), the same rows ``conn.execute(table.insert(),
    rows)`` writes (a test compares them): one ``executemany``, or the multi-row statements
    laid out (``insert_statements``); ``after`` a run of the table's, what it says."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    follow = after.get(table.name)
    try:
        before = follow[0](cursor) if follow else None
        if isinstance(rows, Statements):
            for sql, values in rows:
                cursor.execute(sql, values)
        else:
            cursor.executemany(insert_of(table, (), 1), rows)
        if follow:
            follow[1](cursor, before)
    except sqlite3.IntegrityError as e:  # as SQLAlchemy raises it on the other paths
        raise IntegrityError(f"bulk insert into {table.name}", {}, e) from e
    finally:
        cursor.close()


def copy_rows(conn: Connection, table: Table, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY the rows in (psycopg's executemany is a round per row)."""
    import psycopg

    names = ", ".join(c.name for c in table.columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    utf8 = [i for i, c in enumerate(table.columns) if c.info.get(GIVEN_AS_UTF8)]
    try:
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(_decoded(row, utf8) if utf8 else row)
    except psycopg.errors.IntegrityError as e:
        raise IntegrityError(f"bulk insert into {table.name}", {}, e) from e


def _decoded(row: tuple[Any, ...], places: list[int]) -> tuple[Any, ...]:
    """The row with the UTF-8 bytes at ``places`` (``tables.GIVEN_AS_UTF8``) as texts."""
    values = list(row)
    for i in places:
        if isinstance(values[i], bytes):
            values[i] = values[i].decode("utf-8")
    return tuple(values)


def select_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    key: str,
    keys: list[Any],
    unindexed: set[str],
) -> list[tuple[Any, ...]]:
    """The ``columns`` of ``table``'s rows whose ``key`` is one of ``keys`` (its unique indexes
    built first: ``keyed``), JSON values decoded."""
    keyed(conn, table, unindexed)
    query = select(*(table.c[c] for c in columns)).where(table.c[key].in_(keys))
    return [tuple(row) for row in conn.execute(query)]


class Batches(Protocol):
    """What a rebuild's writer thread (``write_behind.py``) does its jobs with: ``BatchSteps``
    on a connection of its own, or ``write_aside.ChildSteps`` through a writer process."""

    def packed(self, steps: list[Step]) -> Any:
        """A flush's steps as ``write`` takes them (made in the runner's thread)."""

    def open(self, positions: Sequence[tuple[str, int]], end: int, by_runs: bool) -> None: ...

    def write(self, steps: Any) -> None: ...

    def rows_of(
        self, table: Table, columns: Sequence[str], key: str, keys: list[Any]
    ) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...

    def roll_back(self) -> None:
        """After a step failed: the batch rolled back."""

    def end(self) -> None:
        """At the end of the rebuild: a batch left open rolled back."""


class BatchSteps:
    """A rebuild's batches, one transaction each on a connection of ``engine``: done by its
    writer thread (``write_behind.py``) or its writer process (``writer_process.py``)."""

    def __init__(self, engine: Engine, unindexed: set[str]) -> None:
        self.engine = engine
        self.unindexed = unindexed  # the tables whose unique indexes are not built yet
        self.conn: Connection | None = None  # the open batch's
        self.after: AfterInserts = {}

    def packed(self, steps: list[Step]) -> list[Step]:
        return steps  # (done in this process: as they are)

    def open(self, positions: Sequence[tuple[str, int]], end: int, by_runs: bool) -> None:
        """Begin a batch's transaction: the claim first, and (``by_runs``, SQLite) the
        targets' text indexed a run of inserts at a time (``text_runs.py``)."""
        assert self.conn is None, "a batch is opened once the last is closed or rolled back"
        conn = self.conn = self.engine.connect()
        conn.begin()
        claim(conn, positions, end)
        by_runs = by_runs and text_runs.text_by_runs(conn)
        self.after = TEXT_BY_RUNS if by_runs else {}

    def write(self, steps: list[Step]) -> None:
        """The steps in order; on SQLite each run of inserts as a few multi-row statements
        (``insert_statements``: laid out here, by the writer, not by the runner's thread)."""
        conn = self._open()
        sqlite = conn.dialect.name == "sqlite"
        for table, shape, params in steps:
            if shape[0] != "insert":
                keyed(conn, table, self.unindexed)
                conn.execute(statement(table, shape), params)
            elif sqlite:
                insert_rows(conn, table, insert_statements(table, params), self.after)
            else:
                copy_rows(conn, table, params)

    def rows_of(
        self, table: Table, columns: Sequence[str], key: str, keys: list[Any]
    ) -> list[tuple[Any, ...]]:
        """``select_rows`` in the open batch (or, between batches, on a connection of its own)."""
        if self.conn is not None:
            return select_rows(self.conn, table, columns, key, keys, self.unindexed)
        with self.engine.connect() as conn:
            return select_rows(conn, table, columns, key, keys, self.unindexed)

    def close(self) -> None:
        """What the batch does last, then its commit."""
        conn = self._open()
        if self.after:
            text_runs.keep_text_by_rows(conn)
            self.after = {}
        conn.commit()
        conn.close()
        self.conn = None

    def roll_back(self) -> None:
        """The open batch rolled back, if any (a batch that failed, or left open at the end)."""
        conn, self.conn, self.after = self.conn, None, {}
        if conn is not None:
            with contextlib.suppress(Exception):  # (a connection lost: the error says why)
                conn.rollback()
                conn.close()

    end = roll_back

    def _open(self) -> Connection:
        assert self.conn is not None, "steps come in an open batch"
        return self.conn
