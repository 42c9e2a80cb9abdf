"""The first events of a new ledger: its creation and the default policy."""

from __future__ import annotations

from pathlib import Path

from .actors import SYSTEM
from .application import LedgerApp


def create_ledger(data_dir: Path) -> LedgerApp:
    """Record ``ledger.created`` (origin, public key) and the default ``policy.set``."""
    app = LedgerApp.open(data_dir)
    app.create_ledger(SYSTEM)
    app.set_default_policy(SYSTEM)
    return app
