"""Read models rebuilt from the log: the registries' current state, their history, "as of".

- ``tables.py``: the read-model tables and the tracking table;
- ``tracking.py``: what a projection is, and the batching writer its handlers write through;
- ``current.py``, ``history.py``: the projections;
- ``runner.py``: ``catch_up()`` and ``rebuild()``, rows and positions in one transaction;
- ``follower.py``: catching up in the background, and what a read does while it does;
- ``queries.py``: searches, pages, single entries, histories; ``as_of.py``: an entry's state at
  a position rebuilt from the log; ``past.py``: every read model as it stood at a past
  position, folded from the log into a scratch database; ``views.py``: the reader's view of an
  entry;
- ``database.py``: where the read models live, and their integrity check.

``open_read_models(app)`` wires them to a ledger application.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import URL, Engine
from sqlalchemy.exc import IntegrityError

from ledger.application import LedgerApp
from ledger.errors import ConfigurationError

from .bulk_writing import set_aside_if_untrusted
from .database import (
    create_read_engine,
    read_database_url,
    set_aside,
    sqlite_file,
)
from .follower import Follower, Progress, ReadModelsBehind
from .past import PastReadModels
from .runner import ProjectionRunner
from .tracking import ProjectionError

log = logging.getLogger(__name__)


@dataclass
class ReadModels:
    """The read side of one ledger: its application, read-model engine, runner and follower
    (started by the service; see ``follower.py``)."""

    app: LedgerApp
    engine: Engine
    runner: ProjectionRunner
    follower: Follower | None = None  # None: read models of a past position, complete as built
    # Made with the read models, not on the first ``at``: two requests asking at once would
    # each make one and fold the same position twice, one of them kept by neither.
    _past: PastReadModels = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._past = PastReadModels(self.app)

    def at(self, position: int) -> ReadModels:
        """The read models as they stood at ``position``, folded from the log (``past.py``)."""
        return ReadModels(*self._past.at(position))

    def current(self) -> None:
        """Catch up for a read, or raise ReadModelsBehind (see ``follower.py``)."""
        if self.follower is not None:
            self.follower.current()

    def progress(self) -> Progress:
        if self.follower is None:
            raise ProjectionError("read models of a past position follow nothing")
        return self.follower.progress()

    def close(self) -> None:
        """Stop the follower and release the engine's connections (also done when the ledger
        application closes; closing twice is harmless)."""
        hooks = getattr(self.app, "on_close", [])  # a past position's view has none
        if self.close in hooks:
            hooks.remove(self.close)
        if self.follower is not None:
            self.follower.stop()
        self.engine.dispose()


def open_read_models(
    app: LedgerApp, url: str | URL | None = None, *, attach: bool = True, first: int | None = None
) -> ReadModels:
    """Open (creating if needed) the read models of ``app`` and catch them up with the log.

    ``url`` defaults to ``read_database_url(app)``. With ``attach`` they also catch up after
    every command the application saves (or, once ``follower.start()`` ran, wake the follower).
    ``first`` bounds the catch-up done here to about that many events (the service passes one
    batch and leaves the rest to the follower, so that it answers within seconds).

    Read models are derived data, so damage to them is repaired here, never the log: an SQLite
    file that fails ``PRAGMA quick_check`` (unreadable, a damaged header or pages) is set aside
    (``readmodels.sqlite.damaged-<time>``) before it is opened, and one whose rows are ahead
    of its tracking positions (the catch-up hits a unique constraint) is set aside after;
    either way they are rebuilt from the log, with a log line saying so. On PostgreSQL the
    projections' tables are rebuilt in place instead.
    """
    url = url if url is not None else read_database_url(app)
    path = sqlite_file(url)
    if path is not None:
        _check_not_the_log(app, path)
        set_aside_if_untrusted(path)
    engine = create_read_engine(url)
    try:  # refused (a tampered log, a store gone): its connections closed now
        runner = ProjectionRunner(app, engine)
        lost = runner.disagreement_with_log()
        if lost is not None:
            log.error(
                "账本已不含读取模型读过的内容（%s）：有事件在账本之外被删除或替换（尾部被截断，"
                "或恢复了旧副本）；请告知见证方和审计人员 (the log lost what its read models read)",
                lost,
            )
            engine, runner = _start_over(app, url, path, engine, runner, f"log rolled back: {lost}")
        try:
            runner.catch_up(first, vouch=first is None)
        except IntegrityError as e:
            reason = f"rows ahead of their tracking position: {e.orig}"
            engine, runner = _start_over(app, url, path, engine, runner, reason)
            runner.catch_up(first, vouch=first is None)
    except BaseException:
        engine.dispose()
        raise
    follower = Follower(runner)
    if attach:
        app.after_save.append(follower.after_save)
    read_models = ReadModels(app, engine, runner, follower)
    app.on_close.append(read_models.close)  # closing the ledger closes its read models too
    return read_models


def _start_over(
    app: LedgerApp,
    url: str | URL,
    path: Path | None,
    engine: Engine,
    runner: ProjectionRunner,
    reason: str,
) -> tuple[Engine, ProjectionRunner]:
    """Read models that disagree with the log, emptied to be caught up from it again: an
    SQLite file set aside (kept to be looked at), PostgreSQL's tables reset in place."""
    if path is None:
        log.warning("读取模型与账本不一致（%s）：重建 (read models disagree with the log)", reason)
        runner.reset()
        return engine, runner
    engine.dispose()
    set_aside(path, reason)
    engine = create_read_engine(url)
    return engine, ProjectionRunner(app, engine)


def _check_not_the_log(app: LedgerApp, path: Path) -> None:
    ledger_file = app.env.get("SQLITE_DBNAME") or ""
    if ledger_file and Path(ledger_file).resolve() == path.resolve():
        raise ConfigurationError(
            f"{path} is the ledger itself: read models need a database of their own"
        )


__all__ = [
    "Follower",
    "ProjectionRunner",
    "Progress",
    "ReadModels",
    "ReadModelsBehind",
    "open_read_models",
]
