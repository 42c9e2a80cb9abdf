"""Files and directories a person or a program takes as complete are complete, or absent.

Every file the ledger writes for someone to use — an export bundle, a dispute file, a draw's
record, a report, a registry file or template, the settings — is written under a temporary name
beside it (``NAME.partial``, a directory ``.NAME.partial-PID``), flushed to the disk, and renamed
to its name only once whole. A write cut short (``kill -9``, a power cut, a full disk) leaves the
old file as it was, or no file: never a truncated one under the name a user would open. What a
kill leaves behind is the ``.partial`` name alone, which says what it is and may be deleted.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PARTIAL = ".partial"


@contextmanager
def whole_file(path: Path, *, private: bool = False) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: ``path`` appears (or is replaced) only when the
    block ends without raising; on an exception nothing of it is left. ``private``: the file is
    its owner's alone (0600) whatever the umask (a key's history, the settings)."""
    tmp = path.with_name(path.name + PARTIAL)
    try:
        mode = 0o600 if private else 0o666  # then less the umask
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def write_whole(path: Path, data: bytes | str, *, private: bool = False) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` whole or not at all (``whole_file``)."""
    with whole_file(path, private=private) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextmanager
def whole_directory(out: Path) -> Iterator[Path]:
    """A new directory to fill, named ``out`` only when the block ends without raising (``out``
    must not exist, or be empty); on an exception nothing of it is left."""
    out = out.absolute()
    tmp = out.with_name(f".{out.name}{PARTIAL}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)  # a kill's leftover of this very process id
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for path in tmp.rglob("*"):  # every file on the disk before the name says it is whole
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    if out.exists():
        out.rmdir()  # empty (checked by the caller): OSError if something was put there since
    os.rename(tmp, out)
