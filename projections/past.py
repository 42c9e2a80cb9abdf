"""Read models as the ledger stood at a past position, for lists and searches "as of" it.

The current read models hold only the present. For a past position the same projections are
folded again from the log's checked records up to that position, into a scratch in-memory
SQLite database, and the same queries run on it: slow on a long log (every event up to the
position is read), but the answer is the one the read models gave then. A few recent positions
are kept, so that paging through one past list folds the log once.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Engine, text

from ledger.application import LedgerApp
from ledger.as_of import ledger_as_of
from ledger.errors import Conflict

from .bulk_writing import set_aside_if_untrusted
from .database import (
    create_read_engine,
    read_database_url,
    sqlite_file,
)
from .runner import ProjectionRunner

KEPT = 2  # past positions whose read models are kept


class PastReadModels:
    """The read models of ``app`` at past positions, each folded once and a few kept."""

    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        self._kept: OrderedDict[int, tuple[LedgerApp, Engine, ProjectionRunner]] = OrderedDict()
        self._lock = threading.Lock()

    def at(self, position: int) -> tuple[LedgerApp, Engine, ProjectionRunner]:
        """The ledger as of ``position``, and read models folded up to it."""
        with self._lock:
            kept = self._kept.get(position)
            if kept is not None:
                self._kept.move_to_end(position)
                return kept
            built = fold_read_models(self.app, position, create_read_engine(URL.create("sqlite")))
            self._kept[position] = built
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)  # dropped, not disposed: a reader may hold it
            return built


def fold_read_models(
    app: LedgerApp,
    position: int,
    engine: Engine,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[LedgerApp, Engine, ProjectionRunner]:
    """Every projection in ``engine`` dropped and folded again from the log's checked records
    up to ``position``: the read models as they stood then."""
    view = ledger_as_of(app, position)
    runner = ProjectionRunner(view, engine)
    runner.rebuild(progress=progress)
    return view, engine, runner


def rebuild_read_models(
    app: LedgerApp,
    position: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """``drawledger rebuild [--upto POSITION]``: the ledger's own read models dropped and
    folded again from the log up to ``position`` (the head if None); returns the position
    reached and the events read. The service catches them up to the head again when it next
    reads them: a rebuild to a past position is for looking at the read models as they stood
    (or timing a rebuild), not a way to hide what came after."""
    url = read_database_url(app)
    path = sqlite_file(url)
    with rebuilding_alone(url, path):
        if path is not None:
            set_aside_if_untrusted(path)
        engine = create_read_engine(url)
        try:
            upto = position if position is not None else (app.recorder.max_notification_id() or 0)
            runner = ProjectionRunner(ledger_as_of(app, upto), engine)
            events = runner.rebuild(progress=progress)
            return min(runner.positions().values(), default=0), events
        finally:
            engine.dispose()


# The PostgreSQL advisory lock a rebuild holds ("drawrebu"), the sealer's is another
_REBUILD_LOCK = 0x6472_6177_7265_6275


@contextmanager
def rebuilding_alone(url: str | URL, path: Path | None) -> Iterator[None]:
    """Hold the read models' rebuild lock for the block, or Conflict at once if another rebuild
    holds it: two rebuilds dropping and refilling the same tables made one fail with the
    database's own words half-way (a lock timeout, an index that exists). SQLite: an exclusive
    ``flock`` on the read models' folder (the data directory); PostgreSQL: a session advisory
    lock on the read models' database. Either is released if the process dies."""
    busy = Conflict(
        "another 'drawledger rebuild' of these read models is running: wait for it to end "
        "(one rebuild at a time)"
    )
    if path is not None:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise busy from None
            yield
        finally:
            os.close(fd)  # the lock goes with it
        return
    engine = create_read_engine(url)
    try:
        with engine.connect() as conn:
            held = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _REBUILD_LOCK})
            if not held.scalar():
                raise busy
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _REBUILD_LOCK})
    finally:
        engine.dispose()
