"""The embedded mode's sealing task: one round per interval in a background thread.

The event store acknowledges a command as soon as its events are stored; this task integrates
everything stored since the last checkpoint in one round (``Sealer.seal``) and signs one
checkpoint per round, every ``interval`` seconds, as transparency logs do. Nothing is lost to a
crash between the two: the events are stored, and the next round (the first one runs as soon as
the task starts) seals them. A failed round is kept as ``last_error`` (the service's
``/health`` shows it) and the next round tries again; ``stop`` runs one last round.

With PostgreSQL the follower (``drawledger seal --follow``) runs the rounds instead; a process
that only waits for a checkpoint (``wait_sealed``) then polls the stored checkpoints.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from .errors import NotSealedYet
from .sealer import Sealer, StoredCheckpoint

log = logging.getLogger(__name__)

_POLL = 0.05  # seconds between looks at the stored checkpoints while waiting for another sealer
# How long a read that needs a stored event sealed (a dispute file as of now) waits for the
# rounds: three intervals, at least COVER_WAIT_LEAST (a sealer in another process, polled) and
# at most COVER_WAIT_MOST seconds.
COVER_WAIT_LEAST, COVER_WAIT_MOST = 2.0, 10.0


class SealingTask:
    """Runs ``sealer.seal()`` every ``interval`` seconds in a thread, between start and stop."""

    def __init__(self, sealer: Sealer, interval: float) -> None:
        self.sealer = sealer
        self.interval = interval
        self.last_error: str | None = None  # the last round's failure, None once a round succeeds
        self.last_round_at: str | None = None  # when a round of this process last ended (UTC)
        self._stop = threading.Event()
        self._sealed = threading.Condition()  # notified after every round
        self._rounds = 0  # rounds finished, so that a waiter never misses one
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the rounds (the first one at once: it seals what a crash left unsealed)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="drawledger-sealer", daemon=True)
        self._thread.start()

    def stop(self) -> StoredCheckpoint | None:
        """Stop the rounds, then run a last one so that nothing acknowledged is left unsealed.

        Raises what that last round raises (``SealError``, a database error).
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        try:
            return self.sealer.seal()
        finally:
            self._notify()

    def run_round(self) -> StoredCheckpoint | None:
        """One round; a failure is logged and kept in ``last_error``, never raised."""
        try:
            checkpoint = self.sealer.seal()
        except Exception as e:  # noqa: BLE001 - any failure is reported, and the next round retries
            self.last_error = f"{type(e).__name__}: {e}"
            log.error("本轮封存失败，下一轮重试：%s (sealing round failed)", self.last_error)
            checkpoint = None
        else:
            self.last_error = None
        self.last_round_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._notify()
        return checkpoint

    def wait_sealed(self, position: int, timeout: float) -> StoredCheckpoint | None:
        """The latest checkpoint once it covers ledger position ``position`` (a notification id),
        or None if none does within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._sealed:
                rounds = self._rounds
            latest = self.sealer.latest()
            if latest is not None and latest.last_notification_id >= position:
                return latest
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            with self._sealed:
                # Woken by this process's rounds; polling covers a sealer in another process.
                if self._rounds == rounds:
                    self._sealed.wait(min(left, self.interval if self.running else _POLL))

    def covering(self, position: int) -> StoredCheckpoint:
        """The latest checkpoint once it covers ``position``, a stored event's, waiting for the
        rounds (this process's or another's) up to ``cover_wait`` seconds; NotSealedYet if
        none does by then."""
        checkpoint = self.wait_sealed(position, self.cover_wait)
        if checkpoint is None:
            latest = self.sealer.latest()
            covered = latest.last_notification_id if latest else 0
            raise NotSealedYet(
                f"position {position} is stored but no signed checkpoint covers it yet (the "
                f"latest covers positions 1 to {covered}); the ledger is sealed every "
                f"{self.interval:g} s: retry in a moment",
                retry_after=max(1, math.ceil(self.interval)),
            )
        return checkpoint

    @property
    def cover_wait(self) -> float:
        return min(COVER_WAIT_MOST, max(COVER_WAIT_LEAST, 3 * self.interval))

    def _notify(self) -> None:
        with self._sealed:
            self._rounds += 1
            self._sealed.notify_all()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_round()
            self._stop.wait(self.interval)


def follow(
    sealer: Sealer,
    interval: float,
    say: Callable[[str], None],
    warn: Callable[[str], None],
    rounds: int | None = None,
) -> None:
    """The follower's rounds (``drawledger seal --follow``) until the process is stopped (or
    ``rounds`` rounds): ``say`` a line per checkpoint; ``warn`` once when rounds start failing
    (a store gone read-only, full or unreachable) and ``say`` once when they succeed again, in
    Chinese as the command's other lines (the store's own error marked 原文). A
    failed round is retried after ``interval`` seconds, as the embedded task's are: a fault of
    the store never ends the follower."""
    failing: str | None = None
    done = 0
    while rounds is None or done < rounds:
        try:
            checkpoint = sealer.seal()
        except Exception as e:  # noqa: BLE001 - any failure is reported, and the next round retries
            error = f"{type(e).__name__}: {e}".splitlines()[0]
            if error != failing:
                warn(f"封存失败，每 {interval} 秒重试一次（原文：{error}）")
            failing = error
        else:
            if failing is not None:
                say("已恢复封存")
            failing = None
            if checkpoint is not None:
                say(f"已封存：树大小 {checkpoint.size}")
        done += 1
        time.sleep(interval)
