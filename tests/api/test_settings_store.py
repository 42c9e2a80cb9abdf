"""The settings name the store the ledger is in, and keep its password out of drawledger.toml;
``serve`` refuses settings that name a store without the ledger."""

from __future__ import annotations

import stat

import pytest

from api.cli import main
from ledger.application import LedgerApp
from ledger.config import DEFAULT_DATABASE, Settings
from ledger.errors import ConfigurationError
from ledger.setup import check_ledger_created, create_data_dir

ORIGIN = "drawledger.test/ledger"


def test_a_ledger_created_under_drawledger_database_records_that_store(tmp_path, monkeypatch):
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere' / 'ledger.sqlite'}"
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.setenv("DRAWLEDGER_DATABASE", elsewhere)
    assert (
        main(["demo", "--data", str(tmp_path / "data"), "--targets", "30", "--registry-only"]) == 0
    )
    monkeypatch.delenv("DRAWLEDGER_DATABASE")
    settings = Settings.load(tmp_path / "data")
    assert settings.database == elsewhere  # not the default sqlite:///ledger.sqlite
    assert not (tmp_path / "data" / "ledger.sqlite").exists()
    app = LedgerApp.open(tmp_path / "data")
    check_ledger_created(app)  # the store of the settings holds the ledger
    app.close()


def test_serve_refuses_settings_naming_a_store_without_the_ledger(tmp_path, capsys):
    data = tmp_path / "data"
    create_data_dir(data, ORIGIN)
    toml = data / "drawledger.toml"
    toml.write_text(toml.read_text().replace(DEFAULT_DATABASE, "sqlite:///empty.sqlite"))
    assert main(["serve", "--data", str(data), "--port", "1"]) == 1
    error = capsys.readouterr().err
    assert "中没有账本" in error and ORIGIN in error and "empty.sqlite" in error


def test_serve_refuses_a_store_whose_ledger_has_another_key(tmp_path, capsys):
    first, second = tmp_path / "first", tmp_path / "second"
    create_data_dir(first, ORIGIN)
    create_data_dir(second, ORIGIN)
    (second / "keys" / "ledger.key").write_bytes((first / "keys" / "ledger.key").read_bytes())
    assert main(["serve", "--data", str(second), "--port", "1"]) == 1
    assert "由未知的密钥" in capsys.readouterr().err


def test_a_database_password_goes_to_a_0600_file_never_into_the_toml(tmp_path):
    data = tmp_path
    url = "postgresql://ledger:s3cr%40t@db.internal:5432/drawledger"
    Settings(data, ORIGIN, url, data / "keys" / "ledger.key").write()
    toml = (data / "drawledger.toml").read_text()
    assert "s3cr" not in toml
    assert "postgresql://ledger@db.internal:5432/drawledger" in toml
    secret = data / "keys" / "database.password"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert Settings.load(data).database == url
    secret.chmod(0o644)
    with pytest.raises(ConfigurationError, match="readable by others"):
        Settings.load(data)


def test_init_on_a_store_that_holds_another_ledger_is_refused_and_leaves_no_half_directory(
    fresh_pg_env, tmp_path, monkeypatch, capsys
):
    from .test_cli_registry import _database_url

    monkeypatch.setenv("DRAWLEDGER_DATABASE", _database_url(fresh_pg_env))
    assert main(["init", "--data", str(tmp_path / "first")]) == 0
    app = LedgerApp.open(tmp_path / "first", embedded_sealing=False)
    held = app.recorder.max_notification_id()
    app.close()
    capsys.readouterr()

    second = tmp_path / "second"
    assert main(["init", "--data", str(second), "--origin", "other.test/ledger"]) == 1
    err = capsys.readouterr().err
    assert f"存储中已有 {held} 个事件" in err and "新账本须使用空数据库" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (second / "drawledger.toml").exists()  # nothing half-made: init can run again
    assert not [p for p in second.rglob("*") if p.is_file()]
    app = LedgerApp.open(tmp_path / "first", embedded_sealing=False)
    try:
        assert app.recorder.max_notification_id() == held  # the first ledger untouched
    finally:
        app.close()


def _refused_to_serve(data) -> str:  # type: ignore[no-untyped-def]
    """The refusal of the service over ``data``, as ``drawledger serve`` prints it (built
    directly: a service built by mistake returns instead of listening)."""
    from api.errors import refusal_text
    from api.serving import service
    from ledger.errors import LedgerError

    with pytest.raises(LedgerError) as refused:
        service(data)
    return refusal_text(refused.value)


def test_serve_refuses_a_store_cut_short_under_its_checkpoints(tmp_path):
    """The operator restores the log to a copy one event shorter than the checkpoints kept
    beside it (or cuts its tail): serve refuses to start, saying so, instead of taking
    commands it can never seal."""
    import sqlite3

    data = tmp_path / "data"
    create_data_dir(data, ORIGIN)
    assert main(["seal", "--data", str(data)]) == 0
    with sqlite3.connect(data / "ledger.sqlite") as db:
        assert db.execute("SELECT count(*) FROM seal_checkpoints").fetchone()[0] > 0
        db.execute("DROP TRIGGER stored_events_no_delete")
        db.execute("DELETE FROM stored_events WHERE rowid = (SELECT max(rowid) FROM stored_events)")
    error = _refused_to_serve(data)
    assert "已不是大小为" in error and "存储被截断或回滚到较早的副本" in error


def test_serve_refuses_a_swapped_public_key_file(tmp_path):
    """The operator puts another key's public half in keys/ledger.pub, the file auditors are
    told to pin: serve refuses to start, naming the file and the ledger's own key; put back,
    it starts checking fine."""
    from verify.keys import SignerKey

    data = tmp_path / "data"
    create_data_dir(data, ORIGIN)
    pub = data / "keys" / "ledger.pub"
    real = pub.read_text()
    pub.write_text(str(SignerKey.generate(ORIGIN).verifier) + "\n")
    error = _refused_to_serve(data)
    assert "不是建立账本时的密钥" in error and real.strip() in error and "ledger.pub" in error
    pub.write_text(real)
    app = LedgerApp.open(data)
    try:
        from ledger.setup import check_public_key

        check_public_key(app, data)
    finally:
        app.close()
