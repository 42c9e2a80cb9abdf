"""The evidence store: photos, PDFs and records kept outside the log, addressed by SHA-256.

A file lives at ``DIR/sha256/ab/abcdef…`` (its lower-case hex digest); the log keeps only the
digest, size, type and who added it (``inspection.evidence_added``). A file is written to a
temporary name and renamed into place, so a crash never leaves a half file under a digest, and
storing the same bytes twice keeps one copy.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from ..errors import BadInput, NotFound

_HEX = re.compile(r"^[0-9a-f]{64}$")
MAX_BYTES = 64 * 1024 * 1024


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not _HEX.match(sha256):
            raise BadInput(f"sha256: {sha256!r} is not 64 lower-case hex digits")
        return self.root / "sha256" / sha256[:2] / sha256

    def put(self, content: bytes, declared_sha256: str) -> tuple[str, int]:
        """Store ``content`` if its SHA-256 is ``declared_sha256``; return (digest, size).

        Raises BadInput, storing nothing, when the digest does not match or the file is empty
        or too large."""
        declared = declared_sha256.strip().lower()
        if not content:
            raise BadInput("file: the evidence file is empty")
        if len(content) > MAX_BYTES:
            raise BadInput(f"file: {len(content)} bytes is more than the {MAX_BYTES} allowed")
        actual = hashlib.sha256(content).hexdigest()
        if actual != declared:
            raise BadInput(
                f"sha256: the file's SHA-256 is {actual}, not the declared {declared}: "
                "the file was changed or truncated on its way; nothing was stored"
            )
        target = self.path(actual)
        if target.exists():
            return actual, len(content)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return actual, len(content)

    def get(self, sha256: str) -> bytes:
        path = self.path(sha256)
        if not path.exists():
            raise NotFound(f"no evidence file with SHA-256 {sha256} in the store")
        return path.read_bytes()
