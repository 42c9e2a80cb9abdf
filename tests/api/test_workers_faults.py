"""Faults of the store under ``drawledger serve --workers 2`` on PostgreSQL (issue 13, part 7):
commands racing on one record (409, then success on retry), a database gone read-only and a
full disk — each answered 503 by every worker, saying what is wrong, reads going on, and
recovered from without a restart of the service; no refused command recorded, no acknowledged
one lost, the export verifies. One service for the module; loopback only, bounded in count.

How the faults are made, on the test's own database only (the server is shared): read-only as
an operator makes a database read-only — ``ALTER DATABASE … SET default_transaction_read_only``
and its sessions ended, so that the workers reconnect into it (PostgreSQL's own error, SQLSTATE
25006); a full disk cannot be made without a small file system to put the database on, so a
trigger on every table raises PostgreSQL's own disk-full error (SQLSTATE 53100, its message
``could not extend file …: No space left on device``) for every write while it is in place."""

from __future__ import annotations

import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from api.body_limit import MIB
from api.cli import main as drawledger
from bench.workers import admin_token
from ledger.application import LedgerApp

from .workers_support import (
    ROOT,
    Served,
    _follower,
    _sealed_to,
    connect,
    init_ledger,
    own_database,
    serving,
)

CLIENTS = 12  # clients naming the office's contact at once
ROUNDS = 3  # at most, until the race produced a 409
REFUSED = 6  # commands sent while the store refuses writes


@pytest.fixture(scope="module")
def served(pg_env, tmp_path_factory) -> Iterator[Served]:  # type: ignore[no-untyped-def]
    with own_database(pg_env, "faults") as env:
        data = tmp_path_factory.mktemp("faults") / "ledger"
        init_ledger(env, data)
        sealer = _follower(data, 0)  # the sealer beside the workers, through every fault
        try:
            with serving(data, env, admin_token(data), workers=2) as service:
                yield service
                assert sealer.poll() is None, (data.parent / "sealer-0.log").read_text()
        finally:
            sealer.kill()
            sealer.wait()


def _recorded(served: Served, topic: str) -> list[Any]:
    app = LedgerApp.open(served.data, embedded_sealing=False)
    try:
        return [app.domain_event(n) for n in app.notifications(topics=[topic])]
    finally:
        app.close()


def _name_contact_until_done(served: Served, n: int) -> list[int]:
    """A client that retries on 409 (another command changed the record): its answers."""
    answers = []
    for _ in range(40):
        status, _ = served.call(
            "POST", "/divisions/bgs/contact", {"contact": "admin", "reason": f"第{n}次指定"}
        )
        answers.append(status)
        if status != 409:
            return answers
        time.sleep(0.01 * (n % 5))
    return answers


def test_commands_racing_on_one_record_get_409_and_succeed_on_retry(served):
    conflicts = 0
    sent = 0
    for _ in range(ROUNDS):
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            clients = list(pool.map(lambda n: _name_contact_until_done(served, n),
                                    range(sent, sent + CLIENTS)))  # fmt: skip
        sent += CLIENTS
        for answers in clients:
            assert answers[-1] in (200, 201, 204), answers  # each succeeded in the end
            assert set(answers[:-1]) <= {409}, answers  # and was refused only by the race
        conflicts += sum(len(answers) - 1 for answers in clients)
        if conflicts:
            break
    assert conflicts > 0, "no two commands raced: the 409 path was not exercised"
    named = _recorded(served, "division.contact_named")
    reasons = sorted(e.reason for e in named)
    assert reasons == sorted(
        f"第{n}次指定" for n in range(sent)
    )  # each once: none lost, none twice
    versions = [e.originator_version for e in named]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)


def _refused_writes(served: Served, tag: str) -> list[tuple[int, Any]]:
    return [
        served.call(
            "POST", "/divisions", {"code": f"{tag}{n}", "name": f"{tag}{n}", "kind": "other_unit"}
        )
        for n in range(REFUSED)
    ]


def _until_written(served: Served, code: str) -> int:
    """Retry a command while the workers' connections to the recovered store are renewed."""
    for _ in range(20):
        status, _ = served.call("POST", "/divisions", {"code": code, "name": code,
                                                       "kind": "other_unit"})  # fmt: skip
        if status != 503:
            return status
        time.sleep(0.2)
    return 503


def _end_sessions(served: Served) -> None:
    """End every session on the test's database: the workers reconnect (as after a restart)."""
    with connect(served.env) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _read_only(served: Served, on: bool) -> None:
    db = served.env["POSTGRES_DBNAME"]
    with connect(served.env) as conn:
        conn.execute("SET default_transaction_read_only = off")  # this session may write
        if on:
            conn.execute(f'ALTER DATABASE "{db}" SET default_transaction_read_only = on')
        else:
            conn.execute(f'ALTER DATABASE "{db}" RESET default_transaction_read_only')
    _end_sessions(served)


_FULL = """
CREATE OR REPLACE FUNCTION pg_temp.disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'could not extend file "base/16384/16385": No space left on device'
    USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
END $$
"""


def _full(served: Served, on: bool) -> None:
    with connect(served.env) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]  # fmt: skip
        if on:
            conn.execute(_FULL.replace("pg_temp.", "public."))
        for table in tables:
            conn.execute(f'DROP TRIGGER IF EXISTS zz_disk_full ON "{table}"')
            if on:
                conn.execute(
                    f'CREATE TRIGGER zz_disk_full BEFORE INSERT OR UPDATE ON "{table}" '
                    "FOR EACH STATEMENT EXECUTE FUNCTION public.disk_full()"
                )
        if not on:
            conn.execute("DROP FUNCTION IF EXISTS public.disk_full()")


def test_a_store_refusing_writes_is_a_503_from_every_worker_and_recovered_from_and_keeps_all(
    served, tmp_path
):
    """Read-only, then full, each refused by every worker and recovered from without a restart;
    then every acknowledged command is there and the export verifies. One test, in this order:
    the last checks read what the faults left (the sealer's log of its failed rounds), and as
    separate tests pytest-xdist could run them in another worker, without the faults."""
    for fault, title in ((_read_only, "存储只读"), (_full, "存储已满")):
        _refused_and_recovered(served, fault, title)
    _every_acknowledged_command_is_there(served, tmp_path)


def _refused_and_recovered(served: Served, fault: Any, title: str) -> None:
    tag = "ro" if fault is _read_only else "full"
    fault(served, True)
    try:
        answers = _refused_writes(served, tag)
        # The first request on a worker may find its old connection ended ("store unavailable").
        assert {status for status, _ in answers} == {503}, answers
        assert all(body["status"] == 503 and body["detail"] for _, body in answers)
        assert sum(body["title"] == title for _, body in answers) >= REFUSED - 2, answers
        assert title[-2:] in answers[-1][1]["detail"]
        status, divisions = served.call("GET", "/divisions")  # reading goes on
        assert status == 200 and "bgs" in str(divisions), divisions
    finally:
        fault(served, False)
    assert _until_written(served, f"{tag}-after") == 201  # recovered, no restart
    created = {e.code for e in _recorded(served, "division.created")}
    assert f"{tag}-after" in created
    assert not {f"{tag}{n}" for n in range(REFUSED)} & created  # nothing refused was recorded


def _every_acknowledged_command_is_there(served: Served, tmp_path: Path) -> None:
    created = sorted(e.code for e in _recorded(served, "division.created"))
    assert created == sorted(["bgs", "ro-after", "full-after"])
    app = LedgerApp.open(served.data, embedded_sealing=False)
    try:  # the sealer went on after the faults: it seals what was recorded since
        _sealed_to(app, app.recorder.max_notification_id(), within=30)
    finally:
        app.close()
    said = (served.data.parent / "sealer-0.log").read_text()
    assert "封存失败，每" in said and "已恢复封存" in said, said
    bundle = tmp_path / "bundle.jsonl"
    assert drawledger(["export", "--data", str(served.data), "--out", str(bundle)]) == 0
    verified = subprocess.run(
        [sys.executable, "-m", "verify", str(bundle), "--key",
         str(served.data / "keys" / "ledger.pub")],
        capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=120,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _chunked_upload(base: str, path: str, limit: int) -> tuple[bytes, int]:
    """Stream a chunked multipart upload without a token, up to ``limit`` bytes, until the
    service answers: (the answer's first bytes, how many body bytes the socket took)."""
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: multipart/form-data; boundary=b0undary\r\n\r\n"
    ).encode()
    chunk = b"x" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(head)
        conn.setblocking(False)
        while sent < limit:
            readable, writable, _ = select.select([conn], [conn], [], 10)
            if readable:
                break
            if writable:
                try:
                    sent += conn.send(framed)  # a part of a chunk is as good as a chunk here
                except (BlockingIOError, InterruptedError):
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    break
        conn.setblocking(True)
        try:
            return conn.recv(4096), sent
        except ConnectionResetError:
            return b"", sent


def test_a_300_mb_chunked_upload_without_a_token_is_refused_before_it_is_read(served):
    port = served.base.rsplit(":", 1)[1]
    log = served.data.parent / f"serve-{port}.log"
    before = log.read_text(errors="replace").count('"POST /imports/targets HTTP/1.1" 401')
    answer, sent = _chunked_upload(served.base, "/imports/targets", 300 * MIB)
    # The service closes the connection on a body it will not read; the kernel may then reset
    # it before the client reads the answer, so the service's access log is asked as well.
    assert answer == b"" or answer.startswith(b"HTTP/1.1 401"), answer[:200]
    deadline = time.monotonic() + 10
    while log.read_text(errors="replace").count('"POST /imports/targets HTTP/1.1" 401') == before:
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
        time.sleep(0.1)
    # What the socket took before the answer came is what loopback's buffers hold, far below
    # the 65 MiB the service would read of an authenticated upload.
    assert sent < 16 * MIB, sent
