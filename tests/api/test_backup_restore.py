"""Back up and restore (issue 13, part 1; docs/OPERATIONS.md "Backup and restore"): a ledger is
backed up as the operations guide says (SQLite's online backup; ``pg_dump``), restored into a
new data directory (and, on PostgreSQL, a new database), and the restored ledger verifies, takes
a new command, and verifies again with the new event after the old ones. The original is left
as it was, and the restored ledger holds what the backup held and nothing recorded after it."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.registry.service import Registry

from .workers_support import ROOT, init_ledger, own_database


def _add_divisions(data: Path, codes: list[str]) -> None:
    app = LedgerApp.open(data, embedded_sealing=False)
    try:
        registry = Registry(app)
        for code in codes:
            registry.add_division({"code": code, "name": code, "kind": "other_unit"}, by=None)
    finally:
        app.close()


def _verified(data: Path, out: Path) -> list[dict]:  # type: ignore[type-arg]
    """Seal, export and verify with the first key; the exported records."""
    assert drawledger(["seal", "--data", str(data)]) == 0
    assert drawledger(["export", "--data", str(data), "--out", str(out)]) == 0
    checked = subprocess.run(
        [sys.executable, "-m", "verify", str(out), "--key", str(data / "keys" / "ledger.pub")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return [json.loads(line) for line in out.read_text().splitlines()]


def _codes(data: Path) -> list[str]:
    app = LedgerApp.open(data, embedded_sealing=False)
    try:
        return [app.domain_event(n).code for n in app.notifications(topics=["division.created"])]
    finally:
        app.close()


def _new_directory(original: Path, restored: Path) -> None:
    """The settings and keys, kept apart from the backups (the bureau's key store)."""
    restored.mkdir(mode=0o700)
    shutil.copy2(original / "drawledger.toml", restored / "drawledger.toml")
    shutil.copytree(original / "keys", restored / "keys")


def _restored_goes_on(original: Path, restored: Path, tmp_path: Path) -> None:
    before = _verified(restored, tmp_path / "restored.jsonl")
    assert _codes(restored) == ["a1", "a2"]  # what the backup held, not what came after
    _add_divisions(restored, ["b1"])
    after = _verified(restored, tmp_path / "restored-after.jsonl")
    assert _codes(restored) == ["a1", "a2", "b1"]
    assert len(after) > len(before)
    assert _codes(original) == ["a1", "a2", "late"]  # the original untouched by the restore


def test_an_sqlite_ledger_backed_up_online_and_restored_verifies_and_goes_on(tmp_path, capsys):
    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data)]) == 0
    _add_divisions(data, ["a1", "a2"])
    _verified(data, tmp_path / "original.jsonl")
    backup = tmp_path / "backup.sqlite"
    live = LedgerApp.open(data, embedded_sealing=False)  # the service holds the file open
    try:  # sqlite3 DIR/ledger.sqlite ".backup BACKUP.sqlite" is this API
        with (
            closing(sqlite3.connect(data / "ledger.sqlite")) as source,
            closing(sqlite3.connect(backup)) as target,
        ):
            source.backup(target)
    finally:
        live.close()
    _add_divisions(data, ["late"])  # recorded after the backup: the restore cannot have it

    restored = tmp_path / "restored"
    _new_directory(data, restored)
    shutil.copy2(backup, restored / "ledger.sqlite")
    _restored_goes_on(data, restored, tmp_path)
    capsys.readouterr()


def test_a_postgresql_ledger_dumped_and_restored_into_a_new_database_verifies_and_goes_on(
    pg_env, tmp_path, capsys
):
    with own_database(pg_env, "backup") as env, own_database(pg_env, "restored") as target:
        data = tmp_path / "ledger"
        init_ledger(env, data)
        _add_divisions(data, ["a1", "a2"])
        _verified(data, tmp_path / "original.jsonl")
        dump = tmp_path / "ledger.dump"
        client = {**os.environ, "PGPASSWORD": env["POSTGRES_PASSWORD"]}
        where = ["-h", env["POSTGRES_HOST"], "-p", env["POSTGRES_PORT"], "-U", env["POSTGRES_USER"]]
        subprocess.run(
            ["pg_dump", *where, "-Fc", "-f", str(dump), env["POSTGRES_DBNAME"]],
            env=client, check=True, timeout=120,
        )  # fmt: skip
        _add_divisions(data, ["late"])

        restored = tmp_path / "restored"
        _new_directory(data, restored)
        subprocess.run(
            ["pg_restore", *where, "--no-owner", "-d", target["POSTGRES_DBNAME"], str(dump)],
            env=client, check=True, timeout=120,
        )  # fmt: skip
        settings = restored / "drawledger.toml"  # the restored directory names the new database
        old = f"/{env['POSTGRES_DBNAME']}?"
        assert old in settings.read_text()
        settings.write_text(settings.read_text().replace(old, f"/{target['POSTGRES_DBNAME']}?"))
        _restored_goes_on(data, restored, tmp_path)
    capsys.readouterr()
