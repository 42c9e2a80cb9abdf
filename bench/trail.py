"""The responsibility trail (issue 12, Performance): rebuilding its read model compared with
reading the raw log, a trail query for one target as of a past position compared with looking
one registry entry up, and the dispute file of one draw written and checked (issue 12's goal:
each under 2 s) compared with reading the raw log, in the same run, in rotated order.

A demo bureau year (registry, plans, draws, inspections, publications) on SQLite. Far smaller
than the issue's 1,000,000 events: the figures say how the trail's costs compare, not whether
the goal is met at that size.

    .venv/bin/python -m bench.trail [--quick]
"""

from __future__ import annotations

import contextlib
import random
import statistics
import tempfile
import time
from pathlib import Path

from .common import Config, Figure, median, record_demo_year, spread, sqlite_demo_ledger

TARGETS = 2_000
QUERIES = 200  # per repeat and variant


def run(config: Config) -> list[Figure]:
    from ledger.errors import NotFound
    from ledger.registry.authority import official_of
    from projections import open_read_models, queries
    from projections.dispute import write_dispute
    from projections.trail_queries import Trails
    from verify.dispute import check_dispute

    targets = 300 if config.quick else TARGETS
    rebuild: list[float] = []
    trail_ms: list[list[float]] = []
    entry_ms: list[list[float]] = []
    dispute: list[float] = []
    dispute_s: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="drawledger-bench-trail-", dir=config.tmp) as d:
        app, signer = sqlite_demo_ledger(Path(d), "trail")
        try:
            record_demo_year(app, targets)
            rm = open_read_models(app, attach=False)
            head = app.recorder.max_notification_id() or 0
            payloads = (
                app.checked(s, "bench").envelope["payload"]
                for s in app.notifications(topics=["target.registered"])
            )
            # Organisations, by their 18-character credit code (projects have other keys).
            codes = sorted(c for p in payloads if len(c := str(p.get("code"))) == 18)
            trails = Trails(app, rm.engine)
            legal = official_of(app, "szc-legal")
            rng = random.Random(2018)
            for repeat in range(config.repeats):
                times = {}
                for variant in ("raw", "trail")[:: 1 if repeat % 2 == 0 else -1]:
                    start = time.perf_counter()
                    if variant == "raw":
                        for n in app.notifications():
                            app.domain_event(n)
                    else:
                        rm.runner.rebuild(["trail"])
                    times[variant] = time.perf_counter() - start
                rebuild.append(times["trail"] / times["raw"])
                draws = [e.aggregate for _, e in app.records(topics=["draw.targets_selected"])]
                out = Path(d) / f"dispute-{repeat}"
                start = time.perf_counter()
                write_dispute(app, rm.engine, "draw", rng.choice(draws), out)
                written = time.perf_counter() - start
                start = time.perf_counter()
                assert check_dispute(out, signer.verifier).ok
                checked = time.perf_counter() - start
                dispute.append((written + checked) / times["raw"])
                dispute_s.append((written, checked))
                sample = rng.sample(codes, min(QUERIES, len(codes)))
                lat_trail, lat_entry = [], []
                for code in sample:
                    as_of = rng.randint(head // 2, head)
                    start = time.perf_counter()
                    with contextlib.suppress(NotFound):  # registered after as_of: a 404
                        trails.of_entity("target", code, legal, as_of=as_of)
                    lat_trail.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    queries.get_entry(rm.engine, "target", code)
                    lat_entry.append(time.perf_counter() - start)
                trail_ms.append([v * 1000 for v in lat_trail])
                entry_ms.append([v * 1000 for v in lat_entry])
                config.log(
                    f"  trail repeat {repeat + 1}/{config.repeats}: {head:,} events, rebuild "
                    f"{times['trail']:.2f} s vs raw read {times['raw']:.2f} s; query median "
                    f"{statistics.median(lat_trail) * 1000:.1f} ms"
                )
            rm.close()
        finally:
            app.close()
    pairs = zip(trail_ms, entry_ms, strict=True)
    medians = [statistics.median(t) / statistics.median(e) for t, e in pairs]
    entry = median([statistics.median(e) for e in entry_ms])
    p95 = [sorted(t)[int(0.95 * len(t))] for t in trail_ms]
    detail = (
        f"{head:,} events (demo year, {targets:,} targets), {config.repeats} repeats; trail query "
        f"median {median([statistics.median(t) for t in trail_ms]):.1f} ms, p95 "
        f"{median(p95):.1f} ms; one registry entry {entry:.1f} ms; dispute file of one draw "
        f"written in {median([w for w, _ in dispute_s]):.2f} s, checked in "
        f"{median([c for _, c in dispute_s]):.2f} s"
    )
    return [
        Figure("trail", "sqlite", "rebuilding the trail / reading the raw log, time",
               median(rebuild), detail=detail, spread=spread(rebuild)),
        Figure("trail", "sqlite", "trail of one target as of a past position / one registry "
               "entry, median latency", median(medians), detail=detail, spread=spread(medians)),
        Figure("trail", "sqlite", "dispute file of one draw written and checked / reading the "
               "raw log, time", median(dispute), detail=detail, spread=spread(dispute)),
    ]  # fmt: skip


if __name__ == "__main__":
    import sys

    from .common import Config as _Config

    quick = "--quick" in sys.argv
    for figure in run(_Config(quick=quick, repeats=1 if quick else 3)):
        print(figure.measure, figure.value_text(), "|", figure.detail)
