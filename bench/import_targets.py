"""Importing 100,000 targets from CSV, against the plain append rate of the ledger core.

    .venv/bin/python -m bench --only import [--quick]

1. Generate a CSV of N synthetic targets (N = 100,000; 5,000 with ``--quick``) in the documented
   layout with Chinese headers, each with a valid unified social credit code (the GB 32100
   check character computed by ``verify.uscc.check_character``), a permit, items, a division.
2. **import**: in a fresh spawned process, a new SQLite ledger (``LedgerApp`` as ``drawledger``
   opens it on SQLite: signing, and sealing after every save) with the divisions and items the
   rows name; then, timed, ``api.importing.import_file`` → ``Registry.import_rows`` on the
   file, read a row at a time (decoding, reading rows, checking and recording in batches of
   ``ledger.registry.bulk.BATCH``, each batch encoded and signed by the signing helper process
   while the next one is built: ``ledger/signing.py``; every batch saved into one transaction
   held for the whole import, committed at its end: ``ledger/transactions.py``).
3. **import, signing inline**: the same with the helper switched off (``SIGN_AHEAD_ROWS``
   beyond N), so every event is encoded and signed in the importing thread.
   Then, in the same process, **re-import unchanged**: the same file again, which records
   nothing (every row checked; an entry is read only when its import digest does not match,
   ``ledger/registry/digests.py``), and **re-import unchanged, caches emptied**: once more
   with the mapper's caches emptied, as in a new process.
4. **append** (the reference): in another fresh process, the same ``LedgerApp`` on a new SQLite
   file saving N simple events (``bench.common.BenchTarget`` registrations of about the same
   size), one ``save`` per batch of the same size.

Each repeat runs the three in a rotated order. Peak memory is the peak resident set size
(``VmHWM`` in ``/proc/PID/status``) of the process spawned for the import alone, at the end of
the import, plus that of the signing helper (its child) and of the row helper
(``ledger/registry/checking_ahead.py``, read as it is stopped at the import's end). It
includes the interpreter and libraries (``baseline``: the same measure just before the import
starts). Not ``ru_maxrss``: a spawned process keeps the peak of the forked image it was exec'd
from (the benchmark's own process, or the importing process for the helper), which is not its
own memory. Not tracemalloc: it slows Python code several times over and would distort the
rate.
"""

from __future__ import annotations

import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import Config, Figure, in_fresh_process, median, rotate, spread

TARGET_RATE = 10_000  # targets per second
TARGET_REIMPORT = 3.0  # an unchanged re-import at least this many times faster than the import
TARGET_MEMORY_MIB = 512  # peak memory must stay below (issue 15: at any size, 1,000,000 rows too)
VARIANTS = ("import", "inline", "append")
DIVISIONS = ("gqc", "hhc", "szy", "nsc")
ITEMS = {
    "gqc": ["hdjs", "slgc"],
    "hhc": ["hhgl", "hdcs"],
    "szy": ["qsxk", "jsyw"],
    "nsc": ["stbc", "nszx"],
}
DISTRICTS = ["天宁区", "钟楼区", "新北区", "武进区", "金坛区", "溧阳市"]
HEADERS = [
    "统一社会信用代码", "名称", "类型", "法定代表人", "地址", "所属区", "网格", "责任处室",
    "抽查事项", "许可证号", "许可有效期起", "许可有效期至", "信用等级", "风险标记",
]  # fmt: skip
_FLAGS = ["", "", "", "投诉举报多", "经营异常名录", "有违法记录、失信主体"]


def credit_code(n: int) -> str:
    """The n-th synthetic unified social credit code, with its GB 32100 check character."""
    from verify.uscc import ALPHABET, check_character

    digits = ""
    for _ in range(7):
        n, rest = divmod(n, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    first17 = f"91320{400 + n % 13:03d}MA" + digits
    return first17 + check_character(first17)


def write_csv(path: Path, count: int, seed: int = 2018) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        for n in range(count):
            district = DISTRICTS[n % len(DISTRICTS)]
            division = DIVISIONS[n % len(DIVISIONS)]
            writer.writerow(
                [
                    credit_code(n),
                    f"常州市{district}第{n}号水利工程建设有限公司",
                    "企业",
                    rng.choice(["王芳", "李强", "张伟", "刘洋", "陈静"]),
                    f"江苏省常州市{district}滨河路{n % 900 + 1}号",
                    district,
                    f"{district}-G{n % 40:02d}",
                    division,
                    ",".join(ITEMS[division][: 1 + n % 2]),
                    f"取水(苏常)字[2024]第{n:06d}号",
                    "2024-01-01",
                    "2029-12-31",
                    "ABCD"[rng.randrange(4)],
                    rng.choice(_FLAGS),
                ]
            )


def _open_ledger(directory: Path) -> Any:
    from bench.common import new_signer, sqlite_env
    from ledger.application import LedgerApp

    signer = new_signer()
    # As 'drawledger' opens an SQLite ledger: embedded sealing after every save.
    return LedgerApp(sqlite_env(directory), signer, signer.name, embedded_sealing=True)


def _rss_mib(pid: int | str = "self") -> float:
    """The peak resident set size of a process (VmHWM, which starts afresh at exec), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


def _children_rss_mib() -> float:
    """The peak resident set sizes of this process's children (the signing helper), MiB."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if parent == os.getpid():
                total += _rss_mib(stat.parent.name)
        except (OSError, RuntimeError, IndexError, ValueError):
            continue  # a process that ended meanwhile
    return total


def measure_import(csv_path: str, directory: str, inline: bool = False) -> dict[str, Any]:
    """In a fresh process: set the bureau up, then import the CSV, timed."""
    import ledger.registry.recording
    from api.importing import import_file
    from ledger.actors import SYSTEM
    from ledger.registry.service import Registry

    if inline:
        ledger.registry.recording.SIGN_AHEAD_ROWS = sys.maxsize
    app = _open_ledger(Path(directory))
    app.create_ledger()
    app.set_policy(_operator_keeps_registries(), SYSTEM)  # the set-up's first version
    registry = Registry(app)
    for code in DIVISIONS:
        registry.add_division({"code": code, "name": f"处室{code}"}, None)
        for item in ITEMS[code]:
            registry.register_item(
                {
                    "code": item,
                    "name": f"事项{item}",
                    "law": "中华人民共和国水法",
                    "article": "第四十八条",
                    "division": code,
                    "object_type": "取水单位",
                },
                None,
            )
    events_before = app.recorder.max_notification_id() or 0
    row_helper = _row_helper_peaks()
    baseline = _rss_mib()
    checked: list[float] = []

    def checking(done: int, total: int) -> None:
        if done == total:
            checked.append(time.perf_counter())

    started = time.perf_counter()
    with Path(csv_path).open("rb") as data:  # read a row at a time, as the CLI does
        result = import_file(registry, "targets", data, by=None, source="bench", checking=checking)
    seconds = time.perf_counter() - started
    peak = _rss_mib()
    helper = _children_rss_mib()
    events = (app.recorder.max_notification_id() or 0) - events_before
    if result.problems or result.recorded != result.total or events != result.total:
        raise RuntimeError(f"the import did not record every row: {result.summary()}")
    again = _reimport(app, registry, csv_path)
    mapper: Any = app.mapper  # its caches emptied, as a new process finds them
    mapper._vouched, mapper._digests = type(mapper._vouched)(200_000), type(mapper._digests)()
    cold = _reimport(app, registry, csv_path)
    app.close()
    return {
        "seconds": seconds,
        "reimport_seconds": again,
        "reimport_cold_seconds": cold,
        "check_seconds": (checked[-1] - started) if checked else 0.0,
        "baseline_rss_mib": baseline,
        "peak_rss_mib": peak,
        "helper_rss_mib": helper,
        "row_helper_rss_mib": max(row_helper, default=0.0),
    }


def _row_helper_peaks() -> list[float]:
    """The peak resident set size of each row helper (``checking_ahead.py``) this process
    starts, read just before it is stopped (it ends with its import), MiB."""
    from ledger.registry.checking_ahead import RowHelper

    peaks: list[float] = []
    stop = RowHelper._stop

    def stopping(self: Any) -> None:
        if self._process is not None:
            peaks.append(_rss_mib(self._process.pid))
        stop(self)

    RowHelper._stop = stopping  # type: ignore[method-assign]
    return peaks


def _operator_keeps_registries() -> dict[str, Any]:
    """The default policy, letting the ledger's operator write the registries on its own (as a
    bureau's policy may): the benchmark imports every division's rows with no official."""
    from ledger.policy import default_policy
    from verify.authority_rules import operator_acts

    document = default_policy()
    alone, on_request = operator_acts(document)
    keeps = ["target.write", "item.write"]
    authority = {
        "operator": [*alone, *keeps],
        "operator_on_request": [a for a in on_request if a not in keeps],
    }
    return {**document, "version": "bench-operator-keeps-registries", "authority": authority}


def _reimport(app: Any, registry: Any, csv_path: str) -> float:
    """The same file imported again, timed; it must record nothing."""
    from api.importing import import_file

    before = app.recorder.max_notification_id()
    started = time.perf_counter()
    with Path(csv_path).open("rb") as data:
        result = import_file(registry, "targets", data, by=None, source="bench")
    seconds = time.perf_counter() - started
    if result.unchanged != result.total or app.recorder.max_notification_id() != before:
        raise RuntimeError(f"the unchanged re-import recorded something: {result.summary()}")
    return seconds


def measure_append(count: int, batch: int, directory: str) -> dict[str, Any]:
    """In a fresh process: the ledger core saving ``count`` simple events, a batch per save."""
    from bench.common import ACTOR, BenchTarget, registration_payload

    app = _open_ledger(Path(directory))
    rng = random.Random(7)
    payloads = [registration_payload(rng) for _ in range(count)]
    started = time.perf_counter()
    for start in range(0, count, batch):
        app.save(*[BenchTarget.register(p, ACTOR) for p in payloads[start : start + batch]])
    seconds = time.perf_counter() - started
    app.close()
    return {"seconds": seconds, "peak_rss_mib": _rss_mib()}


def run(config: Config) -> list[Figure]:
    """Generate the file once; then, per repeat and in a rotated order, the import with the
    signing helper, the import signing inline and the append reference, each in a fresh
    process on a new SQLite file."""
    from ledger.registry.bulk import BATCH
    from ledger.registry.recording import SIGN_AHEAD_ROWS

    count = 5_000 if config.quick else 100_000
    rates: dict[str, list[float]] = {v: [] for v in VARIANTS}
    imports: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="drawledger-bench-import-", dir=config.tmp) as tmp:
        root = Path(tmp)
        csv_path = root / "targets.csv"
        write_csv(csv_path, count)
        csv_mib = csv_path.stat().st_size / 2**20
        for repeat in range(config.repeats):
            for variant in rotate(VARIANTS, repeat):
                directory = root / f"{variant}-{repeat}"
                directory.mkdir()
                if variant == "append":
                    got = in_fresh_process(measure_append, count, BATCH, str(directory))
                else:
                    inline = variant == "inline"
                    got = in_fresh_process(measure_import, str(csv_path), str(directory), inline)
                    if not inline:
                        imports.append(got)
                rates[variant].append(count / got["seconds"])
            config.log(
                f"  import repeat {repeat + 1}/{config.repeats}: "
                + ", ".join(f"{v} {rates[v][-1]:,.0f}/s" for v in VARIANTS)
            )
    # The import's process and its two helpers (if they ran) together: each one's own peak,
    # added (an upper bound: their peaks need not coincide).
    peak = max(i["peak_rss_mib"] + i["helper_rss_mib"] + i["row_helper_rss_mib"] for i in imports)
    vs_append = [i / a for i, a in zip(rates["import"], rates["append"], strict=True)]
    vs_inline = [i / a for i, a in zip(rates["import"], rates["inline"], strict=True)]
    warm = [i["seconds"] / i["reimport_seconds"] for i in imports]
    cold = [i["seconds"] / i["reimport_cold_seconds"] for i in imports]
    detail = (
        f"{count:,} targets from a {csv_mib:.1f} MiB CSV, batches of {BATCH:,}; import "
        f"{median(rates['import']):,.0f} targets/s (checking every row first: "
        f"{median([i['check_seconds'] for i in imports]):.1f} s of "
        f"{median([i['seconds'] for i in imports]):.1f} s), signing inline "
        f"{median(rates['inline']):,.0f}/s, core append {median(rates['append']):,.0f} ev/s; "
        f"peak RSS {peak:,.0f} MiB with the signing helper's "
        f"{max(i['helper_rss_mib'] for i in imports):,.0f} MiB and the row helper's "
        f"{max(i['row_helper_rss_mib'] for i in imports):,.0f} MiB (interpreter and libraries "
        f"{median([i['baseline_rss_mib'] for i in imports]):,.0f} MiB)"
    )
    if count < SIGN_AHEAD_ROWS:
        detail += f"; under {SIGN_AHEAD_ROWS:,} rows the helper is not used: both sign inline"
    reimport = (
        f"{count:,} unchanged rows re-imported in the import's process, recording nothing: "
        f"{median([i['reimport_seconds'] for i in imports]):.1f} s (records vouched for by "
        f"this process), {median([i['reimport_cold_seconds'] for i in imports]):.1f} s with "
        "the mapper's caches emptied as in a new process (unchanged rows are known by their "
        "import digests: no signature is checked, no entry folded); the import "
        f"{median([i['seconds'] for i in imports]):.1f} s"
    )
    return [
        Figure(
            "import",
            "sqlite",
            "import of targets from CSV (signing helper), targets/s",
            median(rates["import"]),
            unit="targets/s",
            target=TARGET_RATE,
            detail=detail,
            spread=spread(rates["import"]),
        ),
        Figure(
            "import",
            "sqlite",
            "import / plain append rate of the ledger core (same batch size)",
            median(vs_append),
            detail=detail,
            spread=spread(vs_append),
        ),
        Figure(
            "import",
            "sqlite",
            "import with the signing helper / import signing inline",
            median(vs_inline),
            detail=detail,
            spread=spread(vs_inline),
        ),
        Figure(
            "import",
            "sqlite",
            "import / unchanged re-import of the same file (records nothing), same process",
            median(warm),
            target=TARGET_REIMPORT,
            detail=reimport,
            spread=spread(warm),
        ),
        Figure(
            "import",
            "sqlite",
            "import / unchanged re-import, the mapper's caches emptied (as a new process)",
            median(cold),
            detail=reimport,
            spread=spread(cold),
        ),
        Figure(
            "import",
            "sqlite",
            "peak memory of the import and its two helpers (VmHWM), MiB",
            peak,
            unit="MiB",
            target=TARGET_MEMORY_MIB,
            at_most=True,
            detail=detail,
        ),
    ]
