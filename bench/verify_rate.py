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

Each run of a verifier variant is timed between two runs of the reference, in wall-clock and in
CPU seconds of this process (``time.process_time``; the reference and ``--jobs 1`` use one
thread, so on an idle core the two agree, and CPU time is what other processes' load disturbs
least). A variant's ratio for that run is the mean of the two reference runs beside it over the
variant's run — pair by pair, so that a slow spell of the machine falls on both sides of the
ratio — and the figure is the median of those ratios, in CPU time and in wall time. What is
compared is unchanged: the verifier against bare Ed25519 of the same records, on one core.

The rule audit (``--rules``) is timed on a third bundle, the demo year (``ledger/demo``: a
registry, plans, draws, inspections and publications, the events the audit judges): plain
``verify_bundle`` against ``verify_bundle`` followed by ``rule_audit.audit_bundle``, interleaved.

A second bundle is of the service's own making: one event per save while the embedded mode's
sealing task runs (a round per ``seal_interval``, 1 s by default), then exported (which seals
the tail), so it carries one checkpoint per second of saving rather than one per event.
"""

from __future__ import annotations

import contextlib
import gc
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


REFERENCE = "reference (bare Ed25519)"


def _clocked(work: Any) -> tuple[float, float]:
    """(wall, CPU) seconds of ``work()``."""
    cpu = time.process_time()
    with timed() as t:
        work()
    return t[0], time.process_time() - cpu


def _run_variants(
    config: Config, label: str, variants: dict[str, Any], repeats: int
) -> dict[str, dict[str, list[float]]]:
    """For each repeat and each variant but the reference (in turn, starting with a different
    one each repeat): the reference, the variant, the reference again. Returns, by variant,
    ``wall``/``cpu`` seconds, and ``ratio_wall``/``ratio_cpu``: the mean of the two reference
    runs beside each run over that run.

    The objects the benchmark's process holds by then (the earlier benchmarks' registries and
    bundles) are frozen out of the garbage collector's reach for the runs (``gc.freeze``):
    otherwise a full collection falling inside a run scans all of them — ~0.4 s in a run of
    ~1.6 s after ``--only … draw …``, in one run of two, which made the ratios bimodal. Each run
    then pays for the collections of what it makes, as ``python -m verify`` does in its own
    process."""
    gc.collect()
    gc.freeze()
    try:
        return _alternating(config, label, variants, repeats)
    finally:
        gc.unfreeze()


def _alternating(
    config: Config, label: str, variants: dict[str, Any], repeats: int
) -> dict[str, dict[str, list[float]]]:
    reference = variants[REFERENCE]
    names = [n for n in variants if n != REFERENCE]
    out: dict[str, dict[str, list[float]]] = {
        n: {k: [] for k in ("wall", "cpu", "ratio_wall", "ratio_cpu")} for n in variants
    }
    ref = out[REFERENCE]
    before = _clocked(reference)
    ref["wall"].append(before[0])
    ref["cpu"].append(before[1])
    for rep in range(repeats):
        for name in rotate(names, rep):
            wall, cpu = _clocked(variants[name])
            after = _clocked(reference)
            ref["wall"].append(after[0])
            ref["cpu"].append(after[1])
            got = out[name]
            got["wall"].append(wall)
            got["cpu"].append(cpu)
            got["ratio_wall"].append((before[0] + after[0]) / 2 / wall)
            got["ratio_cpu"].append((before[1] + after[1]) / 2 / cpu)
            config.log(
                f"  verify/{label} repeat {rep + 1}/{repeats} {name:>22}: {wall:.3f} s wall, "
                f"{cpu:.3f} s CPU; reference beside it {before[1]:.3f}, {after[1]:.3f} s CPU: "
                f"{got['ratio_cpu'][-1]:.3f}× CPU, {got['ratio_wall'][-1]:.3f}× wall"
            )
            before = after
    return out


def _ratio_figures(
    s: dict[str, dict[str, list[float]]], name: str, measure_name: str, events: int, common: str
) -> list[Figure]:
    """The variant's ratio to the reference in CPU time and in wall time (median of the
    pair-by-pair ratios, their range)."""
    figures = []
    for clock, words in (("cpu", "CPU time"), ("wall", "wall clock")):  # first in the name:
        # the summary table cuts a measure's name at 60 characters
        ratios = s[name][f"ratio_{clock}"]
        rates = [events / v for v in s[name][clock]]
        ref_rates = [events / v for v in s[REFERENCE][clock]]
        figures.append(
            Figure(
                "verify",
                "-",
                f"{words}: {measure_name}",
                value=median(ratios),
                target=TARGET,
                spread=spread(ratios),
                detail=(
                    f"{rate_text(rates)} vs reference {rate_text(ref_rates)} ({words}; each run "
                    f"against the mean of the reference runs beside it); {common}"
                ),
            )
        )
    return figures


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
            REFERENCE: lambda: _reference(items, public_key),
            "cli --jobs 1": lambda: _cli(path, 1, bundle.keys[0]),
            "verify_bundle(jobs=1)": lambda: _api(bundle),
            "cli --jobs 2": lambda: _cli(path, 2, bundle.keys[0]),
        }
        s = _run_variants(config, "bundle", variants, config.repeats)
        common = f"{n:,} events, {checkpoints} checkpoints, {path.stat().st_size / 1e6:.1f} MB"
        figures += _ratio_figures(
            s,
            "cli --jobs 1",
            "python -m verify --jobs 1 (in-process, reads the file) / bare Ed25519",
            n,
            common,
        )
        figures += _ratio_figures(
            s,
            "verify_bundle(jobs=1)",
            "verify_bundle(jobs=1) (bundle in memory) / bare Ed25519",
            n,
            common,
        )
        speedup = [
            a / b for a, b in zip(s["cli --jobs 1"]["wall"], s["cli --jobs 2"]["wall"], strict=True)
        ]
        figures.append(
            Figure(
                "verify",
                "-",
                "python -m verify --jobs 2 / --jobs 1 (scaling; 2 cores; wall clock)",
                value=median(speedup),
                spread=spread(speedup),
                detail=(
                    f"--jobs 2 {rate_text([n / v for v in s['cli --jobs 2']['wall']])} = "
                    f"{median(s['cli --jobs 2']['ratio_wall']):.2f}× the one-core reference; "
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
                REFERENCE: lambda: _reference(small_items, small_key),
                "cli --jobs 1": lambda: _cli(small_path, 1, small_bundle.keys[0]),
            },
            config.repeats,
        )
        figures += _ratio_figures(
            s2,
            "cli --jobs 1",
            "python -m verify --jobs 1 on a bundle the service made (one event per save, "
            "sealed in 1 s rounds) / bare Ed25519",
            m,
            f"{m:,} events, {len(small_bundle.checkpoints):,} checkpoints",
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
