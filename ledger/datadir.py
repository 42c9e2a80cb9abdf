"""The data directory is the ledger's alone: 0700, every file in it 0600.

It holds the signing key (whoever reads it signs, and unseals open draws' nonces), the SQLite
log and read models, and the sealed nonces. ``secure`` makes a new directory so and makes the
process create only owner-only files (umask 077); ``check_private`` refuses to start on a
directory that group or others can read, naming each too-open path and the fix.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import ConfigurationError

PRIVATE_UMASK = 0o077


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to the new file ``path``, its owner's alone (0600) whatever the umask;
    FileExistsError if it exists (a key or secret is never overwritten)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text)


def secure(data_dir: Path) -> None:
    """Create ``data_dir`` 0700 (or tighten a new, empty one) and set the umask to 077."""
    os.umask(PRIVATE_UMASK)
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)


def check_private(data_dir: Path) -> None:
    """ConfigurationError unless ``data_dir`` and everything under it is its owner's alone;
    then set the umask to 077 so that files the service creates (read models, journals) are."""
    too_open = [
        (path, mode)
        for path in [data_dir, *sorted(data_dir.rglob("*"))]
        if (mode := stat.S_IMODE(path.lstat().st_mode)) & 0o077 and not path.is_symlink()
    ]
    if too_open:
        listed = ", ".join(f"{p} ({m:04o})" for p, m in too_open[:5])
        more = f" and {len(too_open) - 5} more" if len(too_open) > 5 else ""
        raise ConfigurationError(
            f"the data directory {data_dir} is readable by others: {listed}{more}. It holds the "
            "signing key and the draws' sealed nonces; make it the owner's alone "
            f"(chmod -R go-rwx {data_dir}) and start again"
        )
    os.umask(PRIVATE_UMASK)
