"""How a rebuild writes an SQLite read-model file: in bulk, and what a crash leaves.

While a rebuild runs (``runner.rebuild``), the file leaves WAL for a rollback journal kept in
memory (``journal_mode=MEMORY``), and each SQLite connection the rebuild takes

- writes with that journal (each commit writes its pages into the file once, where WAL wrote
  them into the log and later again into the file), or, if another connection keeps the file
  in WAL (another process reading it, or one that opened it during the rebuild and took it
  back into WAL), checkpoints the log every ``REBUILD_CHECKPOINT`` pages (80 MiB) instead of
  SQLite's 1,000 (4 MiB);
- keeps up to ``REBUILD_CACHE_KIB`` of pages in its cache instead of 2 MiB;
- writes with ``synchronous=OFF``: no fsyncs.

The cache, the checkpoints and ``synchronous=OFF`` took a rebuild at a million targets (2.7 GB
written) from 8,810 to about 11,000 events/s (docs/PERFORMANCE.md, session 19); the journal in
memory took another 15 % of its time (session 20). Each connection gets its own settings back
when it is returned to the pool, whenever that is; the file gets WAL back at the end.

``synchronous=OFF`` keeps the file whole if the *process* dies in WAL (SQLite writes the same
bytes), but not if the *machine* does — a power cut, a kernel crash — before the operating
system wrote them: the file could then hold positions whose rows were lost. A journal in
memory is lost with the process: one that dies in a commit leaves half of it in the file. So a
rebuild of a file first leaves a mark beside it, ``<file>.rebuilding`` (this boot's id, the
process id and the journal it writes with, made durable), and ends by making the file durable
(fsyncs, WAL again) before removing the mark. A mark found when the read models are opened
(``interrupted``) says:

- from another boot (the machine restarted meanwhile), or of unknown boot: the file may have
  lost what the disk never got; it is set aside and the read models are built anew;
- from this boot, of a process no longer running, that wrote with its journal in memory: the
  file may hold half a transaction; set aside likewise;
- from this boot, of a process no longer running, that wrote in WAL: the process died, the file
  is whole; its log is checkpointed with an fsync and the mark removed, and the rebuild resumes
  where its last batch committed, as before;
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

from sqlalchemy import Connection, Engine, event

from .database import JOURNAL_IN_MEMORY, integrity_problem, set_aside, sqlite_file

REBUILD_CHECKPOINT = 20_000
REBUILD_CACHE_KIB = 256 * 1024
# While indexes are built (``index_builds``): the cache, and so the run each sort holds in
# memory, and SQLite's helper threads for the sorts (at most 8: SQLite's own limit).
INDEX_SORT_CACHE_KIB = 8 * 1024
INDEX_SORT_THREADS = min(os.cpu_count() or 1, 8)
BULK = {
    "wal_autocheckpoint": REBUILD_CHECKPOINT,
    "cache_size": -REBUILD_CACHE_KIB,
    "synchronous": 0,
}
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
DURABLE_WAIT = 30  # seconds the end of a rebuild waits for readers to let it go back into WAL

log = logging.getLogger(__name__)


@contextlib.contextmanager
def bulk_writing(engine: Engine) -> Iterator[str]:
    """The settings above on each SQLite connection ``engine`` gives out while the block runs,
    a file's journal in memory, and its mark left before and removed after the file was made
    durable, in WAL again (also when the block, or the mark, fails; not when a writer process
    was lost, ``WriterLost``). Gives the journal the file is written with (``memory``, or
    ``wal``: another process keeps it in WAL, or not SQLite)."""
    if engine.dialect.name != "sqlite":
        yield "wal"
        return
    path = sqlite_file(engine.url)
    path = path.resolve() if path is not None else None
    journal = None

    def taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if "before_bulk" not in record.info:
            record.info["before_bulk"] = settle(dbapi_connection, journal)

    try:  # (a mark that cannot be written: the file has its WAL back all the same)
        if path is not None:
            journal = _journal_in_memory(engine, path)
            _mark(path, journal)
        if not event.contains(engine, "checkin", _given_back):
            event.listen(engine, "checkin", _given_back)
        event.listen(engine, "checkout", taken)
        yield journal or "wal"
    finally:
        if event.contains(engine, "checkout", taken):
            event.remove(engine, "checkout", taken)
        if path is not None:
            JOURNAL_IN_MEMORY.discard(path)
            lost = _LOST.pop(path, None)
            if lost is not None and journal == "memory":
                _mark(path, journal, lost)  # left: the file is set aside when next opened
            else:
                _made_durable(path)


# The files whose rebuild lost its writer process, and that process (``writer_lost``).
_LOST: dict[Path, int] = {}


class WriterLost(Exception):
    """A rebuild's writer process ended without committing or refusing its batch (killed):
    with its journal in memory, the file may hold part of a transaction."""

    def __init__(self, pid: int, detail: str) -> None:
        super().__init__(
            f"读取模型的写入进程（{pid}）意外停止：重建未完成，读取模型下次打开时将重新构建 "
            f"(the rebuild's writer process ended: {detail})"
        )
        self.pid = pid


def writer_lost(path: Path, pid: int, detail: str) -> WriterLost:
    """Note that the rebuild of the file at ``path`` lost its writer process ``pid``: at the
    end of the rebuild ``bulk_writing`` leaves the file's mark naming it (whatever error the
    rebuild ends with), so that the file is set aside when the read models are next opened
    (``interrupted``) and built anew. Returns the error to raise."""
    _LOST[path.resolve()] = pid
    return WriterLost(pid, detail)


def settle(dbapi_connection: Any, journal: str | None) -> dict[str, int]:
    """A rebuild's settings (``BULK``) on a connection of the file; returns what they were.
    With ``journal`` ``memory``, this connection's journal too (not given back: the file's is
    WAL again at the end, which every connection then follows); refused if another process took
    the file back into WAL meanwhile (a service started during the rebuild): the rebuild then
    goes on in WAL, as session 19's did."""
    before = _pragmas(dbapi_connection, BULK)
    if journal == "memory":
        with contextlib.suppress(sqlite3.OperationalError):
            dbapi_connection.execute("PRAGMA journal_mode=MEMORY").fetchall()
    return before


@contextlib.contextmanager
def index_builds(conn: Connection) -> Iterator[None]:
    """SQLite: while the block builds indexes on ``conn``, each sort in runs of
    ``INDEX_SORT_CACHE_KIB`` sorted by ``INDEX_SORT_THREADS`` helper threads and merged, instead
    of one run as large as the cache (a rebuild's 256 MiB, ``BULK``); the connection's cache
    and threads given back after. ``CREATE INDEX`` sorts its table's keys in runs as large as
    the cache: a run of 256 MiB, sorted in one piece in memory, took the 37 index builds at the
    end of a rebuild at a million targets 10.6–12.1 s; runs of 8 MiB, sorted by two helper
    threads beside the scan and written to temporary files, 6.2–7.4 s (docs/PERFORMANCE.md,
    session 24). The helpers are not used with temporary files in memory (``temp_store``)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    settings = {"cache_size": -INDEX_SORT_CACHE_KIB, "threads": INDEX_SORT_THREADS}
    raw = conn.connection.driver_connection
    before = _pragmas(raw, settings)
    try:
        yield
    finally:
        _pragmas(raw, before)


def interrupted(path: Path) -> str | None:
    """Why the file at ``path`` cannot be trusted after a rebuild that did not end (None: no
    mark, or one that is dealt with here; see the module docstring)."""
    mark = _mark_of(path)
    if not mark.exists():
        return None
    try:
        left = json.loads(mark.read_text(encoding="utf-8"))
        boot, pid, journal = str(left["boot"]), int(left["pid"]), str(left.get("journal", "wal"))
    except (OSError, ValueError, KeyError, TypeError) as e:
        return f"重建标记无法读取（{e}）：机器可能曾停止 (a rebuild's mark that cannot be read)"
    if boot != _boot_id() or not boot:
        return "机器停止时重建正在进行，此后已重新启动 (a rebuild under way as the machine stopped)"
    if _running(pid):
        return None  # another process is rebuilding it
    if journal != "wal":  # (a mark of a version before journals in memory: WAL)
        return (
            f"以内存日志写入的重建随其进程（{pid}）停止：文件可能含半个事务 "
            "(a rebuild with its journal in memory stopped with its process)"
        )
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


def _journal_in_memory(engine: Engine, path: Path) -> str:
    """Take the file out of WAL for a rollback journal in memory (see the module docstring);
    returns the journal it has now: ``memory``, or ``wal`` if another connection (of another
    process) keeps it in WAL. This engine's idle connections are closed first, so that they do
    not; its new ones leave the journal alone (``database.JOURNAL_IN_MEMORY``)."""
    JOURNAL_IN_MEMORY.add(path)
    engine.dispose()
    journal = "wal"
    with (
        contextlib.suppress(sqlite3.OperationalError),
        closing(sqlite3.connect(path, timeout=2)) as conn,
    ):  # ("database is locked": another connection is reading it in WAL)
        journal = str(conn.execute("PRAGMA journal_mode=MEMORY").fetchone()[0]).lower()
    if journal != "memory":
        JOURNAL_IN_MEMORY.discard(path)
    return journal


def _mark(path: Path, journal: str, pid: int | None = None) -> None:
    """The mark beside the file: the process rebuilding it (by default this one)."""
    mark = _mark_of(path)
    with open(mark, "w", encoding="utf-8") as f:
        json.dump({"boot": _boot_id(), "pid": pid or os.getpid(), "journal": journal}, f)
        f.flush()
        os.fsync(f.fileno())
    _sync_directory(path.parent)


def _made_durable(path: Path) -> None:
    """Give the file WAL again, checkpoint the log with fsyncs, then fsync the file (what a
    journal in memory wrote too) and what is left of its log (a reader may have kept the
    checkpoint from reaching the end): what was written is on the disk. Then remove its mark.
    A reader of another process that keeps the file from going back into WAL for
    ``DURABLE_WAIT`` seconds leaves it in a rollback journal (on the disk all the same; the
    next connection of the read models sets WAL, ``database.create_read_engine``)."""
    if path.exists():
        with closing(sqlite3.connect(path, timeout=DURABLE_WAIT)) as conn:
            conn.execute("PRAGMA synchronous=FULL")
            with contextlib.suppress(sqlite3.OperationalError):  # ("database is locked")
                conn.execute("PRAGMA journal_mode=WAL").fetchall()
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


def _given_back(dbapi_connection: Any, record: Any) -> None:
    before = record.info.pop("before_bulk", None)
    if before is not None and dbapi_connection is not None:
        _pragmas(dbapi_connection, before)
