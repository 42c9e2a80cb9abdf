"""The registry as it stood at ledger positions, folded from the log and kept for the draws.

A draw reads the registry at its freeze position in every later step; a freeze reads it at the
end of the log. The log is append-only, so the state at a position never changes: a few recent
ones are kept, and the newest is advanced event by event instead of being folded again from the
first event. Callers get a copy (or a kept state that nothing changes) and only read it: a copy
shares the frontier's records, which a later event replaces rather than changes
(``RegistryState.copy``), so taking one costs a few dictionary copies, not a deep copy.
Safe for the service's threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from verify.registry_state import RegistryState

from ..application import LedgerApp

KEPT = 4  # states kept by position: a few draws in progress at once
_PAGE = 1000


class RegistryStates:
    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        self._kept: OrderedDict[int, RegistryState] = OrderedDict()
        self._frontier = RegistryState()  # never handed out: it keeps advancing
        self._frontier_id = 0  # the last notification folded into it
        self._lock = threading.Lock()

    def at(self, position: int | None) -> RegistryState:
        """The registry folded from the first ``position`` events of the log (all if None)."""
        with self._lock:
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
            return state

    def _advance(self, position: int | None) -> None:
        frontier = self._frontier
        for at, event in self.app.records(start=self._frontier_id + 1, batch=_PAGE):
            if position is not None and frontier.position >= position:
                return
            frontier.apply(event.envelope)
            self._frontier_id = at

    def _fold(self, position: int) -> RegistryState:
        state = RegistryState()
        for _, event in self.app.records(batch=_PAGE):
            if state.position >= position:
                break
            state.apply(event.envelope)
        return state
