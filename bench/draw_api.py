"""A whole draw through the HTTP API over a 100,000-target registry (issue "Plans and verifiable
draws"): each step timed, next to references measured in the same run.

    .venv/bin/python -m bench --only draw [--quick]

1. Set-up, not timed: a new SQLite ledger (``LedgerApp`` as ``drawledger`` opens it on SQLite:
   signing, and sealing after every save) holding the demo bureau (``ledger.demo.bureau``:
   divisions, officials, items, N = 100,000 targets through the registry's import, some status
   changes and corrections, 60 inspectors with qualifications and declared conflicts, the
   published item list); then the FastAPI service (``api.app.create_app``, its read models
   caught up) behind Starlette's ``TestClient``, with the token of 水政处's clerk.
2. Timed, per repeat: a new draw of K targets of 水政处 for its water-intake item ``qsxk``, every
   step one HTTP request as a client sends it: open (``POST /draws``), freeze, reveal, select,
   assign. "Whole draw" is freeze + reveal + select + assign, as the issue names it; open is
   reported beside it.
3. References, interleaved with the draws (each repeat runs all three in a rotated order):
   **fold** — one cold pass over the whole log, decoding every stored event and folding it into
   a registry state as ``Draws.registry_at`` does when it has nothing kept (the service keeps
   a folded state and advances it, ``ledger/registry/states.py``, so a draw pays a cold fold
   only after a restart); **sampler** — ``verify.sampler.sample`` alone over the same
   eligible ids with the draw's own seed, which is the selection's pure computing cost.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from .common import Config, Figure, median, new_signer, rotate, spread, sqlite_env

TARGETS = 100_000
INSPECTORS = 60
TAKE = 20  # targets per draw: two inspectors each from a 60-inspector roster
# A two-party ceremony (the seed's entropy, committed at open, revealed after the freeze).
CONTRIBUTIONS = {"szc": "58" * 32, "szc-legal": "20" * 32}
STEPS = ("open", "freeze", "reveal", "select", "assign")
WHOLE = ("freeze", "reveal", "select", "assign")


def _build(directory: Path, targets: int, log: Any) -> tuple[Any, Any]:
    """The demo bureau with ``targets`` targets, and an API client acting as 水政处's clerk."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ledger.application import LedgerApp
    from ledger.demo.bureau import build_demo
    from ledger.registry.service import Registry

    signer = new_signer()
    app = LedgerApp(sqlite_env(directory), signer, signer.name, embedded_sealing=True)
    app.create_ledger()
    app.set_default_policy()
    started = time.perf_counter()
    summary = build_demo(app, targets=targets, inspectors=INSPECTORS)
    log(
        f"  registry built in {time.perf_counter() - started:.0f} s (not timed): "
        f"{summary.targets:,} targets, {summary.inspectors} inspectors, "
        f"{summary.ledger_size:,} events"
    )
    started = time.perf_counter()
    client = TestClient(create_app(app))  # the read models catch up with the log here
    client.headers["Authorization"] = f"Bearer {Registry(app).issue_token('szc-clerk', None)}"
    log(f"  service started, read models caught up in {time.perf_counter() - started:.0f} s")
    return app, client


def _post(client: Any, path: str, body: Any = None) -> Any:
    response = client.post(path, json=body)
    if response.status_code >= 400:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text}")
    return response.json()


def _draw(client: Any, take: int) -> tuple[dict[str, float], dict[str, Any]]:
    """One whole draw, each step one request; returns each step's seconds and what it gave."""
    seconds: dict[str, float] = {}
    out: dict[str, Any] = {}

    def step(name: str, path: str, body: Any = None) -> Any:
        t = time.perf_counter()
        result = _post(client, path, body)
        seconds[name] = time.perf_counter() - t
        return result

    from verify.entropy import contribution_commitment

    ceremony = [
        {"party": p, "commitment": contribution_commitment(c)} for p, c in CONTRIBUTIONS.items()
    ]
    body = {
        "division": "szc",
        "items": ["qsxk"],
        "counts": {"all": take},
        "team_size": 2,
        "ceremony": ceremony,
    }
    draw = step("open", "/draws", body)["id"]
    out["frozen"] = step("freeze", f"/draws/{draw}/freeze")
    out["seed"] = step("reveal", f"/draws/{draw}/reveal", {"contributions": CONTRIBUTIONS})["seed"]
    out["selected"] = step("select", f"/draws/{draw}/select")
    out["teams"] = step("assign", f"/draws/{draw}/assign")
    out["id"] = draw
    return seconds, out


def run(config: Config) -> list[Figure]:
    from verify.sampler import sample

    targets, take = (5_000, 10) if config.quick else (TARGETS, TAKE)
    draws: list[dict[str, float]] = []
    folds: list[float] = []
    samplers: list[float] = []
    facts: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="drawledger-bench-draw-", dir=config.tmp) as d:
        app, client = _build(Path(d), targets, config.log)
        try:
            _, warm = _draw(client, take)  # warm-up: first requests, caches, imports
            population, seed = _population(client, warm["id"]), warm["seed"]

            def draw() -> None:
                seconds, out = _draw(client, take)
                draws.append(seconds)
                facts.update(out)

            def fold() -> None:
                t = time.perf_counter()
                _fold(app)
                folds.append(time.perf_counter() - t)

            def sampler() -> None:
                # The sampler over the eligible ids of the warm-up draw, with its seed.
                t = time.perf_counter()
                sample(population, f"{seed}/targets", take, digits=18)
                samplers.append(time.perf_counter() - t)

            for repeat in range(config.repeats):
                for job in rotate([draw, fold, sampler], repeat):
                    job()
                config.log(
                    f"  draw repeat {repeat + 1}/{config.repeats}: "
                    + ", ".join(f"{s} {draws[-1][s]:.2f} s" for s in STEPS)
                    + f"; fold {folds[-1]:.2f} s, sampler {samplers[-1]:.3f} s"
                )
            events = app.recorder.max_notification_id() or 0
        finally:
            client.close()
            app.close()
    eligible = facts["frozen"]["count"]
    wholes = [sum(d[s] for s in WHOLE) for d in draws]
    per_step = ", ".join(f"{s} {median([d[s] for d in draws]):.2f} s" for s in STEPS)
    detail = (
        f"registry of {targets:,} targets ({events:,} events), {eligible:,} eligible, "
        f"k={take}, team of 2 from {INSPECTORS} inspectors; whole draw {median(wholes):.2f} s "
        f"({per_step}); one fold of the log {median(folds):.2f} s; sampler alone over the "
        f"eligible ids {median(samplers) * 1000:.0f} ms; {len(draws)} draws"
    )
    whole_vs_fold = [w / f for w, f in zip(wholes, folds, strict=True)]
    select_vs_sampler = [d["select"] / s for d, s in zip(draws, samplers, strict=True)]
    return [
        Figure(
            "draw",
            "sqlite",
            "whole draw through the API (freeze+reveal+select+assign), seconds",
            median(wholes),
            unit="s",
            detail=detail,
            spread=spread(wholes),
        ),
        Figure(
            "draw",
            "sqlite",
            "whole draw through the API / one fold of the registry log",
            median(whole_vs_fold),
            detail=detail,
            spread=spread(whole_vs_fold),
        ),
        Figure(
            "draw",
            "sqlite",
            "select step through the API / the sampler alone over the same ids",
            median(select_vs_sampler),
            detail=detail,
            spread=spread(select_vs_sampler),
        ),
    ]


def _fold(app: Any) -> Any:
    """The registry folded from the whole log, from nothing, through the service's checked
    reader (``LedgerApp.records``; the service's kept states are neither used nor changed)."""
    from verify.registry_state import RegistryState

    state = RegistryState()
    for _, event in app.records():
        state.apply(event.envelope)
    return state


def _population(client: Any, draw: str) -> list[str]:
    """The frozen population of a draw, as its public record lists it."""
    response = client.get(f"/draws/{draw}/record", headers={"Authorization": ""})
    if response.status_code != 200:
        raise RuntimeError(f"GET /draws/{draw}/record: {response.status_code} {response.text}")
    return list(response.json()["population"])
