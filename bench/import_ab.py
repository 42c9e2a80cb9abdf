"""The 100,000-target import of two trees, alternately, each in a fresh process: issue 14's
"keeps today's rate" as a ratio measured in one run.

    .venv/bin/python -m bench.import_ab --base DIR [--rows 100000] [--repeats 3]

``DIR`` is another copy of the code (``git archive 752d16c | tar -x -C DIR``: the commit at
which 11,305 targets/s was measured). Each repeat imports the same generated file
(``bench/import_targets.py``'s ``write_csv``) with the base's and with this tree's own
``bench.import_targets.measure_import`` — each tree sets its bureau up and imports the way its
benchmark did — in a fresh interpreter whose ``sys.path`` starts with that tree, in alternating
order (base first in odd repeats). The driver wraps ``api.importing.import_file`` to take, for
each call, the wall time and the CPU time of the importing process and of its helpers (the
signing helper, still running at the end of the call, from ``/proc/PID/stat``; the row helper,
ended with the import, from ``getrusage(RUSAGE_CHILDREN)``). The first call is the import; this
tree's benchmark then re-imports the file unchanged twice (its own caches, then emptied), which
gives the re-import ratio of the same run.

Reported: each repeat's rates and CPU, then the medians and spreads of branch / base (wall
rate, and CPU a row of the importing process and of all three processes), and of the import /
unchanged re-import. Not a test and not part of ``python -m bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .common import median, spread
from .import_targets import write_csv

# Run in the fresh interpreter with the tree first on sys.path; argv: csv, directory.
_DRIVER = r"""
import json, os, resource, sys, time
from pathlib import Path


def children_cpu():
    live = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid():
                live += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    return live + ended.ru_utime + ended.ru_stime


import api.importing
from bench import import_targets

calls = []
original = api.importing.import_file


def import_file(*args, **kwargs):
    own, helpers, wall = time.process_time(), children_cpu(), time.perf_counter()
    try:
        return original(*args, **kwargs)
    finally:
        calls.append(
            {
                "wall": time.perf_counter() - wall,
                "own_cpu": time.process_time() - own,
                "helpers_cpu": children_cpu() - helpers,
            }
        )


api.importing.import_file = import_file
got = import_targets.measure_import(sys.argv[1], sys.argv[2])
print(json.dumps({"calls": calls, "seconds": got["seconds"]}))
"""


def _run(tree: Path, csv_path: Path, directory: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(csv_path), str(directory)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the import in {tree} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _figures(name: str, values: list[float]) -> str:
    low, high = spread(values)
    return f"{name} {median(values):.2f}× ({low:.2f}–{high:.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_ab")
    parser.add_argument("--base", type=Path, required=True, help="the other tree's directory")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tmp", type=Path, default=None, help="where the scratch files go")
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parent.parent
    base = args.base.resolve()
    rows = args.rows
    ratios: dict[str, list[float]] = {"wall": [], "own": [], "all": [], "reimport": []}
    with tempfile.TemporaryDirectory(prefix="drawledger-import-ab-", dir=args.tmp) as tmp:
        root = Path(tmp)
        csv_path = root / "targets.csv"
        write_csv(csv_path, rows)
        for repeat in range(args.repeats):
            order = [("base", base), ("branch", here)]
            if repeat % 2:
                order.reverse()
            got: dict[str, dict[str, Any]] = {}
            for label, tree in order:
                directory = root / f"{label}-{repeat}"
                directory.mkdir()
                got[label] = _run(tree, csv_path, directory)
                first = got[label]["calls"][0]
                own, helpers = first["own_cpu"], first["helpers_cpu"]
                line = (
                    f"repeat {repeat + 1} {label:6}: {rows / first['wall']:7,.0f} targets/s, "
                    f"CPU a row: importing {own / rows * 1e6:6.1f} µs, helpers "
                    f"{helpers / rows * 1e6:6.1f} µs, all {(own + helpers) / rows * 1e6:6.1f} µs"
                )
                if len(got[label]["calls"]) > 1:
                    again = got[label]["calls"][1]
                    line += (
                        f"; re-import {again['wall']:.1f} s (CPU {again['own_cpu']:.1f} + "
                        f"{again['helpers_cpu']:.1f} s), import / re-import "
                        f"{first['wall'] / again['wall']:.2f}×"
                    )
                print(line, f"(load {os.getloadavg()[0]:.1f})", flush=True)
            a, b = got["base"]["calls"][0], got["branch"]["calls"][0]
            ratios["wall"].append(a["wall"] / b["wall"])
            ratios["own"].append(a["own_cpu"] / b["own_cpu"])
            all_a, all_b = a["own_cpu"] + a["helpers_cpu"], b["own_cpu"] + b["helpers_cpu"]
            ratios["all"].append(all_a / all_b)
            if len(got["branch"]["calls"]) > 1:
                ratios["reimport"].append(b["wall"] / got["branch"]["calls"][1]["wall"])
    print(
        "branch / base: "
        + _figures("rate (wall)", ratios["wall"])
        + "; "
        + _figures("CPU a row, importing process (base / branch)", ratios["own"])
        + "; "
        + _figures("CPU a row, all three (base / branch)", ratios["all"])
    )
    if ratios["reimport"]:
        print("branch: " + _figures("import / unchanged re-import, wall", ratios["reimport"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
