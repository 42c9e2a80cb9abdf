"""Put on PYTHONPATH by `make test-future`, so that every Python process of the run loads it:
pytest, its xdist workers, the import's helper processes, the service a browser test starts.

The run fakes the wall clock with libfaketime and leaves the monotonic clock real
(``FAKETIME_DONT_FAKE_MONOTONIC=1``): with a faked monotonic clock, libfaketime 0.9.10 (Debian
12) does not translate ``sem_clockwait``, so every lock or condition waited on with a timeout
(``threading.Event().wait(1)``) waits weeks. With the real one, its ``clock_nanosleep`` refuses
Python's ``time.sleep`` (an absolute monotonic deadline: ``OSError: [Errno 22]``). So here, and
only under that setting, ``time.sleep`` waits on a lock nobody releases instead, which times out
on the real monotonic clock. Nothing else changes; the product never sees this file.
"""

from __future__ import annotations

import os


def _install() -> None:
    import threading
    import time

    held = threading.Lock()
    held.acquire()

    def sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        remaining = float(seconds)
        while remaining > 0:  # a lock's timeout is capped at threading.TIMEOUT_MAX
            step = min(remaining, threading.TIMEOUT_MAX)
            held.acquire(timeout=step)
            remaining -= step

    time.sleep = sleep


if (
    "faketime" in os.environ.get("LD_PRELOAD", "")
    and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1"
):
    _install()
