"""Rebuilding every read model (issues 12 and 15, Performance: ≥ 20,000 events/s), compared in
the same run with reading the raw log, and the trail of one target as of a past position
(issue 12: goal ≤ 50 ms p95), on a demo bureau year of N targets.

    .venv/bin/python -m bench.rebuild --targets 100000 [--backend sqlite|postgres] [--repeats 2]
                                      [--keep DIR]  # record the year once, reuse it after
    .venv/bin/python -m bench --only rebuild [--quick]      # 20,000 targets (quick: 2,000)

Set-up: the demo bureau (``ledger.demo.bureau``) with N targets, 60 inspectors and a year of
plans, draws, inspections and publications, sealed. Then, per repeat, in rotated order:

- **raw read**: every stored record read and decoded (``decode_record``, no check): the floor
  of anything that reads the log;
- **checked read**: the rebuild's own read, through the signed checkpoint (``_checked_read``),
  from a ledger application opened afresh: its CPU time against the raw read's is the read's
  share of the gap;
- **rebuild**: ``ProjectionRunner.rebuild()`` of every read model into a fresh read database
  (SQLite: a new file; PostgreSQL: the ledger's database, as the service keeps them), from a
  ledger application opened afresh (nothing vouched for in memory, as after a restart).

Both are given as events/s of wall time and of the CPU time of the process and its children
(on SQLite the whole rebuild runs in the process, or in it and its writer process,
``projections/write_aside.py``; on PostgreSQL the server's share is not in it); the figure is the
ratio of the wall times. Then QUERIES trail questions (``Trails.of_entity``: count, page,
links, policy versions) for a random organisation as of a random position in the log's second
half: median and p95.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import (
    Config,
    Figure,
    PgScratch,
    demo_year,
    kept_env,
    maybe_pg,
    median,
    run_on,
)
from .common import spread as spread_of
from .common import store as store_of

QUERIES = 200


def _raw_read(app: Any) -> tuple[float, float]:
    from verify.events import decode_record

    wall, cpu = time.perf_counter(), time.process_time()
    for n in app.notifications(batch=5000):
        decode_record(n.state, form_known_good=True)
    return time.perf_counter() - wall, time.process_time() - cpu


def _checked_read(app: Any) -> tuple[float, float]:
    """The rebuild's own read: the log through the signed checkpoint, a page at a time, each
    record checked and made the view the handlers are given (``ProjectionRunner._read``)."""
    from projections.event_view import view_of

    wall, cpu = time.perf_counter(), time.process_time()
    for page in app.record_pages(batch=5000):
        for _, event, _ in page:
            view_of(event)
    return time.perf_counter() - wall, time.process_time() - cpu


def _children_cpu() -> float:
    """The CPU time of this process's children that ended (a rebuild's writer process)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _rebuild(open_app: Any, url: str | None) -> tuple[float, float, float, float]:
    """(wall, the process's CPU, the runner's own thread's CPU, the writer process's CPU) of
    one rebuild: on SQLite the rest of the process's CPU is the writer thread's
    (``projections/write_behind.py``), or the sender's beside the writer process
    (``projections/write_aside.py``)."""
    from projections import open_read_models

    reader = open_app()
    rm = open_read_models(reader, url, attach=False, first=1)
    fresh = open_app()
    rm.runner.app = fresh  # nothing vouched for in memory, as after a restart
    wall, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
    children = _children_cpu()
    rm.runner.rebuild()
    seconds = (
        time.perf_counter() - wall,
        time.process_time() - cpu,
        time.thread_time() - own,
        _children_cpu() - children,
    )
    rm.close()
    fresh.close()
    reader.close()
    return seconds


def _trail_latencies(open_app: Any, url: str | None, rng: random.Random) -> list[float]:
    from ledger.errors import NotFound
    from ledger.registry.authority import official_of
    from projections import open_read_models
    from projections.trail_queries import Trails

    app = open_app()
    rm = open_read_models(app, url, attach=False)
    head = int(app.recorder.max_notification_id() or 0)
    payloads = (
        app.checked(n, "bench").envelope["payload"]
        for n in app.notifications(topics=["target.registered"])
    )
    # Organisations, by their 18-character credit code (projects have other keys).
    codes = [c for p in payloads if len(c := str(p.get("code"))) == 18]
    trails, legal = Trails(app, rm.engine), official_of(app, "szc-legal")
    assert legal is not None, "the demo bureau has its legal office's szc-legal"
    latencies = []
    for code in rng.sample(codes, min(QUERIES, len(codes))):
        as_of = rng.randint(head // 2, head)
        started = time.perf_counter()
        with contextlib.suppress(NotFound):  # registered after as_of: a 404
            trails.of_entity("target", code, legal, as_of=as_of)
        latencies.append(time.perf_counter() - started)
    rm.close()
    app.close()
    return latencies


def measure(
    config: Config,
    backend: str,
    pg: PgScratch | None,
    targets: int,
    repeats: int,
    keep: Path | None = None,
) -> list[Figure]:
    with (
        contextlib.nullcontext(kept_env(keep)) if keep else store_of(config, backend, pg) as env,
        tempfile.TemporaryDirectory(dir=config.tmp) as tmp,
    ):
        open_app, events = demo_year(config, env, keep, targets, f"rebuild/{backend}")
        url = f"sqlite:///{Path(tmp) / 'rm.sqlite'}" if backend == "sqlite" else None
        ratios, rates, cpu_rates, raw_rates, raw_cpu_rates = [], [], [], [], []
        read_ratios = []
        for repeat in range(repeats):
            times: dict[str, tuple[float, ...]] = {}
            for variant in ("raw", "checked", "rebuild")[:: 1 if repeat % 2 == 0 else -1]:
                if variant in ("raw", "checked"):
                    reader = open_app()
                    times[variant] = (_raw_read if variant == "raw" else _checked_read)(reader)
                    reader.close()
                else:
                    if url is not None:
                        for suffix in ("", "-wal", "-shm"):
                            Path(tmp, "rm.sqlite" + suffix).unlink(missing_ok=True)
                    times["rebuild"] = _rebuild(open_app, url)
            (wall, cpu, own, child), (raw, raw_cpu) = times["rebuild"], times["raw"]
            ratios.append(wall / raw)
            read_ratios.append(times["checked"][1] / raw_cpu)
            rates.append(events / wall)
            cpu_rates.append(events / (cpu + child))
            raw_rates.append(events / raw)
            raw_cpu_rates.append(events / raw_cpu)
            config.log(f"  rebuild/{backend} repeat {repeat + 1}/{repeats}: rebuild "
                       f"{events / wall:,.0f} ev/s (CPU {events / (cpu + child):,.0f}: the "
                       f"runner's thread {own:.2f} s, its other threads {cpu - own:.2f} s, the "
                       f"writer process {child:.2f} s), raw read "
                       f"{events / raw:,.0f} ev/s (CPU {events / raw_cpu:,.0f}), checked read "
                       f"{read_ratios[-1]:.2f}× the raw read's CPU")  # fmt: skip
        latencies = [v * 1000 for v in _trail_latencies(open_app, url, random.Random(2018))]
    p95 = sorted(latencies)[int(0.95 * len(latencies))]
    where = f"{events:,} events ({targets:,} targets, demo year), {repeats} repeats"
    detail = (
        f"{where}: rebuild {median(rates):,.0f} ev/s (CPU {median(cpu_rates):,.0f}), raw read "
        f"{median(raw_rates):,.0f} ev/s (CPU {median(raw_cpu_rates):,.0f}), checked read "
        f"{median(read_ratios):.2f}× the raw read's CPU time"
    )
    return [
        Figure("rebuild", backend, f"rebuild every read model, events/s ({targets:,} targets)",
               median(rates), "ev/s", target=20_000, detail=detail, spread=spread_of(rates)),
        Figure("rebuild", backend, f"rebuild every read model / reading the raw log, time "
               f"({targets:,} targets)", median(ratios), detail=detail,
               spread=spread_of(ratios)),
        Figure("rebuild", backend, f"reading through the signed checkpoint / the raw log, CPU "
               f"time ({targets:,} targets)", median(read_ratios), target=2, at_most=True,
               detail=detail, spread=spread_of(read_ratios)),
        Figure("rebuild", backend, f"trail of one target as of a past position, p95 ms "
               f"({targets:,} targets)", p95, "ms", target=50, at_most=True,
               detail=f"{where}: {len(latencies)} queries, median "
               f"{statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms"),
    ]  # fmt: skip


def run(config: Config) -> list[Figure]:
    targets = 2_000 if config.quick else 20_000
    figures = measure(config, "sqlite", None, targets, config.repeats)
    with maybe_pg(config) as pg:
        if pg is not None:
            figures += measure(config, "postgres", pg, targets, config.repeats)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild", description=__doc__)
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--tmp", help="where the SQLite stores go")
    parser.add_argument(
        "--keep",
        type=Path,
        help="record the demo year into this directory the first time and reuse it after "
        "(SQLite; a million targets take ~8 minutes to record; give the same --targets, which "
        "labels the figures)",
    )
    args = parser.parse_args(argv)
    if args.keep is not None and args.backend != "sqlite":
        parser.error("--keep keeps an SQLite ledger")
    config = Config.standalone(args.repeats, args.tmp)
    backend, targets, repeats = args.backend, args.targets, args.repeats
    keep = args.keep
    return run_on(config, backend, lambda pg: measure(config, backend, pg, targets, repeats, keep))


if __name__ == "__main__":
    sys.exit(main())
