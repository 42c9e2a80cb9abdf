"""The read models' SQLite file damaged under a running service (its pages overwritten, as a
disk fault or a stray write does): reads that need them answer 503 ``read_models_damaged`` in
Chinese, saying the ledger is unharmed and a restart rebuilds them — not a bare 500 — commands
go on being recorded, and the next start sets the file aside and answers from the log again,
the command recorded meanwhile included. Deleting the file under the service changes nothing
it answers (SQLite keeps the open file) and the next start rebuilds it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.registry.service import Registry

pytestmark = pytest.mark.store_tampered  # the file is edited behind the service's back


def _served(data: Path) -> tuple[LedgerApp, TestClient]:
    app = LedgerApp.open(data)
    return app, TestClient(
        create_app(app), raise_server_exceptions=False
    )  # the answer, not the trace


def _damage(path: Path) -> None:
    """Overwrite every page past the first with noise, the header left whole (the journal
    written into the file first, so that every page is read from it)."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(4096)
        f.write(os.urandom(size - 4096))


def test_damaged_read_models_answer_503_in_chinese_and_a_restart_rebuilds_them(tmp_path):
    data = tmp_path / "ledger"
    assert drawledger(["demo", "--data", str(data), "--targets", "30", "--registry-only"]) == 0
    app = LedgerApp.open(data)
    try:
        token = str(Registry(app).issue_token("bgs-admin", by=None))
    finally:
        app.close()
    headers = {"Authorization": f"Bearer {token}"}
    app, client = _served(data)
    try:
        with client:
            assert client.get("/divisions", headers=headers).status_code == 200
            _damage(data / "readmodels.sqlite")
            answer = client.get("/targets", headers=headers)  # pages not read since
            assert answer.status_code == 503, answer.text
            problem = answer.json()
            assert problem["code"] == "read_models_damaged"
            assert "读取模型文件已损坏" in problem["detail"] and "重启服务" in problem["detail"]
            body = {"code": "during", "name": "损坏时处室"}
            assert client.post("/divisions", json=body, headers=headers).status_code == 201
    finally:
        app.close()
    app, client = _served(data)  # the next start: set aside, rebuilt from the log
    try:
        with client:
            assert list(data.glob("readmodels.sqlite.damaged-*"))
            answer = client.get("/divisions/during", headers=headers)
            assert answer.status_code == 200, answer.text
            for name in ("readmodels.sqlite", "readmodels.sqlite-wal", "readmodels.sqlite-shm"):
                (data / name).unlink(missing_ok=True)  # deleted under the service
            assert client.get("/divisions/during", headers=headers).status_code == 200
    finally:
        app.close()
    app, client = _served(data)
    try:
        with client:
            assert client.get("/divisions/during", headers=headers).status_code == 200
    finally:
        app.close()
