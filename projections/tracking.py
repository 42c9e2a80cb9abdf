"""What a projection is, and how it writes: rows in batches, in its runner's transaction.

A projection has a name, the tables it owns, a schema version and a handler per event type. The
runner (``runner.py``) gives each handler a :class:`Writer` bound to the one transaction that
also moves the projection's tracking position, so rows and position commit or roll back
together: a crash never applies an event twice and never skips one.

Handlers write (one that must read the read model reads through ``Writer.rows_of``, which
sends what is held back first), so the writer may hold statements back
and send each run of same-shaped statements on one table as a single ``executemany`` (inserts on
PostgreSQL as one ``COPY``); order is kept per table, which is all that matters since the tables
have no triggers or foreign keys. An inserted row is kept as a tuple in the table's column order,
its JSON values encoded as SQLAlchemy's JSON type encodes them (``encode_json``; the trail's
payloads are their canonical text, ``history.kept_payload``): ``Writer.row``
takes it so from the handler (a payload two projections store is encoded once), ``Writer.insert``
makes it from a dict. The rows are sent on the driver's own cursor, as they are. In a rebuild
the writer hands each flush, as steps (``batch_steps.py``), to the rebuild's writer thread or
process instead (``write_behind.py``, ``write_aside.py``), and ``rows_of`` waits for it to have
written them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from operator import itemgetter
from typing import Any, ClassVar, NewType

from sqlalchemy import JSON, Connection, Table

from ledger.aggregates import aggregate_kind
from ledger.errors import LedgerError
from ledger.mapper import format_time

from .batch_steps import (
    INSERT,
    AfterInserts,
    Step,
    copy_rows,
    insert_rows,
    keyed,
    select_rows,
    statement,
)
from .event_view import EventView
from .write_behind import WriteBehind

_BASE_FIELDS = ("originator_id", "originator_version", "timestamp", "actor", "originator_topic")

Handler = Callable[["Writer", Any, int], None]
# A record's event digest (SHA-256 of its signed envelope) and leaf hash, as the reader made them.
Hashes = tuple[bytes, bytes]


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
    """Buffers inserts, updates and deletes and sends them as few statements as possible."""

    def __init__(
        self,
        conn: Connection | None,
        flush_every: int = 5000,
        after_inserts: AfterInserts | None = None,
        behind: WriteBehind | None = None,
        unindexed: set[str] | None = None,
    ) -> None:
        # With ``behind`` (a rebuild), every flush is handed to that writer thread or process
        # (``write_behind.py``, ``write_aside.py``) as steps (``batch_steps.py``); else done
        # on ``conn``.
        if (conn is None) == (behind is None):
            raise ValueError("a writer writes on a connection or through a rebuild's writer")
        self._conn = conn
        self.behind = behind
        # SQLite: per table, (what to note before a run of inserts, what to do after it with
        # that note), in the run's transaction (a rebuild indexes targets' text so).
        self.after_inserts = after_inserts or {}
        # A rebuild's tables whose unique indexes (by which handlers find their rows) are not
        # built yet (``runner.rebuild``): built by the first statement on one other than an
        # insert, or read of one (``rows_of``); else once its rows are in. A table only
        # appended to, as the targets of a bulk import, is indexed once from its rows instead
        # of row by row in the random order of its ids. Shared by a rebuild's writers.
        self.unindexed = unindexed if unindexed is not None else set()
        self.flush_every = flush_every
        self._queues: dict[str, list[tuple[tuple[Any, ...], list[Any]]]] = {}
        self._buffered = 0
        self._tables: dict[str, Table] = {}

    @property
    def conn(self) -> Connection:
        """The connection written on (a writer of the runner's own thread)."""
        if self._conn is None:
            raise ProjectionError("a rebuild's writer is read through Writer.rows_of")
        return self._conn

    def rows_of(
        self, table: Table, columns: Sequence[str], key: str, keys: list[Any]
    ) -> list[tuple[Any, ...]]:
        """The ``columns`` of ``table``'s rows whose ``key`` is one of ``keys``, everything
        handled before written first (JSON values decoded)."""
        self.flush()
        if self.behind is not None:
            return self.behind.rows_of(table, columns, key, keys)
        return select_rows(self.conn, table, columns, key, keys, self.unindexed)

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
        if queue and queue[-1][0] is INSERT:  # the common case: one more row of a run
            queue[-1][1].append(values)
            self._buffered += 1
            if self._buffered >= self.flush_every:
                self.flush()
        else:
            self._add(table, INSERT, values)

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
        params = {f"k_{k}": v for k, v in key.items()} | {f"v_{k}": v for k, v in values.items()}
        self._add(table, shape, params)

    def delete(self, table: Table, key: dict[str, Any]) -> None:
        self._add(table, ("delete", table.name, tuple(key)), {f"k_{k}": v for k, v in key.items()})

    def _add(self, table: Table, shape: tuple[Any, ...], params: Any) -> None:
        queue = self._queues.setdefault(table.name, [])
        self._tables[table.name] = table
        if queue and queue[-1][0] == shape:
            queue[-1][1].append(params)
        else:
            queue.append((shape, [params]))
        self._buffered += 1
        if self._buffered >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Send everything buffered, table by table, each table's statements in order
        (through a rebuild's writer: as its next steps)."""
        if self.behind is not None:
            self._hand_over(self.behind)
            return
        conn = self.conn
        dialect = conn.dialect.name
        for name, queue in self._queues.items():
            table = self._tables[name]
            for shape, params in queue:
                if shape is not INSERT:
                    keyed(conn, table, self.unindexed)
                    conn.execute(statement(table, shape), params)
                elif dialect == "sqlite":
                    insert_rows(conn, table, params, self.after_inserts)
                elif dialect == "postgresql" and len(params) > 1:
                    copy_rows(conn, table, params)
                else:  # one row on PostgreSQL, or another database
                    conn.execute(table.insert(), _as_dicts(table, params))
        self._queues.clear()
        self._buffered = 0

    def _hand_over(self, behind: WriteBehind) -> None:
        """Everything buffered as steps of the rebuild's writer (which lays each run of
        inserts out as it writes it: ``BatchSteps.write``)."""
        steps: list[Step] = []
        for name, queue in self._queues.items():
            table = self._tables[name]
            steps.extend((table, shape, params) for shape, params in queue)
        self._queues.clear()
        self._buffered = 0
        if steps:
            behind.write(steps)


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
