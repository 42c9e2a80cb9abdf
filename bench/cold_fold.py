"""The registry fold a draw's freeze makes after a restart (issue 15 part 2): the sealed prefix
vouched for through its signed checkpoint against one signature verification per record.

    .venv/bin/python -m bench --only coldfold [--quick]

Set-up, not timed: a new SQLite ledger holding the demo bureau (``ledger.demo.bureau``) with
N = 50,000 targets (quick: 5,000), sealed. Timed, per repeat, each variant on a newly opened
``LedgerApp`` (as after a restart: nothing vouched for in memory), interleaved in a rotated
order, each folding the whole log into a ``RegistryState`` as ``RegistryStates.at`` does cold:

- **vouched** — ``LedgerApp.records()`` as the service reads now (``ledger/vouching.py``: the
  checkpoint's signature, the root over every record's SHA-256, each page compared twice);
- **per record** — every record through ``LedgerApp.checked`` (one Ed25519 verification per
  record: the reader before this change);
- **bare** — the reference: every record decoded with no check at all (``decode_record`` with
  its form trusted) and folded: what a fold costs with nothing verified.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from .common import Config, Figure, median, new_signer, rotate, spread, sqlite_env


def _vouched(app: Any) -> Any:
    from verify.registry_state import RegistryState

    state = RegistryState()
    for _, event in app.records():
        state.apply(event.envelope)
    return state


def _per_record(app: Any) -> Any:
    from verify.registry_state import RegistryState

    state = RegistryState()
    for n in app.notifications():
        state.apply(app.checked(n, f"ledger position {n.id}").envelope)
    return state


def _bare(app: Any) -> Any:
    from verify.events import decode_record
    from verify.registry_state import RegistryState

    state = RegistryState()
    for n in app.notifications():
        state.apply(decode_record(n.state, form_known_good=True).envelope)
    return state


VARIANTS = {"vouched": _vouched, "per record": _per_record, "bare": _bare}


def run(config: Config) -> list[Figure]:
    from ledger.application import LedgerApp
    from ledger.demo.bureau import build_demo

    targets = 5_000 if config.quick else 50_000
    with tempfile.TemporaryDirectory(dir=config.tmp) as tmp:
        directory = Path(tmp)
        signer = new_signer()
        env = sqlite_env(directory)
        app = LedgerApp(env, signer, signer.name, embedded_sealing=True)
        app.create_ledger()
        app.set_default_policy()
        summary = build_demo(app, targets=targets, inspectors=60)
        app.seal()
        app.close()
        events = summary.ledger_size
        config.log(f"  built {targets:,} targets, {events:,} events, sealed (not timed)")
        times: dict[str, list[float]] = {name: [] for name in VARIANTS}
        positions = set()
        for repeat in range(config.repeats):
            for name in rotate(list(VARIANTS), repeat):
                fresh = LedgerApp(env, signer, signer.name, embedded_sealing=False)
                started = time.perf_counter()
                state = VARIANTS[name](fresh)
                times[name].append(time.perf_counter() - started)
                positions.add(state.position)
                fresh.close()
            config.log(
                f"  repeat {repeat + 1}: "
                + ", ".join(f"{name} {values[-1]:.2f} s" for name, values in times.items())
            )
        if len(positions) != 1:
            raise AssertionError(f"the variants folded to different positions: {positions}")
    speedup = [p / v for p, v in zip(times["per record"], times["vouched"], strict=True)]
    of_bare = [b / v for b, v in zip(times["bare"], times["vouched"], strict=True)]
    detail = (
        f"{targets:,} targets, {events:,} events; vouched {median(times['vouched']):.2f} s, "
        f"per record {median(times['per record']):.2f} s, bare {median(times['bare']):.2f} s"
    )
    return [
        Figure(
            "coldfold",
            "sqlite",
            "cold fold: per-record verification time / vouched time (speed-up)",
            median(speedup),
            detail=detail,
            spread=spread(speedup),
        ),
        Figure(
            "coldfold",
            "sqlite",
            "cold fold: bare (nothing verified) time / vouched time",
            median(of_bare),
            detail=detail,
            spread=spread(of_bare),
        ),
    ]
