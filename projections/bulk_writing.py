"""How a rebuild writes an SQLite read-model file: in bulk, and what a crash leaves.

While a rebuild runs (``runner.rebuild``), each SQLite connection it takes

- checkpoints the write-ahead log every ``REBUILD_CHECKPOINT`` pages (80 MiB) instead of
  SQLite's 1,000 (4 MiB), with up to ``REBUILD_CACHE_KIB`` of pages in its cache instead of
  2 MiB;
- writes with ``synchronous=OFF``: no fsync at each checkpoint.

Together they took a rebuild at a million targets (2.7 GB written) from 8,810 to about 11,000
events/s (docs/PERFORMANCE.md, session 19). Each connection gets its own settings back when it
is returned to the pool, whenever that is.

``synchronous=OFF`` keeps the file whole if the *process* dies (SQLite writes the same
bytes), but not if the *machine* does — a power cut, a kernel crash — before the operating
system wrote them: the file could then hold positions whose rows were lost. So a rebuild of a
file first leaves a mark beside it, ``<file>.rebuilding`` (this boot's id and the process id,
made durable), and ends by checkpointing the log with an fsync (durable from then on) before
removing the mark. A mark found when the read models are opened (``interrupted``) says:

- from another boot (the machine restarted meanwhile), or of unknown boot: the file may have
  lost what the disk never got; it is set aside and the read models are built anew;
- from this boot, of a process no longer running: the process died, the file is whole; its
  log is checkpointed with an fsync and the mark removed, and the rebuild resumes where its
  last batch committed, as before;
- from this boot, of a process still running: another process is rebuilding; left alone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from .database import integrity_problem, set_aside, sqlite_file

REBUILD_CHECKPOINT = 20_000
REBUILD_CACHE_KIB = 256 * 1024
BULK = {
    "wal_autocheckpoint": REBUILD_CHECKPOINT,
    "cache_size": -REBUILD_CACHE_KIB,
    "synchronous": 0,
}
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")

log = logging.getLogger(__name__)


@contextlib.contextmanager
def bulk_writing(engine: Engine) -> Iterator[None]:
    """The settings above on each SQLite connection ``engine`` gives out while the block runs,
    a file's mark left before and removed after its log was checkpointed with an fsync."""
    if engine.dialect.name != "sqlite":
        yield
        return
    path = sqlite_file(engine.url)
    if path is not None:
        _mark(path)
    if not event.contains(engine, "checkin", _given_back):
        event.listen(engine, "checkin", _given_back)
    event.listen(engine, "checkout", _taken_for_bulk)
    try:
        yield
    finally:
        event.remove(engine, "checkout", _taken_for_bulk)
        if path is not None:
            _made_durable(path)


def interrupted(path: Path) -> str | None:
    """Why the file at ``path`` cannot be trusted after a rebuild that did not end (None: no
    mark, or one that is dealt with here; see the module docstring)."""
    mark = _mark_of(path)
    if not mark.exists():
        return None
    try:
        left = json.loads(mark.read_text(encoding="utf-8"))
        boot, pid = str(left["boot"]), int(left["pid"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        return f"a rebuild's mark that cannot be read ({e}): the machine may have stopped"
    if boot != _boot_id() or not boot:
        return "a rebuild was under way when the machine stopped (another boot since)"
    if _running(pid):
        return None  # another process is rebuilding it
    _made_durable(path)
    log.warning(
        "读取模型 %s 的重建随其进程（%d）停止：文件完好，从最后提交的批次继续 "
        "(a rebuild stopped with its process: it resumes)",
        path,
        pid,
    )
    return None


def set_aside_if_untrusted(path: Path) -> None:
    """Set the read-model file at ``path`` aside (``database.set_aside``) if it cannot be
    trusted: a rebuild was under way when the machine stopped (``interrupted``), or it fails
    ``database.integrity_problem``'s check; the read models are then built anew from the log."""
    problem = interrupted(path) or integrity_problem(path)
    if problem is not None:
        set_aside(path, problem)


def _mark_of(path: Path) -> Path:
    return path.with_name(path.name + ".rebuilding")


def _mark(path: Path) -> None:
    mark = _mark_of(path)
    with open(mark, "w", encoding="utf-8") as f:
        json.dump({"boot": _boot_id(), "pid": os.getpid()}, f)
        f.flush()
        os.fsync(f.fileno())
    _sync_directory(path.parent)


def _made_durable(path: Path) -> None:
    """Checkpoint the file's log with fsyncs, then fsync the file and what is left of its log
    (a reader may have kept the checkpoint from reaching the end): what was written is on the
    disk. Then remove its mark."""
    if path.exists():
        with closing(sqlite3.connect(path, timeout=30)) as conn:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            for written in (path, path.with_name(path.name + "-wal")):
                if written.exists():
                    with open(written, "rb+") as f:
                        os.fsync(f.fileno())
    _mark_of(path).unlink(missing_ok=True)
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _boot_id() -> str:
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return ""  # unknown: a mark left is taken as from another boot


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pragmas(dbapi_connection: Any, settings: dict[str, int]) -> dict[str, int]:
    """Set SQLite settings on a connection; returns what they were."""
    cursor = dbapi_connection.cursor()
    try:
        before = {k: int(cursor.execute(f"PRAGMA {k}").fetchone()[0]) for k in settings}
        for name, value in settings.items():
            cursor.execute(f"PRAGMA {name}={int(value)}")
    finally:
        cursor.close()
    return before


def _taken_for_bulk(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    if "before_bulk" not in record.info:
        record.info["before_bulk"] = _pragmas(dbapi_connection, BULK)


def _given_back(dbapi_connection: Any, record: Any) -> None:
    before = record.info.pop("before_bulk", None)
    if before is not None and dbapi_connection is not None:
        _pragmas(dbapi_connection, before)
