"""A helper process on the other core, fed one message at a time over a socket.

The signing helper (``signing.py``), the import's row helper (``registry/checking_ahead.py``)
and a rebuild's writer (``projections/writer_process.py``) are each a plain child process
(``python -m MODULE FD``), not multiprocessing's spawn: that one re-runs the parent's main
script in the child, which for a script without a ``__main__`` guard would run its commands a
second time. The child answers each message in the order it came, and
exits when the socket closes, with its parent.

In the child a reader and a writer thread keep the pipe moving, so the working loop never waits
on it: neither while the parent is busy building its next batch (its end of the pipe holds only a
few answers) nor while it sends. A short switch interval lets those threads take the GIL from the
working loop within half a millisecond instead of five.

The child's cyclic garbage collector is off while it serves, and run in full after every
``COLLECT_EVERY`` messages instead: a message and its answer are plain data (``marshal`` makes
no cycles) freed by reference counting as soon as the answer is sent, but each batch's
thousands of new containers set off a young collection every ~700 of them, which cost the row
helper about a tenth of its CPU. Whatever a message's work leaves in a cycle is collected
within ``COLLECT_EVERY`` messages.
"""

from __future__ import annotations

import gc
import marshal
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

COLLECT_EVERY = 64  # messages answered between the child's full collections (``serve``)


def start(module: str) -> tuple[subprocess.Popen[bytes], Connection]:
    """``python -m module FD`` started with this process's path, and the parent's end."""
    mine, theirs = socket.socketpair()
    path = os.pathsep.join(p for p in sys.path if p)
    process = subprocess.Popen(
        [sys.executable, "-m", module, str(theirs.fileno())],
        pass_fds=[theirs.fileno()],
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": path},
    )
    theirs.close()
    return process, Connection(mine.detach())


def stop(process: subprocess.Popen[bytes] | None, conn: Connection | None) -> None:
    """Close the parent's end (the helper reads EOF and exits); wait for it, killed after 5 s."""
    if conn is not None:
        conn.close()
    if process is not None:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(conn: Connection, work: Callable[[Any], Any]) -> None:
    """The child's loop: each message (marshal) answered ``("ok", work(message))``, or
    ``("error", "Kind: text")`` if ``work`` raised (the parent then does that batch itself,
    where the error is raised as without the helper), until EOF."""
    sys.setswitchinterval(0.0005)
    inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def read() -> None:
        try:
            while True:
                inbox.put(conn.recv_bytes())
        except (EOFError, OSError):
            inbox.put(None)

    def write() -> None:
        try:
            while (answer := outbox.get()) is not None:
                conn.send_bytes(answer)
        except OSError:
            return  # the parent has gone

    threading.Thread(target=read, daemon=True).start()
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    gc.disable()  # collected every COLLECT_EVERY messages (the module's text)
    answered = 0
    while (message := inbox.get()) is not None:
        try:
            outbox.put(marshal.dumps(("ok", work(marshal.loads(message)))))
        except Exception as e:  # noqa: BLE001 - the parent does these itself and raises
            outbox.put(marshal.dumps(("error", f"{type(e).__name__}: {e}")))
        answered += 1
        if answered % COLLECT_EVERY == 0:
            gc.collect()
    outbox.put(None)
    writer.join()
