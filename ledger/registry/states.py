"""The registry as it stood at ledger positions, folded from the log and kept for the draws.

A draw reads the registry at its freeze position in every later step; a freeze reads it at the
end of the log. The log is append-only, so the state at a position never changes: a few recent
ones are kept, and the newest is advanced event by event instead of being folded again from the
first event. Callers get a copy (or a kept state that nothing changes) and only read it: a copy
shares the frontier's records, which a later event replaces rather than changes
(``RegistryState.copy``), so taking one costs a few dictionary copies, not a deep copy.
Safe for the service's threads.

After a restart the first state is not folded from the first event: it starts from the state
persisted beside the log (``state_store.py``, checked on load; anything refused falls back to
the log) and folds only the events after it. A freeze that folded at least ``PERSIST_AFTER``
events beyond the newest persisted state persists its own, in a background thread.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from verify.registry_state import RegistryState

from ..application import LedgerApp
from .state_store import StateStore

KEPT = 4  # states kept by position: a few draws in progress at once
_PAGE = 1000
PERSIST_AFTER = 10_000  # events folded beyond the newest persisted state before persisting
log = logging.getLogger(__name__)


class RegistryStates:
    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        self._kept: OrderedDict[int, RegistryState] = OrderedDict()
        self._frontier = RegistryState()  # never handed out: it keeps advancing
        self._frontier_id = 0  # the last notification folded into it
        self._lock = threading.Lock()
        self.store = StateStore(app)
        self._persisted_id = 0  # the newest persisted state this process knows of
        self._persisting = threading.Lock()
        self.persist_after = PERSIST_AFTER
        self.saving: threading.Thread | None = None  # the last background persist

    def at(self, position: int | None) -> RegistryState:
        """The registry folded from the first ``position`` events of the log (all if None)."""
        with self._lock:
            return self._at(position)

    def head(self) -> tuple[RegistryState, int]:
        """The registry folded from the whole log, and the ledger position of the last event
        folded into it (0 if none): a count of events is that position only where positions
        have no gaps (docs/FORMAT.md, "Positions")."""
        with self._lock:
            return self._at(None), self._frontier_id

    def _at(self, position: int | None) -> RegistryState:
        if position is not None and position in self._kept:
            self._kept.move_to_end(position)
            return self._kept[position]
        if position is not None and position < self._frontier.position:
            state = self._fold(position)  # an older position: fold it afresh
        else:
            self._advance(position)
            state = self._frontier.copy()  # shares the unchanged records
        self._kept[state.position] = state
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        if self._frontier_id - self._persisted_id >= self.persist_after:
            self._persisted_id = self._frontier_id
            frontier = (self._frontier.copy(), self._frontier_id)
            self.saving = threading.Thread(target=self._save, args=frontier, daemon=True)
            self.saving.start()
        return state

    def persist(self) -> int:
        """Persist the newest state folded so far now (the tests', the bench's and the CLI's
        way); returns the notification id it was folded up to."""
        with self._lock:
            state, last_id = self._frontier.copy(), self._frontier_id
            self._persisted_id = last_id
        self._save(state, last_id)
        return last_id

    def _save(self, state: RegistryState, last_id: int) -> None:
        with self._persisting:
            try:
                self.store.save(state, last_id)
            except Exception as e:  # a cache: a failure costs a cold fold later, nothing else
                log.warning("名录状态未能保存，下次从账本折叠：%s (registry state not kept)", e)

    def _start(self, position: int | None) -> tuple[RegistryState, int]:
        """The newest persisted state at or before ``position`` that passes its checks, or an
        empty one: where a fold starts."""
        persisted = self.store.newest(position)
        if persisted is None:
            if self.store.refused:
                log.warning(
                    "%s；改为从账本开头折叠 (folding the log from its start)", self.store.refused
                )
            return RegistryState(), 0
        return persisted.state, persisted.last_id

    def _advance(self, position: int | None) -> None:
        if self._frontier_id == 0:  # cold: start from the persisted state, if one passes
            self._frontier, self._frontier_id = self._start(position)
            self._persisted_id = max(self._persisted_id, self._frontier_id)
        frontier = self._frontier
        for at, event in self.app.records(start=self._frontier_id + 1, batch=_PAGE):
            if position is not None and frontier.position >= position:
                return
            frontier.apply(event.envelope)
            self._frontier_id = at

    def _fold(self, position: int) -> RegistryState:
        state, last_id = self._start(position)
        if state.position >= position:
            return state
        for _, event in self.app.records(start=last_id + 1, batch=_PAGE):
            state.apply(event.envelope)
            if state.position >= position:
                break
        return state
