"""The child of a rebuild's writer process (``write_aside.py``): ``python -m
projections.writer_process FD``, served by ``ledger/helper_process.py``.

Each message is answered once done (``helper_process.serve``): ``start`` (the read-model file,
the tables not indexed yet, the file's journal) opens an engine whose connections have a
rebuild's settings (``bulk_writing.settle``); ``open`` begins a batch's transaction and claims
its positions; ``write`` does its steps (``batch_steps.BatchSteps``: each run of inserts laid
out here as SQLite's multi-row statements); ``read`` answers a handler's read; ``close``
commits. A step that fails rolls its batch back and is answered with the error (the parent
then sends no more of that batch); the next ``open`` begins another. The end of the input (the
rebuild ended, failed, or its process died) rolls back a batch left open, and the child ends.
This module is not imported by the package (``python -m`` would then run a second copy of it).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from functools import lru_cache
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, event

from ledger import helper_process

from .batch_steps import INSERT, BatchSteps, Step
from .bulk_writing import settle
from .database import JOURNAL_IN_MEMORY, create_read_engine
from .tables import GIVEN_AS_UTF8, metadata


class Batches:
    """The child's work: each message a method of ``BatchSteps`` (made by ``start``); a step
    that fails rolls the batch back before its error is answered."""

    def __init__(self) -> None:
        self.steps: BatchSteps | None = None

    def __call__(self, message: Sequence[Any]) -> Any:
        kind, *args = message
        if kind == "start":
            path, unindexed, journal = args
            self.steps = BatchSteps(_engine(path, journal), set(unindexed))
            return None
        steps = self.steps
        assert steps is not None, "a writer process is started first"
        try:
            if kind == "open":
                return steps.open(*args)
            if kind == "write":
                return steps.write([_step(*step) for step in args[0]])
            if kind == "read":
                return steps.rows_of(metadata.tables[args[0]], *args[1:])
            if kind == "close":
                return steps.close()
            raise ValueError(f"a writer process has no step {kind!r}")
        except BaseException:
            steps.roll_back()
            raise


def _engine(path: str, journal: str) -> Engine:
    """The file's engine, each connection with a rebuild's settings (``bulk_writing.settle``)."""
    if journal == "memory":
        JOURNAL_IN_MEMORY.add(Path(path))  # (its connections leave the journal alone)
    engine = create_read_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _settled(dbapi_connection: Any, _record: Any) -> None:
        settle(dbapi_connection, journal)

    return engine


def _step(name: str, shape: Sequence[Any], params: Any, *described: Any) -> Step:
    if described:  # (a table not among the read models: its inserts only)
        return _table_of(name, described[0]), INSERT, params
    # (marshal gives the shape's tuples back as tuples: the statement's cache key is the same)
    return metadata.tables[name], tuple(shape), params


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


def main(pipe: Pipe) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (a Ctrl-C ends the parent: then the input)
    batches = Batches()
    try:
        helper_process.serve(pipe, batches)
    finally:
        if batches.steps is not None:
            batches.steps.end()
            batches.steps.engine.dispose()


if __name__ == "__main__":
    main(Pipe(int(sys.argv[1])))
