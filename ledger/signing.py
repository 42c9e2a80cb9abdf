"""Encoding and signing a bulk command's events in a helper process, one batch ahead.

Canonical JSON, the digest and the Ed25519 signature are about half of what storing an event
costs. A thread cannot take that work off the command's thread: pyca/cryptography releases the
GIL while it signs, but a worker thread has to take the GIL back between two signatures, and
while the command's thread runs Python code that waits for the interpreter's switch interval
(5 ms) each time (measured: 271 signatures/s in such a thread, 25,000/s alone). So one helper
process, started on the first bulk command and kept until the application closes, runs
``verify.events.encode_record`` — the very function the inline path runs, so the bytes are the
same — on batch k while the command checks, builds and stores batch k − 1 or k + 1.

The helper holds the ledger's signing key: it receives it as the first message on its socket
(never through a file, the command line or the environment), runs as the same user and exits
when the socket closes, with its parent. A job that the helper cannot
do (it died, a value is not plain data, an envelope is refused) has no result, and the mapper
then encodes those events inline, where any error is raised exactly as without the helper.
"""

from __future__ import annotations

import marshal
import os
import queue
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from verify.keys import SignerKey, parse_signer_key

CHUNK = 128  # envelopes per message
Encoded = tuple[bytes, bytes, bytes]  # record, digest, SHA-256 of the record


class Job:
    """One batch handed to the helper; ``result()`` waits for it (None: encode inline)."""

    def __init__(self, encoder: BatchEncoder, messages: int, failed: bool) -> None:
        self._encoder = encoder
        self.messages = messages
        self.received = 0
        self.failed = failed
        self.encoded: list[Encoded] = []

    @property
    def done(self) -> bool:
        return self.received == self.messages

    def result(self) -> list[Encoded] | None:
        self._encoder.wait_for(self)
        return None if self.failed else self.encoded


class BatchEncoder:
    """The helper process and the jobs it is doing, answered in the order they were sent.

    Only the thread inside a ``session`` submits jobs; another thread's session gets False
    and its events are signed inline."""

    def __init__(self, signer: SignerKey) -> None:
        self._key_text = signer.to_text()
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._process: Any = None
        self._broken = False
        self._unanswered: deque[Job] = deque()

    @contextmanager
    def session(self) -> Iterator[bool]:
        if self._broken or not self._lock.acquire(blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            try:
                while self._unanswered:  # a command that failed half-way leaves answers
                    self.wait_for(self._unanswered[-1])
            finally:
                self._lock.release()

    def submit(self, envelopes: list[dict[str, Any]]) -> Job | None:
        """Send a batch of envelopes to the helper (inside a session); None if it is broken."""
        if self._broken:
            return None
        try:
            chunks = [envelopes[i : i + CHUNK] for i in range(0, len(envelopes), CHUNK)]
            messages = [marshal.dumps(chunk) for chunk in chunks]
        except ValueError:  # not plain data: the inline path says what is wrong with it
            return Job(self, 0, failed=True)
        try:
            conn = self._connection()
            for message in messages:
                conn.send_bytes(message)
        except OSError:
            self._fail()
            return None
        job = Job(self, len(messages), failed=False)
        self._unanswered.append(job)
        return job

    def wait_for(self, job: Job) -> None:
        """Read answers (they come in the order of the jobs) until ``job`` has all of its."""
        while not job.done:
            oldest = self._unanswered[0]
            try:
                assert self._conn is not None
                status, result = marshal.loads(self._conn.recv_bytes())
            except (OSError, EOFError):
                self._fail()
                return
            oldest.received += 1
            if status == "ok":
                oldest.encoded.extend(result)
            else:
                oldest.failed = True
            if oldest.done:
                self._unanswered.popleft()

    def _fail(self) -> None:
        """The helper died: every unanswered job fails (its events go inline), and no new
        job is sent."""
        self._broken = True
        for job in self._unanswered:
            job.failed = True
            job.received = job.messages
        self._unanswered.clear()
        self._stop()

    def _connection(self) -> Connection:
        if self._conn is None:
            # A plain child process (``python -m ledger.signing FD``), not multiprocessing's
            # spawn: that one re-runs the parent's main script in the child, which for a script
            # without a ``__main__`` guard would run its commands a second time.
            mine, theirs = socket.socketpair()
            path = os.pathsep.join(p for p in sys.path if p)
            self._process = subprocess.Popen(
                [sys.executable, "-m", "ledger.signing", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": path},
            )
            theirs.close()
            self._conn = Connection(mine.detach())
            self._conn.send_bytes(self._key_text.encode("utf-8"))  # never in argv or env
        return self._conn

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()  # the helper reads EOF and exits
            self._conn = None
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


def _serve(conn: Connection, key_text: str) -> None:
    """The helper: encode each chunk of envelopes it receives, answer in order, until EOF.

    A reader thread takes messages off the pipe as they come and a writer thread sends the
    answers, so the encoding loop never waits on the pipe: neither while the parent is busy
    building its next batch (its end of the pipe holds only a few answers) nor while it sends.
    A short switch interval lets those threads take the GIL from the encoding loop within half
    a millisecond instead of five.
    """
    from verify.events import encode_record
    from verify.merkle import leaf_hash

    sys.setswitchinterval(0.0005)
    signer = parse_signer_key(key_text)
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
    while (message := inbox.get()) is not None:
        try:
            done = []
            for envelope in marshal.loads(message):
                record, digest = encode_record(envelope, signer)
                done.append((record, digest, leaf_hash(record)))
            outbox.put(marshal.dumps(("ok", done)))
        except Exception as e:  # noqa: BLE001 - the parent encodes these inline and raises
            outbox.put(marshal.dumps(("error", f"{type(e).__name__}: {e}")))
    outbox.put(None)
    writer.join()


if __name__ == "__main__":
    _connection = Connection(int(sys.argv[1]))
    _serve(_connection, _connection.recv_bytes().decode("utf-8"))
