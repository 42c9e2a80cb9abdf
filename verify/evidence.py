"""Step (11) of the verifier: the evidence files an auditor supplies (``--evidence DIR``)
against the SHA-256 and size each ``inspection.evidence_added`` event recorded."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from typing import Any

from .report import Report, Step

# (11): evidence files against their recorded digests ---------------------------------------


def step_evidence(
    report: Report,
    envelopes: Iterable[dict[str, Any] | None],
    evidence_dir: str | os.PathLike[str] | None,
) -> None:
    step = Step(11, "evidence files: SHA-256 and size")
    report.steps.append(step)
    recorded = [
        (position, e["payload"])
        for position, e in enumerate(envelopes)
        if e is not None and e["type"] == "inspection.evidence_added"
    ]
    if evidence_dir is None:
        step.detail = f"{len(recorded)} files recorded; none checked (no --evidence directory)"
        return
    root = os.fspath(evidence_dir)
    checked = missing = 0
    for position, p in recorded:
        digest = p["sha256"]
        candidates = [os.path.join(root, "sha256", digest[:2], digest), os.path.join(root, digest)]
        path = next((c for c in candidates if os.path.isfile(c)), None)
        if path is None:
            missing += 1
            continue
        with open(path, "rb") as f:
            content = f.read()
        found = hashlib.sha256(content).hexdigest()
        checked += 1
        if found != digest or len(content) != p["size"]:
            step.fail(
                position,
                f"evidence {p['name']!r}: recorded SHA-256 {digest} and {p['size']} bytes, "
                f"the file supplied has {found} and {len(content)} bytes",
            )
    step.detail = f"{checked} of {len(recorded)} recorded files checked, {missing} not supplied"
