"""The time from a ``kill -9`` of the sealer leader to the next checkpoint, signed by the sealer
that takes over (issue 13, "Performance"), on PostgreSQL.

    .venv/bin/python -m bench --only takeover [--quick]

Set-up, not timed: a PostgreSQL ledger made by ``drawledger init`` in the scratch database; one
``drawledger seal --follow`` (the leader: alone, it seals the ledger's first events), then a
second one (the standby) that has said it follows the log. Every round of each tries the
advisory lock (``pg_try_advisory_xact_lock``); whoever holds it seals. Timed, KILLS times, at a
random point (seeded) of the standby's interval: the leader is killed with SIGKILL (possibly
inside a round), an event is recorded at once, and the clock runs until a checkpoint covers it —
which only the standby can sign. The standby is then the leader, a new standby is started, and
the next kill follows. Both followers run with the default interval (``--interval 1``), so a
takeover costs up to one interval by design (half of one on average): the figure says how close
to that it comes, not how fast the machine is.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import Config, Figure, maybe_pg, median, spread
from .workers import ROOT, pg_ledger

INTERVAL = 1.0  # seconds between a follower's rounds: drawledger seal --follow's default
WAIT = 60.0  # seconds at most for a follower to start or a checkpoint to appear


def _follower(data: Path, log: Path) -> subprocess.Popen[bytes]:
    """A ``seal --follow`` that has said it follows the log."""
    log.write_bytes(b"")
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "seal", "--data", str(data), "--follow",
         "--interval", str(INTERVAL)],
        stdout=log.open("ab"), stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    deadline = time.monotonic() + WAIT
    while "持续封存".encode() not in log.read_bytes():  # the follower has started
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"seal --follow did not start: {log.read_text()}")
        time.sleep(0.05)
    return process


def _sealed(app: object, position: int) -> None:
    """Wait until a checkpoint covers ``position``."""
    sealer = app.sealer  # type: ignore[attr-defined]
    deadline = time.monotonic() + WAIT
    while (latest := sealer.latest()) is None or latest.last_notification_id < position:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no checkpoint covered position {position} within {WAIT} s")
        time.sleep(0.005)


def run(config: Config) -> list[Figure]:
    measure = "seconds from kill -9 of the sealer leader to the standby's checkpoint"
    if config.pg is None:
        return [Figure("takeover", "postgres", measure, unit="s", skipped=config.pg_skip_reason)]
    kills = 3 if config.quick else 10
    times: list[float] = []
    phase = random.Random(13)
    with maybe_pg(config) as pg, tempfile.TemporaryDirectory(dir=config.tmp) as d:
        assert pg is not None
        from ledger.application import LedgerApp
        from ledger.registry.service import Registry

        data = pg_ledger(pg.url(), Path(d))
        app = LedgerApp.open(data, embedded_sealing=False)
        registry = Registry(app)
        leader = _follower(data, Path(d) / "sealer-0.log")
        standby = None
        try:
            _sealed(app, app.recorder.max_notification_id() or 0)  # the leader sealed alone
            for n in range(kills):
                standby = _follower(data, Path(d) / f"sealer-{n + 1}.log")
                # The standby has run a round; the kill falls at a random point of its interval
                # (right after one of its rounds, every time, would measure a whole interval).
                time.sleep(INTERVAL * (1 + phase.random()))
                leader.kill()
                killed = time.perf_counter()
                registry.add_division({"code": f"t{n}", "name": f"t{n}", "kind": "other_unit"},
                                      by=None)  # fmt: skip
                _sealed(app, app.recorder.max_notification_id() or 0)
                times.append(time.perf_counter() - killed)
                config.log(f"  takeover {n + 1}: {times[-1]:.2f} s")
                leader.wait()
                leader, standby = standby, None
        finally:
            for process in (leader, standby):
                if process is not None:
                    process.kill()
                    process.wait()
            app.close()
    detail = (
        f"{kills} kills, followers at --interval {INTERVAL:g} s (a takeover costs up to one "
        f"interval by design); median {median(times):.2f} s"
    )
    return [Figure("takeover", "postgres", measure, median(times), unit="s", detail=detail,
                   spread=spread(times))]  # fmt: skip
