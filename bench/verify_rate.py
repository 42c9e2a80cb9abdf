"""The offline verifier's rate against bare Ed25519 verification of the same events.

A bundle is built the real way: a ``LedgerApp`` on SQLite (``ledger.created``, the default
policy, then benchmark targets saved 500 events per save), sealed every ``SEAL_EVERY`` events as
a follower sealer would, and written by ``ledger.export.export_bundle``. The benchmark targets
are the ledger operator's acts (the authority replay lists them; an official's act of a type
the rulebook does not know would be a finding). The verifier runs as an auditor does, with the
ledger's key pinned (``--key``). Then, interleaved:

- ``reference``: ``Ed25519PublicKey.verify`` (cryptography, key loaded once) of every event's
  signature over its 32-byte digest, digests and signatures extracted beforehand: one core;
- ``cli --jobs 1``: ``verify.__main__.main([bundle])`` in this process (read the file, every
  numbered step, print the report to a buffer): the work ``python -m verify`` does, less the
  interpreter's start-up;
- ``verify_bundle(jobs=1)``: the same without reading the file (bundle parsed beforehand);
- ``cli --jobs 2``: with a process pool for the signature step.

The rule audit (``--rules``) is timed on a third bundle, the demo year (``ledger/demo``: a
registry, plans, draws, inspections and publications, the events the audit judges): plain
``verify_bundle`` against ``verify_bundle`` followed by ``rule_audit.audit_bundle``, interleaved.

A second bundle is of the service's own making: one event per save while the embedded mode's
sealing task runs (a round per ``seal_interval``, 1 s by default), then exported (which seals
the tail), so it carries one checkpoint per second of saving rather than one per event.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import (
    Config,
    Figure,
    median,
    new_signer,
    payloads,
    rate_text,
    rotate,
    save_in_batches,
    save_one_by_one,
    spread,
    sqlite_env,
    timed,
)

TARGET = 0.75
SEAL_EVERY = 1000


def build_bundle(directory: Path, events: int, *, seal_every: int | None) -> Path:
    """Write a bundle of ``events`` events; ``seal_every=None`` saves one event per save with
    the embedded mode's sealing task running, as the service does."""
    from ledger.actors import SYSTEM
    from ledger.application import LedgerApp
    from ledger.export import export_bundle

    signer = new_signer()
    app = LedgerApp(sqlite_env(directory), signer, signer.name, embedded_sealing=seal_every is None)
    try:
        app.create_ledger()
        app.set_default_policy()
        stored = 2
        operator = SYSTEM.to_json()
        if seal_every is None:
            app.start_sealing()
            save_one_by_one(app, payloads(events - stored), actor=operator)
        else:
            while stored < events:
                k = min(seal_every, events - stored)
                save_in_batches(app, k, per_save=min(500, k), seed=stored, actor=operator)
                app.sealer.seal()
                stored += k
        out = directory / "bundle.jsonl"
        export_bundle(app, out)
    finally:
        app.close()
    return out


def _reference(items: list[tuple[bytes, bytes]], public_key: bytes) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(public_key)
    verify = key.verify
    for signature, digest in items:
        verify(signature, digest)


def _cli(path: Path, jobs: int, key: str) -> None:
    from verify.__main__ import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main([str(path), "--jobs", str(jobs), "--key", key])
    if status != 0:
        raise RuntimeError(f"the benchmark bundle does not verify:\n{out.getvalue()}")


def _api(bundle: Any) -> None:
    from verify.checks import verify_bundle

    report = verify_bundle(bundle, pinned_keys=bundle.keys, jobs=1)
    if not report.ok:
        raise RuntimeError("the benchmark bundle does not verify")


def _prepare(path: Path) -> tuple[Any, list[tuple[bytes, bytes]], bytes]:
    from verify.bundle import read_bundle
    from verify.events import decode_record
    from verify.keys import parse_verifier_key

    bundle = read_bundle(path)
    items = []
    for record in bundle.records:
        event = decode_record(record)
        items.append((event.signature, event.digest))
    (key,) = [parse_verifier_key(k) for k in bundle.keys]
    return bundle, items, key.public_key


def _run_variants(
    config: Config, label: str, variants: dict[str, Any], repeats: int
) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for rep in range(repeats):
        for name in rotate(list(variants), rep):
            with timed() as t:
                variants[name]()
            seconds[name].append(t[0])
            config.log(f"  verify/{label} repeat {rep + 1}/{repeats} {name:>22}: {t[0]:.3f} s")
    return seconds


def run(config: Config) -> list[Figure]:
    events = 3000 if config.quick else 20_000
    small = 300 if config.quick else 5000
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="drawledger-bench-", dir=config.tmp) as d:
        config.log(
            f"  verify: building a bundle of {events:,} events (sealed every {SEAL_EVERY:,})"
        )
        path = build_bundle(_mkdir(Path(d) / "big"), events, seal_every=SEAL_EVERY)
        bundle, items, public_key = _prepare(path)
        n = len(bundle.records)
        checkpoints = len(bundle.checkpoints)
        variants = {
            "reference (bare Ed25519)": lambda: _reference(items, public_key),
            "cli --jobs 1": lambda: _cli(path, 1, bundle.keys[0]),
            "verify_bundle(jobs=1)": lambda: _api(bundle),
            "cli --jobs 2": lambda: _cli(path, 2, bundle.keys[0]),
        }
        s = _run_variants(config, "bundle", variants, config.repeats)
        ref = s["reference (bare Ed25519)"]

        def ratio(name: str) -> list[float]:
            return [r / v for r, v in zip(ref, s[name], strict=True)]

        def rate(name: str) -> list[float]:
            return [n / v for v in s[name]]

        common = (
            f"{n:,} events, {checkpoints} checkpoints, {path.stat().st_size / 1e6:.1f} MB; "
            f"reference {rate_text(rate('reference (bare Ed25519)'))}"
        )
        for name, measure_name in (
            (
                "cli --jobs 1",
                "python -m verify --jobs 1 (in-process, reads the file) / bare Ed25519",
            ),
            ("verify_bundle(jobs=1)", "verify_bundle(jobs=1) (bundle in memory) / bare Ed25519"),
        ):
            figures.append(
                Figure(
                    "verify",
                    "-",
                    measure_name,
                    value=median(ratio(name)),
                    target=TARGET,
                    spread=spread(ratio(name)),
                    detail=f"{rate_text(rate(name))}; {common}",
                )
            )
        speedup = [a / b for a, b in zip(s["cli --jobs 1"], s["cli --jobs 2"], strict=True)]
        figures.append(
            Figure(
                "verify",
                "-",
                "python -m verify --jobs 2 / --jobs 1 (scaling; 2 cores)",
                value=median(speedup),
                spread=spread(speedup),
                detail=(
                    f"--jobs 2 {rate_text(rate('cli --jobs 2'))} = "
                    f"{median(ratio('cli --jobs 2')):.2f}× the one-core reference; "
                    "the machine has 2 cores, shared"
                ),
            )
        )

        config.log(f"  verify: building a bundle of {small:,} events the service's way")
        small_path = build_bundle(_mkdir(Path(d) / "small"), small, seal_every=None)
        small_bundle, small_items, small_key = _prepare(small_path)
        m = len(small_bundle.records)
        s2 = _run_variants(
            config,
            "embedded",
            {
                "reference (bare Ed25519)": lambda: _reference(small_items, small_key),
                "cli --jobs 1": lambda: _cli(small_path, 1, small_bundle.keys[0]),
            },
            config.repeats,
        )
        r2 = [
            a / b for a, b in zip(s2["reference (bare Ed25519)"], s2["cli --jobs 1"], strict=True)
        ]
        figures.append(
            Figure(
                "verify",
                "-",
                "python -m verify --jobs 1 on a bundle the service made (one event per save, "
                "sealed in 1 s rounds) / bare Ed25519",
                value=median(r2),
                target=TARGET,
                spread=spread(r2),
                detail=(
                    f"{rate_text([m / v for v in s2['cli --jobs 1']])} vs reference "
                    f"{rate_text([m / v for v in s2['reference (bare Ed25519)']])}; "
                    f"{m:,} events, {len(small_bundle.checkpoints):,} checkpoints"
                ),
            )
        )
        figures.append(_rule_audit_figure(config, _mkdir(Path(d) / "demo")))
    return figures


def build_demo_bundle(directory: Path, targets: int) -> Path:
    """The demo year (registry, plans, draws, inspections, publications) as a bundle."""
    from datetime import date

    from ledger.application import LedgerApp
    from ledger.demo.bureau import build_demo
    from ledger.export import export_bundle

    signer = new_signer()
    app = LedgerApp(sqlite_env(directory), signer, signer.name)
    try:
        app.create_ledger()
        app.set_default_policy()
        inspectors = max(20, targets // 30)
        build_demo(
            app,
            targets=targets,
            inspectors=inspectors,
            today=date(2026, 11, 25),
            plans_and_draws=True,
        )
        out = directory / "demo.jsonl"
        export_bundle(app, out)
    finally:
        app.close()
    return out


def _rule_audit_figure(config: Config, directory: Path) -> Figure:
    """``verify_bundle`` with the rule audit after it, against ``verify_bundle`` alone, in CPU
    seconds of this process (``time.process_time``: both run on one core here, and CPU time
    is what other processes' load disturbs least; wall-clock seconds are in the log)."""
    from verify.checks import verify_bundle
    from verify.rule_audit import audit_bundle

    targets = 120 if config.quick else 2000
    config.log(f"  verify: building the demo year over {targets:,} targets")
    path = build_demo_bundle(directory, targets)
    bundle, _, _ = _prepare(path)
    found: list[int] = []

    def plain() -> None:
        verify_bundle(bundle, pinned_keys=bundle.keys, jobs=1)

    def audited() -> None:
        plain()
        found.append(len(audit_bundle(bundle).findings))

    cpu: dict[str, list[float]] = {"plain": [], "audited": []}
    variants = {"plain": plain, "audited": audited}
    for rep in range(config.repeats):
        for name in rotate(list(variants), rep):
            start = time.process_time()
            with timed() as t:
                variants[name]()
            cpu[name].append(time.process_time() - start)
            config.log(
                f"  verify/rules repeat {rep + 1}: {name} {cpu[name][-1]:.3f} s CPU, "
                f"{t[0]:.3f} s wall"
            )
    ratio = [a / b for a, b in zip(cpu["audited"], cpu["plain"], strict=True)]
    return Figure(
        "verify",
        "-",
        "verify_bundle + rule audit (--rules) / verify_bundle alone, demo year (CPU time; "
        "lower is better)",
        value=median(ratio),
        spread=spread(ratio),
        detail=(
            f"{len(bundle.records):,} events ({targets:,} targets); plain "
            f"{median(cpu['plain']):.3f} s CPU, with the audit {median(cpu['audited']):.3f} s; "
            f"{found[-1]} findings"
        ),
    )


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
