"""What a witness keeps in its state directory (mode 0700, every file 0600).

- ``checkpoint``: the last checkpoint it verified and cosigned, as the ledger served it;
- ``log.pub``: the ledger keys it trusts, one verifier key a line (from ``--log-key``);
- ``cosigned.jsonl``: every checkpoint it cosigned, one JSON line each (``size``, ``note``: the
  checkpoint as the ledger signed it with this witness's cosignature line after), appended as
  it cosigns — its own record of what it saw when, which it can give a court: the checkpoint
  that shows an act was not yet in the log at a time (``drawledger witness-notes``,
  docs/DISPUTE.md), whatever the bureau puts in its files;
- ``split-views/<old size>-<new size>-<digest>/``: the evidence of each split view it refused:
  ``old.checkpoint`` (what it had cosigned), ``new.checkpoint`` (what the ledger then showed),
  ``proof.json`` (the consistency proof served, if any, and why it failed).

Every file but ``cosigned.jsonl`` is written whole (a temporary file renamed over it), so a
crash leaves the old or the new content, never half of one; ``cosigned.jsonl`` is appended a
line at a time and synced, and a line cut short by a crash is skipped when read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHECKPOINT = "checkpoint"
COSIGNED = "cosigned.jsonl"
LOG_KEYS = "log.pub"
SPLIT_VIEWS = "split-views"


class State:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)

    def checkpoint(self) -> str | None:
        """The last checkpoint cosigned, or None before the first."""
        path = self.dir / CHECKPOINT
        return path.read_text(encoding="utf-8") if path.exists() else None

    def keep_checkpoint(self, note: str) -> None:
        _write(self.dir / CHECKPOINT, note)

    def keep_cosigned(self, size: int, note: str) -> None:
        """Append the checkpoint of ``size`` as cosigned (``note`` with the cosignature)."""
        line = json.dumps({"size": size, "note": note}, ensure_ascii=False) + "\n"
        fd = os.open(self.dir / COSIGNED, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def cosigned(self) -> Iterator[tuple[int, str]]:
        """Every checkpoint cosigned, as (size, note) in the order cosigned, read a line at a
        time (the record grows by a line, ~400 bytes, a new checkpoint: up to ~3.3 MB a day at
        one round in 10 s, so it is never held whole)."""
        path = self.dir / COSIGNED
        if not path.exists():
            return
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    doc = json.loads(line)
                    yield int(doc["size"]), str(doc["note"])
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    continue  # a line cut short by a crash

    def log_keys(self) -> list[str]:
        path = self.dir / LOG_KEYS
        if not path.exists():
            return []
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line]

    def keep_log_keys(self, keys: list[str]) -> None:
        _write(self.dir / LOG_KEYS, "".join(f"{k}\n" for k in keys))

    def keep_split_view(self, old: str, new: str, evidence: dict[str, Any]) -> Path:
        """Keep both checkpoints and the proof; return the directory (written once per pair)."""
        digest = hashlib.sha256(new.encode("utf-8")).hexdigest()[:16]
        name = f"{evidence['old_size']}-{evidence['new_size']}-{digest}"
        where = self.dir / SPLIT_VIEWS / name
        if (where / "proof.json").exists():
            return where
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write(where / "old.checkpoint", old)
        _write(where / "new.checkpoint", new)
        _write(where / "proof.json", json.dumps(evidence, ensure_ascii=False, indent=2) + "\n")
        return where

    def split_views(self) -> list[Path]:
        root = self.dir / SPLIT_VIEWS
        return sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
