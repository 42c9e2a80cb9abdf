"""The public column's list of published results under load (issue "Inspections, results and
publication", Performance).

A ledger with the demo registry and 10,000 published results is served by ``drawledger serve``
(uvicorn, one process) on loopback. Concurrent clients (threads, each with its own keep-alive
connection) request the results list page (``/column/results``, first page) and the service's
own health endpoint (``/health``) in alternation, in rotated order, so both meet the same load;
the figures are the median and 95th-percentile latencies of the list page and their ratios
against the health endpoint's in the same run. The publications are recorded as
``publication.published`` events with content built from the demo registry (the inspection
workflow that precedes them in real use is not what is measured here).

    .venv/bin/python -m bench.column [--quick]
"""

from __future__ import annotations

import contextlib
import io
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import Config, Figure, median, spread

PUBLISHED = 10_000
CLIENTS = 8
ROUNDS = 60  # per client and repeat: each round requests both endpoints
PATHS = ("/health", "/column/results")


def run(config: Config) -> list[Figure]:
    published, rounds = (1_000, 10) if config.quick else (PUBLISHED, ROUNDS)
    medians: dict[str, list[float]] = {p: [] for p in PATHS}
    p95s: dict[str, list[float]] = {p: [] for p in PATHS}
    alone: dict[str, list[float]] = {p: [] for p in PATHS}  # one client: the service time
    with tempfile.TemporaryDirectory(prefix="drawledger-bench-column-", dir=config.tmp) as d:
        data = Path(d) / "ledger"
        seconds = _record(data, published)
        config.log(f"  column: {published:,} publications recorded in {seconds:.1f} s")
        with _served(data) as base:
            _load(base, CLIENTS, 3)  # warm-up: connections, caches, read models
            for repeat in range(config.repeats):
                latencies = _load(base, CLIENTS, rounds, order_shift=repeat)
                single = _load(base, 1, rounds, order_shift=repeat)
                for path in PATHS:
                    medians[path].append(statistics.median(latencies[path]))
                    p95s[path].append(_p95(latencies[path]))
                    alone[path].append(statistics.median(single[path]))
                config.log(
                    f"  column repeat {repeat + 1}/{config.repeats}: "
                    + ", ".join(
                        f"{p} median {medians[p][-1] * 1000:.1f} ms p95 {p95s[p][-1] * 1000:.1f} ms"
                        for p in PATHS
                    )
                )
    page, health = "/column/results", "/health"
    detail = (
        f"{published:,} published results; {CLIENTS} concurrent clients x {rounds} rounds x "
        f"{config.repeats} repeats on loopback; list page median "
        f"{median(medians[page]) * 1000:.1f} ms, p95 {median(p95s[page]) * 1000:.1f} ms; "
        f"/health median {median(medians[health]) * 1000:.1f} ms, "
        f"p95 {median(p95s[health]) * 1000:.1f} ms; one client alone: list page "
        f"{median(alone[page]) * 1000:.1f} ms, /health {median(alone[health]) * 1000:.1f} ms"
    )
    median_ratio = [a / b for a, b in zip(medians[page], medians[health], strict=True)]
    p95_ratio = [a / b for a, b in zip(p95s[page], p95s[health], strict=True)]
    ms = [v * 1000 for v in medians[page]]
    ms95 = [v * 1000 for v in p95s[page]]
    return [
        Figure("column", "sqlite", "results list page, median latency", median(ms), "ms",
               detail=detail, spread=spread(ms)),
        Figure("column", "sqlite", "results list page, p95 latency", median(ms95), "ms",
               detail=detail, spread=spread(ms95)),
        Figure("column", "sqlite", "results list page / health endpoint, median latency",
               median(median_ratio), detail=detail, spread=spread(median_ratio)),
        Figure("column", "sqlite", "results list page / health endpoint, p95 latency",
               median(p95_ratio), detail=detail, spread=spread(p95_ratio)),
    ]  # fmt: skip


def _record(data: Path, count: int) -> float:
    """A new ledger with the demo registry and ``count`` publications; seconds taken."""
    from api.cli import main as drawledger
    from ledger.application import LedgerApp
    from ledger.demo.bureau import build_demo
    from ledger.publications.aggregate import Publication
    from verify.registry_state import RegistryState
    from verify.results import CATEGORIES, FOLLOW_UPS, content_digest

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # its "created ledger" lines
        drawledger(["init", "--data", str(data), "--origin", "bench.drawledger/column"])
    app = LedgerApp.open(data)
    try:
        build_demo(app, targets=500, inspectors=30)
        from ledger.draws.service import Draws

        state: RegistryState = Draws(app).registry_at(None)
        targets = sorted(state.targets.values(), key=lambda t: t.key)
        rng = random.Random(2018)
        categories = list(CATEGORIES)
        actor = {"official": "szc-clerk", "role": "clerk", "department": "szc"}
        batch: list[Any] = []
        for n in range(count):
            target = targets[n % len(targets)]
            day = f"2026-{1 + n % 11:02d}-{1 + n % 27:02d}"
            category = rng.choice(categories)
            content = {
                "target": {"key": target.key, "name": target.name or target.key},
                "division": {"code": target.division, "name": target.division},
                "items": [{"code": i, "name": i} for i in target.items[:2]],
                "random": True,
                "inspected_on": day,
                "category": {"code": category, "label": CATEGORIES[category]},
                "follow_up": {"code": "none", "label": FOLLOW_UPS["none"]},
                "confirmed": True,
            }
            facts = {
                "inspection": f"bench-{n}",
                "channel": "results",
                "content": content,
                "content_digest": content_digest(content),
                "start": day,
                "published_on": day,
                "deadline": day,
                "working_days_allowed": 7,
                "on_time": True,
                "policy_version": "bench",
            }
            batch.append(Publication.publish(facts, actor))
            if len(batch) == 500:
                app.save(*batch)
                batch = []
        if batch:
            app.save(*batch)
    finally:
        app.close()
    return time.perf_counter() - start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _served(data: Path) -> Iterator[str]:
    """``drawledger serve`` in a child process; yields its base URL once /health answers and
    says the read models have caught up (until then the column answers 503, by design)."""
    import httpx

    port = _free_port()
    code = "import sys; from api.cli import main; sys.exit(main(sys.argv[1:]))"
    args = ["serve", "--data", str(data), "--host", "127.0.0.1", "--port", str(port)]
    log = open(data / "serve.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen([sys.executable, "-c", code, *args], stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the service exited; see {data / 'serve.log'}")
            with contextlib.suppress(httpx.HTTPError):
                health = httpx.get(base + "/health", timeout=2)
                if health.status_code == 200 and not health.json()["read_models"]["behind"]:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the service was not caught up within 120 s (/health)")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _load(base: str, clients: int, rounds: int, order_shift: int = 0) -> dict[str, list[float]]:
    """Each client requests both endpoints ``rounds`` times; latencies (s) per path."""
    import httpx

    latencies: dict[str, list[float]] = {p: [] for p in PATHS}
    lock = threading.Lock()
    errors: list[str] = []

    def client(index: int) -> None:
        own: dict[str, list[float]] = {p: [] for p in PATHS}
        with httpx.Client(base_url=base, timeout=60) as http:
            for r in range(rounds):
                shift = (index + r + order_shift) % len(PATHS)
                for path in PATHS[shift:] + PATHS[:shift]:
                    t = time.perf_counter()
                    response = http.get(path)
                    own[path].append(time.perf_counter() - t)
                    if response.status_code != 200:
                        errors.append(f"{path}: HTTP {response.status_code}")
        with lock:
            for path in PATHS:
                latencies[path] += own[path]

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return latencies


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    config = Config(quick=quick, repeats=1 if quick else 3)
    for figure in run(config):
        print(f"{figure.measure}: {figure.value_text()}  [{figure.detail}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
