"""Import digests: which rows are known to change nothing, so an unchanged re-import is cheap.

When an import finds that a row changes nothing on an entry (or records the entry from the row,
after which the same row changes nothing), it keeps the entry's id and a digest of the row and
of the entry's stored records: "this row, applied to this entry as stored, changes nothing".
The next import of the same row, while the entry's records are the same, counts it unchanged
without checking, decoding and folding the entry's events. Any later event on the entry (a
correction, a status, a conflict) changes its records and voids the digest; a row that differs
in any cell (or in which cells it gives) has another digest. So a digest can only spare work,
never hide a change.

The digest is an HMAC, keyed by a secret derived from the ledger's signing key, over the row
and over every stored record of the entry (each version's bytes): a row written into the table
by anyone without the key matches nothing, and a record edited in the database voids the
digest, so the import reads the entry and its checked reader refuses the edit. The table
(``import_digests``) is kept beside the events and written in the import's own transaction; it
is a cache, not part of the log: deleting it only makes the next re-import slower.
Individuals' rows are never digested (their rows carry an ID number, personal data that must
be erasable).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from ..application import LedgerApp
from ..storage import for_driver, is_postgres

TABLE = "import_digests"


class ImportDigests:
    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        self._pg = is_postgres(app.recorder)
        self._key = app.signer.derive_secret("drawledger/import-digest/v1")
        if getattr(app, "_import_digests_table", False):  # created once per process
            return
        datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (aggregate TEXT PRIMARY KEY, "
                "digest TEXT NOT NULL)"
            )
        app._import_digests_table = True  # type: ignore[attr-defined]

    def of(self, kind: str, row: dict[str, Any], given: frozenset[str]) -> str:
        """The digest of a row as the parsers read it (its cells in the file's column order:
        another order only misses), with the fields it gives. The cells are text, lists of
        text, bools or None, whose ``repr`` is exact."""
        text = repr((kind, tuple(row.items()), sorted(given)))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def _sealed(self, row_digest: str, records: str) -> str:
        return hmac.new(self._key, f"{row_digest}\n{records}".encode(), hashlib.sha256).hexdigest()

    def _records(self, cursor: Any, ids: Sequence[UUID]) -> dict[str, str]:
        """A digest of each entry's stored records, every byte of every version in order: an
        edited, missing or added record gives another digest."""
        marks = ", ".join(["?"] * len(ids))
        cursor.execute(
            for_driver(
                "SELECT originator_id, originator_version, state "
                f"FROM {self.app.events_table} WHERE originator_id IN ({marks}) "
                "ORDER BY originator_id, originator_version",
                self._pg,
            ),
            list(ids) if self._pg else [uid.hex for uid in ids],
        )
        hashes: dict[str, Any] = {}
        for r in cursor.fetchall():
            key = UUID(str(r["originator_id"])).hex
            h = hashes.get(key)
            if h is None:
                h = hashes[key] = hashlib.sha256()
            state = bytes(r["state"])
            h.update(f"{int(r['originator_version'])}:{len(state)}:".encode() + state)
        return {key: h.hexdigest() for key, h in hashes.items()}

    def unchanged(self, rows: Sequence[tuple[UUID, str]]) -> set[UUID]:
        """The entries of ``(id, row digest)`` whose kept digest is that row's over the
        entry's stored records as they are now (two indexed queries for the batch; no
        signature checked, no event decoded or folded)."""
        if not rows:
            return set()
        marks = ", ".join(["?"] * len(rows))
        datastore: Any = self.app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as c:
            c.execute(
                for_driver(
                    f"SELECT aggregate, digest FROM {TABLE} WHERE aggregate IN ({marks})", self._pg
                ),
                [uid.hex for uid, _ in rows],
            )
            kept = {r["aggregate"]: r["digest"] for r in c.fetchall()}
            if not kept:
                return set()
            records = self._records(c, [uid for uid, _ in rows if uid.hex in kept])
        same = set()
        for uid, row_digest in rows:
            mine = kept.get(uid.hex)
            stored = records.get(uid.hex)
            if mine is None or stored is None:
                continue
            if hmac.compare_digest(mine, self._sealed(row_digest, stored)):
                same.add(uid)
        return same

    def keep(self, current: Any, entries: Sequence[tuple[UUID, str]]) -> None:
        """Keep ``(id, row digest)`` over each entry's records as they stand in the held
        transaction ``current`` (its own events included), written in that transaction."""
        for start in range(0, len(entries), 1000):
            batch = entries[start : start + 1000]
            records = self._records(current.cursor_now(), [uid for uid, _ in batch])
            current.execute(
                for_driver(
                    f"INSERT INTO {TABLE} (aggregate, digest) VALUES (?, ?) "
                    "ON CONFLICT (aggregate) DO UPDATE SET digest = excluded.digest",
                    self._pg,
                ),
                [
                    (uid.hex, self._sealed(row_digest, records[uid.hex]))
                    for uid, row_digest in batch
                    if uid.hex in records
                ],
            )


__all__ = ["TABLE", "ImportDigests"]
