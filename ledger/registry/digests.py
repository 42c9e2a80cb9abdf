"""Import digests: which rows are known to change nothing, so an unchanged re-import is cheap.

When an import finds that a row changes nothing on an entry (or records the entry from the
row, after which the same row changes nothing), it keeps a digest of the row's cells as the
file gave them, the entry's id, code and division, and a seal over all of it and the entry's
stored records: "this row, applied to this entry as stored, changes nothing". The next import
of the same row hashes its cells first and looks the digest up; while the entry's records are
the same, it counts the row unchanged without parsing or checking its cells and without
decoding or folding the entry's events. Any later event on the entry (a correction, a status, a
conflict) changes its records and voids the seal; a row that differs in any cell (or in which
cells it gives, or in their order) has another digest. So a digest can only spare work, never
hide a change: a row that is not known unchanged gets every check.

What a known row still gets: it counts in the file's duplicate check (its entry named twice is
a bad row, ``importer.py``), the official's authority over its division (kept with the digest)
and, for a registration form, the conflict of an existing entry. What it is spared was all
checked when the digest was kept and cannot have changed since: the cells' formats (the same
cells), the codes they name (divisions and items are never removed from the log), an
inspector's certificate date (an unchanged certificate may have expired, ``parse_inspector``).
The warnings a row's checks gave (a function of its cells) are kept with it and shown again.

The seal is an HMAC, keyed by a secret derived from the ledger's signing key, over the row
digest, the entry's code and division and every stored record of the entry (each version's
bytes): a row written into the table by anyone without the key matches nothing, and a record
edited in the database voids the seal, so the import reads the entry and its checked reader
refuses the edit. The table (``import_row_digests``) is kept beside the events and written in the
import's own transaction; it is a cache, not part of the log: deleting it only makes the next
re-import slower. Individuals' rows are never kept (their rows carry an ID number, personal data
that must be erasable).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ..application import LedgerApp
from ..storage import for_driver, is_postgres

TABLE = "import_row_digests"
OLD_TABLES = ("import_digests",)  # an earlier form of the cache (keyed by entry only): dropped
SEPARATOR = "\x1e"  # between a row's kept warnings (a control character no cell may hold)


@dataclass(frozen=True, slots=True)
class Known:
    """A row known to change nothing: its entry's id, and the code and division kept with it
    (what the duplicate check, the authority check and a registration's conflict need), and
    the warnings its checks gave (a function of its cells: shown again each time)."""

    uid: UUID
    code: str
    kind: str | None
    division: str | None
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(cls, uid: UUID, spec: dict[str, Any], warnings: tuple[str, ...]) -> Known:
        return cls(uid, spec["code"], spec.get("kind"), spec.get("division"), warnings)

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"code": self.code, "division": self.division}
        if self.kind is not None:
            spec["kind"] = self.kind
        return spec


Kept = list[tuple[str, Known]]  # (row digest, what it is known for) to keep


class ImportDigests:
    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        self._pg = is_postgres(app.recorder)
        self._key = app.signer.derive_secret("drawledger/import-digest/v2")
        if getattr(app, "_import_digests_table", False):  # created once per process
            return
        datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=True) as c:
            for old in OLD_TABLES:
                c.execute(f"DROP TABLE IF EXISTS {old}")
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (aggregate TEXT PRIMARY KEY, "
                "row_digest TEXT NOT NULL, code TEXT NOT NULL, kind TEXT, division TEXT, "
                "warnings TEXT NOT NULL, digest TEXT NOT NULL)"
            )
            c.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_row ON {TABLE} (row_digest)")
        app._import_digests_table = True  # type: ignore[attr-defined]

    def of(self, kind: str, row: dict[str, Any]) -> str:
        """The digest of a row as the file gave it (its cells in the file's column order:
        another order only misses; a clear marker is a cell like any other). The cells are
        text, lists of text, bools or None, whose ``repr`` is exact."""
        text = repr((kind, tuple(row.items())))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def _sealed(self, row_digest: str, known: Known, records: str) -> str:
        text = repr((row_digest, known.code, known.kind, known.division, known.warnings, records))
        data = text.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def _records(self, cursor: Any, ids: Sequence[str]) -> dict[str, str]:
        """A digest of each entry's stored records (by its id in hex), every byte of every
        version in order: an edited, missing or added record gives another digest."""
        marks = ", ".join(["?"] * len(ids))
        cursor.execute(
            for_driver(
                "SELECT originator_id, originator_version, state "
                f"FROM {self.app.events_table} WHERE originator_id IN ({marks}) "
                "ORDER BY originator_id, originator_version",
                self._pg,
            ),
            [UUID(h) for h in ids] if self._pg else list(ids),
        )
        hashes: dict[str, Any] = {}
        for r in cursor.fetchall():
            key = r["originator_id"]  # SQLite: the hex text; PostgreSQL: a UUID
            key = key if type(key) is str else UUID(str(key)).hex
            h = hashes.get(key)
            if h is None:
                h = hashes[key] = hashlib.sha256()
            state = bytes(r["state"])
            h.update(f"{int(r['originator_version'])}:{len(state)}:".encode() + state)
        return {key: h.hexdigest() for key, h in hashes.items()}

    def known(self, row_digests: Sequence[str]) -> dict[str, Known]:
        """Of these row digests, those kept for an entry whose stored records are as they
        were when it was kept, with that entry (two indexed queries for a batch; no signature
        checked, no event decoded or folded)."""
        wanted = sorted(set(row_digests))
        if not wanted:
            return {}
        marks = ", ".join(["?"] * len(wanted))
        datastore: Any = self.app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as c:
            c.execute(
                for_driver(
                    "SELECT aggregate, row_digest, code, kind, division, warnings, digest "
                    f"FROM {TABLE} "
                    f"WHERE row_digest IN ({marks})",
                    self._pg,
                ),
                wanted,
            )
            kept = c.fetchall()
            if not kept:
                return {}
            records = self._records(c, [r["aggregate"] for r in kept])
        found: dict[str, Known] = {}
        for r in kept:
            stored = records.get(r["aggregate"])
            if stored is None:
                continue
            warnings = tuple(r["warnings"].split(SEPARATOR)) if r["warnings"] else ()
            known = Known(UUID(r["aggregate"]), r["code"], r["kind"], r["division"], warnings)
            if hmac.compare_digest(r["digest"], self._sealed(r["row_digest"], known, stored)):
                found.setdefault(r["row_digest"], known)
        return found

    def keep(self, current: Any, entries: Kept) -> None:
        """Keep ``(row digest, known)`` over each entry's records as they stand in the held
        transaction ``current`` (its own events included), written in that transaction."""
        for start in range(0, len(entries), 1000):
            batch = entries[start : start + 1000]
            records = self._records(current.cursor_now(), [known.uid.hex for _, known in batch])
            current.execute(
                for_driver(
                    f"INSERT INTO {TABLE} (aggregate, row_digest, code, kind, division, "
                    "warnings, digest) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (aggregate) "
                    "DO UPDATE SET row_digest = excluded.row_digest, code = excluded.code, "
                    "kind = excluded.kind, division = excluded.division, "
                    "warnings = excluded.warnings, digest = excluded.digest",
                    self._pg,
                ),
                [
                    (
                        known.uid.hex,
                        row_digest,
                        known.code,
                        known.kind,
                        known.division,
                        SEPARATOR.join(known.warnings),
                        self._sealed(row_digest, known, records[known.uid.hex]),
                    )
                    for row_digest, known in batch
                    if known.uid.hex in records
                ],
            )


__all__ = ["TABLE", "ImportDigests", "Kept", "Known"]
