"""The projection runner: follows the notification log and keeps the read models current.

``catch_up()`` reads the notifications after the lowest tracked position, in batches, decodes
each through the ledger's checked reader (so every event's signature and chain are checked
before anything is derived from it; a backlog of ``VOUCHED_BACKLOG`` events or more is read
through the signed checkpoint instead, a page at a time with each record's leaf hash,
``ledger/vouching.py``, and each event given to the handlers as an ``EventView``, not a domain
event: ``event_view.py``) and, per batch, in ONE transaction (``batches.py``):

1. moves each projection's tracking position from the value it read to the batch's end, and
   gives up the batch if any position moved meanwhile (another process caught up first);
2. applies the batch's events to every projection that had not processed them yet.

A crash or error anywhere in a batch rolls back rows and positions together, so no event is
ever applied twice or skipped; the next ``catch_up()`` starts again after the last committed
batch. ``rebuild()`` drops a projection's tables (on SQLite without zeroing their pages first:
``_freed_plainly``) and position in one transaction and replays the log from the start (through
the signed checkpoint, as any read from the start of a log longer than a batch is), in batches
of ``REBUILD_BATCH`` events, into tables without their secondary indexes, which it creates once
the rows are in (a rebuild cut short leaves them to the next runner's start); a table's unique
indexes, by which handlers find its rows, are built earlier if a handler looks a row up or
changes one (``tracking.Writer.unindexed``). Each projection is given only the events it
follows. On SQLite the targets' text index is filled a run of inserts at a time instead of by
its trigger row by row (``text_runs.py``). While a rebuild runs, the cyclic garbage collector
does not run by itself; the rebuild runs it in full every ``REBUILD_COLLECT_EVERY`` batches
(``_collector_paused``: its collections cost about as much as the handlers did at first, still
~5 % of a rebuild with its young generation raised). On SQLite a rebuild's batches are written
by a writer thread (``write_behind.py``: SQLite's work on the second core; on PostgreSQL when
``write_behind`` is set), or, ``ASIDE_FROM`` events or more into a file, by a writer process
(``write_aside.py``: the writer's binding under its own interpreter lock), while this thread
reads, checks and handles the next batch; its transactions are the same, one a batch, in order.

In embedded mode the runner is attached to ``LedgerApp.after_save``, so the read models are
current when a command returns; a failure there is logged and kept in ``last_error`` (the
command itself is recorded) and the next ``catch_up()`` retries.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, count

from sqlalchemy import Connection, Engine, delete, insert, inspect, select, update

from ledger.application import LedgerApp
from verify.events import SignedEvent
from verify.merkle import leaf_hash

from . import tables
from .batch_steps import PositionMoved
from .batches import Read, apply, apply_behind
from .bulk_writing import bulk_writing, index_builds
from .current import (
    DivisionsProjection,
    InspectorsProjection,
    ItemListsProjection,
    ItemsProjection,
    OfficialsProjection,
    TargetsProjection,
)
from .event_view import view_of
from .history import RETIRED
from .inspections import InspectionsProjection, PublicationsProjection
from .process_settings import WhileAnyRuns
from .tables import metadata, tracking
from .tracking import Projection, ProjectionError
from .trail import TrailProjection
from .write_aside import ASIDE_FROM, writer_for
from .write_behind import WriteBehind, quick_switches

log = logging.getLogger(__name__)

BATCH = 1000
VOUCHED_BACKLOG = 10 * BATCH  # a backlog this long is read through the signed checkpoint
REBUILD_BATCH = 5 * BATCH  # a rebuild's batches: fewer transactions, same rows


def default_projections() -> list[Projection]:
    return [
        DivisionsProjection(),
        OfficialsProjection(),
        ItemsProjection(),
        ItemListsProjection(),
        TargetsProjection(),
        InspectorsProjection(),
        InspectionsProjection(),
        PublicationsProjection(),
        TrailProjection(),
    ]


class ProjectionRunner:
    # Whether a rebuild writes through a writer thread (``write_behind.py``). None: on SQLite
    # only (on PostgreSQL it gained nothing on two cores shared with the server: PERFORMANCE.md,
    # session 18); True: on PostgreSQL too; False: in the runner's thread, as the live path.
    write_behind: bool | None = None
    # Whether such a rebuild into an SQLite file writes through a process (``write_aside.py``).
    write_aside: bool | None = None

    def __init__(
        self,
        app: LedgerApp,
        engine: Engine,
        projections: Sequence[Projection] | None = None,
        *,
        batch: int = BATCH,
        rebuild_batch: int | None = None,
    ) -> None:
        self.app = app
        self.engine = engine
        self.projections = list(projections if projections is not None else default_projections())
        self.batch = batch
        # A rebuild's batches (a runner given its own batch size keeps it for rebuilds too).
        self.rebuild_batch = rebuild_batch or (REBUILD_BATCH if batch == BATCH else batch)
        self.last_error: Exception | None = None
        self._by_name = {p.name: p for p in self.projections}
        self._topics = sorted(set().union(*(p.topics() for p in self.projections)))
        self._topic_set = frozenset(self._topics)
        # A read of a long backlog through the checkpoint: (position read up to, the records).
        self._stream: tuple[int, Iterator[tuple[int, SignedEvent, bytes]]] | None = None
        self._lock = threading.RLock()
        # A rebuild indexes the targets' text a run of inserts at a time (``_apply``).
        self._text_by_runs = False
        # A rebuild's tables whose unique indexes are not built yet (``Writer.unindexed``).
        self._unindexed: set[str] = set()
        self._behind: WriteBehind | None = None  # a rebuild's writer, while it runs
        self._attached = False
        self._set_up()

    # -- schema and tracking -------------------------------------------------------------------

    def _set_up(self) -> None:
        """Create missing tables and tracking rows; rebuild a projection whose schema version
        changed or whose tables are gone; drop the tables and tracking rows of projections no
        longer kept (``history.RETIRED``)."""
        with self.engine.begin() as conn:
            tables.made_alone(conn)
            metadata.create_all(conn, tables=[tracking])
            known = {
                row.name: row.schema_version
                for row in conn.execute(select(tracking.c.name, tracking.c.schema_version))
            }
            existing = set(inspect(conn).get_table_names())
            existing -= _retire(conn, existing)
            stale = []
            for p in self.projections:
                if p.name not in known:
                    # Tables without a tracking row hold rows of unknown provenance: start over.
                    metadata.drop_all(conn, tables=list(p.tables))
                    metadata.create_all(conn, tables=list(p.tables))
                    conn.execute(
                        insert(tracking).values(name=p.name, position=0, schema_version=p.version)
                    )
                elif known[p.name] != p.version or any(t.name not in existing for t in p.tables):
                    stale.append(p.name)
            # Indexes a rebuild cut short had not built yet (rebuild()).
            _create_indexes(conn, [p for p in self.projections if p.name not in stale])
        if stale:
            log.info("重建读取模型 %s（结构已变或表缺失）(rebuilding projections)", stale)
            self._reset(stale)

    def positions(self) -> dict[str, int]:
        """The tracked position of each projection: every notification up to it is applied."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(tracking.c.name, tracking.c.position)).all()
        found = {name: int(position) for name, position in rows}
        return {p.name: found.get(p.name, 0) for p in self.projections}

    def disagreement_with_log(self) -> str | None:
        """What shows that the log no longer holds what these read models read, or None: a
        tracked position beyond the log's end, or (the trail keeps each act's leaf hash) the
        log's record at the trail's last act another record than the one read there. Either
        means events were removed from the log or replaced behind the ledger's back (its tail
        cut, or an older copy of it restored) — the read models would otherwise go on serving
        what the log lost, and skip the new events given the positions they had read."""
        head = self.head()
        ahead = {name: at for name, at in self.positions().items() if at > head}
        if ahead:
            name, at = max(ahead.items(), key=lambda item: item[1])
            return f"the read models ({name}) had read up to position {at}, the log ends at {head}"
        if self._by_name.get("trail") is None:
            return None
        acts = tables.trail_acts
        with self.engine.connect() as conn:
            last = conn.execute(
                select(acts.c.position, acts.c.leaf_hash).order_by(acts.c.position.desc()).limit(1)
            ).first()
        if last is None:
            return None
        position, read = int(last.position), str(last.leaf_hash)
        found = self.app.recorder.select_notifications(start=position, limit=1)
        if not found or found[0].id != position:
            return f"the read models read an event at position {position}, the log holds none"
        if leaf_hash(found[0].state).hex() != read:
            return (
                f"the log's record at position {position} is not the one the read models read there"
            )
        return None

    # -- following the log ---------------------------------------------------------------------

    def head(self) -> int:
        """The ledger's last position (what the read models follow)."""
        return int(self.app.recorder.max_notification_id() or 0)

    def catch_up(
        self,
        most: int | None = None,
        *,
        vouch: bool = True,
        progress: Callable[[int, int], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> int:
        """Apply every notification after the tracked positions (or, with ``most``, batches
        until at least that many were read, or until ``stop()`` says so before a batch); return
        how many were read. Without ``vouch`` a long backlog is read a page at a time too (no
        pass over the whole sealed prefix first: for a quick first batch). ``progress(position
        reached, head)`` is called before each batch.

        Raises TamperedEvent if a stored event fails verification, ProjectionError if a
        projection cannot follow an event; the read models then stay at the last good batch.
        """
        with self._lock:
            done, expected = 0, None
            while (most is None or done < most) and not (stop is not None and stop()):
                # Through a writer thread the last batch may not be committed yet: where it
                # leaves the positions is known (it fails, or they are that).
                positions = expected or self.positions()
                low = min(positions.values(), default=0)
                head = self.head()
                if progress is not None:
                    progress(min(low, head), head)
                if low >= head and expected is None:
                    self.last_error = None
                    return done
                try:
                    if low >= head and self._behind is not None:  # (``expected``'s)
                        self._behind.wait()  # its last batches committed, or their error
                        expected = None
                        continue
                    events, end = self._read(low, head, vouch)
                    self._apply(positions, events, end)
                except PositionMoved:
                    self._stream, expected = None, None
                    continue
                except BaseException:
                    self._stream = None
                    raise
                if self._behind is not None:
                    expected = {name: max(at, end) for name, at in positions.items()}
                done += len(events)
            return done

    def _read(self, low: int, head: int, vouch: bool) -> tuple[list[Read], int]:
        """The next batch after ``low``: (position, event, its record's hashes) of the topics
        followed, and the position up to which every notification has been read. A backlog of
        at least ``VOUCHED_BACKLOG`` events is read through the checkpoint
        (``LedgerApp.record_pages``: a SHA-256 per sealed record, checked tile by tile, instead
        of a signature each), from one stream kept between batches, each event given as
        an ``EventView``; a shorter one a page of the followed topics at a time, each event
        checked and made a domain event (``LedgerApp.domain_event_of``)."""
        streaming = self._stream is not None and self._stream[0] == low  # a vouched read goes on
        long_read = head - low >= VOUCHED_BACKLOG or (low == 0 and head > self.batch)
        if vouch and (streaming or long_read):
            events, end = self._read_vouched(low)
            if end > low:
                return events, end
        self._stream = None
        page = self.app.recorder.select_notifications(
            start=low + 1, limit=self.batch, stop=head, topics=self._topics
        )
        end = page[-1].id if len(page) == self.batch else head
        app, events = self.app, []
        for n in page:
            leaf = leaf_hash(n.state)
            event = app.checked(n, f"ledger position {n.id}", leaf=leaf)
            events.append((n.id, app.domain_event_of(event), (event.digest, leaf)))
        return events, end

    def _read_vouched(self, low: int) -> tuple[list[Read], int]:
        """A batch from the stream of checked records after ``low`` (every topic, those not
        followed skipped); the stream goes on where the last batch stopped."""
        if self._stream is None or self._stream[0] != low:
            pages = self.app.record_pages(start=low + 1, batch=self.batch)
            self._stream = (low, chain.from_iterable(pages))
        stream, topics = self._stream[1], self._topic_set
        events: list[Read] = []
        end, scanned, most = low, 0, self.batch
        for position, event, leaf in stream:
            end, scanned = position, scanned + 1
            if event.envelope["type"] in topics:
                events.append((position, view_of(event), (event.digest, leaf)))
                if len(events) >= most:
                    break
            if scanned >= 10 * most:
                break
        self._stream = (end, stream) if end > low else None
        return events, end

    def _apply(self, positions: dict[str, int], events: list[Read], end: int) -> None:
        behind = [p for p in self.projections if positions[p.name] < end]
        if self._behind is not None:  # the same steps, as jobs of the rebuild's writer
            apply_behind(self._behind, positions, behind, events, end, self._text_by_runs)
        else:
            apply(self.engine, positions, behind, events, end, self._text_by_runs, self._unindexed)

    def rebuild(
        self,
        names: Iterable[str] | None = None,
        progress: Callable[[int, int], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> int:
        """Drop the named projections (all by default) and replay the log into them (up to
        the head of ``app``'s log: a ledger as of a position, ``ledger/as_of.py``, ends there;
        or, cut short, until ``stop()`` says so before a batch: the indexes are built all the
        same, and a catch-up goes on from the last batch)."""
        chosen = list(names) if names is not None else list(self._by_name)
        unknown = sorted(set(chosen) - set(self._by_name))
        if unknown:
            raise ProjectionError(f"no projection named {', '.join(unknown)}")
        with self._lock:
            # The tables are refilled without their secondary indexes (each built once at the
            # end, not kept up row by row), in batches of ``rebuild_batch`` events. Rows and
            # positions still commit together per batch; a rebuild cut short leaves tables
            # without some indexes, which the next runner's start creates (``_set_up``).
            self._reset(chosen, indexes=False)
            # SQLite: the targets' text is indexed a run of inserts at a time, not by the
            # trigger row by row (``text_runs.py``, inside each batch's transaction).
            self._text_by_runs = any(tables.targets in self._by_name[n].tables for n in chosen)
            # Each table's unique indexes too: built once its rows are in, or when a handler
            # first looks a row up (``Writer.unindexed``).
            self._unindexed = {
                table.name
                for name in chosen
                for table in self._by_name[name].tables
                if any(index.unique for index in table.indexes)
            }
            batch, self.batch = self.batch, self.rebuild_batch
            with bulk_writing(self.engine) as journal:
                try:
                    with _collector_paused(), self._written_behind(journal, self.head()):
                        return self.catch_up(progress=_collecting(progress), stop=stop)
                finally:
                    self.batch, self._text_by_runs = batch, False
                    self._unindexed = set()
                    with self.engine.begin() as conn:
                        _create_indexes(conn, [self._by_name[name] for name in chosen])

    @contextlib.contextmanager
    def _written_behind(self, journal: str, events: int) -> Iterator[None]:
        """A rebuild's batches written by a writer thread (SQLite), or a process (``ASIDE_FROM``
        events or more into a file), stopped at the end: its last batch committed, or raised."""
        dialect = self.engine.dialect.name
        wanted = dialect == "sqlite" if self.write_behind is None else self.write_behind
        if not wanted or dialect not in ("sqlite", "postgresql"):
            yield
            return
        aside = events >= ASIDE_FROM if self.write_aside is None else self.write_aside
        writer = self._behind = writer_for(self.engine, self._unindexed, journal, aside)
        try:
            with quick_switches():
                yield
        except BaseException:
            with contextlib.suppress(Exception):  # the first error is the one raised
                writer.stop()
            raise
        else:
            writer.stop()
        finally:
            self._behind = None

    def reset(self, names: Iterable[str] | None = None) -> None:
        """Empty the named projections (all by default) and set their positions to 0."""
        self._reset(list(names) if names is not None else list(self._by_name))

    def _reset(self, names: list[str], *, indexes: bool = True) -> None:
        with self._lock, self.engine.begin() as conn:
            tables.made_alone(conn)
            for name in names:
                p = self._by_name[name]
                with _freed_plainly(conn):  # (create_all drops the text index if it is there)
                    metadata.drop_all(conn, tables=list(p.tables))
                    metadata.create_all(conn, tables=list(p.tables))
                if not indexes:
                    for table in p.tables:
                        for index in table.indexes:
                            index.drop(conn, checkfirst=True)
                conn.execute(
                    update(tracking)
                    .where(tracking.c.name == name)
                    .values(position=0, schema_version=p.version)
                )

    # -- embedded mode -------------------------------------------------------------------------

    def attach(self) -> None:
        """Catch up after every command the ledger application saves (once per runner)."""
        if not self._attached:
            self.app.after_save.append(self.after_save)
            self._attached = True

    def after_save(self) -> None:
        try:
            self.catch_up()
        except Exception as e:  # the command is recorded; the read side retries on next use
            self.last_error = e
            log.exception("读取模型未能追赶账本，下次重试 (read models could not catch up)")


# A rebuild's batches between two full runs of the cyclic garbage collector (``_collector_paused``).
REBUILD_COLLECT_EVERY = 200


def _collector_off() -> bool:
    """While a rebuild runs: the cyclic garbage collector off (whether it was on is returned),
    run in full by the rebuild every ``REBUILD_COLLECT_EVERY`` batches instead. A rebuild
    allocates millions of short-lived objects (records, views, rows), freed by their reference
    counts, not by the collector: with the default thresholds it ran a young collection every 700
    of them and a full one, over every live object, every 70,000, which cost about as much as the
    handlers (``docs/PERFORMANCE.md``, rebuild7); with its young generation raised to 100,000
    objects, 243 young and 22 middle collections still took ~2.8 s of a 61 s rebuild at a million
    events, and freed ~50 objects in all. Cycles made meanwhile, by the rebuild or by the
    service's other threads, are freed at the rebuild's next full collection or after it."""
    enabled = gc.isenabled()
    gc.disable()
    return enabled


_collector_paused = WhileAnyRuns(_collector_off, lambda enabled: gc.enable() if enabled else None)


def _collecting(
    progress: Callable[[int, int], None] | None,
) -> Callable[[int, int], None]:
    """``progress``, and before every ``REBUILD_COLLECT_EVERY``-th batch a full collection."""
    batches = count(1)

    def each_batch(reached: int, head: int) -> None:
        if next(batches) % REBUILD_COLLECT_EVERY == 0:
            gc.collect()
        if progress is not None:
            progress(reached, head)

    return each_batch


@contextlib.contextmanager
def _freed_plainly(conn: Connection) -> Iterator[None]:
    """SQLite: the pages of the tables a reset drops are freed without first being overwritten
    with zeros (``PRAGMA secure_delete``, on by default in some builds of SQLite, Debian's among
    them: dropping a full read database's tables then cost ~19 µs an event of its rebuild, 4
    without). What those pages held is derived from the log, which keeps all of it, and the
    rebuild writes it again. The connection's own setting is given back right after the drop
    (pages are zeroed or not as they are freed, not at the commit): every other write keeps it."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA secure_delete").scalar_one())
    conn.exec_driver_sql("PRAGMA secure_delete=0")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA secure_delete={before}")


def _retire(conn: Connection, existing: set[str]) -> set[str]:
    """Drop what projections no longer kept left in the read database (``history.RETIRED``:
    the registry history, read from the trail's acts since): their tables among ``existing``,
    and their tracking rows. Their rows were derived from the log, which keeps all of it.
    ``IF EXISTS``: another worker starting at the same time may have dropped it first (it holds
    the table's lock until its commit). Returns the tables dropped."""
    dropped = set()
    for name, retired in RETIRED.items():
        for table in retired:
            if table in existing:
                with _freed_plainly(conn):
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
                dropped.add(table)
        conn.execute(delete(tracking).where(tracking.c.name == name))
    return dropped


def _create_indexes(conn: Connection, projections: Iterable[Projection]) -> None:
    """Create the projections' secondary indexes that are missing (a rebuild builds them once
    its rows are in; on SQLite with ``bulk_writing.index_builds``' settings). One look at the
    catalogue for all the tables (PostgreSQL: one query)."""
    tables = [t for p in projections for t in p.tables if t.indexes]
    if not tables:
        return
    found = inspect(conn).get_multi_indexes(filter_names=[t.name for t in tables])
    present = {name: {str(i["name"]) for i in indexes} for (_, name), indexes in found.items()}
    with index_builds(conn):  # (SQLite: its sorts in small runs, by helper threads)
        for table in tables:
            for index in table.indexes:
                if index.name not in present.get(table.name, set()):
                    index.create(conn)
