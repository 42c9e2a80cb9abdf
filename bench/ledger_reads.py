"""Reads on a built ledger at scale (issues 15 and 12): lookups by credit code, list pages and
the responsibility trail of one target as of a past position, on the read models the service
itself folds from that ledger.

    .venv/bin/python -m bench.ledger_reads --ledger DIR [--requests 300]

``DIR`` is a ledger ``python -m bench.scale --targets N --events M --ledger DIR --steps none``
built (``bench/province.py``: the demo bureau, then ``credit_code(0 … N - 2,001)`` imported by
the divisions' clerks). Its read models are folded once into ``DIR/readmodels.sqlite`` (every
projection rebuilt from the log, timed, against reading the raw log up to the same head) and
reused by later runs. Then, interleaved request by request in a rotated order:

- the registry variants of ``bench/reads.py`` (a lookup by code, ``?q=<credit code>``, the first
  list page, a keyset page, the deepest offset page allowed, a page of one district, a text in
  one target's name through the trigram index), and the
  first list page with ``total=exact`` (a count of every target: what every page did before);
- the trail of a random target (``Trails.of_entity`` as the legal office reads it: the check,
  count, page, touches, policy versions and legal bases) as of a random position between its
  registration and the log's end, and as of a random position before it (the 404 answered).

Figures: p95 (and median) of each over the bare lookup's (a driver-level
``SELECT * FROM rm_targets WHERE code = ?``), with the absolute times beside them; and the
query plans of the page, count and trail queries (``EXPLAIN QUERY PLAN``), printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from .common import sqlite_env
from .import_targets import credit_code
from .province import DEMO_TARGETS
from .reads import _p95, registry_variants


def _read_models(app: Any, directory: Path, log: Any) -> tuple[Any, dict[str, Any]]:
    """The ledger's read models in ``directory``, rebuilt from the log the first time."""
    from projections import open_read_models
    from verify.events import decode_record

    path = directory / "readmodels.sqlite"
    fresh = not path.exists()
    head = int(app.recorder.max_notification_id() or 0)
    rm = open_read_models(app, f"sqlite:///{path}", attach=False, first=1)
    built: dict[str, Any] = {"head": head}
    if fresh:
        started = time.perf_counter()
        last = [started]

        def progress(position: int, end: int) -> None:
            if time.perf_counter() - last[0] > 30:
                last[0] = time.perf_counter()
                log(f"  rebuild: {position:,} / {end:,} ({time.perf_counter() - started:.0f} s)")

        rm.runner.rebuild(progress=progress)
        built["rebuild_s"] = time.perf_counter() - started
        started = time.perf_counter()
        for n in app.notifications(batch=5000, stop=head):
            decode_record(n.state, form_known_good=True)
        built["raw_read_s"] = time.perf_counter() - started
        (directory / "readmodels.json").write_text(json.dumps(built))
    elif (directory / "readmodels.json").exists():
        built = json.loads((directory / "readmodels.json").read_text())
    rm.runner.catch_up()
    return rm, built


def _plans(db: sqlite3.Connection, code: str, as_of: int) -> dict[str, str]:
    def plan(sql: str, *params: object) -> str:
        rows = db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return " | ".join(str(r[-1]) for r in rows)

    return {
        "first page": plan("SELECT * FROM rm_targets ORDER BY code, id LIMIT 50"),
        "bounded count": plan(
            "SELECT count(*) FROM (SELECT id FROM rm_targets WHERE district = ? LIMIT 10001)",
            "新北区",
        ),
        "trail of a target": plan(
            "SELECT * FROM trail_acts WHERE position IN (SELECT position FROM "
            "trail_links WHERE kind = 'target' AND key = ?) AND position <= ? "
            "ORDER BY position LIMIT 50",
            code,
            as_of,
        ),
    }


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


SCANS = ("first page (50), total=exact",)


def run(directory: Path, requests: int, log: Any = _log, *, scans: bool = True) -> dict[str, Any]:
    from ledger.application import LedgerApp
    from ledger.errors import NotFound
    from ledger.keyfile import load_key
    from ledger.registry.authority import official_of
    from projections import queries
    from projections.trail_queries import Trails

    signer = load_key(directory / "ledger.key")
    app = LedgerApp(sqlite_env(directory), signer, signer.name, embedded_sealing=False)
    rm, built = _read_models(app, directory, log)
    engine = rm.engine
    head = int(app.recorder.max_notification_id() or 0)
    db = sqlite3.connect(str(directory / "readmodels.sqlite"))
    (targets,) = db.execute("SELECT count(*) FROM rm_targets").fetchone()
    imported = targets - DEMO_TARGETS  # credit_code(0 … imported - 1), bench/province.py
    trails = Trails(app, engine)
    legal = official_of(app, "szc-legal")
    rng = random.Random(1512)
    deep = int(imported * 0.9)
    missing, current = [0], [0, 0]  # the target's number and the position it was registered at

    def trail(as_of: int) -> object:
        try:
            return trails.of_entity("target", credit_code(current[0]), legal, as_of=as_of)
        except NotFound:  # registered after that position: the 404 the route answers
            missing[0] += 1
            return None

    variants: dict[str, Any] = {
        "bare SQL lookup by code": lambda c: db.execute(
            "SELECT * FROM rm_targets WHERE code = ?", (c,)
        ).fetchall(),
        **registry_variants(engine, deep, lambda c: f"第{current[0]}号"),
        "trail of a target as of a random position after its registration": lambda c: trail(
            rng.randint(current[1], head)
        ),
        "trail of a target as of a position before its registration (404)": lambda c: trail(
            rng.randint(1, current[1] - 1)
        ),
    }
    sampled = {"first page (50), total=exact": 10}
    if not scans:  # the variants that read every (matching) row left out: a quicker run
        variants = {name: v for name, v in variants.items() if name not in SCANS}
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for k in range(requests):
        current[0] = rng.randrange(imported)
        code = credit_code(current[0])
        registered = "SELECT min(position) FROM trail_links WHERE kind = 'target' AND key = ?"
        current[1] = db.execute(registered, (code,)).fetchone()[0]
        for name in names[k % len(names) :] + names[: k % len(names)]:
            if k % sampled.get(name, 1):
                continue  # reads every row: sampled only
            started = time.perf_counter()
            variants[name](code)
            times[name].append(time.perf_counter() - started)
    check = queries.search_targets(engine)
    if targets > queries.COUNTED_UP_TO:
        assert check["total"] is None and check["more_than"] == queries.COUNTED_UP_TO
    else:
        assert check["total"] == targets
    assert queries.search_targets(engine, q=credit_code(7))["total"] == 1
    plans = _plans(db, credit_code(7), head // 2)
    db.close()
    rm.close()
    app.close()
    bare = times.pop("bare SQL lookup by code")
    reference = _p95(bare)
    return {
        "ledger": str(directory),
        "events": head,
        "targets": targets,
        "read_models": built,
        "bare lookup": {"p95_ms": reference * 1000, "median_ms": statistics.median(bare) * 1000},
        "variants": {
            name: {
                "requests": len(v),
                "p95_ms": _p95(v) * 1000,
                "median_ms": statistics.median(v) * 1000,
                "p95_over_bare_p95": _p95(v) / reference,
            }
            for name, v in times.items()
        },
        "trail answers that were a 404 (as_of before the registration)": missing[0],
        "plans": plans,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger_reads", description=__doc__)
    parser.add_argument("--ledger", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--no-scans", action="store_true", help=f"leave out {', '.join(SCANS)}")
    args = parser.parse_args(argv)
    found = run(args.ledger, args.requests, scans=not args.no_scans)
    with contextlib.suppress(BrokenPipeError):
        print(json.dumps(found, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
