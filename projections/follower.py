"""Catching the read models up in the background, so that the service answers at once.

A ledger of millions of events takes minutes to project from scratch (a first start, a schema
change, a set-aside file). The service does not wait for that: ``Follower`` runs the runner's
``catch_up`` one batch at a time on a thread of its own (letting requests in between), woken
after every command and at least once a second for other processes' writes. Read models of an
SQLite file that start from nothing (the service's first batch aside) with a backlog of
``runner.VOUCHED_BACKLOG`` events or more
(a first start after a large import, a projection's new version, a file set aside) are first
built in bulk (``ProjectionRunner.rebuild``: a writer thread, the indexes built at the end;
ready 4.7× sooner than batch by batch at a million targets: ``bench/follower_start.py``,
docs/PERFORMANCE.md session 21), under the
rebuild lock (``past.rebuilding_alone``: a ``drawledger rebuild`` running takes precedence, and
the follower then goes on batch by batch); ``stop`` cuts it short between batches.

What a read does meanwhile (``ReadModels.current()``): if the read models are at most ``LAG``
events behind the log, the request catches them up itself and answers from current data, as
before (a command's effect is visible to the next read); if they are further behind, it is
refused with ``ReadModelsBehind`` — 503 with ``Retry-After`` and both positions — rather than
answered from a state that silently misses thousands of events. ``/health`` says how far behind
they are. Without a running follower (the CLI, tests without the service's lifespan) every read
catches up itself, however far behind. A store that refuses writes (full, read-only) does not
stop reads: the catch-up's failure is logged and the read answers from the read models as they
are (``/health`` shows them behind); a store that cannot be read fails the read itself (503).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError, InternalError, OperationalError

from ledger.errors import Conflict, LedgerError

from .database import sqlite_file
from .past import rebuilding_alone
from .runner import VOUCHED_BACKLOG, ProjectionRunner

log = logging.getLogger(__name__)

LAG = 2000  # events a request may catch up itself; further behind, reads wait for the follower
IDLE_SECONDS = 1.0  # how often an idle follower looks for other processes' writes


class ReadModelsBehind(LedgerError):
    """The read models are too far behind the log to answer this read now."""

    def __init__(self, at: int, head: int, retry_after: int) -> None:
        self.at, self.head, self.retry_after = at, head, retry_after
        super().__init__(
            f"the read models are catching up with the ledger (at position {at:,} of {head:,}, "
            f"{head - at:,} events behind): retry in about {retry_after} s"
        )


@dataclass
class Progress:
    """How far the read models are: the lowest tracked position, the ledger's head, the rate."""

    at: int
    head: int
    running: bool
    events_per_second: float | None
    error: str | None

    @property
    def behind(self) -> int:
        return max(0, self.head - self.at)


class Follower:
    """Keeps one runner caught up on a daemon thread (start/stop from the service's lifespan)."""

    def __init__(self, runner: ProjectionRunner, *, lag: int = LAG) -> None:
        self.runner = runner
        self.lag = lag
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rate: float | None = None
        self.last_error: Exception | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="read-model-follower", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def after_save(self) -> None:
        """After a command: wake the follower, or (none running) catch up as the runner does."""
        if self.running:
            self.wake()
        else:
            self.runner.after_save()

    def _built_in_bulk(self) -> None:
        """The read models of an SQLite file starting from nothing (less than
        ``VOUCHED_BACKLOG`` events in: the service's start applies one batch,
        ``open_read_models``), with a backlog at least that long — all of them (a first start,
        a file set aside) or some (a projection's new schema version, reset at the start while
        the others are current): built anew by a rebuild of those (see the module docstring),
        or left to the batches if another rebuild holds the lock, or if it fails (said in the
        log and ``last_error``)."""
        runner = self.runner
        try:  # (a store that cannot be read: the batches' loop says so, and retries)
            path = sqlite_file(runner.engine.url)
            positions = runner.positions()
            fresh = sorted(name for name, at in positions.items() if at < VOUCHED_BACKLOG)
            reached = max((positions[name] for name in fresh), default=0)
            if path is None or not fresh or runner.head() - reached < VOUCHED_BACKLOG:
                return
        except Exception:  # noqa: BLE001
            return
        started = time.perf_counter()

        def rate(position: int, _head: int) -> None:
            if position:
                self._rate = position / max(time.perf_counter() - started, 1e-6)

        try:
            with rebuilding_alone(runner.engine.url, path):
                log.info("读取模型 %s 从零批量重建 (built in bulk from nothing)", fresh)
                runner.rebuild(fresh, progress=rate, stop=self._stop.is_set)
        except Conflict:
            return  # a 'drawledger rebuild' is building them
        except Exception as e:  # noqa: BLE001 - the batches go on from where it stopped
            self.last_error = e
            log.exception("批量重建读取模型失败，改为逐批追赶 (building in bulk failed)")

    def _run(self) -> None:
        failing = False  # the last round failed (and said so)
        self._built_in_bulk()
        while not self._stop.is_set():
            try:
                started = time.perf_counter()
                done = self.runner.catch_up(most=self.runner.batch)
                if done:
                    self._rate = done / max(time.perf_counter() - started, 1e-6)
                if failing:
                    log.warning("读取模型已恢复追赶账本 (read models catch up again)")
                failing = False
                self.last_error = None
            except IntegrityError as e:  # rows ahead of their positions: derived data, rebuild
                log.warning(
                    "读取模型与账本不一致（%s）：重建 (read models disagree with the log)", e.orig
                )
                self.last_error = e
                try:
                    self.runner.reset()  # emptied, positions at 0; the loop refills them
                except Exception:  # noqa: BLE001 - kept running: the next round retries
                    log.exception("清空读取模型失败，下一轮重试 (emptying the read models failed)")
                done = 0
            except Exception as e:  # noqa: BLE001 - kept for /health; retried after a pause
                if not failing:  # once per fault, not a trace every second
                    failing = True
                    log.exception(
                        "读取模型无法追赶账本，每 %g 秒重试一次，恢复时另行记录 "
                        "(read models could not catch up; retrying)",
                        IDLE_SECONDS,
                    )
                self.last_error = e
                done = 0
            if done and not self._stop.is_set():
                continue  # more to do: next batch at once (requests take the lock in between)
            self._wake.wait(IDLE_SECONDS)
            self._wake.clear()

    def progress(self) -> Progress:
        positions = self.runner.positions()
        error = self.last_error or self.runner.last_error
        return Progress(
            at=min(positions.values(), default=0),
            head=self.runner.head(),
            running=self.running,
            events_per_second=self._rate,
            error=f"{type(error).__name__}: {error}" if error else None,
        )

    def _catch_up_for_read(self) -> None:
        try:
            self.runner.catch_up()
        except (OperationalError, InternalError) as e:  # not IntegrityError: rows ahead
            log.warning("读取模型未能追赶账本（查询按现状回答）：%s (could not catch up)", e)

    def current(self) -> None:
        """Make the read models current for a read, or refuse it (see the module docstring)."""
        if not self.running:
            self._catch_up_for_read()
            return
        state = self.progress()
        if state.behind <= self.lag:
            self._catch_up_for_read()
            return
        self.wake()
        rate = state.events_per_second or 1000.0
        raise ReadModelsBehind(state.at, state.head, max(1, min(60, round(state.behind / rate))))
