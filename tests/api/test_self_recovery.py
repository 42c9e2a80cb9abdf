"""The service recovers by itself from damaged read models: the file is set aside, the read
models are rebuilt from the log, and the log is never touched."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.application import LedgerApp
from ledger.demo.bureau import build_demo
from ledger.setup import create_data_dir

TARGETS = 60
COMPANIONS = ("-wal", "-shm", "-journal", ".rebuilding")  # beside a database, set aside with it


@pytest.fixture
def bureau(tmp_path: Path) -> tuple[Path, str]:
    """A data directory with the demo registry and its read models; the admin's token."""
    data = tmp_path / "data"
    create_data_dir(data, "drawledger.test/ledger")
    with _serve(data) as client:
        ledger: LedgerApp = client.app.state.ledger  # type: ignore[attr-defined]
        summary = build_demo(ledger, targets=TARGETS, inspectors=10)
        client.app.state.read_models.runner.catch_up()  # type: ignore[attr-defined]
    assert (data / "readmodels.sqlite").exists()
    return data, summary.admin_token


@contextmanager
def _serve(data: Path) -> Iterator[TestClient]:
    ledger = LedgerApp.open(data, seal_interval=0)
    try:
        with TestClient(create_app(ledger)) as client:
            yield client
    finally:
        ledger.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _targets(client: TestClient, token: str) -> int:
    r = client.get("/targets", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def _garbage(path: Path) -> None:
    path.write_bytes(b"not a database, just bytes " * 400)


def _damaged_header(path: Path) -> None:
    with path.open("r+b") as f:
        f.write(b"\x00" * 100)  # the 100-byte header: magic string, page size, ...


def _damaged_pages(path: Path) -> None:
    """Pages in the middle of the file overwritten, the header left as it was."""
    size = path.stat().st_size
    page = 4096
    pages = size // page
    assert pages > 8, "the test needs a file of several pages"
    with path.open("r+b") as f:
        for n in range(pages // 3, pages // 3 + 4):
            f.seek(n * page)
            f.write(bytes(range(256)) * (page // 256))


def _tracking_behind(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE projection_tracking SET position = 0")


def _rebuild_mark(path: Path, boot: str, pid: int, journal: str | None = "wal") -> None:
    """The mark a rebuild leaves beside the file while it writes without fsyncs
    (``projections/bulk_writing.py``): ``journal`` None as a version before journals in
    memory wrote it."""
    mark = path.with_name(path.name + ".rebuilding")
    left: dict[str, object] = {"boot": boot, "pid": pid}
    if journal is not None:
        left["journal"] = journal
    mark.write_text(json.dumps(left), encoding="utf-8")


def _machine_stopped_in_a_rebuild(path: Path) -> None:
    _rebuild_mark(path, "another boot of the machine", 4_000_000)


def _process_died_in_a_rebuild_without_a_journal(path: Path) -> None:
    """This boot, the process gone, its rollback journal in memory lost with it."""
    from projections.bulk_writing import _boot_id

    _rebuild_mark(path, _boot_id(), 4_000_000, "memory")


@pytest.mark.parametrize(
    "damage",
    [
        _garbage,
        _damaged_header,
        _damaged_pages,
        _tracking_behind,
        _machine_stopped_in_a_rebuild,
        _process_died_in_a_rebuild_without_a_journal,
    ],
)
def test_damaged_read_models_are_set_aside_and_rebuilt_from_the_untouched_log(
    bureau, damage, caplog
):
    data, token = bureau
    read_models = data / "readmodels.sqlite"
    ledger_before = _digest(data / "ledger.sqlite")
    damage(read_models)
    damaged = read_models.read_bytes()

    with caplog.at_level(logging.WARNING, logger="projections"), _serve(data) as client:
        assert _targets(client, token) == TARGETS

    aside = [
        p
        for p in data.iterdir()
        if p.name.startswith("readmodels.sqlite.damaged-") and not p.name.endswith(COMPANIONS)
    ]
    assert len(aside) == 1
    assert aside[0].read_bytes() == damaged  # kept as it was, for whoever looks into it
    assert any(
        "failed their integrity check" in r.message and aside[0].name in r.message
        for r in caplog.records
    )
    assert _digest(data / "ledger.sqlite") == ledger_before


@pytest.mark.parametrize("journal", ["wal", None])
@pytest.mark.parametrize("process", ["ended", "running"])
def test_a_rebuild_stopped_with_its_process_resumes_and_one_running_is_left_alone(
    bureau, process, journal
):
    """A rebuild's mark from this boot of the machine, written in WAL (or by a version before
    journals in memory, which always was): its process died (the file is whole: what a dead
    process wrote, the system still holds), so the file is kept, made durable and the mark
    removed; or its process still runs (another process rebuilding), so both are left as they
    are."""
    from projections.bulk_writing import _boot_id

    data, token = bureau
    read_models = data / "readmodels.sqlite"
    mark = data / "readmodels.sqlite.rebuilding"
    pid = 4_000_000 if process == "ended" else 1  # (no such process; the first process)
    _rebuild_mark(read_models, _boot_id(), pid, journal)
    with _serve(data) as client:
        assert _targets(client, token) == TARGETS
    assert not [p for p in data.iterdir() if ".damaged-" in p.name]
    assert mark.exists() == (process == "running")


def test_sound_read_models_are_kept(bureau):
    data, token = bureau
    with _serve(data) as client:
        assert _targets(client, token) == TARGETS
    assert not [p for p in data.iterdir() if ".damaged-" in p.name]


# -- a store that refuses writes ----------------------------------------------------------------
#
# Root (as tests may run) writes to a chmod 0444 file regardless, and a real full disk cannot be
# made in a test; so every new connection to the ledger's SQLite file is opened as the real
# cases leave it: ``PRAGMA query_only`` gives SQLite's own read-only error (SQLITE_READONLY,
# the one a read-only file or mount gives), ``PRAGMA max_page_count`` at the file's size its
# disk-full error (SQLITE_FULL).


def _ledger_connections_run(monkeypatch, pragma) -> None:  # type: ignore[no-untyped-def]
    from eventsourcing.sqlite import SQLiteConnectionPool

    create = SQLiteConnectionPool._create_connection

    def create_and_restrict(self):  # type: ignore[no-untyped-def]
        conn = create(self)
        pragma(conn._sqlite_conn)
        return conn

    monkeypatch.setattr(SQLiteConnectionPool, "_create_connection", create_and_restrict)


def _read_only(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA query_only = ON")


def _full(conn: sqlite3.Connection) -> None:
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


@pytest.mark.parametrize(("restrict", "title"), [(_read_only, "存储只读"), (_full, "存储已满")])
def test_a_store_that_refuses_writes_answers_503_saying_why_and_still_reads(
    bureau, monkeypatch, restrict, title
):
    data, token = bureau
    monkeypatch.setattr(LedgerApp, "start_sealing", lambda self: None)  # no round at start
    monkeypatch.setattr(LedgerApp, "stop_sealing", lambda self: None)
    _ledger_connections_run(monkeypatch, restrict)
    auth = {"Authorization": f"Bearer {token}"}
    with _serve(data) as client:
        answers = []
        for n in range(40):  # a full file still takes rows while its last pages have room
            r = client.post(
                "/divisions", json={"code": f"new{n}", "name": f"新处室{n}"}, headers=auth
            )
            answers.append(r.status_code)
            if r.status_code != 201:
                break
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["title"] == title
        # Chinese words only: the database's own (English) words go to the service's log.
        assert not re.search(r"[A-Za-z]{4,}", r.json()["detail"]), r.json()["detail"]
        assert set(answers[:-1]) <= {201}
        assert _targets(client, token) == TARGETS  # reading goes on


# -- a log rolled back under its read models ----------------------------------------------------


def _official(data: Path, code: str) -> None:
    """Register an official on the ledger alone (as the CLI does): no read model follows."""
    from ledger.registry.service import Registry

    ledger = LedgerApp.open(data, seal_interval=0)
    try:
        Registry(ledger).register_official(
            {"code": code, "name": "王五", "division": "szc", "roles": ["clerk"]}, None
        )
    finally:
        ledger.close()


def _has_official(client: TestClient, token: str, code: str) -> bool:
    r = client.get(f"/officials/{code}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (200, 404), r.text
    return r.status_code == 200


@pytest.mark.parametrize("refilled", [False, True])
def test_a_log_rolled_back_under_its_read_models_is_said_and_they_are_rebuilt(
    bureau, refilled, caplog
):
    """The operator restores an older copy of the log (checkpoints and all: consistent in
    itself) and restarts the service, the read models left as they were. They had read an
    official the log no longer holds; with ``refilled``, another command was recorded since,
    at the very position they had read. Without a check the service went on showing the lost
    official and never showed the new one (its position counted as read). Now the start
    says the log lost what its read models read, sets them aside and rebuilds them."""
    data, token = bureau
    with (
        closing(sqlite3.connect(data / "ledger.sqlite")) as db,
        closing(sqlite3.connect(data / "older.sqlite")) as older,
    ):
        db.backup(older)
    _official(data, "szc-lost")
    with _serve(data) as client:
        assert _has_official(client, token, "szc-lost")
    (data / "older.sqlite").replace(data / "ledger.sqlite")
    if refilled:
        _official(data, "szc-later")

    with caplog.at_level(logging.WARNING, logger="projections"), _serve(data) as client:
        assert not _has_official(client, token, "szc-lost")
        assert _has_official(client, token, "szc-later") == refilled
    said = [r.message for r in caplog.records if r.levelno == logging.ERROR]
    assert len(said) == 1 and "账本已不含读取模型读过的内容" in said[0]
    assert ("is not the one the read models read there" in said[0]) == refilled
    assert [p for p in data.iterdir() if p.name.startswith("readmodels.sqlite.damaged-")]
