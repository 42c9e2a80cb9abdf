"""What the tests against ``drawledger serve --workers N`` on PostgreSQL share: a database of
their own beside the test database (so that a module can keep one service running across its
tests), a ledger made on it by ``drawledger init``, an admin's token, and HTTP calls."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from api.cli import main as drawledger
from ledger.application import LedgerApp

from .test_batched_sealing import _free_port
from .test_cli_registry import _database_url

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60


def _workers(server: subprocess.Popen[bytes]) -> list[int]:
    """The worker processes uvicorn spawned (children running multiprocessing's spawn)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == server.pid and b"multiprocessing" in cmdline and b"spawn" in cmdline:
            found.append(int(pid))
    return found


def _serve(data: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    log = (data.parent / f"serve-{port}.log").open("wb")
    command = [sys.executable, "-m", "api.cli", "serve", "--data", str(data)]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--workers", str(workers)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5):  # noqa: S310
                if len(_workers(server)) >= workers:
                    return server
        except (urllib.error.URLError, ConnectionError):
            pass
        if server.poll() is not None:
            break
        time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise AssertionError((data.parent / f"serve-{port}.log").read_text(errors="replace"))


def _follower(data: Path, n: int) -> subprocess.Popen[bytes]:
    """A started follower: it has said it follows the log."""
    path = data.parent / f"sealer-{n}.log"
    path.write_bytes(b"")
    log = path.open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api.cli",
            "seal",
            "--data",
            str(data),
            "--follow",
            "--interval",
            "0.05",
        ],  # fmt: skip
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + START_SECONDS
    while "持续封存".encode() not in path.read_bytes():
        assert process.poll() is None and time.monotonic() < deadline, path.read_text()
        time.sleep(0.05)
    return process


def _sealed_to(app: LedgerApp, position: int, within: float) -> float:
    """Seconds until a checkpoint covers ``position``; fails after ``within`` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        latest = app.sealer.latest()
        if latest is not None and latest.last_notification_id >= position:
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"no checkpoint covered position {position} within {within} s")


def connect(env: dict[str, str], dbname: str | None = None) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        dbname=dbname or env["POSTGRES_DBNAME"],
        autocommit=True,
        connect_timeout=10,
    )


@contextmanager
def own_database(pg_env: dict[str, str], suffix: str) -> Iterator[dict[str, str]]:
    """A new, empty database named after the test database and ``suffix``; dropped after."""
    name = f"{pg_env['POSTGRES_DBNAME']}_{suffix}"
    with connect(pg_env) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**pg_env, "POSTGRES_DBNAME": name}
    finally:
        with connect(pg_env) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def init_ledger(env: dict[str, str], data: Path) -> None:
    """``drawledger init`` of a ledger on the database of ``env``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DRAWLEDGER_DATABASE", _database_url(env))
        assert drawledger(["init", "--data", str(data)]) == 0


@dataclass
class Served:
    """A running ``drawledger serve --workers N`` and what a client needs."""

    data: Path
    env: dict[str, str]
    base: str
    token: str

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, decoded JSON answer) of one request as the admin."""
        request = urllib.request.Request(
            self.base + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
                return int(response.status), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            return int(e.code), json.loads(e.read() or b"null")


@contextmanager
def serving(data: Path, env: dict[str, str], token: str, workers: int) -> Iterator[Served]:
    """``drawledger serve --workers N`` over ``data`` until the block ends."""
    port = _free_port()
    server = _serve(data, port, workers)
    try:
        yield Served(data, env, f"http://127.0.0.1:{port}", token)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
