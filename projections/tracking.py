"""What a projection is, and how it writes: rows in batches, in its runner's transaction.

A projection has a name, the tables it owns, a schema version and a handler per event type. The
runner (``runner.py``) gives each handler a :class:`Writer` bound to the one transaction that
also moves the projection's tracking position, so rows and position commit or roll back
together: a crash never applies an event twice and never skips one.

Handlers write (one that must read the read model reads through ``Writer.connection()``, which
sends what is held back first), so the writer may hold statements back
and send each run of same-shaped statements on one table as a single ``executemany`` (inserts on
PostgreSQL as one ``COPY``); order is kept per table, which is all that matters since the tables
have no triggers or foreign keys. An inserted row is kept as a tuple in the table's column order,
its JSON values encoded as SQLAlchemy's JSON type encodes them (``encode_json``; the trail's
payloads are their canonical text, ``history.kept_payload``): ``Writer.row``
takes it so from the handler (a payload two projections store is encoded once), ``Writer.insert``
makes it from a dict. The rows are sent on the driver's own cursor, as they are. In a rebuild
the writer hands each flush to the batch's writer thread instead (``write_behind.py``), and
``connection()`` waits for the thread to have written it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from operator import itemgetter
from typing import Any, ClassVar, NewType

from sqlalchemy import JSON, Connection, Table, and_, bindparam, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import Delete, Insert, Update

from ledger.aggregates import aggregate_kind
from ledger.errors import LedgerError
from ledger.mapper import format_time

from .bulk_writing import index_builds
from .event_view import EventView
from .tables import GIVEN_AS_UTF8
from .write_behind import Statements, WriteBehind, insert_of, insert_statements

_INSERT = ("insert",)  # the shape of every insert (its table is the queue's)
_BASE_FIELDS = ("originator_id", "originator_version", "timestamp", "actor", "originator_topic")

Handler = Callable[["Writer", Any, int], None]
# A record's event digest (SHA-256 of its signed envelope) and leaf hash, as the reader made them.
Hashes = tuple[bytes, bytes]
_Statement = Insert | Update | Delete
# SQLite: per table, what to note before a run of inserts and what to do after it with that
# note, given the driver's cursor (``Writer.after_inserts``).
AfterInserts = dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], None]]]


class ProjectionError(LedgerError):
    """A projection cannot follow the log (e.g. an event type it has no handler for)."""


class ReadModelMismatch(ProjectionError):
    """A read model disagrees with the log: rebuild it (the log is the truth)."""


class Projection:
    """A read model: its tables and one handler per event type it follows."""

    name: ClassVar[str]
    version: ClassVar[int] = 1  # bump when tables or rows change: the runner then rebuilds
    tables: ClassVar[tuple[Table, ...]]
    kinds: ClassVar[tuple[str, ...]] = ()  # aggregate kinds whose every event must be handled
    prepares: ClassVar[bool] = False  # whether ``prepare`` is called before each batch

    def __init__(self) -> None:
        self._handlers = self.handlers()
        self._follows: dict[str, bool] = {}

    def handlers(self) -> dict[str, Handler]:
        """The handler of each event type this projection follows."""
        raise NotImplementedError

    def topics(self) -> set[str]:
        return set(self._handlers)

    def follows(self, type_name: str) -> bool:
        """Whether ``process`` does anything with an event of this type: a handler, or an
        error for an unhandled type of a kind this projection follows."""
        found = self._follows.get(type_name)
        if found is None:
            found = self._follows[type_name] = (
                type_name in self._handlers or aggregate_kind(type_name) in self.kinds
            )
        return found

    def prepare(self, writer: Writer, events: list[Any]) -> None:
        """Before a batch's events are processed (their domain events or views, in order): a
        projection that reads its own rows may fetch them here at once (``trail.py``)."""

    def process(
        self, writer: Writer, event: Any, position: int, hashes: Hashes | None = None
    ) -> None:
        """Apply one event (its domain event or its ``EventView``); ``hashes`` are its record's
        event digest and leaf hash, for a projection that keeps them (``trail.py``)."""
        type_name = type(event).TOPIC
        handler = self._handlers.get(type_name)
        if handler is not None:
            handler(writer, event, position)
        elif aggregate_kind(type_name) in self.kinds:
            # A new event type of a followed kind: diverging silently would be worse.
            raise ProjectionError(
                f"projection {self.name} has no handler for {type_name} (position {position}): "
                "update the projection, bump its version, and it will be rebuilt"
            )


def entry_id(event: Any) -> str:
    if isinstance(event, EventView):
        return event.aggregate
    return _text(event.originator_id)


@lru_cache(maxsize=1 << 16)  # every projection of an event asks; str(UUID) is slow
def _text(uuid: Any) -> str:
    return str(uuid)


def event_time(event: Any) -> str:
    if isinstance(event, EventView):
        return event.time
    return _format_time(event.timestamp)


@lru_cache(maxsize=1 << 14)  # each event's time is written by two or three projections
def _format_time(timestamp: datetime) -> str:
    return format_time(timestamp)


def payload(event: Any) -> dict[str, Any]:
    """The event's own fields (what the signed envelope carries as ``payload``)."""
    if isinstance(event, EventView):
        return dict(event.payload)
    data = dict(vars(event))
    for name in _BASE_FIELDS:
        data.pop(name, None)
    return data


def touched(event: Any, position: int) -> dict[str, Any]:
    """The metadata columns every event of an entry moves."""
    return {
        "version": event.originator_version,
        "position": position,
        "updated_at": event_time(event),
    }


# The JSON text of a value for a JSON column, encoded already (``encode_json``): a plain ``str``
# at run time. The driver binds an exact ``str`` as it is; a subclass of ``str`` it first looks
# up an adapter for (~0.2 µs a value, in a rebuild's writer thread with the interpreter's lock
# held: PERFORMANCE.md, session 18), and making one copied the text.
Encoded = NewType("Encoded", str)


def _not_serializable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# ``json.dumps(value)`` with its default settings, as SQLAlchemy's JSON type calls it, without
# building an encoder per call (a test compares the two on every value the projections store).
# (CPython's C encoder; a Python without it encodes with ``json.dumps`` itself.)
_C_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)
_ENCODER: Any = (
    None
    if _C_ENCODER is None
    else _C_ENCODER(
        None, _not_serializable, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
)
_NULL = Encoded("null")


def encode_json(value: Any) -> Encoded:
    """The text SQLAlchemy's JSON type stores for ``value`` (None: JSON null)."""
    if value is None:
        return _NULL
    if _ENCODER is None:  # pragma: no cover - CPython has the C encoder
        return Encoded(json.dumps(value))
    return Encoded("".join(_ENCODER(value, 0)))


@lru_cache(maxsize=256)
def _tuple_of(table: Table) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """How to turn a row dict of ``table`` into a tuple in column order, JSON values encoded."""
    names = [c.name for c in table.columns]
    getter = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    places = [i for i, c in enumerate(table.columns) if isinstance(c.type, JSON)]
    if not places:
        return getter

    def encoded(row: dict[str, Any]) -> tuple[Any, ...]:
        values = list(getter(row))
        for i in places:
            values[i] = encode_json(values[i])
        return tuple(values)

    return encoded


class Writer:
    """Buffers inserts, updates and deletes and sends them as few ``executemany`` as possible."""

    def __init__(
        self,
        conn: Connection | None,
        flush_every: int = 5000,
        after_inserts: AfterInserts | None = None,
        behind: WriteBehind | None = None,
        unindexed: set[str] | None = None,
    ) -> None:
        # With ``behind`` (a rebuild), every flush is a job of that writer thread, on
        # the connection of the batch it has open (``write_behind.py``); else on ``conn``.
        if (conn is None) == (behind is None):
            raise ValueError("a writer writes on a connection or through a writer thread")
        self._conn = conn
        self.behind = behind
        # SQLite: per table, (what to note before a run of inserts, what to do after it with
        # that note), in the run's transaction (a rebuild indexes targets' text so).
        self.after_inserts = after_inserts or {}
        # A rebuild's tables whose unique indexes (by which handlers find their rows) are not
        # built yet (``runner.rebuild``): built by the first statement on one other than an
        # insert, or read of one (``connection``); else once its rows are in. A table only
        # appended to, as the targets of a bulk import, is indexed once from its rows instead
        # of row by row in the random order of its ids. Shared by a rebuild's writers.
        self.unindexed = unindexed if unindexed is not None else set()
        self.flush_every = flush_every
        self._queues: dict[str, list[tuple[tuple[Any, ...], _Statement, list[Any]]]] = {}
        self._buffered = 0
        self._statements: dict[tuple[Any, ...], _Statement] = {}
        self._tables: dict[str, Table] = {}

    @property
    def conn(self) -> Connection:
        """The connection written on; through a writer thread, the batch's, once the thread
        has done every flush given it (nothing else uses the connection meanwhile)."""
        if self._conn is not None:
            return self._conn
        assert self.behind is not None
        self.behind.wait()
        return self.behind.conn

    def connection(self, *reading: Table) -> Connection:
        """The connection, for a handler's read of the tables ``reading``: everything buffered
        sent first (through a writer thread: written), so the read sees every row handled
        before it, and their unique indexes built (``unindexed``)."""
        self.flush()
        conn = self.conn
        for table in reading:
            self._keyed(conn, table)
        return conn

    def _keyed(self, conn: Connection, table: Table) -> None:
        """Build ``table``'s unique indexes if a rebuild has not yet (``unindexed``)."""
        if table.name in self.unindexed:
            with index_builds(conn):
                for index in table.indexes:
                    if index.unique:
                        index.create(conn, checkfirst=True)
            self.unindexed.discard(table.name)

    def insert(self, table: Table, row: dict[str, Any]) -> None:
        """Insert ``row``, which names every column (an executemany needs one shape)."""
        self.row(table, _tuple_of(table)(row))

    def insert_many(self, table: Table, rows: Iterable[dict[str, Any]]) -> None:
        values = _tuple_of(table)
        for row in rows:
            self.row(table, values(row))

    def row(self, table: Table, values: tuple[Any, ...]) -> None:
        """Insert a row given as a tuple of every column's value in the table's column order,
        a JSON column's value ``Encoded`` (``encode_json``)."""
        queue = self._queues.get(table.name)
        if queue and queue[-1][0] is _INSERT:  # the common case: one more row of a run
            queue[-1][2].append(values)
            self._buffered += 1
            if self._buffered >= self.flush_every:
                self.flush()
        else:
            self._add(table, _INSERT, table.insert, values)

    def update(
        self,
        table: Table,
        key: dict[str, Any],
        values: dict[str, Any],
        keep_first: tuple[str, ...] = (),
    ) -> None:
        """Set ``values`` on the row(s) whose columns equal ``key``; a column named in
        ``keep_first`` is set only while it is still empty (the first value stays)."""
        shape = ("update", table.name, tuple(key), tuple(values), keep_first)

        def value(v: str) -> Any:
            new = bindparam(f"v_{v}", type_=table.c[v].type)
            return func.coalesce(table.c[v], new) if v in keep_first else new

        def build() -> Update:
            return (
                update(table)
                .where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in key)))
                .values({table.c[v]: value(v) for v in values})
            )

        params = {f"k_{k}": v for k, v in key.items()} | {f"v_{k}": v for k, v in values.items()}
        self._add(table, shape, build, params)

    def delete(self, table: Table, key: dict[str, Any]) -> None:
        shape = ("delete", table.name, tuple(key))

        def build() -> Delete:
            return delete(table).where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in key)))

        self._add(table, shape, build, {f"k_{k}": v for k, v in key.items()})

    def _add(
        self,
        table: Table,
        shape: tuple[Any, ...],
        build: Callable[[], _Statement],
        params: Any,
    ) -> None:
        queue = self._queues.setdefault(table.name, [])
        self._tables[table.name] = table
        if queue and queue[-1][0] == shape:
            queue[-1][2].append(params)
        else:
            statement = self._statements.get((table.name, *shape))
            if statement is None:
                statement = self._statements[(table.name, *shape)] = build()
            queue.append((shape, statement, [params]))
        self._buffered += 1
        if self._buffered >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Send everything buffered, table by table, each table's statements in order
        (through a writer thread: as its next job)."""
        if self.behind is not None:
            self._hand_over(self.behind)
            return
        dialect = self.conn.dialect.name
        for name, queue in self._queues.items():
            table = self._tables[name]
            for shape, statement, params in queue:
                if shape is not _INSERT:
                    self._keyed(self.conn, table)
                    self.conn.execute(statement, params)
                    continue
                bulk = _BULK.get(dialect) if len(params) > 1 or dialect == "sqlite" else None
                if bulk is None:  # one row on PostgreSQL, or another database
                    self.conn.execute(statement, _as_dicts(table, params))
                    continue
                try:
                    bulk(self, table, params)
                except Exception as e:
                    # The driver's own error, raised as SQLAlchemy raises it on the other
                    # paths: a unique row already there means rows ahead of their tracking
                    # position, which the caller answers by rebuilding (``open_read_models``).
                    if _integrity_error(e):
                        raise IntegrityError(f"bulk insert into {table.name}", {}, e) from e
                    raise
        self._queues.clear()
        self._buffered = 0

    def _hand_over(self, behind: WriteBehind) -> None:
        """Everything buffered as one job of the writer thread. On SQLite each run of inserts
        as a few multi-row statements, their values laid out here (``insert_statements``); on
        PostgreSQL the thread COPYs the rows."""
        sqlite = behind.engine.dialect.name == "sqlite"
        steps: list[tuple[Table, Any, Any]] = []
        for name, queue in self._queues.items():
            table = self._tables[name]
            for shape, statement, params in queue:
                if shape is not _INSERT:
                    steps.append((table, statement, params))
                else:
                    rows = insert_statements(table, params) if sqlite else params
                    steps.append((table, None, rows))
        self._queues.clear()
        self._buffered = 0
        if steps:
            behind.submit(lambda: self._send(steps))

    def _send(self, steps: list[tuple[Table, Any, Any]]) -> None:
        """In the writer thread: the statements ``_hand_over`` made, in order."""
        assert self.behind is not None
        conn = self.behind.conn
        for table, statement, params in steps:
            if statement is not None:
                self._keyed(conn, table)
                conn.execute(statement, params)
                continue
            try:
                _BULK[conn.dialect.name](self, table, params)
            except Exception as e:
                if _integrity_error(e):  # as ``flush`` raises it
                    raise IntegrityError(f"bulk insert into {table.name}", {}, e) from e
                raise

    def _insert_rows(self, table: Table, rows: list[tuple[Any, ...]] | Statements) -> None:
        """SQLite: one ``executemany`` on the driver's cursor (through SQLAlchemy, building each
        row's parameters cost more than the insert itself); the rows are the same as
        ``conn.execute(table.insert(), rows)`` writes (a test compares them). Rows laid out
        as multi-row statements (``insert_statements``): those."""
        conn = self.conn if self.behind is None else self.behind.conn  # (in the thread)
        raw = conn.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        follow = self.after_inserts.get(table.name)
        try:
            before = follow[0](cursor) if follow else None
            if isinstance(rows, Statements):
                for sql, values in rows:
                    cursor.execute(sql, values)
            else:
                cursor.executemany(insert_of(table, (), 1), rows)
            if follow:
                follow[1](cursor, before)
        finally:
            cursor.close()

    def _copy(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        """PostgreSQL: COPY the rows in (psycopg's executemany is a round per row)."""
        names = ", ".join(c.name for c in table.columns)
        conn = self.conn if self.behind is None else self.behind.conn  # (in the thread)
        raw = conn.connection.driver_connection
        assert raw is not None
        utf8 = [i for i, c in enumerate(table.columns) if c.info.get(GIVEN_AS_UTF8)]
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(_decoded(row, utf8) if utf8 else row)


def _decoded(row: tuple[Any, ...], places: list[int]) -> tuple[Any, ...]:
    """The row with the UTF-8 bytes at ``places`` (``tables.GIVEN_AS_UTF8``) as texts."""
    values = list(row)
    for i in places:
        if isinstance(values[i], bytes):
            values[i] = values[i].decode("utf-8")
    return tuple(values)


def _as_dicts(table: Table, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Tuple rows as SQLAlchemy's insert takes them (a JSON column's ``Encoded`` text decoded
    back: its type encodes it again)."""
    names = [c.name for c in table.columns]
    encoded = [isinstance(c.type, JSON) for c in table.columns]
    return [
        {
            n: json.loads(v) if is_json and v is not None else v
            for n, v, is_json in zip(names, row, encoded, strict=True)
        }
        for row in rows
    ]


def _integrity_error(e: Exception) -> bool:
    """A driver's unique or other integrity violation (sqlite3's or psycopg's)."""
    import sqlite3

    if isinstance(e, sqlite3.IntegrityError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(e, psycopg.errors.IntegrityError)


# A bulk insert per dialect: COPY on PostgreSQL, one executemany on SQLite.
_BULK: dict[str, Callable[[Writer, Table, Any], None]] = {
    "postgresql": Writer._copy,
    "sqlite": Writer._insert_rows,
}
