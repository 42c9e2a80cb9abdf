"""Where a rebuild's time goes (issues 12 and 15): the CPU time of ``ProjectionRunner.rebuild()``
split by phase and, for the SQL side, by table, in µs an event, beside the raw read's.

    .venv/bin/python -m bench.rebuild_split --targets 20000 [--ledger DIR] [--pragma P]...

Set-up: the demo bureau year of N targets, sealed (``bench/rebuild.py``'s), in ``DIR`` when
given (kept there with its signing key, and reused by the next run with the same ``DIR``), else
in a temporary directory. Then one rebuild of every read model into a fresh SQLite file, from a
ledger application opened afresh, with the runner's steps timed (process CPU time: SQLite runs
in the process, so its C work is in the step that called it):

- ``read``: the checked read through the signed checkpoint (``ProjectionRunner._read``);
- ``handlers <projection>``: a projection's handlers, with the flushes the writer makes when its
  buffer fills (``Writer.flush_every``) while they run;
- ``flush``: every flush; ``insert <table>``: each table's bulk inserts (``executemany`` or
  ``COPY``), the targets' text index by runs (``text index``) included in ``rm_targets``'s and
  shown on its own as well; the rest of ``flush`` is updates and deletes through SQLAlchemy;
- ``reset``: the tables dropped and made again (empty in a new read database; with ``--over``,
  read models caught up with the whole log first, as a service's are when ``drawledger rebuild``
  runs, so their pages are freed here);
- ``commit`` (the driver's commit: on SQLite the WAL's writes and its checkpoints), ``indexes
  at the end``;
- ``batches``: everything a batch's transaction does (claims, handlers, flushes, commit).

The rebuild runs without its writer thread (``projections/write_behind.py``): each step's CPU
is then the process's while the step runs; ``--threaded`` keeps the thread (the steps' figures
then hold what the thread did meanwhile, and the total is both threads').

``--pragma`` runs ``PRAGMA P`` on every connection of the read database (an experiment: e.g.
``cache_size=-65536``). The timers wrap the runner's functions for the run only and are taken
off afterwards. Timings on a loaded machine: compare within one run, or against a base tree run
beside it.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .common import new_signer, record_demo_year, sqlite_env


def _ledger(directory: Path, targets: int) -> Any:
    """The signing key of the demo ledger in ``directory``, built there first if missing."""
    from ledger.application import LedgerApp
    from verify.keys import parse_signer_key

    key = directory / "key.txt"
    if key.exists():
        return parse_signer_key(key.read_text())
    signer = new_signer()
    app = LedgerApp(sqlite_env(directory), signer, signer.name, embedded_sealing=True)
    app.create_ledger()
    app.set_default_policy()
    record_demo_year(app, targets)
    app.seal()
    app.close()
    key.write_text(signer.to_text())
    return signer


class Split:
    """CPU seconds by step, and rows by table."""

    def __init__(self) -> None:
        self.seconds: collections.defaultdict[str, float] = collections.defaultdict(float)
        self.rows: collections.Counter[str] = collections.Counter()
        self._in_handler = False

    def timed(self, step: str, f: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return f(*args, **kwargs)
            finally:
                self.seconds[step] += time.process_time() - started

        return run

    def handlers(self, f: Callable[..., Any]) -> Callable[..., Any]:
        def run(projection: Any, *args: Any) -> Any:
            if self._in_handler:  # a subclass's process calling its base's: timed once
                return f(projection, *args)
            self._in_handler = True
            try:
                return self.timed(f"handlers {projection.name}", f)(projection, *args)
            finally:
                self._in_handler = False

        return run

    def inserts(self, f: Callable[..., Any]) -> Callable[..., Any]:
        def run(conn: Any, table: Any, rows: list[Any], *rest: Any) -> Any:
            from projections.multirow_inserts import Statements

            if isinstance(rows, Statements):  # (the writer thread's) rows laid out as values
                self.rows[table.name] += sum(len(v) for _, v in rows) // len(table.columns)
            else:
                self.rows[table.name] += len(rows)
            return self.timed(f"insert {table.name}", f)(conn, table, rows, *rest)

        return run


@contextlib.contextmanager
def _patched(split: Split) -> Iterator[None]:
    """The runner's steps wrapped in ``split``'s timers, for the block only."""
    from projections import batch_steps, runner, text_runs, tracking
    from projections.tracking import Projection
    from projections.trail import TrailProjection

    run = runner.ProjectionRunner
    targets_name = runner.tables.targets.name
    last, since = batch_steps.TEXT_BY_RUNS[targets_name]
    places: list[tuple[Any, str, Any]] = [
        (run, "_read", split.timed("read", run._read)),
        (run, "_apply", split.timed("batches", run._apply)),
        (run, "_reset", split.timed("reset", run._reset)),
        (run, "positions", split.timed("positions", run.positions)),
        (run, "head", split.timed("head", run.head)),
        (runner, "_create_indexes", split.timed("indexes at the end", runner._create_indexes)),
        (Projection, "process", split.handlers(Projection.process)),
        (TrailProjection, "process", split.handlers(TrailProjection.process)),
        (tracking.Writer, "flush", split.timed("flush", tracking.Writer.flush)),
        (text_runs, "text_by_runs", split.timed("text trigger", text_runs.text_by_runs)),
        (text_runs, "keep_text_by_rows", split.timed("text trigger", text_runs.keep_text_by_rows)),
    ]  # fmt: skip
    for module in (tracking, batch_steps):  # (the live path's and the writers' bulk inserts)
        for name in ("insert_rows", "copy_rows"):
            places.append((module, name, split.inserts(getattr(module, name))))
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in places]
    try:
        for owner, name, wrapped in places:
            setattr(owner, name, wrapped)
        batch_steps.TEXT_BY_RUNS[targets_name] = (last, split.timed("text index", since))
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
        batch_steps.TEXT_BY_RUNS[targets_name] = (last, since)


def measure(
    directory: Path, targets: int, pragmas: list[str], over: bool = False, threaded: bool = False
) -> tuple[int, float, float, Split]:
    """(events, rebuild CPU s, raw read CPU s, the split) of one rebuild of the ledger in
    ``directory``: into a new read database (one batch caught up first, as ``bench/rebuild.py``
    does) or, ``over``, over read models caught up with the whole log (what ``drawledger
    rebuild`` does to a service's read database: its tables dropped first, ``reset``)."""
    from sqlalchemy import event

    from ledger.application import LedgerApp
    from projections import open_read_models

    from .rebuild import _raw_read

    signer = _ledger(directory, targets)
    env = sqlite_env(directory)

    def open_app() -> Any:
        return LedgerApp(env, signer, signer.name, embedded_sealing=True)

    app = open_app()
    events = int(app.recorder.max_notification_id() or 0)
    _, raw = _raw_read(app)
    app.close()
    split = Split()
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        reader = open_app()
        url = f"sqlite:///{Path(tmp) / 'rm.sqlite'}"
        rm = open_read_models(reader, url, attach=False, first=None if over else 1)
        fresh = open_app()
        rm.runner.app = fresh  # nothing vouched for in memory, as after a restart
        rm.runner.write_behind = threaded

        @event.listens_for(rm.engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            for pragma in pragmas:
                dbapi_connection.execute(f"PRAGMA {pragma}")

        rm.engine.dispose()  # the next connection gets the pragmas
        dialect = rm.engine.dialect
        commit = dialect.do_commit
        dialect.do_commit = split.timed("commit", commit)  # type: ignore[method-assign]
        with _patched(split):
            started = time.process_time()
            rm.runner.rebuild()
            cpu = time.process_time() - started
        dialect.do_commit = commit  # type: ignore[method-assign]
        rm.close()
        fresh.close()
        reader.close()
    return events, cpu, raw, split


def report(events: int, cpu: float, raw: float, split: Split) -> list[str]:
    """The split as lines of µs an event (and µs a row for a table's inserts)."""
    per = 1e6 / events
    lines = [
        f"{events:,} events: rebuild {cpu * per:.1f} µs an event of CPU ({events / cpu:,.0f} "
        f"events/s), raw read {raw * per:.1f} µs ({events / raw:,.0f} events/s)"
    ]
    outside = ("read", "batches", "indexes at the end", "reset", "positions", "head")
    rest = cpu - sum(split.seconds[step] for step in outside)
    steps = [*split.seconds.items(), ("the rest (outside the steps above)", rest)]
    for step, seconds in sorted(steps, key=lambda kv: -kv[1]):
        line = f"  {step:40s} {seconds * per:7.1f} µs an event"
        rows = split.rows[step.removeprefix("insert ")] if step.startswith("insert ") else 0
        if rows:
            line += f"  ({rows / events:.2f} rows an event, {seconds / rows * 1e6:.2f} µs a row)"
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild_split", description=__doc__)
    parser.add_argument("--targets", type=int, default=20_000)
    parser.add_argument("--ledger", help="a directory to build the ledger in, or reuse it from")
    parser.add_argument("--pragma", action="append", default=[], help="PRAGMA for the read db")
    parser.add_argument(
        "--over", action="store_true", help="rebuild over read models caught up with the log"
    )
    parser.add_argument(
        "--threaded", action="store_true", help="with the writer thread (steps then overlap)"
    )
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.ledger:
            directory = Path(args.ledger)
            directory.mkdir(parents=True, exist_ok=True)
        else:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        measured = measure(directory, args.targets, args.pragma, args.over, args.threaded)
        for line in report(*measured):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
