"""Two sealers on PostgreSQL (issue 13, part 7; issue 15, part 1): ``drawledger seal --follow``
twice, one killed with ``kill -9`` again and again while events keep coming. The one left signs
the next checkpoint, no acknowledged event stays unsealed, every checkpoint extends the one before
it, and the export verifies. Loopback only; bounded in rounds and time."""

# ruff: noqa: F811 - the fixture imported below is used by name as a test argument

from __future__ import annotations

import os
import signal
import subprocess
import sys

from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.registry.service import Registry

from .test_workers import pg_data  # noqa: F401 - the fixture
from .workers_support import ROOT, _follower, _sealed_to

KILLS = 5
TAKEOVER_SECONDS = 30  # a generous bound on a loaded machine; the time is printed, not judged


def test_when_a_sealer_is_killed_the_other_one_seals_what_follows(pg_data, capsys):
    data, _ = pg_data
    followers = [_follower(data, 0), _follower(data, 1)]
    app = LedgerApp.open(data, embedded_sealing=False)
    registry = Registry(app)
    takeovers = []
    try:
        for n in range(KILLS):
            registry.add_division(
                {"code": f"k{n}", "name": f"第{n}科", "kind": "business_division"}, by=None
            )
            position = app.recorder.max_notification_id()
            _sealed_to(app, position, TAKEOVER_SECONDS)  # both alive: one of them seals it
            victim = n % 2
            followers[victim].send_signal(signal.SIGKILL)  # possibly inside a round
            followers[victim].wait()
            registry.add_division(
                {"code": f"m{n}", "name": f"后{n}科", "kind": "business_division"}, by=None
            )
            takeovers.append(_sealed_to(app, app.recorder.max_notification_id(), TAKEOVER_SECONDS))
            followers[victim] = _follower(data, victim)  # back, as a supervisor would restart it
        sizes = [c.size for c in app.sealer.checkpoints()]
        assert sizes == sorted(set(sizes))  # one checkpoint per size, each larger than the last
        assert app.sealer.latest().last_notification_id == app.recorder.max_notification_id()
    finally:
        for follower in followers:
            follower.kill()
            follower.wait()
        app.close()
    with capsys.disabled():
        print(f"\n  seconds from kill -9 to the survivor's checkpoint: {takeovers}")
    bundle = data.parent / "bundle.jsonl"
    assert drawledger(["export", "--data", str(data), "--out", str(bundle)]) == 0
    verified = subprocess.run(
        [sys.executable, "-m", "verify", str(bundle), "--key", str(data / "keys" / "ledger.pub")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
