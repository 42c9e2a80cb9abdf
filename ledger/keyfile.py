"""The ledger's signing key on disk: C2SP signer-key text, readable by its owner only."""

from __future__ import annotations

import stat
from pathlib import Path

from verify.errors import KeyFormatError
from verify.keys import SignerKey, VerifierKey, parse_signer_key, parse_verifier_key

from .config import KEY_HISTORY
from .datadir import write_private
from .errors import ConfigurationError
from .whole_files import write_whole


def create_key(path: Path, name: str) -> SignerKey:
    """Generate a new Ed25519 key named ``name`` and write it to ``path`` with mode 0600 (and
    its public key beside it, ``.pub``, 0600 as well: the data directory is its owner's alone).

    Refuses to overwrite an existing key: losing a ledger key orphans every signature.
    """
    if path.exists():
        raise ConfigurationError(f"{path} exists already; refusing to overwrite a ledger key")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SignerKey.generate(name)
    write_private(path, key.to_text() + "\n")
    write_private(path.with_suffix(".pub"), str(key.verifier) + "\n")  # the directory's rule
    return key


def load_key(path: Path) -> SignerKey:
    """Load the signing key; a missing, unreadable, malformed or too-open file is an error."""
    if not path.exists():
        raise ConfigurationError(
            f"no ledger key at {path}: run 'drawledger init --data DIR' to create one"
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(
            f"ledger key {path} has mode {mode:04o}; it must be readable by its owner only "
            f"(chmod 600 {path.name})"
        )
    try:
        return parse_signer_key(path.read_text(encoding="ascii").strip())
    except (KeyFormatError, UnicodeDecodeError) as e:
        raise ConfigurationError(f"ledger key {path} is malformed: {e}") from None


def load_key_history(data_dir: Path) -> list[VerifierKey]:
    """The verifier keys of ``keys/history.pub`` (none before the first rotation)."""
    path = data_dir / KEY_HISTORY
    if not path.exists():
        return []
    try:
        lines = path.read_text(encoding="ascii").splitlines()
        return [parse_verifier_key(line) for line in lines if line.strip()]
    except (KeyFormatError, UnicodeDecodeError) as e:
        raise ConfigurationError(f"{path} is malformed: {e}") from None


def add_to_key_history(data_dir: Path, keys: list[VerifierKey]) -> None:
    """Append the keys ``keys/history.pub`` lacks (written whole, then renamed over it)."""
    path = data_dir / KEY_HISTORY
    known = [str(k) for k in load_key_history(data_dir)]
    lines = known + [str(k) for k in keys if str(k) not in known]
    write_whole(path, "".join(f"{line}\n" for line in lines), private=True)
