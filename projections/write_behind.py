"""A rebuild's writes on a second core: one writer thread owning the batches' transactions.

CPython's sqlite3 lets go of the interpreter's lock while SQLite works (``sqlite3_step``), and
psycopg while it waits for PostgreSQL, so the database's work (B-tree inserts, the targets' text
index, commits; on PostgreSQL the server's) can go on while the runner's own thread reads and
checks the next batch of the log and runs the handlers. A rebuild (``ProjectionRunner.rebuild``;
on PostgreSQL only with ``write_behind`` set: it gained nothing measured there) hands each batch
to one :class:`WriteBehind`:

- ``open_batch`` (in the thread: a connection, BEGIN, the claim of the tracking positions);
- the writer's flushes (``Writer.flush``), each one job of steps (``batch_steps.py``): on
  SQLite a table's run of inserts as a few multi-row INSERTs (``multirow_inserts.py``:
  thousands of rows each), so the thread takes the interpreter's lock back once a statement,
  not once a row (``executemany`` steps each row apart, and a thread waiting for the lock waits
  up to the switch interval for it); on PostgreSQL a COPY, as without the thread;
- ``close_batch`` (what the batch does last, then COMMIT).

Jobs run one after the other, in the order given: rows and tracking positions still commit
together per batch, and the next batch's BEGIN follows the last one's COMMIT. The runner's
thread goes on reading and handling the next batch meanwhile; it waits for the thread to be
idle (``wait``) before anything reads the read database (``Writer.rows_of``) and at the end.
An error in the thread rolls its batch back, every job after it is skipped, and the next
``submit`` or ``wait`` raises it in the runner's thread: the read models stay at the last
batch committed, as without the thread. A long rebuild of an SQLite file writes through a
process instead (``write_aside.py``: the same jobs, done by a child process).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table

from .batch_steps import Batches, BatchSteps, Step
from .process_settings import WhileAnyRuns

# While a rebuild's writer thread runs, the interpreter's switch interval (s): how long the
# thread may wait for the lock the runner's thread holds when a statement returns (5 ms by
# default, for each of the batch's few statements).
SWITCH_INTERVAL = 0.0005
# Jobs given and not begun, at most (~3 batches of a rebuild: a job is a flush of up to
# ``Writer.flush_every`` rows): beyond, the runner's thread waits for the writer. A writer
# slower than the reader (a slow disk) would otherwise hold more and more of the log's rows in
# memory, up to the whole log's.
PENDING = 32


class WriteBehind:
    """One writer thread doing a rebuild's batches in order, jobs given by the runner's thread:
    on a connection of its own (``batch_steps.BatchSteps``), or through a writer process
    (``steps``: ``write_aside.ChildSteps``, the same methods)."""

    def __init__(
        self, engine: Engine, unindexed: set[str] | None = None, steps: Batches | None = None
    ) -> None:
        self.engine = engine
        if steps is None:
            steps = BatchSteps(engine, unindexed if unindexed is not None else set())
        self.steps: Batches = steps
        self._jobs: list[Callable[[], None] | None] = []
        self._ready = threading.Condition()
        self._busy = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="read-model-writer", daemon=True)
        self._thread.start()

    @property
    def conn(self) -> Connection:
        """The connection of the batch being written in this process (after ``wait``)."""
        conn = self.steps.conn if isinstance(self.steps, BatchSteps) else None
        if conn is None:
            raise RuntimeError("no batch is open in the writer thread")
        return conn

    def open_batch(self, positions: Sequence[tuple[str, int]], end: int, by_runs: bool) -> None:
        """Begin a batch's transaction in the thread: the projections named moved from their
        positions to ``end`` first (``BatchSteps.open``)."""
        self.submit(lambda: self.steps.open(positions, end, by_runs))

    def write(self, steps: list[Step]) -> None:
        """A writer's flush: its steps, in order, in the batch's transaction."""
        packed = self.steps.packed(steps)
        self.submit(lambda: self.steps.write(packed))

    def rows_of(
        self, table: Table, columns: Sequence[str], key: str, keys: list[Any]
    ) -> list[tuple[Any, ...]]:
        """A handler's read of rows written before it (``BatchSteps.rows_of``), once every
        job given is done (the thread idle: the read is made from this thread)."""
        self.wait()
        return self.steps.rows_of(table, columns, key, keys)

    def close_batch(self) -> None:
        """What the batch does last (``BatchSteps.close``), then its commit."""
        self.submit(self.steps.close)

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` in the thread after those given before (raises a failed job's error);
        with ``PENDING`` jobs waiting already, once the thread has begun one of them."""
        with self._ready:
            self._ready.wait_for(lambda: len(self._jobs) < PENDING or self._error is not None)
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
                self._ready.notify_all()  # (a ``submit`` waiting for room)
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
                self._failed(e)
                with self._ready:
                    self._error = e
                    self._jobs = [j for j in self._jobs if j is None]  # its batch's and later

    def _failed(self, error: BaseException) -> None:
        """A job failed with ``error``: its batch is rolled back."""
        self.steps.roll_back()

    def _roll_back(self) -> None:
        """The end: a batch left open rolled back (and a writer process ended)."""
        self.steps.end()


def _switch_quickly() -> float:
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, SWITCH_INTERVAL))
    return before


# The interpreter's switch interval at ``SWITCH_INTERVAL`` while any rebuild's writer runs.
quick_switches = WhileAnyRuns(_switch_quickly, sys.setswitchinterval)
