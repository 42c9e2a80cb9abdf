"""A batch of events applied to the read models, in ONE transaction (``runner.py``'s step):

1. each projection's tracking position moved from the value read to the batch's end (it must
   still be that value, else another runner committed the batch first: ``PositionMoved``);
2. the batch's events given to each projection that had not processed them yet.

``apply`` does it on a connection of the runner's thread; ``apply_behind`` hands the same steps
to a rebuild's writer thread (``write_behind.py``): the claim and BEGIN as its first job, the
rows as the flushes', and the commit as its last, while the runner's thread goes on.
``unindexed``: a rebuild's tables whose unique indexes are not built yet (``Writer.unindexed``).
With ``by_runs`` (a rebuild on SQLite) the targets' text index is filled a run of inserts at a
time (``text_runs.py``): its trigger dropped and made again inside the transaction (SQLite's DDL
is transactional: no other connection ever sees the table without it).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import compress
from typing import Any

from sqlalchemy import Connection, Engine, update

from . import tables, text_runs
from .tables import tracking
from .tracking import AfterInserts, Hashes, Projection, Writer
from .write_behind import WriteBehind

# One event of a batch: its position, its domain event or view, its record's hashes.
Read = tuple[int, Any, Hashes]

# What a rebuild's writer does around a run of targets inserted (``text_runs.py``).
TEXT_BY_RUNS: AfterInserts = {
    tables.targets.name: (text_runs.last_target_rowid, text_runs.index_text_since)
}


class PositionMoved(Exception):
    """Another runner committed the batch first: re-read the positions and go on."""


def apply(
    engine: Engine,
    positions: dict[str, int],
    behind: list[Projection],
    events: list[Read],
    end: int,
    by_runs: bool,
    unindexed: set[str] | None = None,
) -> None:
    """The batch in one transaction of ``engine``, in this thread."""
    with engine.begin() as conn:
        _claim(conn, positions, behind, end)
        by_runs = by_runs and text_runs.text_by_runs(conn)
        after = TEXT_BY_RUNS if by_runs else None
        writer = Writer(conn, after_inserts=after, unindexed=unindexed)
        _handle(writer, positions, behind, events)
        if by_runs:
            text_runs.keep_text_by_rows(conn)


def apply_behind(
    thread: WriteBehind,
    positions: dict[str, int],
    behind: list[Projection],
    events: list[Read],
    end: int,
    by_runs: bool,
    unindexed: set[str] | None = None,
) -> None:
    """The batch through the writer thread: returns once the handlers have run and their rows
    are handed over. An error here or there: the batch is never committed."""
    writer = Writer(None, behind=thread, unindexed=unindexed)

    def start(conn: Connection) -> None:
        _claim(conn, positions, behind, end)
        if by_runs and text_runs.text_by_runs(conn):
            writer.after_inserts = TEXT_BY_RUNS

    def finish(conn: Connection) -> None:
        if writer.after_inserts:
            text_runs.keep_text_by_rows(conn)

    thread.open_batch(start)
    _handle(writer, positions, behind, events)
    thread.close_batch(finish)


def _claim(conn: Connection, positions: dict[str, int], behind: list[Projection], end: int) -> None:
    for p in behind:
        claimed = conn.execute(
            update(tracking)
            .where(tracking.c.name == p.name, tracking.c.position == positions[p.name])
            .values(position=end)
        ).rowcount
        if claimed != 1:
            raise PositionMoved


def _handle(
    writer: Writer, positions: dict[str, int], behind: list[Projection], events: list[Read]
) -> None:
    """Each projection given, in order, the batch's events after its position of the types it
    follows: the types read once a batch and each projection's choice made once a type, not
    once an event (0.3 µs an event of nine projections: PERFORMANCE.md, session 18)."""
    topics = [event.TOPIC for _, event, _ in events]
    present = set(topics)
    for p in behind:
        process = p.process
        first = bisect_right(events, positions[p.name], key=_position)  # (in position order)
        wanted = {topic for topic in present if p.follows(topic)}
        chosen: Iterable[Read] = events[first:]
        if wanted != present:
            chosen = compress(chosen, [topic in wanted for topic in topics[first:]])
        if p.prepares:
            chosen = list(chosen)
            p.prepare(writer, [event for _, event, _ in chosen])
        for position, event, hashes in chosen:
            process(writer, event, position, hashes)
        writer.flush()


def _position(read: Read) -> int:
    return read[0]
