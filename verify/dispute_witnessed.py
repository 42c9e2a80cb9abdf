"""The checkpoints witnesses cosigned around a dispute file's records (``witnessed.jsonl``):
what bounds each record's time in a court, without the rest of the log.

A record's ``time`` is the ledger server's clock when it was signed: an operator who sets the
clock back records a late act "on time", and the signature cannot contradict it. A witness's
cosignature (c2sp.org/tlog-cosignature) carries the time the witness saw a checkpoint of some
size. For a record at leaf index ``i`` the writer (``projections/dispute.py``) puts in the file
the latest cosigned checkpoint not yet holding it (size ``<= i``) and the earliest holding it
(size ``> i``), each with a consistency proof to the file's own checkpoint: its tree is a prefix
of the file's, so the record's leaf there is the one the file proves. The rule audit then judges
``witnessed_time`` (``verify/audit_times.py``) over the file's records: a record timed long
before a witness saw the log without it was backdated; one timed after a witness saw it, timed
ahead.

Which cosignatures count is step 12's rule (``verify/witnesses.py``) over what the file shows:
a key the ledger added as its witness by a ``witness.added`` record of the file (the writer puts
every witness record up to the file's as_of in it), not removed by a ``witness.removed`` of the
file before the checkpoint's size.

The writer chooses which checkpoints to show, and can leave out one that would expose a
backdated act. The holder's own cosigned checkpoints — from the witness itself, or
``GET /checkpoint`` — given to the check with ``--trusted-checkpoint`` count as well once step 6
has proved them consistent with the file's.
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

WITNESSED = "witnessed.jsonl"


def witnessed_line(note: str, new_size: int, proof: list[bytes]) -> dict[str, Any]:
    """One line of ``witnessed.jsonl``: a cosigned checkpoint note and the consistency proof
    from its size to the file's (``new_size``)."""
    return {
        "note": note,
        "new_size": new_size,
        "proof": [base64.b64encode(h).decode("ascii") for h in proof],
    }


def check_witnessed(
    directory: Path, own: Checkpoint, key: VerifierKey
) -> tuple[list[str], list[str]]:
    """(the cosigned notes of ``witnessed.jsonl`` that hold, failures): each note must be a
    checkpoint of the file's ledger signed by ``key``, no larger than the file's checkpoint
    ``own``, with a consistency proof to it."""
    notes: list[str] = []
    failures: list[str] = []
    text = (directory / WITNESSED).read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{WITNESSED} 第 {n} 行"
        try:
            doc = json.loads(line)
            note = str(doc["note"])
            proof = [base64.b64decode(h, validate=True) for h in doc["proof"]]
            new_size = int(doc["new_size"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, binascii.Error) as e:
            failures.append(f"{where}：不是见证检查点（note、new_size、proof）：{e}")
            continue
        try:
            checkpoint = parse_checkpoint(verify_note(note, [key])[0].text)
        except VerifyError as e:
            failures.append(f"{where}：检查点没有所给账本公钥的有效签名，或被改动（{e}）")
            continue
        problem = _problem(checkpoint, own, new_size, proof)
        if problem:
            failures.append(f"{where}（大小 {checkpoint.size}）：{problem}")
        else:
            notes.append(note)
    return notes, failures


def _problem(checkpoint: Checkpoint, own: Checkpoint, new_size: int, proof: list[bytes]) -> str:
    if checkpoint.origin != own.origin:
        return f"来源为 {checkpoint.origin!r}，材料的来源为 {own.origin!r}"
    if new_size != own.size or checkpoint.size > own.size:
        return f"应为到材料检查点（大小 {own.size}）的证明，而证明到大小 {new_size}"
    try:  # equal sizes: an empty proof and equal roots (RFC 9162 2.1.4.2)
        verify_consistency(checkpoint.size, own.size, checkpoint.root, own.root, proof)
    except VerifyError as e:
        return f"与材料的检查点不一致——账本向不同的人出示了不同的历史，或证明被改动（{e}）"
    return ""
