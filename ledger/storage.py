"""Where events live: the ``eventsourcing`` SQLite or PostgreSQL recorder, chosen by a URL.

- ``sqlite:///ledger.sqlite`` (a path relative to the data directory) or ``sqlite:////abs/path``;
- ``postgresql://user:password@host:port/dbname`` (``?host=/socket/dir`` for a local socket).

Stored events are append-only: triggers refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) on
the events table and on the sealer's tables. That is defence in depth; the signatures and the
Merkle tree are what make tampering detectable.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresRecorder
from eventsourcing.utils import register_topic, retry
from psycopg_pool import PoolTimeout

from .errors import ConfigurationError

# Seconds to reach the PostgreSQL server when a ledger is opened: unreachable, a command or
# ``serve`` says so at once instead of waiting for the connection pool's own timeout.
REACH_TIMEOUT = 5
# Seconds a store call waits for a pooled connection before it fails. The library retries each
# call 10 times (0.2 s apart), so a call fails after some 12 s of a stopped server or of every
# connection busy (503 store_unavailable, the CLI's one line): its default of 30 s made that
# 5 minutes, a request to a stopped server hanging with no answer.
STORE_WAIT = 1
APPEND_ONLY_MESSAGE = "drawledger: the table is append-only"
# An explicit topic: "ledger.storage:..." would resolve through the aggregate kind "ledger".
POSTGRES_RECORDER_TOPIC = "drawledger:postgres-event-recorder"
SCHEMA_LOCK = 0x6472_6177_7363_6865  # "drawsche": the store's schema made (advisory lock)


# How many times a new pool's first connection is waited for (STORE_WAIT each).
CONNECTION_TRIES = 10


def patient_connections(datastore: Any) -> None:
    """Make ``datastore``'s first connection wait up to ``CONNECTION_TRIES`` times
    ``STORE_WAIT`` for its pool to open one, instead of once: a new pool (each command, each
    worker) opens its connections in the background, and under load the first can take more
    than the 1 s a call waits — the tables' creation, the ledger's own transactions and the
    recorder's insert are not retried by the library, and a CI run under load lost a command
    that way ("couldn't get a connection after 1.00 sec"). Only the wait is tried again: nothing
    has run on a connection not yet given. Once the pool has given one, a wait is what it was
    (a store stopped later still fails each call within ``STORE_WAIT``, retried as before)."""
    if getattr(datastore, "_patient", False):
        return
    give = datastore.get_connection
    opened = False

    @contextmanager
    def get_connection() -> Iterator[Any]:
        nonlocal opened
        tries = 1 if opened else CONNECTION_TRIES
        for attempt in range(1, tries + 1):
            given = give()
            try:
                conn = given.__enter__()
                break
            except OperationalError as e:
                if attempt == tries or not isinstance(e.__cause__, PoolTimeout):
                    raise
        opened = True
        try:
            yield conn
        except BaseException as e:
            if not given.__exit__(type(e), e, e.__traceback__):
                raise
        else:
            given.__exit__(None, None, None)

    datastore.get_connection = get_connection
    datastore._patient = True


class _LastReturnedFirst(deque[Any]):
    """The library's pool of idle connections (it takes from the left, returns to the right),
    taken from the right instead: the connection returned last is given first."""

    def popleft(self) -> Any:
        return self.pop()


def hot_connection_first(recorder: Any) -> None:
    """Make a SQLite recorder's pool give the connection returned last (the library gives the
    one idle longest). SQLite empties a connection's page cache whenever another connection
    wrote since its last transaction: once the pool holds two connections (the sealing
    task's round, a reader thread, ran beside a save), taking them in turn made each one-event
    save start cold and read its pages again, some 10 µs a save (docs/PERFORMANCE.md, session
    18). Taking the one returned last, a run of saves keeps one connection and its cache; the
    others serve whoever runs beside it, as before. PostgreSQL's pool is left as it is."""
    pool = getattr(getattr(recorder, "datastore", None), "pool", None)
    idle = getattr(pool, "_pool", None)
    if type(idle) is deque and not is_postgres(recorder):
        pool._pool = _LastReturnedFirst(idle)  # type: ignore[union-attr]


class PostgresEventRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, inserting without psycopg's pipeline mode.

    In pipeline mode, one INSERT whose parameter is about a megabyte (a batch of ~1,000 signed
    events) never completes: the client waits for the server, which waits for the client.
    Here the same statements (table lock, NOTIFY, one INSERT ... unnest) run one after another
    in one transaction, so notification ids still commit in order.
    """

    def __init__(self, datastore: Any, *args: Any, **kwargs: Any) -> None:
        patient_connections(datastore)  # before its first use: the library's own __init__
        super().__init__(datastore, *args, **kwargs)

    def create_table(self) -> None:
        """The library's types, tables and functions, made by one process at a time
        (``schema_made_alone``)."""
        with schema_made_alone(self):
            super().create_table()

    # The library's own insert_events is retried (10 tries, 0.2 s apart) when the store is
    # briefly unreachable or every pooled connection busy past STORE_WAIT; so is this one: an
    # override without the decorator failed a save at the first 1 s wait (CI, under load).
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        if not stored_events:
            return []
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)


register_topic(POSTGRES_RECORDER_TOPIC, PostgresEventRecorder)


def persistence_env(database_url: str, data_dir: Path | None = None) -> dict[str, str]:
    """The ``eventsourcing`` environment for a database URL."""
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        raw = unquote(parts.path)
        if raw.startswith("//"):
            path = Path(raw[1:])
        else:
            path = Path(raw.lstrip("/"))
            if not path.is_absolute():
                path = (data_dir or Path.cwd()) / path
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
            "CREATE_TABLE": "y",
        }
    if parts.scheme in ("postgresql", "postgres"):
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        host = query.get("host") or parts.hostname or ""
        dbname = unquote(parts.path.lstrip("/"))
        if not host or not dbname:
            raise ConfigurationError(
                f"database URL {redact(database_url)!r} needs a host (or ?host=/socket/dir) "
                "and a database name"
            )
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_HOST": host,
            "POSTGRES_PORT": str(parts.port or query.get("port") or 5432),
            "POSTGRES_USER": unquote(parts.username or query.get("user") or ""),
            "POSTGRES_PASSWORD": unquote(parts.password or query.get("password") or ""),
            "POSTGRES_DBNAME": dbname,
            "CREATE_TABLE": "y",
            "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER_TOPIC,
            "POSTGRES_CONNECT_TIMEOUT": str(STORE_WAIT),
        }
    raise ConfigurationError(
        f"database URL {redact(database_url)!r}: expected sqlite:///FILE or postgresql://..."
    )


def check_reachable(env: dict[str, str]) -> None:
    """The store's OperationalError within ``REACH_TIMEOUT`` seconds if ``env`` names a
    PostgreSQL server that cannot be reached or refuses the connection (stopped, a wrong host
    or password, a database that does not exist), naming the server and its own words: the
    error the service answers and the command line prints as ``store_unavailable``."""
    if env.get("PERSISTENCE_MODULE") != "eventsourcing.postgres":
        return
    import psycopg

    where = f"{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']}"
    try:
        psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env.get("POSTGRES_USER") or None,
            password=env.get("POSTGRES_PASSWORD") or None,
            dbname=env["POSTGRES_DBNAME"],
            connect_timeout=REACH_TIMEOUT,
        ).close()
    except psycopg.Error as e:
        said = " ".join(str(e).split())
        raise OperationalError(f"cannot reach the PostgreSQL server {where}: {said}") from None


def redact(database_url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(database_url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return database_url


def is_postgres(recorder: Any) -> bool:
    return isinstance(recorder, PostgresRecorder)


def for_driver(statement: str, postgres: bool) -> str:
    """A statement written with ``?`` placeholders (sqlite3's) as the store's driver takes it:
    psycopg wants ``%s``."""
    return statement.replace("?", "%s") if postgres else statement


def stored_id(uid: UUID, postgres: bool) -> Any:
    """An aggregate's id as the events table holds it, for a query parameter: PostgreSQL its
    uuid, SQLite its hex text."""
    return uid if postgres else uid.hex


class StoredRow(NamedTuple):
    """A stored event as a check reads it (``mapper.check_sealed_page``): lighter than the
    library's ``Notification`` (a tuple, no UUID parsed), its aggregate id as text in the
    envelope's form."""

    id: int  # the notification id
    originator_id: str
    originator_version: int
    topic: str
    state: bytes


# A stored event as the checks take it: the library's (a notification) or ``StoredRow``.
Stored = StoredEvent | StoredRow


def stored_rows(recorder: Any, start: int, stop: int, limit: int) -> list[StoredRow]:
    """The stored events from notification id ``start`` to ``stop``, at most ``limit``, in
    order (``select_notifications`` as a rebuild's vouched read needs it, ~4 µs an event
    less). SQLite holds an aggregate id as 32 hex digits, which are given in the UUID's text
    form; any other text is given as it is (the library never writes one, and the check then
    finds it is not the envelope's)."""
    postgres = is_postgres(recorder)
    key = "notification_id" if postgres else "rowid"
    statement = for_driver(
        f"SELECT {key}, originator_id, originator_version, topic, state "
        f"FROM {recorder.events_table_name} WHERE {key} >= ? AND {key} <= ? "
        f"ORDER BY {key} LIMIT ?",
        postgres,
    )
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(statement, (start, stop, limit))
        rows = c.fetchall()
    if postgres:  # (rows as dicts, the aggregate id a UUID)
        return [
            StoredRow(r[key], str(r["originator_id"]), r["originator_version"], r["topic"],
                      bytes(r["state"]))
            for r in rows
        ]  # fmt: skip
    return [StoredRow(r[0], _text_of(r[1]), r[2], r[3], r[4]) for r in rows]


def _text_of(stored: str) -> str:
    """An aggregate id SQLite holds (``uuid.hex``) in the UUID's text form."""
    if len(stored) != 32:
        return stored
    return f"{stored[:8]}-{stored[8:12]}-{stored[12:16]}-{stored[16:20]}-{stored[20:]}"


@contextmanager
def schema_made_alone(recorder: Any) -> Iterator[None]:
    """PostgreSQL: the block (making types, tables, functions or triggers) run by one process at
    a time, under a session-level advisory lock held on a connection of its own. Two processes
    making them at once (two workers starting, a command run beside a starting worker) could
    have PostgreSQL refuse one (``CREATE OR REPLACE FUNCTION``: "tuple concurrently updated";
    ``CREATE TABLE IF NOT EXISTS``: a duplicate type; seen in CI). SQLite: the block as it is
    (its writers take turns on the file)."""
    if not is_postgres(recorder):
        yield
        return
    with recorder.datastore.get_connection() as conn:  # (autocommit: the lock is the session's)
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))


@contextmanager
def schema_transaction(recorder: Any) -> Iterator[Any]:
    """A transaction that makes types, tables or triggers (``schema_made_alone``): its cursor."""
    with schema_made_alone(recorder), recorder.datastore.transaction(commit=True) as cursor:
        yield cursor


def install_append_only_guards(recorder: Any, tables: list[str]) -> None:
    """Create triggers that refuse UPDATE and DELETE on each table (idempotent)."""
    with schema_transaction(recorder) as cursor:
        if is_postgres(recorder):
            cursor.execute(
                "CREATE OR REPLACE FUNCTION drawledger_append_only() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
                f"'{APPEND_ONLY_MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME; END $$"
            )
            for table in tables:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {table}_append_only "
                    f"BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION drawledger_append_only()"
                )
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION drawledger_append_only()"
                )
        else:
            for table in tables:
                for op in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} "
                        f"BEFORE {op} ON {table} BEGIN "
                        f"SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: {op} on {table} refused'); "
                        "END"
                    )
