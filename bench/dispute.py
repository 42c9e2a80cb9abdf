"""The dispute file of one draw (issue 12, Performance: "a dispute file for one draw written and
checked, each under 2 s"): written (``projections.dispute.write_dispute``) and checked offline
(``verify.dispute.check_dispute``), each against reading and checking the raw log (every stored
record decoded and checked, ``app.domain_event``) in the same run, in rotated order.

A demo bureau year (registry, plans, draws, inspections, publications) on SQLite, of ``--targets``
targets; each repeat takes another draw (one whose targets were selected), so the file holds its
frozen population, the other visits to its targets in their years with their draws, and the
rosters its walks read. The absolute seconds are the goal's figures; the ratios say how the file
compares with the whole log as the ledger grows.

    .venv/bin/python -m bench.dispute [--targets N] [--repeats R] [--tmp DIR] [--keep DIR]
                                      [--no-raw]

Before the repeats it times what the service does when it starts and seals (the proof tiles
kept up, every frozen draw's population checked and kept); each repeat then writes its draw's
file, checks it, and writes it again (every cache warm). ``--no-raw`` skips the reference (the
raw read takes minutes at 1,000,000 events): only the seconds are printed then.

``--keep DIR`` records the demo year into DIR (with its key) the first time and reuses it after,
so that two versions of the code are measured on the same ledger (a 100,000-target year takes
minutes to record).
    .venv/bin/python -m bench --only dispute [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import (
    Config,
    Figure,
    keep_signer,
    kept_env,
    kept_signer,
    median,
    record_demo_year,
    spread,
    sqlite_demo_ledger,
)

TARGETS = 2_000


def run(
    config: Config, targets: int | None = None, keep: Path | None = None, raw: bool = True
) -> list[Figure]:
    from projections import open_read_models
    from projections.dispute import write_dispute
    from verify.dispute import check_dispute

    size = targets or (300 if config.quick else TARGETS)
    ratios: dict[str, list[float]] = {"write": [], "check": []}
    seconds: dict[str, list[float]] = {"write": [], "check": [], "raw": []}
    records: list[int] = []
    warm: list[float] = []
    with tempfile.TemporaryDirectory(prefix="drawledger-bench-dispute-", dir=config.tmp) as d:
        reused = keep is not None and kept_signer(keep) is not None
        if reused:
            assert keep is not None
            app, signer = _kept_ledger(keep)
        else:
            app, signer = sqlite_demo_ledger(keep or Path(d), "dispute")
        try:
            start = time.perf_counter()
            if not reused:
                record_demo_year(app, size)
            built = time.perf_counter() - start
            rm = open_read_models(app, attach=False)
            if not reused:
                rm.runner.rebuild(["trail"])
            if keep is not None and not reused:
                keep_signer(keep, signer)
            head = app.recorder.max_notification_id() or 0
            config.log(f"  dispute: demo year of {size:,} targets, {head:,} events, {built:.0f} s")
            _keep_caches(app, config)
            draws = sorted({e.aggregate for _, e in app.records(topics=["draw.targets_selected"])})
            rng = random.Random(2018)
            for repeat in range(config.repeats):
                draw = rng.choice(draws)
                out = Path(d) / f"dispute-{repeat}"  # never into the kept ledger's directory
                times: dict[str, float] = {"raw": 0.0}
                order = ("raw", "write", "check") if repeat % 2 == 0 else ("write", "check", "raw")
                for step in order if raw else ("write", "check"):
                    start = time.perf_counter()
                    if step == "raw":
                        for n in app.notifications():
                            app.domain_event(n)
                    elif step == "write":
                        manifest = write_dispute(app, rm.engine, "draw", draw, out)
                    else:
                        assert check_dispute(out, signer.verifier).ok, "the file does not verify"
                    times[step] = time.perf_counter() - start
                start = time.perf_counter()  # the same draw's file again: every cache warm
                write_dispute(app, rm.engine, "draw", draw, Path(d) / f"again-{repeat}")
                warm.append(time.perf_counter() - start)
                for step in ("write", "check") if raw else ():
                    ratios[step].append(times[step] / times["raw"])
                for step in seconds:
                    seconds[step].append(times[step])
                records.append(len(manifest["records"]))
                config.log(
                    f"  dispute repeat {repeat + 1}/{config.repeats}: {len(manifest['records'])} "
                    f"records; written {times['write']:.2f} s (again {warm[-1]:.2f} s), checked "
                    f"{times['check']:.2f} s, raw read {times['raw']:.2f} s; load average "
                    f"{os.getloadavg()[0]:.1f}"
                )
            rm.close()
        finally:
            app.close()
    detail = (
        f"{head:,} events (demo year, {size:,} targets), {config.repeats} repeats, one draw "
        f"each ({median([float(r) for r in records]):.0f} records); written in "
        f"{median(seconds['write']):.2f} s (max {max(seconds['write']):.2f}), again (warm) in "
        f"{median(warm):.2f} s (max {max(warm):.2f}), checked in "
        f"{median(seconds['check']):.2f} s (max {max(seconds['check']):.2f}), goal each < 2 s; "
        f"raw read {median(seconds['raw']):.2f} s; load average {os.getloadavg()[0]:.1f}"
    )
    if not raw:
        print(detail)
        return []
    return [
        Figure("dispute", "sqlite", f"dispute file of one draw written / reading the raw log "
               f"({head:,} events), time", median(ratios["write"]), detail=detail,
               spread=spread(ratios["write"])),
        Figure("dispute", "sqlite", f"dispute file of one draw checked / reading the raw log "
               f"({head:,} events), time", median(ratios["check"]), detail=detail,
               spread=spread(ratios["check"])),
    ]  # fmt: skip


def _keep_caches(app: Any, config: Config) -> None:
    """What the service does when it starts and seals (since the caches are built then, not by
    the first dispute file), timed: the proof tiles kept up to the signed size, and every frozen
    draw's kept population checked (converted or folded where need be). Skipped by code that
    has neither (a base measured with this file)."""
    try:
        from ledger.draws.population_keeping import keep_recorded
        from ledger.proof_tiles import ProofTiles
    except ImportError:
        return
    if not hasattr(ProofTiles, "keep_up"):
        return
    latest = app.sealer.latest()
    start = time.perf_counter()
    hashed = ProofTiles(app.sealer).keep_up(latest.size) if latest else 0
    tiles = time.perf_counter() - start
    start = time.perf_counter()
    draws = keep_recorded(app)
    config.log(
        f"  dispute caches: {hashed} proof tiles hashed in {tiles:.2f} s; the populations of "
        f"{draws} frozen draws checked and kept in {time.perf_counter() - start:.2f} s"
    )


def _kept_ledger(directory: Path) -> tuple[Any, Any]:
    """The demo ledger ``--keep`` recorded into ``directory`` before, and its signer."""
    from ledger.application import LedgerApp

    signer = kept_signer(directory)
    assert signer is not None, f"{directory} holds no recorded ledger"
    env = kept_env(directory)
    return LedgerApp(env, signer, signer.name, embedded_sealing=True, seal_interval=0), signer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dispute", description=__doc__)
    parser.add_argument("--targets", type=int, default=TARGETS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tmp", help="where the ledger goes")
    parser.add_argument("--keep", help="a directory to record the ledger into once and reuse")
    parser.add_argument(
        "--no-raw", action="store_true", help="skip the raw read (minutes at 1,000,000 events)"
    )
    args = parser.parse_args(argv)
    config = Config.standalone(args.repeats, args.tmp)
    keep = Path(args.keep) if args.keep else None
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    for figure in run(config, args.targets, keep, raw=not args.no_raw):
        print(figure.measure, figure.value_text(), "|", figure.detail)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
