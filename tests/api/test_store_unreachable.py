"""A PostgreSQL server that is stopped or refuses connections, at a start and under a running
service: every command and ``serve`` say so in one line in Chinese within seconds (exit 1, never
a traceback, never the pool's 30 s wait retried ten times); a running service answers 503
``store_unavailable`` within seconds and takes commands again, without a restart, once the
database takes connections again; nothing refused is recorded.

The stopped server is a socket directory nobody listens in (no server needed); the database
that refuses connections is the test's own (``ALTER DATABASE … ALLOW_CONNECTIONS false`` and
its sessions ended: what a stopped server looks like to the pool), never the shared server."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bench.workers import admin_token
from ledger.application import LedgerApp
from ledger.config import DEFAULT_DATABASE
from ledger.setup import create_data_dir

from .workers_support import ROOT, connect, init_ledger, own_database

BOUND = 20  # seconds: well under the 30 s the pool waited once, let alone ten retries of it


@pytest.fixture
def stopped_server(tmp_path):  # type: ignore[no-untyped-def]
    """A data directory whose settings name a PostgreSQL server that is not running."""
    data = tmp_path / "data"
    create_data_dir(data, "drawledger.test/stopped")
    (tmp_path / "sock").mkdir()
    toml = data / "drawledger.toml"
    url = f"postgresql://drawledger@/ledger?host={tmp_path / 'sock'}&port=5999"
    toml.write_text(toml.read_text().replace(DEFAULT_DATABASE, url))
    return data


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--port", "8169"],
        ["serve", "--port", "8169", "--workers", "2"],
        ["seal", "--follow"],
        ["seal"],
        ["export", "--out", "{tmp}/bundle.jsonl"],
        ["rebuild"],
        ["division", "add", "--code", "x", "--name", "新处室"],
    ],
    ids=lambda c: "-".join(c[:2]),
)
def test_a_stopped_database_server_is_one_chinese_line_and_exit_1_within_seconds(
    stopped_server, command
):
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            *(c.format(tmp=stopped_server.parent) for c in command),
            "--data",
            str(stopped_server),
        ],
        cwd=ROOT,  # this checkout's code
        capture_output=True,
        text=True,
        timeout=BOUND + 30,
    )
    took = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert took < BOUND, f"{took:.0f} s to say the database is unreachable: {done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    assert "错误（store_unavailable）：无法连接或使用数据库" in done.stderr, done.stderr
    assert "5999" in done.stderr  # which server, in its own words (原文)
    assert not (stopped_server.parent / "bundle.jsonl").exists()


@pytest.mark.postgres
def test_a_database_refusing_connections_is_a_prompt_503_and_recovered_from(pg_env, tmp_path):
    with own_database(pg_env, "unreachable") as env:
        data = tmp_path / "ledger"
        init_ledger(env, data)
        app = LedgerApp.open(data)
        token = admin_token(data)
        headers = {"Authorization": f"Bearer {token}"}
        name = env["POSTGRES_DBNAME"]
        try:
            with TestClient(create_app(app)) as client:
                body = {"code": "before", "name": "停机前处室"}
                assert client.post("/divisions", json=body, headers=headers).status_code == 201
                with connect(pg_env) as conn:  # the database stops taking connections
                    conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                    conn.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()",
                        (name,),
                    )
                try:
                    for path, body in [
                        ("/divisions", {"code": "during", "name": "停机时处室"}),
                        ("/health", None),
                    ]:
                        started = time.monotonic()
                        if body is None:
                            answer = client.get(path)
                        else:
                            answer = client.post(path, json=body, headers=headers)
                        took = time.monotonic() - started
                        assert answer.status_code == 503, answer.text
                        assert answer.json()["code"] == "store_unavailable"
                        assert took < BOUND, f"{path}: {took:.0f} s to answer 503"
                finally:
                    with connect(pg_env) as conn:
                        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                deadline = time.monotonic() + BOUND
                while True:  # the pool reconnects by itself: no restart
                    answer = client.post(
                        "/divisions", json={"code": "after", "name": "恢复后处室"}, headers=headers
                    )
                    if answer.status_code != 503 or time.monotonic() > deadline:
                        break
                assert answer.status_code == 201, answer.text
                assert client.get("/divisions/during", headers=headers).status_code == 404
                assert client.get("/divisions/before", headers=headers).status_code == 200
        finally:
            app.close()


FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write beyond the limit fails (EFBIG)
resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))  # no file may grow: a full disk
from api.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    "command", [["serve", "--port", "8169"], ["division", "add", "--code", "x", "--name", "新处室"]]
)
def test_an_sqlite_ledger_on_a_full_disk_at_a_start_is_one_chinese_line(tmp_path, command):
    """SQLite cannot open its journal on a disk with no room: the driver's own error (``disk
    I/O error``) escaped the library and was a traceback; now the line every store failure
    gets, and the ledger as it was."""
    data = tmp_path / "data"
    made = subprocess.run(  # its own process: closed, no journal left beside the ledger
        [sys.executable, "-m", "api.cli", "init", "--data", str(data)], cwd=ROOT, timeout=60
    )
    assert made.returncode == 0
    assert not (data / "ledger.sqlite-wal").exists()  # the one a start must create
    before = (data / "ledger.sqlite").read_bytes()
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, *command, "--data", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "错误（store_" in done.stderr and "原文" in done.stderr, done.stderr
    assert (data / "ledger.sqlite").read_bytes() == before
