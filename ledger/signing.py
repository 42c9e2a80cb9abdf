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
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from verify.keys import SignerKey, parse_signer_key

from . import helper_process

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
        self._process: subprocess.Popen[bytes] | None = None
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
            self._process, self._conn = helper_process.start("ledger.signing")
            self._conn.send_bytes(self._key_text.encode("utf-8"))  # never in argv or env
        return self._conn

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        helper_process.stop(self._process, self._conn)
        self._process, self._conn = None, None


def _serve(conn: Connection, key_text: str) -> None:
    """The helper: encode each chunk of envelopes it receives (``helper_process.serve``)."""
    from verify.events import encode_record
    from verify.merkle import leaf_hash

    signer = parse_signer_key(key_text)

    def encode(envelopes: list[dict[str, Any]]) -> list[Encoded]:
        done = []
        for envelope in envelopes:
            record, digest = encode_record(envelope, signer)
            done.append((record, digest, leaf_hash(record)))
        return done

    helper_process.serve(conn, encode)


if __name__ == "__main__":
    _connection = Connection(int(sys.argv[1]))
    _serve(_connection, _connection.recv_bytes().decode("utf-8"))
