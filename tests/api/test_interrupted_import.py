"""An import killed with ``kill -9`` (issue 13, part 6): an import is one transaction, so a
killed one has recorded nothing — no half of a file behind it, nothing to resume — and the same
command run again records the whole file. On SQLite and PostgreSQL."""

# ruff: noqa: F811 - the fixture imported below is used by name as a test argument

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from api.cli import main as drawledger
from ledger.application import LedgerApp

from .test_cli_registry import REQUEST, data  # noqa: F401 - the fixture
from .test_import_support import TARGET_HEADERS_ZH, count_events, csv_bytes, target_row

ROOT = Path(__file__).resolve().parents[2]
ROWS = 6000


def _registered(data: str) -> int:
    app = LedgerApp.open(Path(data), embedded_sealing=False)
    try:
        return count_events(app, "target.registered")
    finally:
        app.close()


def test_an_import_killed_while_recording_records_nothing_and_runs_again_whole(data, tmp_path):
    file = tmp_path / "targets.csv"
    file.write_bytes(csv_bytes(TARGET_HEADERS_ZH, [target_row(n) for n in range(ROWS)]))
    request = REQUEST  # the operator imports on gqc's head's written request
    command = [sys.executable, "-m", "api.cli", "import", "targets", str(file), "--data", data]
    command += request
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # DRAWLEDGER_DATABASE too, on PostgreSQL
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 120
    while "记录检查对象".encode() not in process.stderr.readline():
        assert process.poll() is None and time.monotonic() < deadline, "the import ended early"
    process.send_signal(signal.SIGKILL)  # in the middle of recording
    process.wait()
    process.stderr.close()

    assert _registered(data) == 0  # nothing half-recorded

    assert drawledger(["import", "targets", str(file), "--data", data, *request]) == 0
    assert _registered(data) == ROWS
