"""A rebuild's writes on a second core: one writer thread owning the batches' transactions.

CPython's sqlite3 lets go of the interpreter's lock while SQLite works (``sqlite3_step``), and
psycopg while it waits for PostgreSQL, so the database's work (B-tree inserts, the targets' text
index, commits; on PostgreSQL the server's) can go on while the runner's own thread reads and
checks the next batch of the log and runs the handlers. A rebuild (``ProjectionRunner.rebuild``;
on PostgreSQL only with ``write_behind`` set: it gained nothing measured there) hands each batch
to one :class:`WriteBehind`:

- ``open_batch`` (in the thread: a connection, BEGIN, the claim of the tracking positions);
- the writer's flushes (``Writer.flush``), each one job: on SQLite a table's run of inserts as
  a few multi-row INSERTs (``insert_statements``: thousands of rows each), so the thread takes
  the interpreter's lock back once a statement, not once a row (``executemany`` steps each row
  apart, and a thread waiting for the lock waits up to the switch interval for it); on
  PostgreSQL a COPY, as without the thread;
- ``close_batch`` (what the batch does last, then COMMIT).

Jobs run one after the other, in the order given: rows and tracking positions still commit
together per batch, and the next batch's BEGIN follows the last one's COMMIT. The runner's
thread goes on reading and handling the next batch meanwhile; it waits for the thread to be
idle (``wait``) before anything reads the read database (``Writer.connection``) and at the end.
An error in the thread rolls its batch back, every job after it is skipped, and the next
``submit`` or ``wait`` raises it in the runner's thread: the read models stay at the last
batch committed, as without the thread.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table

from .process_settings import WhileAnyRuns
from .tables import GIVEN_AS_UTF8

# While a rebuild's writer thread runs, the interpreter's switch interval (s): how long the
# thread may wait for the lock the runner's thread holds when a statement returns (5 ms by
# default, for each of the batch's few statements).
SWITCH_INTERVAL = 0.0005
# The values one statement may bind: SQLite's default limit since 3.32 (a build may allow more).
VARIABLES = 32766


class WriteBehind:
    """One writer thread running jobs (callables) in order on the batch's connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._jobs: list[Callable[[], None] | None] = []
        self._ready = threading.Condition()
        self._busy = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="read-model-writer", daemon=True)
        self._thread.start()

    @property
    def conn(self) -> Connection:
        """The connection of the batch being written (for the thread's jobs, or after
        ``wait``)."""
        if self._conn is None:
            raise RuntimeError("no batch is open in the writer thread")
        return self._conn

    def open_batch(self, start: Callable[[Connection], None]) -> None:
        """Begin a batch's transaction in the thread and run ``start`` in it first."""

        def job() -> None:
            self._conn = self.engine.connect()
            self._conn.begin()
            start(self._conn)

        self.submit(job)

    def close_batch(self, finish: Callable[[Connection], None]) -> None:
        """Run ``finish`` last in the batch's transaction, then commit it."""

        def job() -> None:
            conn = self.conn
            finish(conn)
            conn.commit()
            conn.close()
            self._conn = None

        self.submit(job)

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` in the thread after those given before (raises a failed job's error)."""
        with self._ready:
            self._raise()
            self._jobs.append(job)
            self._ready.notify_all()

    def wait(self) -> None:
        """Until every job given is done; raises a failed job's error."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("the writer thread cannot wait for itself")
        with self._ready:
            self._ready.wait_for(lambda: not self._jobs and not self._busy)
            self._raise()

    def stop(self) -> None:
        """Wait for the jobs given, roll back a batch left open, end the thread. Raises a
        failed job's error (the thread ends all the same)."""
        with self._ready:
            self._jobs.append(None)
            self._ready.notify_all()
        self._thread.join()
        with self._ready:
            self._raise()

    def _raise(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _run(self) -> None:
        while True:
            with self._ready:
                self._busy = False
                self._ready.notify_all()
                self._ready.wait_for(lambda: bool(self._jobs))
                job = self._jobs.pop(0)
                self._busy = job is not None
                failed = self._error is not None
            if job is None:
                self._roll_back()
                return
            if failed:  # the batch failed: skip what was given after it
                continue
            try:
                job()
            except BaseException as e:
                self._roll_back()
                with self._ready:
                    self._error = e
                    self._jobs = [j for j in self._jobs if j is None]  # its batch's and later

    def _roll_back(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # (a connection lost: the thread goes on)
                conn.rollback()
                conn.close()


def _switch_quickly() -> float:
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, SWITCH_INTERVAL))
    return before


# The interpreter's switch interval at ``SWITCH_INTERVAL`` while any rebuild's writer runs.
quick_switches = WhileAnyRuns(_switch_quickly, sys.setswitchinterval)


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
