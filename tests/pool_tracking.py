"""Where each PostgreSQL connection pool of this test process was made, for the session-end
check that no connection is left open (``conftest.no_connection_left_open``): a connection's
application name says which test was running when it was opened, which is not always the test
that forgot to close it (a pool of another test's ledger may open it then). So each pool the
library's datastore makes is remembered with the test and the stack that made it, and the
check's failure lists the pools still open with both, and the threads still running."""

from __future__ import annotations

import os
import threading
import traceback
import weakref
from typing import Any

_HARNESS = ("/_pytest/", "/pluggy/", "/xdist/", "/execnet/")  # frames left out of the stacks
_MADE: list[int] = []  # one entry per pool made (a count that survives the pools)
_POOLS: weakref.WeakKeyDictionary[Any, tuple[str, str]] = weakref.WeakKeyDictionary()


def track_pools() -> None:
    """From now on, remember each pool eventsourcing's PostgreSQL datastore makes."""
    from eventsourcing.postgres import PostgresDatastore

    made = PostgresDatastore.__init__
    if getattr(made, "_tracked", False):
        return

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        test = os.environ.get("PYTEST_CURRENT_TEST", "(no test running)")
        frames = traceback.extract_stack()[:-1]
        ours = [f for f in frames if not any(part in f.filename for part in _HARNESS)]
        stack = "".join(traceback.format_list(ours[-16:]))
        _POOLS[self.pool] = (test, stack)
        _MADE.append(1)

    __init__._tracked = True  # type: ignore[attr-defined]
    PostgresDatastore.__init__ = __init__  # type: ignore[method-assign]


def pools_left_open() -> str:
    """The pools of this process not closed (each with its test and stack) and the threads
    still running, as text for a failure message ("" if no pool is open)."""
    left = [(test, stack) for pool, (test, stack) in list(_POOLS.items()) if not pool.closed]
    if not left:
        return ""
    threads = ", ".join(sorted(t.name for t in threading.enumerate()))
    pools = "\n".join(f"- made in {test}:\n{stack}" for test, stack in left)
    return f"\n{len(left)} pool(s) of this process still open:\n{pools}\nthreads: {threads}"


def open_pools() -> set[int]:
    """The ids of this process's pools not closed (a test compares them before and after)."""
    return {id(pool) for pool in list(_POOLS) if not pool.closed}


def pools_made() -> int:
    """How many pools this process made since the tracking began (0: it is not on)."""
    return len(_MADE)
