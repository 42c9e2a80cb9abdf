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
    step = Step(11, "证据文件：SHA-256 和大小")
    report.steps.append(step)
    recorded = [
        (position, e["payload"])
        for position, e in enumerate(envelopes)
        if e is not None and e["type"] == "inspection.evidence_added"
    ]
    if evidence_dir is None:
        step.detail = f"记录了 {len(recorded)} 个文件；均未核验（未给出 --evidence 目录）"
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
                f"证据 {p['name']!r}：记录的 SHA-256 为 {digest}、大小 {p['size']} 字节，"
                f"提供的文件为 {found}、{len(content)} 字节",
            )
    step.detail = f"记录的 {len(recorded)} 个文件中核验了 {checked} 个，{missing} 个未提供"
