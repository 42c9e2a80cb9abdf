"""A new ledger: its data directory (key, settings) and its first events (its creation and the
default policy)."""

from __future__ import annotations

from pathlib import Path

from verify.keys import SignerKey

from .actors import SYSTEM
from .application import LedgerApp
from .config import DEFAULT_DATABASE, Settings
from .datadir import secure
from .errors import LedgerError
from .keyfile import create_key


def create_ledger(data_dir: Path) -> LedgerApp:
    """Record ``ledger.created`` (origin, public key) and the default ``policy.set``."""
    app = LedgerApp.open(data_dir)
    app.create_ledger(SYSTEM)
    app.set_default_policy(SYSTEM)
    return app


def create_data_dir(data_dir: Path, origin: str, database: str | None = None) -> SignerKey:
    """A new ledger in ``data_dir`` (mode 0700, every file 0600): its key, its settings
    (``drawledger.toml``) and its first events. Returns the key. LedgerError if ``data_dir``
    holds a ledger already."""
    settings = Settings(
        data_dir=data_dir,
        origin=origin,
        database=database or DEFAULT_DATABASE,
        key_file=data_dir / "keys" / "ledger.key",
    )
    if (data_dir / "drawledger.toml").exists():
        raise LedgerError(f"{data_dir} holds a ledger already (drawledger.toml exists)")
    secure(data_dir)  # 0700, and every file created from here on 0600
    key = create_key(settings.key_file, settings.origin)
    settings.write()
    create_ledger(data_dir)
    return key
