"""A new ledger: its data directory (key, settings) and its first events (its creation and the
default policy)."""

from __future__ import annotations

import os
from pathlib import Path

from verify.keys import SignerKey

from . import person_refs
from .actors import SYSTEM
from .application import LedgerApp
from .config import DATABASE_ENV, DEFAULT_DATABASE, Settings
from .datadir import secure
from .errors import ConfigurationError, LedgerError
from .keyfile import create_key
from .ledger_meta import ledger_id


def create_ledger(data_dir: Path) -> LedgerApp:
    """Record ``ledger.created`` (origin, public key) and the default ``policy.set``."""
    app = LedgerApp.open(data_dir)
    try:
        app.create_ledger(SYSTEM)
        app.set_default_policy(SYSTEM)
    except BaseException:
        app.close()
        raise
    return app


def create_data_dir(data_dir: Path, origin: str, database: str | None = None) -> SignerKey:
    """A new ledger in ``data_dir`` (mode 0700, every file 0600): its key, its settings
    (``drawledger.toml``) and its first events. Returns the key. LedgerError if ``data_dir``
    holds a ledger already.

    The settings record the store the ledger is created in: ``database``, else
    ``DRAWLEDGER_DATABASE`` from the environment (which ``LedgerApp.open`` would use), else
    the SQLite file in ``data_dir``."""
    settings = Settings(
        data_dir=data_dir,
        origin=origin,
        database=database or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE,
        key_file=data_dir / "keys" / "ledger.key",
    )
    if (data_dir / "drawledger.toml").exists():
        raise LedgerError(f"{data_dir} holds a ledger already (drawledger.toml exists)")
    secure(data_dir)  # 0700, and every file created from here on 0600
    before = _files(data_dir)
    try:
        key = create_key(settings.key_file, settings.origin)
        person_refs.write(data_dir, person_refs.derived(key))  # for life: not the key in use
        settings.write()
        create_ledger(data_dir).close()  # its connections now, not when it is collected
    except BaseException:
        for path in _files(data_dir) - before:  # what this call wrote: the key, the settings
            path.unlink()
        raise
    return key


def _files(data_dir: Path) -> set[Path]:
    return {p for p in data_dir.rglob("*") if p.is_file()}


PUBLIC_KEY_FILE = "keys/ledger.pub"  # the ledger's first public key, for auditors to pin


def check_ledger_created(app: LedgerApp) -> None:
    """ConfigurationError unless the store holds ``ledger.created`` for the app's origin
    (TamperedEvent if it was signed by another key than the app's): settings pointing at
    another (or an empty) store must not start a service."""
    from .storage import redact

    where = redact(_store_name(app))
    if ledger_id(app.origin) not in app.repository:
        raise ConfigurationError(
            f"the store {where} holds no ledger {app.origin!r} (no ledger.created): check "
            f"'database' in drawledger.toml and {DATABASE_ENV}, or run 'drawledger init'"
        )
    # A store whose ledger.created was signed by another key fails already: reading the
    # event checks its signature (TamperedEvent, "signed by unknown key").
    from .key_rotation import unfinished_rotation

    if app.data_dir is not None and (cut := unfinished_rotation(app, app.data_dir)) is not None:
        raise ConfigurationError(
            f"a 'drawledger keys rotate' was cut short: the ledger rotated to the key of "
            f"{cut[0].name} at position {cut[2]}, but drawledger.toml still names the old key; "
            f"run 'drawledger keys rotate --data {app.data_dir}' to finish it (no new key is made)"
        )


def check_public_key(app: LedgerApp, data_dir: Path) -> None:
    """ConfigurationError if ``keys/ledger.pub`` is not the key ``ledger.created`` names: the
    file auditors are told to pin (``python -m verify --key DIR/keys/ledger.pub``), swapped, has
    them trust another key or fail a sound ledger. A data directory without it is left alone."""
    from .ledger_meta import Ledger

    path = data_dir / PUBLIC_KEY_FILE
    if not path.exists():
        return
    first = app.get(ledger_id(app.origin), Ledger).verifier_keys[0]
    if path.read_text(encoding="utf-8", errors="replace").strip() != first:
        raise ConfigurationError(
            f"{path} is not the key the ledger was created with ({first}): auditors who pin it "
            "would trust another key; put back the ledger's public key from the key store"
        )


def _store_name(app: LedgerApp) -> str:
    env = app.env
    if env.get("SQLITE_DBNAME"):
        return f"sqlite:///{env.get('SQLITE_DBNAME')}"
    return f"postgresql://{env.get('POSTGRES_HOST')}/{env.get('POSTGRES_DBNAME')}"
