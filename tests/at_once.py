"""Work started at the same moment in several threads (races on a shared store)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(starts: int, start: Callable[[int], object]) -> list[BaseException]:
    """``start(n)`` for each n below ``starts``, each in a thread of its own, released together
    by a barrier; the errors they raised."""
    barrier = threading.Barrier(starts)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            start(n)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(starts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
