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
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .common import Config, Figure
from .import_targets import _in_fresh_process, _rss_mib
from .verify_rate import build_bundle


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
                m = _in_fresh_process(measure, str(path), whole_file)
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
    return figures
