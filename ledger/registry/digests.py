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
refuses the edit. The table (``import_known_rows``) is kept beside the events and written in the
import's own transaction; it is a cache, not part of the log: deleting it only makes the next
re-import slower. It is keyed by the row digest alone (on SQLite one B-tree: each kept row costs
one random insert, where a table keyed by entry with a second index on the row digest cost
three); an entry's rows kept before its latest kept version are removed by ``forget_superseded``
at the end of an import that changed entries. Individuals' rows are never kept (their rows carry
an ID number, personal data that must be erasable).
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

TABLE = "import_known_rows"
# Earlier forms of the cache, dropped: keyed by entry only; then keyed by entry with a second
# index on the row digest (three B-trees written per kept row, where this one writes one).
OLD_TABLES = ("import_digests", "import_row_digests")
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


Kept = list[tuple[bytes, Known]]  # (row digest, what it is known for) to keep


class ImportDigests:
    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        self._pg = is_postgres(app.recorder)
        self._hmac = hmac.new(
            app.signer.derive_secret("drawledger/import-digest/v3"), digestmod=hashlib.sha256
        )
        self._layouts: dict[tuple[str, tuple[str, ...]], Any] = {}
        if getattr(app, "_import_digests_table", False):  # created once per process
            return
        datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
        binary = "BYTEA" if self._pg else "BLOB"
        # One B-tree on SQLite (WITHOUT ROWID: the rows live in the primary key's tree), keyed
        # by the row digest, which is what an import looks up; an entry's older rows are
        # removed by ``forget_superseded`` (by the entry's version), not through an index.
        layout = "" if self._pg else " WITHOUT ROWID"
        with datastore.transaction(commit=True) as c:
            for old in OLD_TABLES:
                c.execute(f"DROP TABLE IF EXISTS {old}")
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (row_digest {binary} PRIMARY KEY, "
                f"aggregate {binary} NOT NULL, version INTEGER NOT NULL, code TEXT NOT NULL, "
                f"kind TEXT, division TEXT, warnings TEXT NOT NULL, digest {binary} NOT NULL)"
                + layout
            )
        app._import_digests_table = True  # type: ignore[attr-defined]

    def of(self, kind: str, row: dict[str, Any]) -> bytes:
        """The digest of a row as the file gave it: the registry kind and the row's column
        names in the file's order (hashed once per layout), then its cells (another order only
        misses; a clear marker is a cell like any other). The cells are text, lists of text,
        bools or None, whose ``repr`` is exact; each part is one whole ``repr``."""
        names = tuple(row)
        layout = self._layouts.get((kind, names))
        if layout is None:
            text = repr((kind, names)).encode("utf-8", "surrogatepass")
            layout = self._layouts[(kind, names)] = hashlib.sha256(text)
        h = layout.copy()
        h.update(repr(tuple(row.values())).encode("utf-8", "surrogatepass"))
        return h.digest()

    def _sealed(self, row_digest: bytes, known: Known, records: bytes) -> bytes:
        text = repr((row_digest, known.code, known.kind, known.division, known.warnings, records))
        seal = self._hmac.copy()
        seal.update(text.encode("utf-8", "surrogatepass"))
        return seal.digest()

    def _records(self, cursor: Any, ids: Sequence[str]) -> dict[str, tuple[bytes, int]]:
        """A digest of each entry's stored records (by its id in hex), every byte of every
        version in order (an edited, missing or added record gives another digest), and its
        last version."""
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
        versions: dict[str, int] = {}
        for r in cursor.fetchall():  # rows by column name (PostgreSQL's are dictionaries)
            key, version, state = r["originator_id"], r["originator_version"], r["state"]
            key = key if type(key) is str else key.hex  # SQLite: the hex text; PostgreSQL: a UUID
            h = hashes.get(key)
            if h is None:
                h = hashes[key] = hashlib.sha256()
            versions[key] = version
            h.update(_version_bytes(version, bytes(state)))
        return {key: (h.digest(), versions[key]) for key, h in hashes.items()}

    @staticmethod
    def first_records(saved: Sequence[Any]) -> dict[str, tuple[bytes, int]]:
        """``_records`` of the entries that a save in the import's held transaction has just
        recorded for the first time (its notifications of version 1: the entry's only record,
        the bytes that were inserted), without reading them back. An entry with any other
        record has none here and is read (``keep``); a record outside this transaction cannot
        be added to a version-1 seal without voiding it, so this only spares the read."""
        more = {n.originator_id for n in saved if n.originator_version != 1}  # read those
        return {
            n.originator_id.hex: (hashlib.sha256(_version_bytes(1, n.state)).digest(), 1)
            for n in saved
            if n.originator_version == 1 and n.originator_id not in more
        }

    def known(self, row_digests: Sequence[bytes]) -> dict[bytes, Known]:
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
                    "SELECT row_digest, aggregate, code, kind, division, warnings, digest "
                    f"FROM {TABLE} WHERE row_digest IN ({marks})",
                    self._pg,
                ),
                wanted,
            )
            kept = [
                (
                    bytes(r["row_digest"]),
                    bytes(r["aggregate"]).hex(),
                    r["code"],
                    r["kind"],
                    r["division"],
                    r["warnings"],
                    bytes(r["digest"]),
                )
                for r in c.fetchall()
            ]
            if not kept:
                return {}
            records = self._records(c, list({r[1] for r in kept}))
        found: dict[bytes, Known] = {}
        for row_digest, aggregate, code, kind, division, warnings, digest in kept:
            stored = records.get(aggregate)
            if stored is None:
                continue
            said = tuple(warnings.split(SEPARATOR)) if warnings else ()
            known = Known(UUID(aggregate), code, kind, division, said)
            if hmac.compare_digest(digest, self._sealed(row_digest, known, stored[0])):
                found[row_digest] = known
        return found

    def keep(
        self,
        current: Any,
        entries: Kept,
        first: dict[str, tuple[bytes, int]] | None = None,
    ) -> None:
        """Keep ``(row digest, known)`` over each entry's records as they stand in the held
        transaction ``current`` (its own events included), written in that transaction.
        ``first``: the records of entries just recorded for the first time
        (``first_records``); the others are read."""
        first = first or {}
        for start in range(0, len(entries), 1000):
            batch = entries[start : start + 1000]
            ids = [known.uid.hex for _, known in batch]
            unread = [uid for uid in ids if uid not in first]
            records = self._records(current.cursor_now(), unread) if unread else {}
            if first:
                records.update((uid, first[uid]) for uid in ids if uid in first)
            current.execute(
                for_driver(
                    f"INSERT INTO {TABLE} (row_digest, aggregate, version, code, kind, "
                    "division, warnings, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (row_digest) DO UPDATE SET aggregate = excluded.aggregate, "
                    "version = excluded.version, code = excluded.code, kind = excluded.kind, "
                    "division = excluded.division, warnings = excluded.warnings, "
                    "digest = excluded.digest",
                    self._pg,
                ),
                [
                    (
                        row_digest,
                        known.uid.bytes,
                        stored[1],
                        known.code,
                        known.kind,
                        known.division,
                        SEPARATOR.join(known.warnings),
                        self._sealed(row_digest, known, stored[0]),
                    )
                    for (row_digest, known), uid in zip(batch, ids, strict=True)
                    if (stored := records.get(uid)) is not None
                ],
            )

    def forget_superseded(self, current: Any) -> None:
        """Remove the rows kept for an entry before its latest kept version: their seals bind
        records the entry has since added to, so they can never match again (an import that
        changed entries calls this once, in its transaction: one pass over the table)."""
        current.execute(
            f"DELETE FROM {TABLE} WHERE (aggregate, version) NOT IN "
            f"(SELECT aggregate, MAX(version) FROM {TABLE} GROUP BY aggregate)",
            [()],
        )


def _version_bytes(version: int, state: bytes) -> bytes:
    """One stored record as the digest of an entry's records takes it: its version, its
    length, its bytes."""
    return b"%d:%d:" % (version, len(state)) + state


__all__ = ["TABLE", "ImportDigests", "Kept", "Known"]
