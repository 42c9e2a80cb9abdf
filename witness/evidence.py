"""What a witness hands a court: the checkpoints it cosigned around one record of the log
(``drawledger witness-notes``; docs/DISPUTE.md).

A dispute file (``drawledger dispute``) is the bureau's: it chooses which cosigned checkpoints
go in it, and could leave out the one that shows an act was recorded after the time it claims.
The witness keeps its own record of every checkpoint it cosigned (``State.cosigned``). For the
record at leaf index ``leaf`` (the file's ``manifest.json`` lists each record's), the latest it
cosigned without the record and the earliest with it bound the record's time; the court gives
them to ``python -m verify dispute`` with ``--trusted-checkpoint``, and, for each, the bureau's
public answer to ``GET /proofs/consistency?old=<its size>&new=<the file's size>`` with
``--consistency-proof``.
"""

from __future__ import annotations

from pathlib import Path

from .state import State


class NoCosignedCheckpoint(Exception):
    """The state directory holds no checkpoint cosigned around the record."""


def notes_around(state_dir: Path, leaf: int, out: Path) -> list[Path]:
    """Write ``<size>.note`` into ``out`` (made if missing) for the cosigned checkpoints that
    bound the record at ``leaf`` (the record read a line at a time, two kept); return the
    files written."""
    if leaf < 0:
        raise ValueError(f"--leaf {leaf}：叶子序号应为 0 或更大的整数")
    lacking: tuple[int, str] | None = None  # the largest size not holding the leaf
    holding: tuple[int, str] | None = None  # the smallest size holding it
    for size, note in State(state_dir).cosigned():
        if size <= leaf and (lacking is None or size >= lacking[0]):
            lacking = (size, note)
        elif size > leaf and (holding is None or size < holding[0]):
            holding = (size, note)
    chosen = [c for c in (lacking, holding) if c is not None]
    if not chosen:
        raise NoCosignedCheckpoint(f"{state_dir} 中没有任何已联署的检查点（cosigned.jsonl）")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for size, note in chosen:
        path = out / f"{size}.note"
        path.write_text(note, encoding="utf-8")
        written.append(path)
    return written
