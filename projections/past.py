"""Read models as the ledger stood at a past position, for lists and searches "as of" it.

The current read models hold only the present. For a past position the same projections are
folded again from the log's checked records up to that position, into a scratch in-memory
SQLite database, and the same queries run on it: slow on a long log (every event up to the
position is read), but the answer is the one the read models gave then. A few recent positions
are kept, so that paging through one past list folds the log once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy import URL, Engine

from ledger.application import LedgerApp
from ledger.as_of import ledger_as_of

from .database import create_read_engine
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
