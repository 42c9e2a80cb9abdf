"""Command throughput of ``drawledger serve --workers 2`` against one worker, on PostgreSQL
(issue 13, "Performance"), both measured in the same run.

    .venv/bin/python -m bench --only workers [--quick]

Set-up, not timed: a PostgreSQL ledger made by ``drawledger init`` in the scratch database, an
admin and its token. Timed, per repeat and per worker count (rotated): the service started as
the CLI starts it (``python -m api.cli serve --workers W`` on loopback), then COMMANDS
``POST /divisions`` (each a new division: one signed event) sent by CLIENTS threads; the rate is
commands per second from the first request to the last answer. The clients run on the same
machine as the workers, so on a small machine they compete with them for cores: the ratio says
what a second worker adds on this machine, not on a server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .common import Config, Figure, maybe_pg, median, rotate, spread

CLIENTS = 8
ROOT = Path(__file__).resolve().parents[1]


def admin_token(data: Path) -> str:
    """The bureau's office and an admin in it; the admin's token (the tests' workers too)."""
    from ledger.application import LedgerApp
    from ledger.registry.service import Registry

    app = LedgerApp.open(data, embedded_sealing=False)
    try:
        registry = Registry(app)
        registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, by=None)
        spec = {"code": "admin", "name": "周敏", "division": "bgs", "roles": ["admin"]}
        registry.register_official(spec, by=None)
        return str(registry.issue_token("admin", by=None))
    finally:
        app.close()


def pg_ledger(url: str, where: Path) -> Path:
    """A ledger made by ``drawledger init`` in ``where``/ledger on the PostgreSQL ``url``."""
    from api.cli import main as drawledger

    data = where / "ledger"
    os.environ["DRAWLEDGER_DATABASE"] = url
    try:
        if drawledger(["init", "--data", str(data)]) != 0:
            raise RuntimeError("drawledger init failed")
    finally:
        del os.environ["DRAWLEDGER_DATABASE"]
    return data


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [sys.executable, "-m", "api.cli", "serve", "--data", str(data), "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/health", timeout=5):  # noqa: S310 - loopback
                time.sleep(1.0 * workers)  # let every worker finish starting
                return server, base
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise RuntimeError(f"serve --workers {workers} did not start")


def _post(base: str, token: str, code: str) -> None:
    body = {"code": code, "name": code, "kind": "business_division"}
    request = urllib.request.Request(
        base + "/divisions",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        if response.status != 201:
            raise RuntimeError(f"POST /divisions {code}: {response.status}")


def _rate(data: Path, token: str, workers: int, codes: list[str]) -> float:
    server, base = _start(data, workers)
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            list(pool.map(lambda code: _post(base, token, code), codes))
        return len(codes) / (time.perf_counter() - started)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def run(config: Config) -> list[Figure]:
    measure = "commands/s, serve --workers 2 vs 1 (8 clients, POST /divisions)"
    if config.pg is None:
        return [Figure("workers", "postgres", measure, skipped=config.pg_skip_reason)]
    commands = 100 if config.quick else 400
    rates: dict[int, list[float]] = {1: [], 2: []}
    with maybe_pg(config) as pg, tempfile.TemporaryDirectory(dir=config.tmp) as d:
        assert pg is not None
        data = pg_ledger(pg.url(), Path(d))
        token = admin_token(data)
        batch = 0
        for repeat in range(config.repeats):
            for workers in rotate([1, 2], repeat):
                codes = [f"b{batch:02d}x{n:04d}" for n in range(commands)]
                batch += 1
                rates[workers].append(_rate(data, token, workers, codes))
                config.log(f"  workers={workers}: {rates[workers][-1]:.0f} commands/s")
    ratios = [two / one for one, two in zip(rates[1], rates[2], strict=True)]
    detail = (
        f"1 worker {median(rates[1]):.0f}/s, 2 workers {median(rates[2]):.0f}/s; "
        f"{commands} commands per run, clients on the same {os.cpu_count()}-core machine"
    )
    return [Figure("workers", "postgres", measure, median(ratios), detail=detail,
                   spread=spread(ratios))]  # fmt: skip
