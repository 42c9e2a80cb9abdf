"""What the rules of authority cost (issue 11, "Performance"): the import's per-row authority
check, and the verifier's authority replay.

One ledger per repeat and variant, on SQLite (embedded sealing as ``drawledger`` opens it) and
on PostgreSQL when one is configured (a scratch database, reset for each): the bureau's
divisions and items, a clerk of 工管处 (``gqc``), then the clerk imports a CSV of ``ROWS``
(100,000, the issue's size; 2,000 with ``--quick``) ``gqc`` targets through
``api.importing.import_file`` (the HTTP route's and the CLI's path). Interleaved, in rotated
order:

- ``checked``: the import as it runs, every row through ``registry.authority.authorise``
  (against the entry's current owner and the row's division);
- ``unchecked``: the same import with ``authorise`` replaced in the import engine by a stub
  that returns the clerk's actor at once (what the import would cost with no authority check).

The figure is checked / unchecked (rows per second): at most 5 % slower is ≥ 0.95×. Each
timed import runs in a fresh spawned process, as the
import benchmark's do: run one after the other in the benchmark's own process, each import
inherited the heap, caches and collector state the earlier ones left, and the variants differ
by far less than that (the check is one ``authorise`` per distinct (owner, division) of a file,
then a dictionary lookup per row, in both variants alike).

A ledger of ``VERIFY_ROWS`` rows imported the same way (SQLite, untimed) is then exported, and
the bundle verified: ``verify`` (``verify_bundle(jobs=1)``, the authority replay included,
judging every row's act by the clerk) and ``no replay`` (the same with ``AuthorityReplay.add``
stubbed), each run timed between two runs of the reference (bare Ed25519 over every event's
digest, one core), in CPU and wall time, as ``bench/verify_rate.py`` times the verifier.
Figures: verify / the mean of the reference runs beside it (the issue's ≥ 0.75× bare Ed25519
on one core), in CPU time and in wall clock, and verify / no replay repeat by repeat, in CPU
time (what the replay itself costs).
"""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .common import Config, Figure, PgScratch, in_fresh_process, maybe_pg, median, rotate, spread
from .import_targets import DISTRICTS, credit_code

if TYPE_CHECKING:
    pass

DIVISION, ITEM = "gqc", "hdjs"
CLERK = "bench-clerk"
ROWS = 100_000  # the import ("the 100,000-target import")
VERIFY_ROWS = 20_000  # the bundle the verifier's figures are measured on


def _write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["统一社会信用代码", "名称", "类型", "所属区", "责任处室", "抽查事项"])
        for n in range(count):
            district = DISTRICTS[n % len(DISTRICTS)]
            name = f"常州市{district}第{n}号水利工程建设有限公司"
            writer.writerow([credit_code(n), name, "企业", district, DIVISION, ITEM])


def _bureau(directory: Path, pg: PgScratch | None) -> Any:
    from bench.common import new_signer, sqlite_env
    from ledger.application import LedgerApp
    from ledger.registry.service import Registry

    if pg is None:
        directory.mkdir(parents=True, exist_ok=True)
        env = sqlite_env(directory)
    else:
        pg.reset()
        env = pg.env()
    signer = new_signer()
    app = LedgerApp(env, signer, signer.name)  # SQLite seals its own log; PostgreSQL a follower
    app.create_ledger()
    app.set_default_policy()
    registry = Registry(app)
    registry.add_division({"code": DIVISION, "name": "工管处"}, None)
    item = {
        "code": ITEM,
        "name": "河道管理范围内建设项目检查",
        "law": "中华人民共和国河道管理条例",
        "article": "第十一条",
        "division": DIVISION,
        "object_type": "建设单位",
    }
    official = {"code": CLERK, "name": "办事员", "division": DIVISION, "roles": ["clerk"]}
    registry.register_official(official, None)
    registry.register_item(item, CLERK)
    return app, registry


def _import(
    csv_path: Path, directory: Path, checked: bool, pg: PgScratch | None = None
) -> tuple[float, Any]:
    """Import the CSV as the clerk; (seconds, the app, open)."""
    import ledger.registry.bulk as bulk
    from api.importing import import_file
    from ledger.actors import Actor

    app, registry = _bureau(directory, pg)
    original = bulk.authorise
    if not checked:
        clerk = Actor(CLERK, "clerk", DIVISION)
        bulk.authorise = lambda *args, **kwargs: clerk  # type: ignore[assignment]
    try:
        data = csv_path.read_bytes()
        started = time.perf_counter()
        result = import_file(registry, "targets", data, by=CLERK, source="bench")
        seconds = time.perf_counter() - started
    finally:
        bulk.authorise = original  # type: ignore[assignment]
    if result.problems or result.recorded != result.total:
        raise RuntimeError(f"the import did not record every row: {result.summary()}")
    return seconds, app


def _timed_import(csv_path: str, directory: str, checked: bool, pg: PgScratch | None) -> float:
    """In a fresh process: ``_import`` as the clerk, the ledger closed; its seconds."""
    took, app = _import(Path(csv_path), Path(directory), checked, pg)
    app.close()
    return took


def _verify_variants(bundle_path: Path) -> dict[str, Any]:
    import verify.checks as checks
    from verify.authority_replay import AuthorityReplay
    from verify.bundle import read_bundle
    from verify.events import decode_record
    from verify.keys import parse_verifier_key

    from .verify_rate import REFERENCE, _reference

    bundle = read_bundle(bundle_path)
    items = [(e.signature, e.digest) for e in map(decode_record, bundle.records)]
    (key,) = [parse_verifier_key(k) for k in bundle.keys]

    def full() -> None:
        report = checks.verify_bundle(bundle, pinned_keys=bundle.keys, jobs=1)
        if not report.intact or not report.authority.ok:
            raise RuntimeError("the benchmark bundle does not verify with its clerk's acts")

    def bare() -> None:
        # The replay folds one event at a time in the record pass (verify/record_pass.py).
        original = AuthorityReplay.add
        AuthorityReplay.add = lambda self, *event: None  # type: ignore[method-assign]
        try:
            checks.verify_bundle(bundle, pinned_keys=bundle.keys, jobs=1)
        finally:
            AuthorityReplay.add = original  # type: ignore[method-assign]

    return {
        REFERENCE: lambda: _reference(items, key.public_key),
        "verify": full,
        "no replay": bare,
    }


def run(config: Config) -> list[Figure]:
    from ledger.export import export_bundle

    rows = 2_000 if config.quick else ROWS
    root = Path(tempfile.mkdtemp(prefix="bench-authority-", dir=config.tmp))
    csv_path = root / "targets.csv"
    _write_csv(csv_path, rows)
    bundle_path = root / "ledger.bundle"
    figures = []
    with maybe_pg(config) as pg:
        for backend in config.backends():
            if backend == "postgres" and pg is None:
                continue
            scratch = pg if backend == "postgres" else None
            seconds: dict[str, list[float]] = {"checked": [], "unchecked": []}
            for rep in range(config.repeats):
                for variant in rotate(list(seconds), rep):
                    where = root / f"{backend}-{variant}-{rep}"
                    took = in_fresh_process(
                        _timed_import, str(csv_path), str(where), variant == "checked", scratch
                    )
                    seconds[variant].append(took)
                    config.log(
                        f"  authority/import {backend} repeat {rep + 1} {variant:>9}: {took:.2f} s"
                    )
            ratios = [u / c for c, u in zip(seconds["checked"], seconds["unchecked"], strict=True)]
            figures.append(
                Figure(
                    "authority",
                    backend,
                    f"import of {rows:,} targets by their division's clerk: with the per-row "
                    "authority check / with it stubbed (rows/s)",
                    median(ratios),
                    target=0.95,
                    spread=spread(ratios),
                    detail=f"checked {rows / median(seconds['checked']):,.0f} rows/s, unchecked "
                    f"{rows / median(seconds['unchecked']):,.0f} rows/s; "
                    f"{config.repeats} repeat(s), interleaved",
                )
            )
    verify_rows = min(rows, VERIFY_ROWS)
    verify_csv = root / "verify.csv"
    _write_csv(verify_csv, verify_rows)
    _, app = _import(verify_csv, root / "verify", checked=True)
    export_bundle(app, bundle_path)
    app.close()
    from .verify_rate import REFERENCE, _run_variants

    variants = _verify_variants(bundle_path)
    # Each run between two reference runs, in CPU and wall time (verify_rate's method: the
    # reference drifts by ~15 % over a benchmark, so a ratio is taken against the runs beside it).
    timed = _run_variants(config, "authority", variants, config.repeats)
    events = len(Path(bundle_path).read_text(encoding="utf-8").splitlines())
    common = f"bundle of ~{events:,} lines ({verify_rows:,} targets by one clerk)"
    for clock, words in (("cpu", "CPU time"), ("wall", "wall clock")):
        ratios = timed["verify"][f"ratio_{clock}"]
        figures.append(
            Figure(
                "authority",
                "-",
                f"{words}: verify_bundle(jobs=1) with the authority replay / bare Ed25519",
                median(ratios),
                target=0.75,
                spread=spread(ratios),
                detail=f"{common}; verify {median(timed['verify'][clock]):.2f} s, reference "
                f"{median(timed[REFERENCE][clock]):.2f} s ({words}; each run against the mean "
                "of the reference runs beside it)",
            )
        )
    cpu = timed["verify"]["cpu"]
    replay = [bare / full for full, bare in zip(cpu, timed["no replay"]["cpu"], strict=True)]
    figures.append(
        Figure(
            "authority",
            "-",
            "CPU time: verify_bundle(jobs=1) with the authority replay / without it",
            median(replay),
            target=None,
            spread=spread(replay),
            detail=f"{common}; verify {median(cpu):.2f} s, no replay "
            f"{median(timed['no replay']['cpu']):.2f} s (CPU time, repeat by repeat)",
        )
    )
    return figures
