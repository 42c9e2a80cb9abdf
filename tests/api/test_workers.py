"""Several workers on PostgreSQL (issue 13, parts 1 and 7): concurrent clients against
``drawledger serve --workers 2``, one worker killed with ``kill -9`` mid-stream. Every
acknowledged command is in the log exactly once, a conflicting one is a 409, and the ledger
sealed by the follower verifies. Loopback only, bounded in count and time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from api.cli import main as drawledger
from api.serving import check_workers
from ledger.application import LedgerApp
from ledger.errors import BadInput
from ledger.registry.service import Registry

from .test_batched_sealing import _free_port
from .test_cli_registry import _database_url

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60
CODES = 60  # distinct divisions, created concurrently
DUPLICATES = 8  # requests creating one and the same division


def _post(base: str, token: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(
        base + "/divisions",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=40) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def _post_until_answered(base: str, token: str, body: dict[str, Any]) -> int:
    """A client that retries when its connection breaks (a worker was killed): the answer of
    the first request that got one. A retry of a command the killed worker had stored is a 409."""
    for _ in range(50):
        try:
            return _post(base, token, body)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise AssertionError(f"no answer for {body['code']}")


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


@pytest.fixture
def pg_data(fresh_pg_env, tmp_path, monkeypatch, capsys) -> tuple[Path, str]:  # type: ignore[no-untyped-def]
    """A PostgreSQL ledger made by 'drawledger init', with an admin and its token."""
    monkeypatch.setenv("DRAWLEDGER_DATABASE", _database_url(fresh_pg_env))
    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data)]) == 0
    monkeypatch.delenv("DRAWLEDGER_DATABASE")  # the settings name the store from now on
    app = LedgerApp.open(data, embedded_sealing=False)
    registry = Registry(app)
    registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, by=None)
    registry.register_official(
        {"code": "admin", "name": "周敏", "division": "bgs", "roles": ["admin"]}, by=None
    )
    token = str(registry.issue_token("admin", by=None))
    app.close()
    capsys.readouterr()
    return data, token


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


def _division(n: int) -> dict[str, str]:
    return {"code": f"w{n:03d}", "name": f"第{n}科", "kind": "business_division"}


def test_two_workers_take_concurrent_commands_and_lose_none_when_one_is_killed(pg_data):
    data, token = pg_data
    port = _free_port()
    server = _serve(data, port, workers=2)
    base = f"http://127.0.0.1:{port}"
    try:
        bodies = [_division(n) for n in range(CODES)] + [_division(999)] * DUPLICATES
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(_post_until_answered, base, token, b) for b in bodies]
            while sum(f.done() for f in futures) < 20:
                time.sleep(0.01)
            victim = _workers(server)[0]
            os.kill(victim, signal.SIGKILL)  # requests in flight: the other worker goes on
            answers = [f.result() for f in futures]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    distinct, duplicates = answers[:CODES], answers[CODES:]
    assert set(distinct) <= {201, 409}, distinct  # 409 only for a retry of a stored command
    # One creation of w999, the rest 409 (all 409 if its creator was the killed worker and
    # the client's retry found it stored): never a second creation or an update.
    assert set(duplicates) <= {201, 409} and duplicates.count(201) <= 1, duplicates

    app = LedgerApp.open(data, embedded_sealing=False)
    try:
        created = [app.domain_event(n).code for n in app.notifications(topics=["division.created"])]
        assert sorted(created) == sorted({"bgs", *(b["code"] for b in bodies)})  # each once
        app.sealer.seal()  # what the follower does
    finally:
        app.close()
    bundle = data.parent / "bundle.jsonl"
    assert drawledger(["export", "--data", str(data), "--out", str(bundle)]) == 0
    key = data / "keys" / "ledger.pub"
    verified = subprocess.run(
        [sys.executable, "-m", "verify", str(bundle), "--key", str(key)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_more_than_one_worker_on_sqlite_is_refused_naming_postgresql(tmp_path, capsys):
    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data)]) == 0
    with pytest.raises(BadInput, match="needs a PostgreSQL ledger"):
        check_workers(data, 2)
    check_workers(data, 1)  # one process serves SQLite
    capsys.readouterr()
    assert drawledger(["serve", "--data", str(data), "--workers", "0"]) == 1
    assert "--workers must be between 1 and 64" in capsys.readouterr().err
