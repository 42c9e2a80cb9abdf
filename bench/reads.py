"""Reading the target registry at size (issue 15 part 2): a lookup by credit code and list pages.

A read-model database of N targets (100,000; quick: 10,000) is filled with rows of the shape
the targets projection writes (inserted directly: this measures reads, not the projection), on
SQLite and, when configured, PostgreSQL. Then, interleaved request by request in a rotated
order, 300 times each: the reference — a bare SQL ``SELECT * FROM rm_targets WHERE code = ?``
through the driver, no SQLAlchemy — and what the service's routes call (``projections.queries``):
``GET /targets?q=<credit code>`` (count and page), ``GET /targets/{code}``, the first list page,
the first page with ``total=exact`` (a count of every target), a keyset page after a random
target (``after=``), the deepest offset page allowed (``MAX_OFFSET``; deeper pages take
``after=``), a page filtered by district and the keyset page after a target within it, pages
filtered by items held by 4 % of the targets and by about ``ITEM_SORTED_UP_TO`` of them (just
under and just over: the two forms of the item filter), and texts inside names through the
trigram index: one target's, a hundred's (per 1,000,000), a quarter's (a district's) and none's.
Figures: p95 of each over p95 of the bare lookup (lower is better), absolute p95 in the detail.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

from projections import queries
from projections.database import create_read_engine
from projections.tables import metadata, target_items, targets

from .common import Config, Figure, PgScratch, pg_params_from_env
from .import_targets import credit_code

DISTRICTS = ["天宁区", "钟楼区", "新北区", "武进区"]
REQUESTS = 300
SAMPLED = ("first page (50), total=exact", "text in one target's name, read by a scan (before)")
# The reads as they were before the trigram index and the item count from the item's index,
# measured in the same run: a text tested on every target along the page index (a page and its
# bounded count), and the bounded count of an item's holders along the page index.
SCAN_TEXT = (
    "SELECT * FROM rm_targets WHERE lower(name) LIKE lower(:p) ESCAPE '\\' "
    "OR lower(code) LIKE lower(:p) ESCAPE '\\' ORDER BY {code}, id LIMIT 50"
)
SCAN_COUNT = (
    "SELECT count(*) FROM (SELECT id FROM rm_targets WHERE lower(name) LIKE lower(:p) "
    "ESCAPE '\\' OR lower(code) LIKE lower(:p) ESCAPE '\\' LIMIT 10001) AS first"
)
ITEM_COUNT_ALONG_THE_PAGES = (
    "SELECT count(*) FROM (SELECT id FROM rm_targets WHERE EXISTS (SELECT 1 FROM "
    "rm_target_items WHERE target_id = rm_targets.id AND item = :i) LIMIT 10001) AS first"
)
# Items beside qsxk (every target): hdcs on 4 % of the targets, hdjs on a 201st (4,975 of
# 1,000,000: sorted, ITEM_SORTED_UP_TO), hdyh on a 199th (5,025: probed along the page index).
ITEMS = {"hdcs": (25, 0), "hdjs": (201, 5), "hdyh": (199, 3)}


def _items(i: int) -> list[str]:
    return ["qsxk", *(item for item, (every, at) in ITEMS.items() if i % every == at)]


def _rows(n: int) -> Iterator[dict[str, Any]]:
    """The rows one at a time (a million rows held at once would be gigabytes)."""
    from ledger.aggregates import id_for

    for i in range(n):
        code = credit_code(i)
        yield (
            {
                "id": str(id_for("target", code)),
                "kind": "enterprise",
                "code": code,
                "name": f"{DISTRICTS[i % 4]}企业{i:07d}有限公司",
                "legal_representative": "张三",
                "address": f"{DISTRICTS[i % 4]}某路{i % 500}号",
                "district": DISTRICTS[i % 4],
                "grid": None,
                "division": "szc",
                "items": _items(i),
                "permit": None,
                "credit_class": "ABCD"[i % 4],
                "risk_flags": [],
                "status": "in_business",
                "person_ref": None,
                "version": 1,
                "position": i + 1,
                "registered_at": "2026-01-19T08:00:00.000000Z",
                "updated_at": "2026-01-19T08:00:00.000000Z",
            }
        )


def _fill(engine: Engine, rows: Iterator[dict[str, Any]]) -> None:
    """The tables filled without their secondary indexes, built once at the end (as a rebuild
    does: ``ProjectionRunner.rebuild``); the text index is kept by its triggers meanwhile."""
    metadata.create_all(engine, tables=[targets, target_items])
    indexes = [index for table in (targets, target_items) for index in table.indexes]
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn, checkfirst=True)
    with engine.begin() as conn:
        while chunk := list(itertools.islice(rows, 5000)):
            conn.execute(insert(targets), chunk)
            held = [{"target_id": r["id"], "item": i} for r in chunk for i in r["items"]]
            conn.execute(insert(target_items), held)
    with engine.begin() as conn:
        for index in indexes:
            index.create(conn, checkfirst=True)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE rm_targets")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def _bare(backend: str, target: Any) -> tuple[Callable[[str], object], Callable[[], None]]:
    if backend == "sqlite":
        db = sqlite3.connect(str(target))
        return (
            lambda code: db.execute("SELECT * FROM rm_targets WHERE code = ?", (code,)).fetchall()
        ), db.close
    import psycopg

    p = target.params
    conn = psycopg.connect(
        host=p["host"], port=p["port"], user=p["user"], password=p["password"], dbname=target.dbname
    )
    return (
        lambda code: conn.execute("SELECT * FROM rm_targets WHERE code = %s", (code,)).fetchall()
    ), conn.close


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def registry_variants(
    engine: Engine, deep: int, text: Callable[[str], str]
) -> dict[str, Callable[[str], object]]:
    """What the service's routes call, each given a credit code: lookups and list pages;
    ``text(code)`` is a text inside one target's name (found through the trigram index);
    ``deep`` the offset of a deep page (at most ``queries.MAX_OFFSET``)."""
    deep = min(deep, queries.MAX_OFFSET)
    return {
        "?q=<credit code>": lambda c: queries.search_targets(engine, q=c),
        "/targets/{code}": lambda c: queries.get_entry(engine, "target", c),
        "first page (50)": lambda c: queries.search_targets(engine),
        "first page (50), total=exact": lambda c: queries.search_targets(engine, total="exact"),
        "keyset page after a target": lambda c: queries.search_targets(engine, after=c),
        "offset page at the bound (10,000)": lambda c: queries.search_targets(engine, offset=deep),
        "page of one district": lambda c: queries.search_targets(engine, district="新北区"),
        "keyset page of one district": lambda c: queries.search_targets(
            engine, district="新北区", after=c
        ),
        "text in one target's name": lambda c: queries.search_targets(engine, q=text(c)),
    }


def _before(engine: Engine, *statements: str, **params: str) -> None:
    """The statements of a read as it was before, one transaction (PostgreSQL: byte order)."""
    code = 'code COLLATE "C"' if engine.dialect.name == "postgresql" else "code"
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement.format(code=code)), params).all()


def _measure(
    engine: Engine, bare: Callable[[str], object], n: int, log: Callable[[str], None]
) -> dict[str, list[float]]:
    rng = random.Random(15)
    drawn = random.Random(16)

    def some(width: int) -> str:  # the number of a random target, its last ``width`` digits cut
        return f"企业{drawn.randrange(n):07d}"[: 9 - width]

    variants: dict[str, Callable[[str], object]] = {
        "bare SQL lookup by code": bare,
        **registry_variants(engine, int(n * 0.9), lambda c: some(0)),
        "page of an item held by 4 %": lambda c: queries.search_targets(engine, item="hdcs"),
        "page of an item of 4,975 per 1,000,000 (sorted)": lambda c: queries.search_targets(
            engine, item="hdjs"
        ),
        "page of an item of 5,025 per 1,000,000 (probed)": lambda c: queries.search_targets(
            engine, item="hdyh"
        ),
        "keyset page of an item held by 4 %": lambda c: queries.search_targets(
            engine, item="hdcs", after=c
        ),
        "text in a hundred names (per 1,000,000)": lambda c: queries.search_targets(
            engine, q=some(2)
        ),
        "text in a quarter of the names": lambda c: queries.search_targets(engine, q="新北区企业"),
        "text in no name": lambda c: queries.search_targets(engine, q="不存在的名称"),
        "text in one target's name, read by a scan (before)": lambda c: _before(
            engine, SCAN_TEXT, SCAN_COUNT, p=f"%{some(0)}%"
        ),
        "count of an item held by 4 % along the page index (before)": lambda c: _before(
            engine, ITEM_COUNT_ALONG_THE_PAGES, i="hdcs"
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for k in range(REQUESTS):
        code = credit_code(rng.randrange(n))
        for name in names[k % len(names) :] + names[: k % len(names)]:
            if name in SAMPLED and k % 10:
                continue  # reads every (matching) row: sampled every 10th request only
            t = time.perf_counter()
            variants[name](code)
            times[name].append(time.perf_counter() - t)
    assert queries.search_targets(engine, q=credit_code(7))["total"] == 1
    assert queries.search_targets(engine, total="exact")["total"] == n
    assert queries.search_targets(engine, q=f"企业{n - 1:07d}")["total"] == 1
    held = queries.search_targets(engine, item="hdjs", total="exact")["total"]
    assert held == len(range(5, n, 201)), held
    log("  " + ", ".join(f"{name} p95 {_p95(v) * 1000:.1f} ms" for name, v in times.items()))
    return times


def run(
    config: Config,
    n: int | None = None,
    backends: list[str] | None = None,
    keep: Path | None = None,
) -> list[Figure]:
    """``keep``: the SQLite read database to fill once and measure on again (not removed)."""
    n = n or (10_000 if config.quick else 100_000)
    figures: list[Figure] = []
    for backend in backends or config.backends():
        if backend == "postgres" and config.pg is None:
            figures.append(Figure("reads", backend, "target reads", skipped=config.pg_skip_reason))
            continue
        config.log(f"  {backend}: {n:,} targets")
        if backend == "sqlite":
            path = keep or config.tmp / f"bench-reads-{random.getrandbits(32):08x}.sqlite"
            filled = keep is not None and keep.exists()
            engine = create_read_engine(f"sqlite:///{path}")
            try:
                if not filled:
                    _fill(engine, _rows(n))
                bare, close = _bare(backend, path)
                times = _measure(engine, bare, n, config.log)
                close()
            finally:
                engine.dispose()
                for suffix in ("", "-wal", "-shm"):
                    if keep is None:
                        path.with_name(path.name + suffix).unlink(missing_ok=True)
        else:
            assert config.pg is not None
            with PgScratch(config.pg) as pg:
                engine = create_read_engine(pg.url())
                try:
                    _fill(engine, _rows(n))
                    bare, close = _bare(backend, pg)
                    times = _measure(engine, bare, n, config.log)
                    close()
                finally:
                    engine.dispose()
        reference = _p95(times.pop("bare SQL lookup by code"))
        for name, values in times.items():
            figures.append(
                Figure(
                    "reads",
                    backend,
                    f"{name} at {n:,} targets: p95 / bare lookup p95",
                    _p95(values) / reference,
                    detail=f"p95 {_p95(values) * 1000:.1f} ms vs bare {reference * 1000:.2f} ms "
                    f"({len(values)} requests)",
                    at_most=True,
                )
            )
    return figures


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.reads --targets 1000000 [--backend postgres] [--tmp DIR] [--keep FILE]``:
    one backend, SQLite by default (PostgreSQL: ``DRAWLEDGER_TEST_PG_*``)."""
    parser = argparse.ArgumentParser(prog="python -m bench.reads", description=__doc__)
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--tmp", help="where the SQLite read database goes")
    parser.add_argument(
        "--keep", help="a SQLite read database to fill once (if missing) and measure on again"
    )
    args = parser.parse_args(argv)
    config = Config.standalone(1, args.tmp)
    if args.backend == "postgres":
        config.pg, config.pg_skip_reason = pg_params_from_env()
    keep = Path(args.keep) if args.keep else None
    for f in run(config, args.targets, [args.backend], keep):
        print(f"{f.measure}\t{f.backend}\t{f.value_text()}\t{f.detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
