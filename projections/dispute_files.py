"""The dispute file over HTTP (``POST /disputes``, and the legal pages' "make a dispute file"
button): the same directory ``drawledger dispute`` writes (``projections/dispute.py``),
handed over as one zip archive.

Who may ask for one: ``dispute.write`` and ``dispute_refusal`` in ``verify/authority_rules.py``
— the legal office about any target, draw, inspection or official; an auditor about a target,
draw or inspection of any division. Anyone else, or a subject outside the role's authority, is
refused (Forbidden, naming the rule) before anything is read.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ledger.application import LedgerApp
from ledger.as_of import resolve
from ledger.errors import BadInput, Forbidden
from ledger.registry.authority import authorise
from ledger.registry.officials import Official
from verify.authority_rules import dispute_refusal

from .dispute import SUBJECTS, write_dispute

WRITE = "dispute.write"
_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


class DisputeFiles:
    """Dispute files of one ledger, written on behalf of an official."""

    def __init__(self, app: LedgerApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    def archive(
        self, reader: Official, kind: str, key: str, as_of: int | str | None = None
    ) -> tuple[str, bytes, dict[str, Any]]:
        """The dispute file of the ``kind`` subject ``key`` as of ``as_of`` (default: the
        latest signed checkpoint; a position, or a China-time date or time as ``as_of``
        takes it everywhere) as ``(file name, zip bytes, manifest)``. The archive holds
        one directory, named like the file, whose contents are what ``drawledger dispute``
        writes. Forbidden for a reader or subject outside ``dispute.write``; BadInput for an
        unknown kind or an ``as_of`` the checkpoint does not cover; NotFound if no act touches
        the subject."""
        if kind not in SUBJECTS:
            raise BadInput(f"a dispute file is about one of {', '.join(SUBJECTS)}, not {kind!r}")
        authorise(reader, WRITE)  # Forbidden: deactivated, or no role that writes one
        refusal = dispute_refusal(reader.roles, kind)
        if refusal is not None:
            raise Forbidden(f"official {reader.code}: {refusal}")
        key = key.strip()
        if not key:
            raise BadInput(f"name the {kind} the dispute file is about")
        position = resolve(self.app, as_of) if isinstance(as_of, str) else as_of
        with tempfile.TemporaryDirectory(prefix="dispute-") as scratch:
            out = Path(scratch) / "file"
            manifest = write_dispute(self.app, self.engine, kind, key, out, position)
            shown = _SAFE.sub("_", str(manifest["subject"]["key"]))[:60]
            name = f"dispute-{kind}-{shown}-{manifest['as_of']}"
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(out.rglob("*")):  # with draws/, each draw's population
                    if path.is_file():
                        archive.write(path, f"{name}/{path.relative_to(out).as_posix()}")
        return f"{name}.zip", buffer.getvalue(), manifest
