"""A batch of events applied to the read models, in ONE transaction (``runner.py``'s step):

1. each projection's tracking position moved from the value read to the batch's end (it must
   still be that value, else another runner committed the batch first: ``PositionMoved``);
2. the batch's events given to each projection that had not processed them yet.

``apply`` does it on a connection of the runner's thread; ``apply_behind`` hands the same steps
(``batch_steps.py``) to a rebuild's writer thread or process (``write_behind.py``,
``write_aside.py``): the claim and BEGIN first, the rows as the flushes', and the commit last,
while the runner's thread goes on.
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

from sqlalchemy import Engine

from . import text_runs
from .batch_steps import TEXT_BY_RUNS, claim
from .tracking import Hashes, Projection, Writer
from .write_behind import WriteBehind

# One event of a batch: its position, its domain event or view, its record's hashes.
Read = tuple[int, Any, Hashes]


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
        claim(conn, [(p.name, positions[p.name]) for p in behind], end)
        by_runs = by_runs and text_runs.text_by_runs(conn)
        after = TEXT_BY_RUNS if by_runs else None
        writer = Writer(conn, after_inserts=after, unindexed=unindexed)
        _handle(writer, positions, behind, events)
        if by_runs:
            text_runs.keep_text_by_rows(conn)


def apply_behind(
    writer_of: WriteBehind,
    positions: dict[str, int],
    behind: list[Projection],
    events: list[Read],
    end: int,
    by_runs: bool,
) -> None:
    """The batch through a rebuild's writer (thread or process): returns once the handlers
    have run and their steps are handed over. An error here or there: the batch is never
    committed."""
    writer_of.open_batch([(p.name, positions[p.name]) for p in behind], end, by_runs)
    _handle(Writer(None, behind=writer_of), positions, behind, events)
    writer_of.close_batch()


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
