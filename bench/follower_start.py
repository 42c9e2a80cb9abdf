"""The service's start with read models from nothing (issue 15: "the service answers within
seconds of starting whatever the ledger's size, with read models catching up in the
background"): how long until the first read is answered, the follower building the SQLite read
models in bulk (``projections/follower.py``, ``ProjectionRunner.rebuild``) against the same run's
follower going batch by batch (its path before session 20, and still its path for a short
backlog), on a demo bureau year of N targets.

    .venv/bin/python -m bench.follower_start --targets 100000 [--repeats 2] [--keep DIR]
    .venv/bin/python -m bench --only followerstart       # 20,000 targets

Per repeat, in rotated order, each from an empty read-model file and a ledger application opened
afresh, as the service starts (``open_read_models(…, first=BATCH)``: one batch in, then the
follower's thread): the clock runs from the follower's start until a read
(``ReadModels.current()``, what every read endpoint calls first) no longer answers
``ReadModelsBehind``: the read models within ``LAG`` events of the head and, on the bulk path,
the rebuild's indexes built (a read waits for them). The figure is the ratio of the two times.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import (
    Config,
    Figure,
    demo_year,
    kept_env,
    median,
    run_on,
    sqlite_env,
)
from .common import spread as spread_of

POLL = 0.1  # seconds between two reads while the read models are behind


@contextlib.contextmanager
def _path(bulk: bool) -> Iterator[None]:
    """The follower's bulk path as shipped, or (``bulk`` False) never taken: a backlog no
    ledger reaches."""
    from projections import follower

    shipped = follower.VOUCHED_BACKLOG
    if not bulk:
        follower.VOUCHED_BACKLOG = sys.maxsize
    try:
        yield
    finally:
        follower.VOUCHED_BACKLOG = shipped


def _ready_after(open_app: Any, url: str, bulk: bool) -> tuple[float, float]:
    """(seconds until the first read is answered, the process's CPU seconds meanwhile)."""
    from projections import open_read_models
    from projections.follower import ReadModelsBehind
    from projections.runner import BATCH

    app = open_app()
    rm = open_read_models(app, url, attach=False, first=BATCH)
    assert rm.follower is not None
    try:
        with _path(bulk):
            wall, cpu = time.perf_counter(), time.process_time()
            rm.follower.start()
            while True:
                try:
                    rm.current()
                    break
                except ReadModelsBehind:
                    time.sleep(POLL)
            seconds = (time.perf_counter() - wall, time.process_time() - cpu)
        error = rm.follower.last_error
        if error is not None:
            raise RuntimeError(f"the follower failed: {error!r}")
    finally:
        rm.close()
        app.close()
    return seconds


def measure(config: Config, targets: int, repeats: int, keep: Path | None = None) -> list[Figure]:
    with (
        tempfile.TemporaryDirectory(dir=config.tmp) as tmp,
        contextlib.nullcontext() if keep else tempfile.TemporaryDirectory(dir=config.tmp) as made,
    ):
        env = kept_env(keep) if keep else sqlite_env(Path(str(made)))
        open_app, events = demo_year(config, env, keep, targets, "follower_start")
        url = f"sqlite:///{Path(tmp) / 'rm.sqlite'}"
        bulk_times, batch_times, ratios = [], [], []
        for repeat in range(repeats):
            times: dict[bool, tuple[float, float]] = {}
            for bulk in (True, False)[:: 1 if repeat % 2 == 0 else -1]:
                for suffix in ("", "-wal", "-shm", ".rebuilding"):
                    Path(tmp, "rm.sqlite" + suffix).unlink(missing_ok=True)
                times[bulk] = _ready_after(open_app, url, bulk)
            (bulk_wall, bulk_cpu), (batch_wall, batch_cpu) = times[True], times[False]
            bulk_times.append(bulk_wall)
            batch_times.append(batch_wall)
            ratios.append(batch_wall / bulk_wall)
            config.log(f"  follower_start repeat {repeat + 1}/{repeats}: in bulk {bulk_wall:.1f} s "
                       f"(CPU {bulk_cpu:.1f} s), batch by batch {batch_wall:.1f} s (CPU "
                       f"{batch_cpu:.1f} s)")  # fmt: skip
    detail = (
        f"{events:,} events ({targets:,} targets, demo year), {repeats} repeats: the first read "
        f"answered after {median(bulk_times):.1f} s in bulk ({events / median(bulk_times):,.0f} "
        f"ev/s), {median(batch_times):.1f} s batch by batch "
        f"({events / median(batch_times):,.0f} ev/s)"
    )
    return [
        Figure("follower_start", "sqlite", f"start from nothing: first read answered, batch by "
               f"batch / in bulk, time ({targets:,} targets)", median(ratios), detail=detail,
               spread=spread_of(ratios)),
        Figure("follower_start", "sqlite", f"start from nothing: first read answered in bulk, "
               f"seconds ({targets:,} targets)", median(bulk_times), "s", detail=detail,
               spread=spread_of(bulk_times)),
    ]  # fmt: skip


def run(config: Config) -> list[Figure]:
    return measure(config, 20_000, config.repeats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.follower_start", description=__doc__)
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--tmp", help="where the SQLite stores go")
    parser.add_argument(
        "--keep",
        type=Path,
        help="record the demo year into this directory the first time and reuse it after (the "
        "same directory as bench.rebuild's --keep; give the same --targets, which labels the "
        "figures)",
    )
    args = parser.parse_args(argv)
    config = Config.standalone(args.repeats, args.tmp)
    targets, repeats, keep = args.targets, args.repeats, args.keep
    return run_on(config, "sqlite", lambda _pg: measure(config, targets, repeats, keep))


if __name__ == "__main__":
    sys.exit(main())
