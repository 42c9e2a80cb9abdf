"""A rebuild's way of filling the targets' text index on SQLite: a run of inserts at a time.

The FTS5 trigram index (``tables.TARGET_TEXT``) is kept by triggers on ``rm_targets``; the
insert trigger indexes each row by itself, which costs several times a bulk insert of the same
rows. In each batch of a rebuild the runner drops it inside the batch's transaction
(``text_by_runs``), the writer indexes every run of inserted targets right after the run
(``last_target_rowid`` before it, ``index_text_since`` after it: what the trigger would have
done, row for row, before any later statement), and the trigger is made again before the
commit (``keep_text_by_rows``). SQLite's DDL is transactional: no other connection, and no
rebuild cut short, ever sees the table without its trigger.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from .tables import TARGET_TEXT, TEXT_INSERT_TRIGGER, targets


def text_by_runs(conn: Connection) -> bool:
    """For a batch of a rebuild on SQLite: drop, in the batch's transaction, the trigger that
    indexes each inserted target's text by itself (FTS5 costs several times a bulk insert per
    row that way); ``index_text_since`` then indexes each run of inserted targets at once,
    right after it, and ``keep_text_by_rows`` makes the trigger again before the commit.
    False where there is no text index (not SQLite, or a SQLite without trigrams)."""
    if conn.dialect.name != "sqlite" or not _has_text_index(conn):
        return False
    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {TEXT_INSERT_TRIGGER[0]}")
    return True


def keep_text_by_rows(conn: Connection) -> None:
    """Make the trigger indexing each inserted target's text again (``text_by_runs``)."""
    conn.exec_driver_sql(TEXT_INSERT_TRIGGER[1])


def last_target_rowid(cursor: Any) -> int:
    """The highest rowid of ``rm_targets`` (0 if empty), on a driver cursor."""
    return int(cursor.execute(f"SELECT coalesce(max(rowid), 0) FROM {targets.name}").fetchone()[0])


def index_text_since(cursor: Any, rowid: int) -> None:
    """Index the text of the targets inserted after ``rowid``, as the insert trigger would
    have, row for row (a driver cursor, in the inserts' transaction)."""
    cursor.execute(
        f"INSERT INTO {TARGET_TEXT}(rowid, name, code) "
        f"SELECT rowid, name, code FROM {targets.name} WHERE rowid > ? ORDER BY rowid",
        (rowid,),
    )


def _has_text_index(conn: Connection) -> bool:
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TARGET_TEXT,)
    )
    return found.first() is not None
