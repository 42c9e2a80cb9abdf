"""A process-wide setting changed while a rebuild runs (the interpreter's switch interval, the
garbage collector's thresholds): rebuilds may overlap (two runners, two threads) and end in
either order, so the first block to start changes the setting and the last to end gives back
what it was before the first."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any


class WhileAnyRuns:
    """``change()`` sets the setting and returns what it was; ``restore(that)`` puts it back.
    Calling the object gives a block (``with setting(): …``) during which the setting holds."""

    def __init__(self, change: Callable[[], Any], restore: Callable[[Any], None]) -> None:
        self._change, self._restore = change, restore
        self._lock = threading.Lock()
        self._running = 0
        self._before: Any = None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if not self._running:
                self._before = self._change()
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if not self._running:
                    self._restore(self._before)
