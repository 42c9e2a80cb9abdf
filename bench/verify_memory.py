"""The verifier's peak memory at two bundle sizes (issue 15 part 2).

    .venv/bin/python -m bench --only verifymem [--quick]

Two bundles of the embedded mode's making (``verify_rate.build_bundle``, sealed every 1,000
events): 10,000 and 40,000 events (quick: 2,000 and 8,000). For each, in a freshly spawned
process: the peak resident set size (``VmHWM``) before reading (the interpreter and libraries),
after ``scan_bundle`` (the structural pass ``python -m verify`` makes, keeping no record) and
after ``verify_bundle`` (``--jobs 1``) over the file as a stream, and the same for the bundle as
it was before ``python -m verify`` streamed (``read_bundle``: every record held in memory).
Reported: the peak above the baseline per MiB of bundle, at both sizes. A verifier whose memory
does not grow with the bundle shows that figure falling as the bundle grows.

What is left grows with the registry, not with the bytes: the per-aggregate state of steps 4 and
9-11 and of the authority replay. So the demo year (``verify_rate.build_demo_bundle``: targets,
inspectors, plans, draws, inspections) is verified too at two registry sizes, 5,000 and 20,000
targets (quick: 500 and 2,000; ``VERIFYMEM_TARGETS=a,b`` for others), streamed as ``python -m
verify`` streams a bundle too large to decode once (``checks.DECODED_ONCE`` set to 0 in the
child): the peak above the baseline at each size and per target, and the slope between them in
bytes per target, which times 1,000,000 plus the peak at the smaller size and the interpreter is
what a province's million targets would need (issue 15: < 512 MiB). The quick sizes give no
verdict: their bundles are smaller than the record pass's chunks
(``record_pass.CHUNK_RECORDS`` records, or ``CHUNK_BYTES``), whose buffers then grow with the
bundle and are counted in the slope.

At a size no demo year is built at here (quick: 20,000, else 200,000 targets), the two largest
per-target holders are measured alone, each in a fresh process, on synthetic registrations
decoded from JSON as the verifier decodes them (a UUID id, an 18-character code, districts,
grids, item sets and credit classes that repeat): the draw replay's registry
(``RegistryState(names=False, packed_ids=True)``: packed ids, targets as compact rows) and
the chains' heads (``ChainHeads``), in bytes of peak resident memory per target.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import Config, Figure, in_fresh_process
from .import_targets import _rss_mib
from .verify_rate import build_bundle, build_demo_bundle


def measure(path: str, whole_file: bool) -> dict[str, Any]:
    from verify.bundle import read_bundle, scan_bundle
    from verify.checks import verify_bundle

    baseline = _rss_mib()
    bundle = read_bundle(path) if whole_file else scan_bundle(path)
    read = _rss_mib()
    report = verify_bundle(bundle, jobs=1)
    failed = [step.name for step in report.steps if step.failures]
    if failed:
        raise AssertionError(f"the bundle does not verify: steps {failed} failed")
    return {"baseline": baseline, "read": read, "verified": _rss_mib()}


def measure_streamed(path: str) -> dict[str, Any]:
    """``measure`` of the streamed verifier with every pass of steps 9-11 reading the file."""
    import verify.checks

    verify.checks.DECODED_ONCE = 0
    return measure(path, whole_file=False)


def registry_sizes(config: Config) -> tuple[int, int]:
    given = os.environ.get("VERIFYMEM_TARGETS")
    if given:
        small, large = (int(n) for n in given.split(","))
        return small, large
    return (500, 2_000) if config.quick else (5_000, 20_000)


def per_target(config: Config, tmp: str) -> list[Figure]:
    sizes = registry_sizes(config)
    peaks, baselines = [], []
    for targets in sizes:
        directory = Path(tmp) / f"demo-{targets}"
        directory.mkdir()
        config.log(f"  verifymem: building the demo year over {targets:,} targets")
        path = build_demo_bundle(directory, targets)
        m = in_fresh_process(measure_streamed, str(path))
        mib = path.stat().st_size / 2**20
        peaks.append(m["verified"] - m["baseline"])
        baselines.append(m["baseline"])
        config.log(
            f"  demo year, {targets:,} targets, {mib:.1f} MiB bundle, streamed: baseline "
            f"{m['baseline']:.0f} MiB, peak after verify {m['verified']:.0f} "
            f"({peaks[-1] * 2**20 / targets:,.0f} bytes per target above the baseline)"
        )
    (small, large), (low, high) = sizes, peaks
    slope = (high - low) * 2**20 / (large - small)  # bytes per target
    million = max(baselines) + low + slope * (1_000_000 - small) / 2**20
    return [
        Figure(
            "verifymem",
            "-",
            f"demo year streamed: peak above baseline, {small:,} / {large:,} targets (MiB)",
            high,
            unit="MiB",
            detail=f"{low:.1f} MiB at {small:,} targets ({low * 2**20 / small:,.0f} B per "
            f"target), {high:.1f} MiB at {large:,} ({high * 2**20 / large:,.0f} B per target)",
        ),
        Figure(
            "verifymem",
            "-",
            "demo year streamed: peak memory per target (slope, bytes per target)",
            slope,
            unit="B",
            # what 512 MiB leaves beside the interpreter (issue 15)
            target=None if config.quick else (512 - max(baselines)) * 2**20 / 1e6,
            at_most=True,
            detail=f"x 1,000,000 targets = {slope * 1e6 / 2**20:,.0f} MiB above the interpreter",
        ),
        Figure(
            "verifymem",
            "-",
            "demo year streamed: peak resident memory at 1,000,000 targets, extrapolated (MiB)",
            million,
            unit="MiB",
            target=None if config.quick else 512,  # issue 15
            at_most=True,
            detail=f"the interpreter {max(baselines):.0f} MiB + {low:.0f} MiB at {small:,} "
            f"targets + the slope over the {1_000_000 - small:,} more",
        ),
    ]


def _registrations(count: int) -> Iterator[dict[str, Any]]:
    """``count`` target registrations as the verifier decodes them: fresh strings each."""
    rng = random.Random(15)
    item_sets = [["qsxk"], ["qsxk", "hdgl"], ["hdgl"], ["psxk"], ["qsxk", "psxk"]]
    for n in range(count):
        payload = {
            "kind": "enterprise" if n % 5 else "project",
            "code": f"91320{rng.randrange(10**13):013d}",
            "name": f"常州某某有限公司{n}",
            "district": f"区{n % 7}",
            "grid": f"区{n % 7}第{n % 100}网格",
            "division": ("szc", "jcc", "zfd")[n % 3],
            "items": item_sets[n % 5],
            "credit_class": "ABCD"[n % 4],
            "risk_flags": [[], ["complaints"], ["complaints", "accident"]][n % 3],
        }
        envelope = {
            "type": "target.registered",
            "aggregate": str(uuid.UUID(int=rng.getrandbits(128))),
            "payload": payload,
            "time": "2026-01-01T00:00:00Z",
        }
        yield json.loads(json.dumps(envelope, ensure_ascii=False))


def measure_holder(holder: str, count: int) -> float:
    """Peak resident bytes per target of ``holder`` ("registry" or "heads") over ``count``."""
    from verify.chain_heads import ChainHeads
    from verify.registry_state import RegistryState

    baseline = _rss_mib()
    kept: Any
    if holder == "registry":
        kept = RegistryState(names=False, packed_ids=True)  # as steps 9 and 10 fold it
        for envelope in _registrations(count):
            kept.apply(envelope)
    else:
        kept = ChainHeads()
        for n, envelope in enumerate(_registrations(count)):
            kept[envelope["aggregate"]] = (1, n.to_bytes(32, "big"), n)
    return (_rss_mib() - baseline) * 2**20 / count


def holders(config: Config) -> list[Figure]:
    count = 20_000 if config.quick else 200_000
    figures = []
    for holder, name in (("registry", "the draw replay's registry"), ("heads", "chains' heads")):
        per_target = in_fresh_process(measure_holder, holder, count)
        config.log(f"  {name}, {count:,} synthetic targets: {per_target:,.0f} B per target")
        figures.append(
            Figure(
                "verifymem",
                "-",
                f"{name} alone, {count:,} synthetic targets: peak per target (bytes)",
                per_target,
                unit="B",
                detail=f"x 1,000,000 = {per_target * 1e6 / 2**20:,.0f} MiB (ids and keys included)",
            )
        )
    return figures


def run(config: Config) -> list[Figure]:
    sizes = (2_000, 8_000) if config.quick else (10_000, 40_000)
    figures = []
    with tempfile.TemporaryDirectory(dir=config.tmp) as tmp:
        for events in sizes:
            directory = Path(tmp) / str(events)
            directory.mkdir()
            path = build_bundle(directory, events, seal_every=1000)
            mib = path.stat().st_size / 2**20
            for whole_file in (False, True):
                m = in_fresh_process(measure, str(path), whole_file)
                name = "bundle held in memory" if whole_file else "streamed (python -m verify)"
                config.log(
                    f"  {events:,} events, {mib:.1f} MiB bundle, {name}: baseline "
                    f"{m['baseline']:.0f} MiB, after read {m['read']:.0f}, after verify "
                    f"{m['verified']:.0f}"
                )
                for stage in ("read", "verified"):
                    figures.append(
                        Figure(
                            "verifymem",
                            "-",
                            f"{name}, {events:,} events: peak after {stage} above baseline "
                            "per MiB of bundle",
                            (m[stage] - m["baseline"]) / mib,
                            detail=f"{mib:.1f} MiB bundle; baseline {m['baseline']:.0f} MiB, "
                            f"peak {m[stage]:.0f} MiB",
                        )
                    )
        figures += per_target(config, tmp)
    return figures + holders(config)
