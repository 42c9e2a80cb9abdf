"""A large ledger built cheaply, with memory flat in its size, through the product's own paths.

The demo bureau (``ledger.demo.bureau``: divisions, officials, items, 60 inspectors, its own
few targets, each recorded by the official whose role permits it), then the rest of the
registry and its year of changes as registry files imported by each division's clerk
(``api.importing.import_file``, what ``drawledger import`` runs: every row checked, recorded in
batches signed by the signing helper, one transaction per file, sealed at its end):

- **registration**: one CSV per business division, its share of N targets (the demo's own
  shares: 水资源处 36 %, 水资源服务中心 24 %, 工管处 24 %, 农水处 12 %, 河湖处 4 %);
- **re-syncs**: the same files again with every row's credit class (信用等级) changed — a
  quarterly re-rating from the credit platform, one correction event per target per round —,
  as many rounds as it takes to reach the events asked for (4 for 5,000,000 events over
  1,000,000 targets). Denser than a real year's changes (where a fraction of the entities
  change), but the same kind of event through the same path.

The files are written a row at a time and deleted after their import; no list of rows is held.
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .import_targets import HEADERS, _children_rss_mib, _rss_mib, credit_code

# (division, its items, its share in 25ths): the demo's profiles summed per division
SHARES = (("szc", "qsxk", 9), ("szyc", "jsyy", 6), ("ggc", "hdjs", 6), ("nsc", "stbc", 3),
          ("hhc", "hdcs", 1))  # fmt: skip
SLOTS = [division for division, _, share in SHARES for _ in range(share)]
ITEM = {division: item for division, item, _ in SHARES}
DISTRICTS = ("天宁区", "钟楼区", "新北区", "武进区", "金坛区", "溧阳市")
PEOPLE = ("王芳", "李强", "张伟", "刘洋", "陈静")
DEMO_TARGETS = 2_000  # recorded one command at a time by the demo builder


def write_files(directory: Path, first: int, count: int, round_: int) -> dict[str, Path]:
    """One CSV per division for targets ``first`` … ``first + count - 1``; ``round_`` 0 the
    registration, each later round every row's credit class one step on."""
    paths = {d: directory / f"targets-{d}-r{round_}.csv" for d, _, _ in SHARES}
    files = {d: p.open("w", encoding="utf-8-sig", newline="") for d, p in paths.items()}
    try:
        writers = {d: csv.writer(f) for d, f in files.items()}
        for w in writers.values():
            w.writerow(HEADERS)
        for n in range(first, first + count):
            division = SLOTS[n % len(SLOTS)]
            district = DISTRICTS[n % len(DISTRICTS)]
            writers[division].writerow(
                [
                    credit_code(n),
                    f"常州市{district}第{n}号水务科技有限公司",
                    "企业",
                    PEOPLE[n % len(PEOPLE)],
                    f"江苏省常州市{district}滨河路{n % 900 + 1}号",
                    district,
                    f"{district}-G{n % 40:02d}",
                    division,
                    ITEM[division],
                    f"取水(苏常)字[2024]第{n:07d}号",
                    "2024-01-01",
                    "2029-12-31",
                    "ABCD"[(n + round_) % 4],
                    "",
                ]
            )
    finally:
        for f in files.values():
            f.close()
    return paths


def _cpu_seconds() -> float:
    """CPU time (user and system) of this process and of its children, ended or running (the
    signing helper, the row helper): under a shared machine's load, steadier than wall time."""
    times = os.times()
    total = times.user + times.system + times.children_user + times.children_system
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid():
                total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
    return total


class _Reading:
    """CPU seconds (the importing thread's) spent reading the rows' existing entries
    (``current_entries.current_records``: the read, check and fold of each changed entry),
    summed."""

    def __init__(self) -> None:
        from ledger.registry import current_entries

        self.seconds = 0.0
        self._module = current_entries
        self._read = current_entries.current_records

    def __enter__(self) -> _Reading:
        read = self._read

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()
            try:
                return read(*args, **kwargs)
            finally:
                self.seconds += time.thread_time() - began

        self._module.current_records = timed  # type: ignore[assignment]
        return self

    def __exit__(self, *_: object) -> None:
        self._module.current_records = self._read  # type: ignore[assignment]


def build(
    app: Any, targets: int, events: int, scratch: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    """Build the ledger in ``app`` (empty, created); its figures: events, seconds per phase,
    CPU per phase and of its reading of existing entries (``_Reading``), peak resident memory
    of this process and of the signing helper."""
    from api.importing import import_file
    from ledger.demo.bureau import build_demo
    from ledger.registry.service import Registry

    phases: dict[str, float] = {}
    cpu: dict[str, float] = {}  # CPU seconds of each import phase (``_cpu_seconds``)
    reading: dict[str, float] = {}  # of which reading the existing entries (``_Reading``)
    started = time.perf_counter()
    demo = min(targets, DEMO_TARGETS)
    build_demo(app, targets=demo, inspectors=60)
    phases["demo bureau"] = time.perf_counter() - started
    registry = Registry(app)
    rest = targets - demo
    head = int(app.recorder.max_notification_id() or 0)
    rounds = max(0, math.ceil((events - head - rest) / rest)) if rest else 0
    helper = 0.0
    for round_ in range(rounds + 1):
        paths = write_files(scratch, 0, rest, round_)
        began, began_cpu = time.perf_counter(), _cpu_seconds()
        with _Reading() as read:
            for division, path in paths.items():
                with path.open("rb") as data:
                    report = import_file(registry, "targets", data, by=f"{division}-clerk",
                                         source=f"bench: {path.name}")  # fmt: skip
                path.unlink()
                if report.problems:
                    raise RuntimeError(f"{path.name} refused: {report.summary()}")
                helper = max(helper, _children_rss_mib())
        app.seal()
        name = "registration" if round_ == 0 else f"re-sync {round_}"
        phases[name] = time.perf_counter() - began
        cpu[name] = _cpu_seconds() - began_cpu
        reading[name] = read.seconds
        now = int(app.recorder.max_notification_id() or 0)
        rate = (now - head) / phases[name]
        each = 1e6 / max(rest, 1)
        log(f"  province build: {name}: {now - head:,} events in {phases[name]:.0f} s "
            f"({rate:,.0f} ev/s; a row {phases[name] * each:,.0f} µs, CPU "
            f"{cpu[name] * each:,.0f} µs, of which reading its entry "
            f"{reading[name] * each:,.0f}), peak RSS {_rss_mib():,.0f} MiB")  # fmt: skip
        head = now
    return {
        "events": head,
        "seconds": time.perf_counter() - started,
        "phases": phases,
        "cpu": cpu,
        "reading": reading,
        "rounds": rounds,
        "peak_rss_mib": _rss_mib(),
        "helper_rss_mib": helper,
    }
