"""A rebuild's writes in a second process: the writer's work under an interpreter lock of its own.

Through a writer thread (``write_behind.py``) SQLite's work runs on the second core, but the
thread still binds every value of every row (~130–160 ns each, 58 million at a million
targets) holding the interpreter's lock the runner's thread needs: the two threads' work under
the lock, not either core, bounded the rebuild (docs/PERFORMANCE.md, session 24). A long
rebuild of an SQLite file (``ProjectionRunner.rebuild``: ``ASIDE_FROM`` events or more) hands
its batches to a helper process instead (``writer_process.py``, started and served by
``ledger/helper_process.py``): the writer thread (``WriteBehind``) does its jobs with
``ChildSteps`` instead of ``batch_steps.BatchSteps`` — the same methods, each a message to the
child answered once the child has done it. The runner's thread turns each flush's steps into
``marshal`` bytes (~40 ns a value, ``ChildSteps.packed``); the messages: ``start``, then per
batch ``open`` (the positions claimed),
``write`` (steps; a table by its name), ``read`` (``Writer.rows_of``) and ``close`` (the
commit). The child lays each run of inserts out, binds and writes it with its own lock, one
transaction a batch as the thread did; ``wait`` means what it means for the thread: every batch
given committed.

A step the child refuses rolls its batch back there and is answered with the error, raised in
the runner's thread as through the thread (a claim refused, ``PositionMoved``: the runner reads
the positions again and goes on; a row refused: ``IntegrityError``); the child waits for the
next batch. A child that ends in a batch (killed by the kernel's out-of-memory killer, an
operator) may, with the file's journal in memory, leave part of a transaction in it: the
rebuild raises ``bulk_writing.WriterLost`` and the file's mark is left naming the child, so
that the next open sets the file aside and builds it anew.
"""

from __future__ import annotations

import marshal
import subprocess
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.exc import IntegrityError

from ledger import helper_process

from .batch_steps import PositionMoved, Step
from .bulk_writing import writer_lost
from .database import sqlite_file
from .tables import GIVEN_AS_UTF8, metadata
from .tracking import ProjectionError
from .write_behind import WriteBehind

ASIDE_FROM = 100_000  # a rebuild of this many events or more is written by a helper process
_STOP_WAIT = 60  # seconds the end of a rebuild waits for the child to roll back and end


class ChildSteps:
    """``batch_steps.BatchSteps``' methods, each a message to the writer process, answered once
    the child has done it (``writer_process.py``): called by the writer thread, or, for a read,
    by the runner's thread once the writer thread is idle."""

    def __init__(self, path: Path, unindexed: set[str], journal: str) -> None:
        self.path = path
        self.process, self._pipe = helper_process.start("projections.writer_process")
        self.pid = self.process.pid
        self._ask(marshal.dumps(("start", str(path), sorted(map(str, unindexed)), journal)))

    def packed(self, steps: list[Step]) -> bytes:
        """A flush's steps as the message ``write`` sends (``marshal``, in the runner's thread)."""
        return marshal.dumps(("write", [_plain(*step) for step in steps]))

    def open(self, positions: Sequence[tuple[str, int]], end: int, by_runs: bool) -> None:
        self._ask(marshal.dumps(("open", [tuple(p) for p in positions], end, by_runs)))

    def write(self, packed: bytes) -> None:
        self._ask(packed)

    def rows_of(
        self, table: Table, columns: Sequence[str], key: str, keys: list[Any]
    ) -> list[tuple[Any, ...]]:
        message = ("read", str(table.name), list(map(str, columns)), str(key), list(keys))
        return self._ask(marshal.dumps(message))  # type: ignore[no-any-return]

    def close(self) -> None:
        self._ask(marshal.dumps(("close",)))

    def roll_back(self) -> None:
        """Nothing here: the child rolled its batch back when the step failed."""

    def end(self) -> None:
        """The end of the child's input: it rolls back a batch left open and ends (killed if
        it has not within ``_STOP_WAIT`` s: then a batch of its may be cut short)."""
        self._pipe.close()
        try:
            self.process.wait(timeout=_STOP_WAIT)
        except subprocess.TimeoutExpired:  # pragma: no cover - a child that hangs
            self.process.kill()
            self.process.wait()
            writer_lost(self.path, self.pid, "killed after it did not end")

    def _ask(self, message: bytes) -> Any:
        try:
            self._pipe.send_bytes(message)
            kind, answer = marshal.loads(self._pipe.recv_bytes())
        except (OSError, EOFError):  # (the child has ended)
            code = self.process.wait()
            raise writer_lost(self.path, self.pid, f"exit status {code}") from None
        if kind != "ok":
            raise _error_of(answer)
        return answer


class WriteAside(WriteBehind):
    """A rebuild's writer thread whose batches a child process does (``ChildSteps``)."""

    def __init__(self, engine: Engine, unindexed: set[str], journal: str) -> None:
        path = sqlite_file(engine.url)
        if path is None:
            raise ValueError("a writer process writes an SQLite file")
        self.child = ChildSteps(path.resolve(), unindexed, journal)
        super().__init__(engine, unindexed, self.child)


def writer_for(engine: Engine, unindexed: set[str], journal: str, aside: bool) -> WriteBehind:
    """A rebuild's writer: a process (``aside``, and the read models an SQLite file), else a
    thread."""
    if aside and engine.dialect.name == "sqlite" and sqlite_file(engine.url) is not None:
        return WriteAside(engine, unindexed, journal)
    return WriteBehind(engine, unindexed)


def _plain(table: Table, shape: tuple[Any, ...], params: Any) -> tuple[Any, ...]:
    """A step as ``marshal`` takes it: its table by name (and, not one of the read models',
    its columns as ``_described`` gives them), names as plain texts (SQLAlchemy's names are a
    ``str`` of their own)."""
    name = str(table.name)
    if shape[0] != "insert":
        return name, (shape[0], str(shape[1]), *shape[2:]), params
    if metadata.tables.get(name) is table:
        return name, shape, params
    return name, shape, params, _described(table)


@lru_cache(maxsize=64)
def _described(table: Table) -> tuple[tuple[Any, ...], ...]:
    """What laying out a table's inserts needs of its columns (``insert_statements``)."""
    return tuple(
        (
            str(c.name),
            c.nullable,
            c.server_default is not None,
            c.primary_key,
            GIVEN_AS_UTF8 in c.info,
        )
        for c in table.columns
    )


def _error_of(text: str) -> BaseException:
    """The child's error (``Kind: text``) as the runner's thread raises it: a row refused,
    ``IntegrityError``; a claim refused, ``PositionMoved`` (the runner reads the positions again
    and goes on); anything else, a ``ProjectionError`` saying what."""
    kind = text.partition(":")[0]
    if kind == "IntegrityError":
        return IntegrityError(text, {}, Exception(text))
    if kind == "PositionMoved":
        return PositionMoved()
    return ProjectionError(f"读取模型的写入进程出错 (the rebuild's writer process failed): {text}")
