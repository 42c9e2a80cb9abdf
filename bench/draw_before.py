"""A whole draw through the API now, against the same draw before issue 10 ("Draws no insider can
steer"), measured in the same run (issue 10's Performance target: within 1.2×, checks included).

    .venv/bin/python -m bench --only drawbefore [--quick]

"Before" is the tree of ``BEFORE``, the last commit before issue 10's draws (no entropy
commitments, no sealed nonce, no plan bounds, no checked reader); "now" is this tree. Both run
their own ``bench/draw_api.py`` (``--only draw``, ``DRAWS_PER_CHILD`` draws each, reporting their
median) in a child process, so each builds its own demo registry of the same size and times
freeze + reveal + select + assign through the API; the children alternate (before, now, now,
before, …; one pair per repeat) so that load drifting over the run falls on both. The figure is
now / before of the children's medians, pair by pair.

Needs git and the repository's history (``git archive``); reported as skipped without them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from .common import Config, Figure, median, rotate, spread

BEFORE = "d93d3f4"  # the parent of 536754d, issue 10's first change to draws
DRAWS_PER_CHILD = 5
ROOT = Path(__file__).resolve().parents[1]
_WHOLE = re.compile(r"whole draw ([0-9.]+) s \(")


def _extract(into: Path) -> Path | None:
    """The ``BEFORE`` tree, unpacked into ``into``; None without git or the commit."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", BEFORE],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    tree = into / "before"
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def _whole_draw(tree: Path, config: Config) -> tuple[float, str]:
    """One child run of ``tree``'s draw benchmark: (whole draw seconds, its detail line)."""
    command = [sys.executable, "-m", "bench", "--only", "draw"]
    command += ["--repeats", str(DRAWS_PER_CHILD)]
    command += ["--quick"] if config.quick else []
    command += ["--tmp", str(config.tmp)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    found = _WHOLE.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{tree.name}: the draw benchmark failed: {done.stdout[-2000:]}")
    detail = next(line for line in done.stdout.splitlines() if "registry of" in line)
    return float(found.group(1)), detail.split(":", 1)[1].strip()


def run(config: Config) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="drawledger-bench-before-", dir=config.tmp) as d:
        before_tree = _extract(Path(d))
        if before_tree is None:
            return [Figure("drawbefore", "sqlite", "whole draw now / before", skipped="no git")]
        trees = {"before": before_tree, "now": ROOT}
        seconds: dict[str, list[float]] = {"before": [], "now": []}
        details: dict[str, str] = {}
        for repeat in range(config.repeats):
            for name in rotate(["before", "now"], repeat):
                value, details[name] = _whole_draw(trees[name], config)
                seconds[name].append(value)
                config.log(f"  {name}: whole draw {value:.2f} s")
    ratios = [n / b for n, b in zip(seconds["now"], seconds["before"], strict=True)]
    detail = (
        f"whole draw (freeze+reveal+select+assign) now {median(seconds['now']):.2f} s, before "
        f"{BEFORE} {median(seconds['before']):.2f} s (medians of {config.repeats} child runs "
        f"each, alternating, each the median of {DRAWS_PER_CHILD} draws); now: {details['now']}"
    )
    return [
        Figure(
            "drawbefore",
            "sqlite",
            "whole draw through the API, now / before issue 10 (same run)",
            median(ratios),
            target=1.2,
            at_most=True,
            detail=detail,
            spread=spread(ratios),
        )
    ]
