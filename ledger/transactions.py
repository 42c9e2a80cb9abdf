"""One transaction over many saves: a bulk import recorded whole or not at all, a batch at a time.

``LedgerApp.one_transaction()`` holds one write transaction on the event store while the
importing thread saves batch after batch: each ``save`` in that thread (and only in it: the
transaction is found through a context variable) inserts into the held transaction instead of
opening its own, and the transaction commits when the block ends, or rolls back if it raises.
Memory stays bounded by one batch — the database keeps what is written but not yet committed
(SQLite in its write-ahead log, PostgreSQL on the server) — and a crash, a kill or a conflict
part-way leaves nothing behind.

The transaction is opened at the first insert, so a block that records nothing (an unchanged
re-import, a dry run, a refused file) never takes the write lock. While it is held, other
writers wait: on SQLite the pool's single writer connection, on PostgreSQL the table lock the
recorder takes for ordered notification ids. On SQLite the held connection may get a larger page
cache while the transaction is held (``cache_mib``: a large import's), its own size restored
after the transaction has ended.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent

from .storage import is_postgres


class _Held:
    """The held transaction of one recorder: opened at its first insert."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.stack = ExitStack()
        self.cursor: Any = None
        self.inserted = False
        # SQLite: the held connection's page cache while the transaction is held, in MiB (None:
        # the connection's own); set before the first write opens it (``_open``).
        self.cache_mib: int | None = None

    def _open(self) -> Any:
        datastore = self.recorder.datastore
        if is_postgres(self.recorder):
            conn = self.stack.enter_context(datastore.get_connection())
            self.stack.enter_context(conn.transaction())
            return self.stack.enter_context(conn.cursor())
        conn = self.stack.enter_context(datastore.get_connection(commit=True))
        if self.cache_mib:
            self._widen_cache(conn, self.cache_mib)
        return self.stack.enter_context(conn.transaction(commit=True))

    def _widen_cache(self, conn: Any, mib: int) -> None:
        """Give the pooled connection a page cache of ``mib`` MiB until the transaction has
        ended (committed or rolled back), then its own size again: a large import's random
        inserts into the B-trees keyed by entry or row digest (the events' index, the kept
        digests of ``registry/digests.py``) find their pages in memory instead of reading them
        back and spilling them again every few rows (SQLite's own 2 MiB hold one batch's
        events)."""
        cursor = conn.cursor()
        cursor.execute("PRAGMA cache_size")
        own = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(mib)}")

        def restore() -> None:
            # A connection that fails here keeps the larger cache (harmless); the error that
            # ended the transaction, if any, is the one raised.
            with contextlib.suppress(sqlite3.Error):
                cursor.execute(f"PRAGMA cache_size = {own}")
                cursor.sqlite_cursor.close()

        self.stack.callback(restore)  # after the transaction's end (the stack unwinds LIFO)

    def insert(self, stored: Sequence[StoredEvent], **kwargs: Any) -> Any:
        if self.cursor is None:
            self.cursor = self._open()
        self.inserted = True
        recorder = self.recorder
        try:
            if is_postgres(recorder):
                recorder._insert_stored_events(self.cursor, stored, **kwargs)
                return recorder._fetch_ids_after_insert_events(self.cursor, stored, **kwargs)
            return recorder._insert_events(self.cursor, stored, **kwargs)
        except sqlite3.IntegrityError as e:
            raise IntegrityError(e) from e
        except Exception as e:
            if type(e).__name__ == "UniqueViolation":  # psycopg's, without importing psycopg
                raise IntegrityError(e) from e
            raise

    def cursor_now(self) -> Any:
        """The held transaction's cursor (opened if need be): it reads this transaction's own
        uncommitted writes."""
        if self.cursor is None:
            self.cursor = self._open()
        return self.cursor

    def execute(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a statement for each of ``rows`` in the held transaction (side tables written
        with the events, such as the import digests)."""
        if self.cursor is None:
            self.cursor = self._open()
        if rows:
            self.cursor.executemany(statement, rows)


_current: ContextVar[_Held | None] = ContextVar("drawledger_held_transaction", default=None)


def held(recorder: Any) -> _Held | None:
    """The transaction this thread holds on ``recorder``, if any."""
    current = _current.get()
    return current if current is not None and current.recorder is recorder else None


def _route(recorder: Any) -> None:
    """Send this recorder's inserts to the held transaction of the calling thread, if it holds
    one (installed once per recorder; other threads insert as before)."""
    if getattr(recorder, "_drawledger_routed", False):
        return
    original = recorder.insert_events

    def insert_events(stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        current = held(recorder)
        if current is None:
            return original(stored_events, **kwargs)
        return current.insert(stored_events, **kwargs)

    recorder.insert_events = insert_events
    recorder._drawledger_routed = True


@contextmanager
def hold(recorder: Any) -> Iterator[_Held]:
    """Hold one transaction on ``recorder`` for the block (see the module's text); nested
    blocks share the outer one."""
    outer = held(recorder)
    if outer is not None:
        yield outer
        return
    _route(recorder)
    current = _Held(recorder)
    token = _current.set(current)
    try:
        with current.stack:  # commits on a normal exit, rolls back on an exception
            yield current
    finally:
        _current.reset(token)


__all__ = ["held", "hold"]
