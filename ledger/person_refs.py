"""The secret behind persons' pseudonymous references (``PersonalData.reference``).

A natural person is registered under ``person-<keyed hash of their identity number>``: the same
person gets the same reference on every import, and the log names no one. The hash's key was
derived from the signing key *in use*, so after ``drawledger keys rotate`` the same person got
another reference and a re-import registered them a second time (a second target, which a
draw could select beside the first, and whose caps and history start afresh).

The key is now the ledger's for life: ``keys/person-ref.key`` (mode 0600), written when the
ledger is made, derived as before from its first signing key, so references made before this
file existed stay valid. A data directory made before it gets the file the first time it is
needed, from the ledger's first key (the key in use if it was never rotated, else
``keys/ledger.key``, which a rotation keeps); ``keys rotate`` makes sure it exists before it
switches keys. It is a secret like the signing key (identity numbers are few enough to try them
all against a reference): back it up with the keys, never with the log.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from verify.keys import SignerKey

from .datadir import write_private
from .errors import ConfigurationError
from .keyfile import load_key

if TYPE_CHECKING:
    from .application import LedgerApp

FILE = "keys/person-ref.key"
FIRST_KEY_FILE = "keys/ledger.key"  # where init writes the ledger's first key


def derived(signer: SignerKey) -> bytes:
    """The references' key made from a signing key (the only form before the file)."""
    return hashlib.sha256(b"drawledger/person-ref/v1\n" + signer.to_text().encode()).digest()


def write(data_dir: Path, key: bytes) -> None:
    write_private(data_dir / FILE, key.hex() + "\n")


def ref_key(app: LedgerApp) -> bytes:
    """The references' key of ``app``'s ledger: its file, made once if missing (above). A
    ledger made in code without a data directory has one key for life: derived from it."""
    cached: bytes | None = getattr(app, "_person_ref_key", None)
    if cached is not None:
        return cached
    key = derived(app.signer) if app.data_dir is None else _of_data_dir(app, app.data_dir)
    app._person_ref_key = key  # type: ignore[attr-defined]
    return key


def _of_data_dir(app: LedgerApp, data_dir: Path) -> bytes:
    path = data_dir / FILE
    if not path.exists():
        write(data_dir, derived(_first_signer(app, data_dir)))
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise ConfigurationError(f"{path} is readable by others: chmod 600 {path}")
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (ValueError, UnicodeDecodeError):
        key = b""
    if len(key) != 32:
        raise ConfigurationError(f"{path} is malformed: expected 64 hexadecimal digits")
    return key


def _first_signer(app: LedgerApp, data_dir: Path) -> SignerKey:
    """The ledger's first signing key: the key in use, unless a rotation replaced it, then
    ``keys/ledger.key``. ConfigurationError if neither is the key ``ledger.created`` names."""
    from .ledger_meta import Ledger, ledger_id

    first = app.get(ledger_id(app.origin), Ledger).verifier_keys[0]
    if str(app.signer.verifier) == first:
        return app.signer
    kept = data_dir / FIRST_KEY_FILE
    if kept.exists() and str((signer := load_key(kept)).verifier) == first:
        return signer
    raise ConfigurationError(
        f"{data_dir / FILE} is missing and the ledger's first key ({first}) is not in {kept}: "
        "persons' references were made with it; put back that key or the file from a backup"
    )
