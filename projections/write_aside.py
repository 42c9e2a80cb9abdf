"""A rebuild's writes in a second process: the writer's work under an interpreter lock of its own.

Through a writer thread (``write_behind.py``) SQLite's work runs on the second core, but the
thread still binds every value of every row (~130–160 ns each, 58 million at a million
targets) holding the interpreter's lock the runner's thread needs: the two threads' work under
the lock, not either core, bounded the rebuild (docs/PERFORMANCE.md, session 24). A long
rebuild of an SQLite file (``ProjectionRunner.rebuild``: ``ASIDE_FROM`` events or more) hands
its batches to a child process instead (``write_aside.main``): the runner's
thread lays out each flush's steps (``batch_steps.py``) as it did for the thread and sends them
as ``marshal`` bytes (~40 ns a value) down the child's standard input; the child binds and
writes them with its own lock, on its own connection, one transaction a batch as the thread
did: the claim first, the commit last. A sender thread here writes the frames (the pipe's
writes let the lock go) and waits for the child's answer to each commit and each read, so that
``wait`` means what it means for the thread: every batch given committed.

Frames are an 8-byte length and a ``marshal``-ed tuple. To the child: ``start`` (the file, the
tables not indexed yet, the file's journal), then per batch ``open`` (the positions claimed),
``write`` (steps; a table by its name), ``read`` (``Writer.rows_of``), ``close``. From the
child: ``done`` after each commit, ``rows`` for a read, or ``error``: the batch was rolled back
at the step that failed, its later steps skipped, and the error given as the answer to its
``close`` or next ``read``; the next ``open`` begins anew (a claim refused, ``PositionMoved``:
the runner reads the positions again and goes on, as through the thread). The end of its input
(the rebuild ended, failed, or its process died) rolls back a batch left open and ends the
child.

A child killed in a batch (the kernel's out-of-memory killer, an operator) may, with the file's
journal in memory, leave part of a transaction in it: the rebuild raises
``bulk_writing.WriterLost``, whose mark makes the next open set the file aside and build it
anew.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import signal
import struct
import subprocess
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, Connection, Engine, MetaData, Table, event
from sqlalchemy.exc import IntegrityError

from .batch_steps import INSERT, BatchSteps, PositionMoved, Step
from .bulk_writing import WriterLost, settle
from .database import JOURNAL_IN_MEMORY, create_read_engine, sqlite_file
from .tables import GIVEN_AS_UTF8, metadata
from .tracking import ProjectionError
from .write_behind import WriteBehind

ASIDE_FROM = 100_000  # a rebuild of this many events or more is written by a child process
_LENGTH = struct.Struct("<Q")
_STOP_WAIT = 60  # seconds the end of a rebuild waits for the child to roll back and end


class WriteAside(WriteBehind):
    """A rebuild's batches written by a child process, in order (``WriteBehind``'s jobs: here
    the frames sent, and the child's answers awaited, by its thread)."""

    def __init__(self, engine: Engine, unindexed: set[str], journal: str) -> None:
        path = sqlite_file(engine.url)
        if path is None:
            raise ValueError("a writer process writes an SQLite file")
        package = Path(__file__).resolve().parent.parent
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(package), env.get("PYTHONPATH", "")) if p
        )
        self._child = subprocess.Popen(
            [sys.executable, "-c", "from projections.write_aside import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self._child.stdin is not None and self._child.stdout is not None
        self._to, self._from = self._child.stdin, self._child.stdout
        self.pid = self._child.pid
        super().__init__(engine, unindexed)
        start = ("start", str(path.resolve()), sorted(map(str, unindexed)), journal)
        frame = _framed(start)
        self.submit(lambda: self._send(frame))

    @property
    def conn(self) -> Connection:
        raise ProjectionError("a writer process's batch is read through Writer.rows_of")

    def open_batch(self, positions: Sequence[tuple[str, int]], end: int, by_runs: bool) -> None:
        frame = _framed(("open", [tuple(p) for p in positions], end, by_runs))
        self.submit(lambda: self._send(frame))

    def write(self, steps: list[Step]) -> None:
        frame = _framed(("write", [_plain(*step) for step in steps]))
        self.submit(lambda: self._send(frame))

    def rows_of(
        self, table: Table, columns: Sequence[str], key: str, keys: list[Any]
    ) -> list[tuple[Any, ...]]:
        frame = _framed(("read", str(table.name), list(map(str, columns)), str(key), list(keys)))
        found: list[list[tuple[Any, ...]]] = []
        self.submit(lambda: found.append(self._ask(frame, "rows")))
        self.wait()
        return found[0]

    def close_batch(self) -> None:
        frame = _framed(("close",))
        self.submit(lambda: self._ask(frame, "done"))

    def _send(self, frame: bytes) -> None:
        try:
            self._to.write(frame)
            self._to.flush()
        except OSError:  # (a broken pipe: the child has ended)
            raise self._lost() from None

    def _ask(self, frame: bytes, expected: str) -> Any:
        self._send(frame)
        answer = _received(self._from)
        if answer is None:
            raise self._lost()
        if answer[0] != expected:
            raise _error_of(answer)
        return answer[1] if len(answer) > 1 else None

    def _lost(self) -> BaseException:
        """The child's error, if it gave one before it ended; else ``WriterLost``."""
        with contextlib.suppress(OSError, ValueError, EOFError):
            answer = _received(self._from)
            if answer is not None and answer[0] == "error":
                return _error_of(answer)
        code = self._child.wait()
        return WriterLost(self.pid, f"exit status {code}")

    def _failed(self, error: BaseException) -> None:
        """The child refused a batch (rolled back, it waits for the next) or has ended."""
        if isinstance(error, WriterLost):
            self._roll_back()

    def _roll_back(self) -> None:
        """The end of the child's input: it rolls back a batch left open and ends."""
        with contextlib.suppress(OSError):
            self._to.close()
        try:
            self._child.wait(timeout=_STOP_WAIT)
        except subprocess.TimeoutExpired:  # pragma: no cover - a child that hangs
            self._child.kill()
            self._child.wait()
        self._from.close()


def writer_for(engine: Engine, unindexed: set[str], journal: str, aside: bool) -> WriteBehind:
    """A rebuild's writer: a process (``aside``, and the read models an SQLite file), else a
    thread."""
    if aside and engine.dialect.name == "sqlite" and sqlite_file(engine.url) is not None:
        return WriteAside(engine, unindexed, journal)
    return WriteBehind(engine, unindexed)


def _framed(message: tuple[Any, ...]) -> bytes:
    body = marshal.dumps(message)
    return _LENGTH.pack(len(body)) + body


def _received(stream: IO[bytes]) -> Any:
    """The next frame's message (None: the stream ended)."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    body = stream.read(length)
    if len(body) < length:
        return None
    return marshal.loads(body)


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

    def utf8(c: Column[Any]) -> bool:
        return GIVEN_AS_UTF8 in c.info

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


@lru_cache(maxsize=64)
def _table_of(name: str, described: tuple[tuple[Any, ...], ...]) -> Table:
    return Table(
        name,
        MetaData(),
        *(
            Column(
                n,
                nullable=nullable,
                server_default="?" if default else None,
                primary_key=primary,
                info={GIVEN_AS_UTF8: True} if utf8 else {},
            )
            for n, nullable, default, primary, utf8 in described
        ),
    )


def _error_of(answer: Any) -> BaseException:
    """The child's error as the runner's thread raises it (a refused row: IntegrityError; a
    claim refused: PositionMoved, which the runner answers by reading the positions again)."""
    kind, text = answer[1], answer[2]
    if kind == "IntegrityError":
        return IntegrityError(text, {}, Exception(text))
    if kind == "PositionMoved":
        return PositionMoved()
    return ProjectionError(f"读取模型的写入进程出错 (the rebuild's writer process failed): {text}")


# -- the child ------------------------------------------------------------------------------


def main() -> None:
    """The child: frames from standard input, answers on standard output (``print`` goes to
    standard error, as logging does)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (a Ctrl-C ends the parent: then its input)
    gc.disable()  # (what it makes are lists and tuples freed by their counts)
    into, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    start = _received(into)
    if start is None or start[0] != "start":
        return
    _, path, unindexed, journal = start
    engine = _engine(path, journal)
    steps, conn, failed = BatchSteps(set(unindexed)), None, None
    try:
        while (message := _received(into)) is not None:
            kind = message[0]
            if kind == "open":  # (after a batch the parent gave up on, a new one: begin anew)
                _rolled_back(conn)
                conn, failed = None, None
            elif failed is not None:  # the batch failed: its steps skipped, its end answered
                if kind in ("read", "close"):
                    _answer(out, failed)
                    failed = None
                continue
            try:
                if kind == "open":
                    conn = engine.connect()
                    conn.begin()
                    steps.open(conn, message[1], message[2], message[3])
                elif kind == "write":
                    assert conn is not None
                    steps.write(conn, [_step(metadata.tables, *step) for step in message[1]])
                elif kind == "read":
                    table = metadata.tables[message[1]]
                    with contextlib.ExitStack() as stack:
                        on = conn if conn is not None else stack.enter_context(engine.connect())
                        rows = steps.rows_of(on, table, message[2], message[3], message[4])
                    _answer(out, ("rows", rows))
                elif kind == "close":
                    assert conn is not None
                    steps.close(conn)
                    conn.commit()
                    _rolled_back(conn)
                    conn = None
                    _answer(out, ("done",))
            except Exception as e:  # rolled back; answered at the batch's end (or this read)
                _rolled_back(conn)
                conn, failed = None, ("error", type(e).__name__, str(e))
                if kind in ("read", "close"):
                    _answer(out, failed)
                    failed = None
    finally:
        _rolled_back(conn)
        engine.dispose()


def _rolled_back(conn: Connection | None) -> None:
    """The connection's open transaction rolled back (nothing after a commit) and closed."""
    if conn is not None:
        with contextlib.suppress(Exception):  # (a connection lost: the answer says why)
            conn.rollback()
            conn.close()


def _engine(path: str, journal: str) -> Engine:
    """The file's engine, each connection with a rebuild's settings (``bulk_writing.settle``)."""
    if journal == "memory":
        JOURNAL_IN_MEMORY.add(Path(path))  # (its connections leave the journal alone)
    engine = create_read_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _settled(dbapi_connection: Any, _record: Any) -> None:
        settle(dbapi_connection, journal)

    return engine


def _step(tables: Any, name: str, shape: Sequence[Any], params: Any, *described: Any) -> Step:
    if described:  # (a table not among the read models: its inserts only)
        return _table_of(name, described[0]), INSERT, params
    # (marshal gives the shape's tuples back as tuples: the statement's cache key is the same)
    return tables[name], tuple(shape), params


def _answer(out: IO[bytes], message: tuple[Any, ...]) -> None:
    """Send the parent ``message``."""
    with contextlib.suppress(BrokenPipeError):  # (the parent is gone: so is the answer)
        out.write(_framed(message))
        out.flush()


if __name__ == "__main__":
    main()
