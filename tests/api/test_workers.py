"""Several workers on PostgreSQL (issue 13, parts 1 and 7): concurrent clients against
``drawledger serve --workers 2`` with ``drawledger seal --follow`` beside it; a worker killed
with ``kill -9`` three times mid-stream (the parent replaces it), the sealer once. Every
acknowledged command is in the log exactly once, a repeated one is a 409, the restarted sealer
seals everything, and the export verifies. Loopback only, bounded in count and time."""

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
from bench.workers import admin_token
from ledger.application import LedgerApp
from ledger.errors import BadInput

from .test_batched_sealing import _free_port
from .test_cli_registry import _database_url
from .workers_support import ROOT, _follower, _sealed_to, _serve, _workers

CODES = 60  # distinct divisions, created concurrently
DUPLICATES = 8  # requests creating one and the same division
KILL_AT = (12, 28, 44)  # answers received when a worker is killed (the second time, the sealer too)


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


@pytest.fixture
def pg_data(fresh_pg_env, tmp_path, monkeypatch, capsys) -> tuple[Path, str]:  # type: ignore[no-untyped-def]
    """A PostgreSQL ledger made by 'drawledger init', with an admin and its token."""
    monkeypatch.setenv("DRAWLEDGER_DATABASE", _database_url(fresh_pg_env))
    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data)]) == 0
    monkeypatch.delenv("DRAWLEDGER_DATABASE")  # the settings name the store from now on
    token = admin_token(data)
    capsys.readouterr()
    return data, token


def _division(n: int) -> dict[str, str]:
    return {"code": f"w{n:03d}", "name": f"第{n}科", "kind": "business_division"}


def _two_workers_again(server: subprocess.Popen[bytes]) -> list[int]:
    """The workers, once the parent has replaced a killed one (bounded wait)."""
    deadline = time.monotonic() + 60
    while len(workers := _workers(server)) < 2:
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        time.sleep(0.05)
    return workers


def test_two_workers_take_concurrent_commands_and_lose_none_when_killed_again_and_again(
    pg_data,
):
    data, token = pg_data
    port = _free_port()
    server = _serve(data, port, workers=2)
    sealer = _follower(data, 0)
    base = f"http://127.0.0.1:{port}"
    try:
        bodies = [_division(n) for n in range(CODES)] + [_division(999)] * DUPLICATES
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(_post_until_answered, base, token, b) for b in bodies]
            for n, done in enumerate(KILL_AT):
                while sum(f.done() for f in futures) < done:
                    time.sleep(0.01)
                victim = _two_workers_again(server)[n % 2]
                os.kill(victim, signal.SIGKILL)  # requests in flight: the other worker goes on
                if n == 1:  # and the sealer, in the middle of its rounds
                    sealer.kill()
                    sealer.wait()
                    sealer = _follower(data, 0)  # back, as a supervisor would restart it
            answers = [f.result() for f in futures]
        app = LedgerApp.open(data, embedded_sealing=False)
        try:  # the restarted sealer seals everything recorded, killed rounds and all
            _sealed_to(app, app.recorder.max_notification_id(), within=60)
            sizes = [c.size for c in app.sealer.checkpoints()]
            assert sizes == sorted(set(sizes))  # each checkpoint larger than the one before
        finally:
            app.close()
    finally:
        sealer.kill()
        sealer.wait()
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
    assert "--workers 应在 1 到 64 之间" in capsys.readouterr().err
    # It said "move the ledger to PostgreSQL with drawledger init": init makes a new ledger.
    port = str(_free_port())
    assert drawledger(["serve", "--data", str(data), "--workers", "2", "--port", port]) == 1
    err = capsys.readouterr().err
    assert "SQLite 账本不会被迁移过去" in err and "迁到" not in err, err
