"""The legal pages' costs (issue 12, parts 3 and 7): the rule findings over the live ledger (a
new position, then one kept) compared with reading and checking the raw log, and one draw's
dispute file as the HTTP zip compared with the directory the CLI writes, then checked offline
— in the same run, in rotated order.

A demo bureau year on SQLite, far smaller than the issue's 1,000,000 events: the figures say how
the costs compare, not whether a goal is met at that size.

    .venv/bin/python -m bench.legal [--quick]
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
from pathlib import Path

from .common import Config, Figure, median, record_demo_year, spread

TARGETS = 1_000


def run(config: Config) -> list[Figure]:
    from ledger.application import LedgerApp
    from ledger.registry.authority import official_of
    from ledger.storage import persistence_env
    from projections import open_read_models
    from projections.dispute import write_dispute
    from projections.dispute_files import DisputeFiles
    from projections.oversight import Oversight
    from verify.dispute import main as verify_dispute
    from verify.keys import SignerKey

    targets = 200 if config.quick else TARGETS
    first, zipped, checked = [], [], []
    absolute: dict[str, list[float]] = {"raw": [], "first": [], "kept": [], "zip": [], "check": []}
    with tempfile.TemporaryDirectory(prefix="drawledger-bench-legal-", dir=config.tmp) as d:
        signer = SignerKey.generate("bench.drawledger/legal")
        env = persistence_env("sqlite:///ledger.sqlite", Path(d))
        app = LedgerApp(env, signer, signer.name, embedded_sealing=True, seal_interval=0)
        key = Path(d) / "ledger.pub"
        key.write_text(str(signer.verifier) + "\n", encoding="utf-8")
        try:
            app.create_ledger()
            app.set_default_policy()
            record_demo_year(app, targets)
            app.seal()
            rm = open_read_models(app, attach=False)
            head = app.recorder.max_notification_id() or 0
            draw = str(next(app.records(topics=["draw.targets_selected"]))[1].envelope["aggregate"])
            legal = official_of(app, "szc-legal")
            for repeat in range(config.repeats):
                times: dict[str, float] = {}
                for variant in ("raw", "audit", "cli", "http")[:: 1 if repeat % 2 == 0 else -1]:
                    start = time.perf_counter()
                    if variant == "raw":
                        for n in app.notifications():
                            app.domain_event(n)
                    elif variant == "audit":
                        oversight = Oversight(app)  # nothing kept yet
                        oversight.findings(legal, head)
                        times["first"] = time.perf_counter() - start
                        start = time.perf_counter()
                        oversight.findings(legal, head)
                        variant = "kept"
                    elif variant == "cli":
                        write_dispute(app, rm.engine, "draw", draw, Path(d) / f"cli{repeat}")
                    else:
                        DisputeFiles(app, rm.engine).archive(legal, "draw", draw)
                    times[variant] = time.perf_counter() - start
                start = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):
                    verdict = verify_dispute([str(Path(d) / f"cli{repeat}"), "--key", str(key)])
                times["check"] = time.perf_counter() - start
                assert verdict == 0, "the dispute file does not verify"
                first.append(times["first"] / times["raw"])
                zipped.append(times["http"] / times["cli"])
                checked.append(times["check"] / times["cli"])
                for name_, value in (
                    ("raw", "raw"),
                    ("first", "first"),
                    ("kept", "kept"),
                    ("zip", "http"),
                ):
                    absolute[name_].append(times[value])
                absolute["check"].append(times["check"])
                config.log(
                    f"  legal repeat {repeat + 1}/{config.repeats}: {head:,} events; raw read "
                    f"{times['raw']:.2f} s, findings {times['first']:.2f} s then "
                    f"{times['kept'] * 1000:.2f} ms; dispute zip {times['http']:.2f} s, "
                    f"directory {times['cli']:.2f} s, check {times['check']:.2f} s"
                )
            rm.close()
        finally:
            app.close()
    detail = (
        f"{head:,} events (demo year, {targets:,} targets), {config.repeats} repeats; raw read "
        f"{median(absolute['raw']):.2f} s, findings at a new position "
        f"{median(absolute['first']):.2f} s (kept: {median(absolute['kept']) * 1000:.2f} ms), "
        f"one draw's dispute zip {median(absolute['zip']):.2f}"
        f" s, its check {median(absolute['check']):.2f} s"
    )
    return [
        Figure("legal", "sqlite", "rule findings at a new position / reading the raw log, time",
               median(first), detail=detail, spread=spread(first)),
        Figure("legal", "sqlite", "one draw's dispute file as the HTTP zip / as the CLI's "
               "directory, time", median(zipped), detail=detail, spread=spread(zipped)),
        Figure("legal", "sqlite", "checking that dispute file offline / writing it, time",
               median(checked), detail=detail, spread=spread(checked)),
    ]  # fmt: skip


if __name__ == "__main__":
    import sys

    from .common import Config as _Config

    quick = "--quick" in sys.argv
    for figure in run(_Config(quick=quick, repeats=1 if quick else 3)):
        print(figure.measure, figure.value_text(), "|", figure.detail)
