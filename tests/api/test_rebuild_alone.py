"""Two ``drawledger rebuild`` at once, and a rebuild killed midway (``kill -9``), on SQLite and
PostgreSQL: the second is refused at once in Chinese (exit 1) while the first goes on — before,
it dropped the tables under the first and one of them failed with a traceback (SQLite's
``database is locked``, PostgreSQL's duplicate index), or the first reported 0 events read —
and after the kill the next rebuild completes: the read models stand at the log's head."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from api.cli import main as drawledger
from ledger.application import LedgerApp
from projections import open_read_models

from .test_cli_registry import _database_url
from .workers_support import ROOT

SLOW = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from projections.runner import ProjectionRunner
    caught_up = ProjectionRunner.catch_up
    def slowly(self, *args, **kwargs):  # signals it is inside the rebuild, then dawdles
        Path(sys.argv[2]).touch()
        time.sleep(60)
        return caught_up(self, *args, **kwargs)
    ProjectionRunner.catch_up = slowly
    from api.cli import main
    sys.exit(main(["rebuild", "--data", sys.argv[1]]))
    """
)


@pytest.fixture
def data(store_kind, tmp_path, monkeypatch, request):  # type: ignore[no-untyped-def]
    """A demo registry on the store of ``store_kind``."""
    if store_kind == "postgres":
        env = request.getfixturevalue("fresh_pg_env")
        monkeypatch.setenv("DRAWLEDGER_DATABASE", _database_url(env))
    path = tmp_path / "ledger"
    assert drawledger(["demo", "--data", str(path), "--targets", "30", "--registry-only"]) == 0
    monkeypatch.delenv("DRAWLEDGER_DATABASE", raising=False)
    return path


def test_a_second_rebuild_is_refused_in_chinese_and_one_killed_midway_is_redone(
    data, tmp_path, capsys
):
    inside = tmp_path / "inside"
    first = subprocess.Popen(
        [sys.executable, "-c", SLOW, str(data), str(inside)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not inside.exists():
            assert first.poll() is None, first.communicate()[1]
            assert time.monotonic() < deadline, "the first rebuild never started"
            time.sleep(0.1)
        capsys.readouterr()
        started = time.monotonic()
        assert drawledger(["rebuild", "--data", str(data)]) == 1
        assert time.monotonic() - started < 10  # at once, not after a lock timeout
        err = capsys.readouterr().err
        assert "另一个 'drawledger rebuild' 正在重建这些读取模型" in err, err
        assert "Traceback" not in err
        assert first.poll() is None  # the first goes on
        os.kill(first.pid, signal.SIGKILL)  # killed in the middle of its rebuild
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        first.stderr.close()  # type: ignore[union-attr]
    assert drawledger(["rebuild", "--data", str(data)]) == 0  # the lock died with it
    app = LedgerApp.open(data)
    try:
        read_models = open_read_models(app, attach=False)
        try:
            head = app.recorder.max_notification_id()
            assert set(read_models.runner.positions().values()) == {head}
        finally:
            read_models.close()
    finally:
        app.close()
