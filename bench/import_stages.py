"""Where a first import's CPU goes, stage by stage, in the importing process and its helper.

    .venv/bin/python -m bench.import_stages [--rows 30000] [--reimport]

Not a rate and not a ratio: the CPU time (``time.process_time``) of each stage of one import
of the benchmark's generated file (``bench/import_targets.py``: its bureau, its rows) into a new
SQLite ledger, per row, and the helpers' CPU per row: the signing helper's (``/proc/PID/stat``
of the helper process before the import's ledger closes) and the row helper's
(``ledger/registry/checking_ahead.py``: the ended children's ``getrusage``). CPU time moves far
less with the machine's load than wall time does, so two trees can be compared under load; the
stages are timed by wrappers around per-batch (and, for the event building, per-row) functions,
which add about a microsecond to each call. ``--reimport`` imports the same file again and
reports that too.

What it says about a pipeline: on two cores the import's wall time is at least the largest of
the three processes' CPU, and at least half of their sum.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .import_targets import (
    DIVISIONS,
    ITEMS,
    _open_ledger,
    _operator_keeps_registries,
    _row_helper_peaks,
    _rss_mib,
    write_csv,
)

Spent = dict[str, float]


def _timed(spent: Spent, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    clock = time.process_time

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += clock() - started

    return wrapper


def _patch(spent: Spent) -> None:
    """Wrap the stages where the importer looks them up (module attributes)."""
    from ledger.mapper import SigningMapper
    from ledger.registry import bulk, importer, recording, sheets
    from ledger.registry.checking_ahead import RowHelper
    from ledger.registry.digests import ImportDigests

    stages: list[tuple[Any, str, str]] = [
        (bulk, "checked_rows", "checking rows (checked_rows: digest, parse, references)"),
        (importer.current_entries, "current_records", "reading existing entries (current_records)"),
        (importer.bulk, "authorised", "authority (authorised)"),
        (importer.bulk, "planned", "planning changes (planned)"),
        (recording, "_target_change", "building events (_target_change, with _keep)"),
        (recording, "_keep", "  of which: checking a kept row changes nothing (_keep)"),
        (recording, "save_all", "saving (save_all: records, inserts)"),
        (ImportDigests, "of", "  of which (checking): row digests (ImportDigests.of)"),
        (ImportDigests, "known", "  of which (checking): digest lookups (ImportDigests.known)"),
        (ImportDigests, "keep", "keeping row digests (ImportDigests.keep)"),
        (SigningMapper, "sign_ahead", "handing events to the helper (sign_ahead)"),
        (sheets, "_row", "  of which (the rest): a row's cells as fields (sheets._row)"),
        (sheets, "cells_digest", "  of which (the rest): cells' digests (cells_digest)"),
        (RowHelper, "submit", "  of which (the rest): rows to the row helper (submit)"),
        (RowHelper, "answer", "  of which (the rest): its answers (answer: waits included)"),
    ]
    for owner, attribute, name in stages:
        setattr(owner, attribute, _timed(spent, name, getattr(owner, attribute)))


def _helper_cpu(app: Any) -> float:
    """The signing helper's CPU seconds so far (0 if it never started)."""
    process = getattr(app.mapper._encoder, "_process", None)
    if process is None:
        return 0.0
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ended_children_cpu() -> float:
    """The CPU seconds of this process's children that have ended (the row helper of
    ``checking_ahead.py`` ends with its import; the signing helper lives on)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def measure(rows: int, reimport: bool) -> None:
    from api.importing import import_file
    from ledger.actors import SYSTEM
    from ledger.registry.service import Registry

    spent: Spent = defaultdict(float)
    _patch(spent)
    peaks = _row_helper_peaks()
    with tempfile.TemporaryDirectory(prefix="drawledger-import-stages-") as tmp:
        root = Path(tmp)
        csv_path = root / "targets.csv"
        write_csv(csv_path, rows)
        app = _open_ledger(root)
        app.create_ledger()
        app.set_policy(_operator_keeps_registries(), SYSTEM)
        registry = Registry(app)
        for code in DIVISIONS:
            registry.add_division({"code": code, "name": f"处室{code}"}, None)
            for item in ITEMS[code]:
                spec = {"code": item, "name": f"事项{item}", "law": "水法", "article": "第四十八条",
                        "division": code, "object_type": "取水单位"}  # fmt: skip
                registry.register_item(spec, None)
        rounds = ["first import"] + (["unchanged re-import"] if reimport else [])
        for label in rounds:
            spent.clear()
            helper_before, ended_before = _helper_cpu(app), _ended_children_cpu()
            cpu, wall = time.process_time(), time.perf_counter()
            with csv_path.open("rb") as data:
                report = import_file(registry, "targets", data, by=None, source="stages")
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            helper = _helper_cpu(app) - helper_before
            rows_helper = _ended_children_cpu() - ended_before
            print(f"{label}: {report.summary()}")
            print(f"  importing process: {cpu / rows * 1e6:7.1f} µs CPU a row")
            print(f"  signing helper:    {helper / rows * 1e6:7.1f} µs CPU a row")
            print(f"  row helper:        {rows_helper / rows * 1e6:7.1f} µs CPU a row")
            print(f"  wall:              {wall / rows * 1e6:7.1f} µs a row ({rows / wall:,.0f}/s)")
            process = getattr(app.mapper._encoder, "_process", None)
            helper_peak = _rss_mib(process.pid) if process is not None else 0.0
            print(
                f"  peak resident sets: importing process {_rss_mib():,.0f} MiB (set-up "
                f"included), signing helper {helper_peak:,.0f} MiB, row helper "
                f"{max(peaks, default=0.0):,.0f} MiB"
            )
            peaks.clear()
            accounted = 0.0
            for name, seconds in spent.items():
                print(f"    {name}: {seconds / rows * 1e6:.1f}")
                if not name.startswith(" "):
                    accounted += seconds
            rest = (cpu - accounted) / rows * 1e6
            print(f"    the rest (reading the CSV into rows, the import's own loop): {rest:.1f}")
        app.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_stages")
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--reimport", action="store_true")
    args = parser.parse_args(argv)
    measure(args.rows, args.reimport)
    return 0


if __name__ == "__main__":
    sys.exit(main())
