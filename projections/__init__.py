"""Read models rebuilt from the log: the registries' current state, their history, "as of".

- ``tables.py``: the read-model tables and the tracking table;
- ``tracking.py``: what a projection is, and the batching writer its handlers write through;
- ``current.py``, ``history.py``: the projections;
- ``runner.py``: ``catch_up()`` and ``rebuild()``, rows and positions in one transaction;
- ``queries.py``: searches, pages, single entries, histories; ``as_of.py``: state at a position
  rebuilt from the log; ``views.py``: the reader's view of an entry;
- ``database.py``: where the read models live.

``open_read_models(app)`` wires them to a ledger application.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import URL, Engine

from ledger.application import LedgerApp

from .database import create_read_engine, read_database_url
from .runner import ProjectionRunner


@dataclass
class ReadModels:
    """The read side of one ledger: its application, read-model engine and runner."""

    app: LedgerApp
    engine: Engine
    runner: ProjectionRunner

    def close(self) -> None:
        self.engine.dispose()


def open_read_models(
    app: LedgerApp, url: str | URL | None = None, *, attach: bool = True
) -> ReadModels:
    """Open (creating if needed) the read models of ``app`` and catch them up with the log.

    ``url`` defaults to ``read_database_url(app)``. With ``attach`` the runner also catches up
    after every command the application saves.
    """
    engine = create_read_engine(url if url is not None else read_database_url(app))
    runner = ProjectionRunner(app, engine)
    runner.catch_up()
    if attach:
        runner.attach()
    return ReadModels(app, engine, runner)


__all__ = ["ProjectionRunner", "ReadModels", "open_read_models"]
