"""Step 6 of the dispute check: the file's checkpoint agrees with checkpoints the holder trusts.

A dispute file's own checkpoint proves what the bureau signed when it wrote the file. A holder —
the company, its lawyer, a witness, the court — may keep other checkpoints of the same ledger
(taken from ``GET /checkpoint`` or the public column earlier, or later). Agreement with each is a
consistency proof (RFC 9162 2.1.4): the older tree is a prefix of the newer, so the bureau did
not show the court one history and everyone else another.

- a trusted checkpoint of the file's size must have the same root;
- an older one needs a proof from its size to the file's: the writer puts one in
  ``consistency.jsonl`` for each checkpoint given to ``drawledger dispute --consistent-with``;
- a newer one (kept after the file was written) needs a proof from the file's size to it, given
  to the check with ``--consistency-proof FILE`` — the answer of
  ``GET /proofs/consistency?old=<file's size>&new=<its size>`` saved as it is.

Each trusted checkpoint must be signed by the anchored ledger key.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from .errors import VerifyError
from .keys import VerifierKey
from .merkle import verify_consistency
from .note import Checkpoint, parse_checkpoint, verify_note

CONSISTENCY = "consistency.jsonl"

Proofs = dict[tuple[int, int], list[bytes]]


def proof_line(old_size: int, new_size: int, proof: list[bytes]) -> dict[str, Any]:
    """One line of ``consistency.jsonl``, in the shape ``GET /proofs/consistency`` answers."""
    return {
        "old_size": old_size,
        "new_size": new_size,
        "proof": [base64.b64encode(h).decode("ascii") for h in proof],
    }


def read_proofs(texts: list[str], where: str) -> Proofs:
    """Consistency proofs from JSON texts, each one object or JSON lines of objects with
    ``old_size``, ``new_size`` and ``proof`` (base64 hashes). VerifyError naming a bad one."""
    proofs: Proofs = {}
    for text in texts:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
                key = (int(doc["old_size"]), int(doc["new_size"]))
                proofs[key] = [base64.b64decode(h, validate=True) for h in doc["proof"]]
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, binascii.Error) as e:
                raise VerifyError(f"{where} 第 {n} 行：不是一致性证明：{e}") from None
    return proofs


def read_proof_file(directory: Path) -> Proofs:
    path = directory / CONSISTENCY
    if not path.exists():
        return {}
    return read_proofs([path.read_text(encoding="utf-8")], CONSISTENCY)


def check_anchors(
    own: Checkpoint, trusted: list[str], key: VerifierKey, proofs: Proofs
) -> list[str]:
    """Failures: each trusted checkpoint (note text) not signed by ``key``, of another origin,
    or not consistent with the file's checkpoint ``own`` by a proof in ``proofs``."""
    failures = []
    for n, note in enumerate(trusted, 1):
        try:
            other = parse_checkpoint(verify_note(note, [key])[0].text)
        except VerifyError as e:
            failures.append(
                f"受信任的检查点 {n} 没有所给账本公钥的有效签名：它属于另一账本，或被改动（{e}）"
            )
            continue
        label = f"受信任的检查点 {n}（大小 {other.size}）"
        if other.origin != own.origin:
            failures.append(f"{label}：来源为 {other.origin!r}，材料的来源为 {own.origin!r}")
            continue
        old, new = (other, own) if other.size <= own.size else (own, other)
        proof = [] if old.size == new.size else proofs.get((old.size, new.size))
        if proof is None:
            failures.append(
                f"{label}：没有从大小 {old.size} 到 {new.size} 的一致性证明"
                + (
                    "在材料中（请用 drawledger dispute --consistent-with 写入）"
                    if old is other
                    else f"被给出（请取得 GET /proofs/consistency?old={old.size}&new={new.size}，"
                    "再用 --consistency-proof 给出）"
                )
            )
            continue
        try:
            verify_consistency(old.size, new.size, old.root, new.root, proof)
        except VerifyError as e:
            failures.append(
                f"{label}：与材料的检查点不一致——账本向不同的人出示了不同的历史，或证明被改动（{e}）"
            )
    return failures
