"""Where the read models live, and the SQLAlchemy engine that reaches them.

By default: next to an SQLite ledger, the file ``readmodels.sqlite`` in the same directory (the
data directory, unless the ledger file was put elsewhere); with a PostgreSQL ledger, the same
database (tables ``rm_*``, ``trail_*`` and ``projection_tracking``) through psycopg.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.pool import StaticPool

from ledger.application import LedgerApp
from ledger.errors import ConfigurationError

READ_MODELS_FILE = "readmodels.sqlite"
_COMPANIONS = ("-wal", "-shm", "-journal", ".rebuilding")  # files beside a database file
# (SQLite's, and the mark of a rebuild under way: ``bulk_writing.py``)

log = logging.getLogger(__name__)

# Files a rebuild is writing with its rollback journal in memory (``bulk_writing.py``): a new
# connection of this process to one leaves its journal as it is instead of setting WAL.
JOURNAL_IN_MEMORY: set[Path] = set()


def read_database_url(app: LedgerApp) -> URL:
    """The default read-model database of a ledger application (see the module docstring)."""
    env = app.env
    module = env.get("PERSISTENCE_MODULE") or ""
    if module == "eventsourcing.sqlite":
        ledger_file = env.get("SQLITE_DBNAME") or ""
        if not ledger_file or ":memory:" in ledger_file or "mode=memory" in ledger_file:
            return URL.create("sqlite")  # an in-memory ledger gets in-memory read models
        return URL.create("sqlite", database=str(Path(ledger_file).parent / READ_MODELS_FILE))
    if module == "eventsourcing.postgres":
        host = env.get("POSTGRES_HOST") or ""
        socket = host.startswith("/")
        return URL.create(
            "postgresql+psycopg",
            username=env.get("POSTGRES_USER") or None,
            password=env.get("POSTGRES_PASSWORD") or None,
            host=None if socket else host,
            port=int(env.get("POSTGRES_PORT") or 5432),
            database=env.get("POSTGRES_DBNAME"),
            query={"host": host} if socket else {},
        )
    raise ConfigurationError(
        f"no default read-model database for persistence module {module!r}: pass a URL"
    )


def create_read_engine(url: str | URL) -> Engine:
    """An engine for the read models.

    SQLite: WAL (readers never block the runner; a rebuild writes with its journal in memory,
    ``bulk_writing.py``), a 30 s busy timeout, and SQLAlchemy emitting
    BEGIN itself, so that a runner's transaction covers its reads, DDL and writes (the sqlite3
    driver's legacy mode would not).
    """
    engine_url = url if isinstance(url, URL) else _parse(url)
    if engine_url.get_backend_name() != "sqlite":
        return create_engine(engine_url, pool_pre_ping=True)
    memory = not engine_url.database or engine_url.database == ":memory:"
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(engine_url, **kwargs)
    path = None if memory else Path(str(engine_url.database)).resolve()

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        if path is not None:
            if path not in JOURNAL_IN_MEMORY:
                # Refused while another process rebuilds the file with its journal in memory
                # and has a batch open ("database is locked"): left as it is, that rebuild
                # gives the file its WAL back at its end (``bulk_writing.py``).
                with contextlib.suppress(sqlite3.OperationalError):
                    cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _parse(url: str) -> URL:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_file(url: str | URL) -> Path | None:
    """The file of an SQLite read-model database (None: in memory, or not SQLite)."""
    parsed = url if isinstance(url, URL) else _parse(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def integrity_problem(path: Path) -> str | None:
    """What is wrong with the SQLite file at ``path`` (None: it passes ``PRAGMA quick_check``,
    or it does not exist yet, or another process holds it locked for longer than the check
    waits: a rebuild committing with its journal in memory, ``bulk_writing.py``, which is no
    sign of damage). Opens the file read-only: checking changes nothing."""
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as e:  # "file is not a database", a damaged header, ...
        if getattr(e, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            return None  # (locked: no sign of damage)
        return str(e)
    return None if rows == ["ok"] else "; ".join(rows[:5])


def set_aside(path: Path, reason: str) -> Path:
    """Rename a damaged read-model file (and its -wal, -shm, -journal) to
    ``NAME.damaged-<UTC time>`` beside it, and log that it was; the read models are then built
    anew from the log. Returns the new name of the file."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    path.rename(target)
    for suffix in _COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(target.with_name(target.name + suffix))
    log.warning(
        "读取模型 %s 未通过完整性检查（%s）：已移至 %s，从账本重建 "
        "(read models failed their integrity check: set aside, rebuilt)",
        path,
        reason,
        target.name,
    )
    return target
