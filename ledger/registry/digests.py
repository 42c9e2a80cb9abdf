"""Import digests: which rows are known to change nothing, so an unchanged re-import is cheap.

When an import finds that a row changes nothing on an entry (or records the entry from the
row, after which the same row changes nothing), it keeps a digest of the row's cells as the
file gave them (a file's: its cells as the reader gave them, before they became the
Registry's values, ``cells.cells_digest``; rows given as fields: ``cells.row_digest``), the
entry's id, code and division, and a seal over all of it and the entry's
last stored record: "this row, applied to this entry as it stands at that record, changes
nothing". The record is named by its version, its position in the log and its leaf hash
(SHA-256 of 0x00 and its stored bytes: the transparency log's leaf, ``verify.merkle``). The
next import of the same row hashes its cells first and looks the digest up, joined in the same
query to the entry's last record (the one with no later version); while that record is the
sealed one, it counts the row unchanged without parsing or checking its cells and without
decoding or folding the entry's events. Any later event on the entry (a correction, a status,
a conflict) makes another record its last and voids the seal; a row that differs in any cell
(or in which cells it gives, or in their order) has another digest. So a digest can only spare
work, never hide a change: a row that is not known unchanged gets every check.

What a known row still gets: it counts in the file's duplicate check (its entry named twice is
a bad row, ``importer.py``), the official's authority over its division (kept with the digest)
and, for a registration form, the conflict of an existing entry. What it is spared was all
checked when the digest was kept and cannot have changed since: the cells' formats (the same
cells), the codes they name (divisions and items are never removed from the log), an
inspector's certificate date (an unchanged certificate may have expired, ``parse_inspector``).
The warnings a row's checks gave (a function of its cells) are kept with it and shown again.

Why the last record is enough: the seal is an HMAC, keyed by a secret derived from the ledger's
signing key, so a row written, moved or edited in the table by anyone without the key matches
nothing (another row digest, entry, version, division or warnings than sealed), and an old copy
of the table put back after the entry changed names a record that is no longer the entry's
last. The last record stands for the entry's history: it carries the digest of the record
before it (the chain its signature covers), and it is the leaf the signed checkpoints commit
to at its position; edited in the database it no longer hashes to the sealed leaf, so the
import reads the entry and its checked reader refuses the edit. An earlier record edited in
the database is not looked at by a re-import that reads nothing of the entry: any read of the
entry, the offline verifier and the checkpoints find it. The table (``import_unchanged_rows``)
is kept beside the events and written in the import's own transaction; it is a cache, not part
of the log: deleting it only makes the next re-import slower. It is keyed by the row digest
alone, holding the entry's id in the events table's own form so that a lookup joins it to the
entry's records through their primary key; an index by entry and version lets
``forget_superseded`` remove, as each batch of an import is saved, the rows kept for the
entries it changed at their earlier versions (their seals can never match again): a few index
steps per changed entry, whatever the size of the table. (A pass over the whole table at the
end of each import was quadratic on SQLite and took hours at 1,000,000 targets.) Individuals'
rows are never kept (their rows carry an ID number, personal data that must be erasable).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import UUID

from verify.merkle import leaf_hash

from ..application import LedgerApp
from ..storage import for_driver, is_postgres, schema_transaction, stored_id
from . import cells
from .cells import Layouts

TABLE = "import_unchanged_rows"
# Earlier forms of the cache, dropped: keyed by entry only; then keyed by entry with a second
# index on the row digest (three B-trees written per kept row); then sealed with every stored
# record of the entry (a lookup read and hashed all of them).
OLD_TABLES = ("import_digests", "import_row_digests", "import_known_rows")
SEPARATOR = "\x1e"  # between a row's kept warnings (a control character no cell may hold)


class Known(NamedTuple):
    """A row known to change nothing: its entry's id (a UUID, or its hex text as SQLite's
    events table holds it: ``uid`` makes the UUID when asked), and the code and division kept
    with it (what the duplicate check, the authority check and a registration's conflict
    need), and the warnings its checks gave (a function of its cells: shown again each time).
    A named tuple, immutable: made for every row a first import records, where a frozen
    dataclass's constructor cost about a microsecond more."""

    entry: UUID | str
    code: str
    kind: str | None
    division: str | None
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(cls, uid: UUID, spec: dict[str, Any], warnings: tuple[str, ...]) -> Known:
        return cls(uid, spec["code"], spec.get("kind"), spec.get("division"), warnings)

    @property
    def uid(self) -> UUID:
        entry = self.entry
        return entry if type(entry) is UUID else UUID(hex=str(entry))

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
        self._key = app.signer.derive_secret("drawledger/import-digest/v4")
        # HMAC-SHA256 keyed once: each seal copies it (``_sealed``), where ``hmac.digest``
        # keyed SHA-256 afresh for every row.
        self._keyed = hmac.new(self._key, digestmod=hashlib.sha256)
        self.layouts: Layouts = {}  # each layout's hash, made once (``cells.py``)
        events = app.events_table
        # The entry's last record (no later version stored), its log position and its bytes
        # (PostgreSQL hashes them into the leaf hash itself: 32 bytes sent, not the record).
        position, record = (
            ("e.notification_id", "sha256('\\x00'::bytea || e.state)")
            if self._pg
            else ("e.rowid", "e.state")
        )
        self._last = f"{position} AS position, {record} AS record FROM {events} e "
        self._later = (
            f"NOT EXISTS (SELECT 1 FROM {events} n WHERE n.originator_id = e.originator_id "
            "AND n.originator_version > e.originator_version)"
        )
        if getattr(app, "_import_digests_table", False):  # created once per process
            return
        datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
        binary = "BYTEA" if self._pg else "BLOB"
        # The entry's id in the events table's own form (SQLite: its hex text; PostgreSQL: its
        # id type), so that a lookup joins the table to the entry's last record directly.
        entry = getattr(datastore, "originator_id_type", "uuid").upper() if self._pg else "TEXT"
        # Keyed by the row digest, which is what an import looks up (SQLite: WITHOUT ROWID, the
        # rows live in the primary key's tree); the index by entry and version finds a changed
        # entry's older rows (``forget_superseded``).
        layout = "" if self._pg else " WITHOUT ROWID"
        with schema_transaction(app.recorder) as c:
            for old in OLD_TABLES:
                c.execute(f"DROP TABLE IF EXISTS {old}")
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (row_digest {binary} PRIMARY KEY, "
                f"aggregate {entry} NOT NULL, version INTEGER NOT NULL, code TEXT NOT NULL, "
                f"kind TEXT, division TEXT, warnings TEXT NOT NULL, seal {binary} NOT NULL)"
                + layout
            )
            c.execute(
                f"CREATE INDEX IF NOT EXISTS {TABLE}_by_entry ON {TABLE} (aggregate, version)"
            )
        app._import_digests_table = True  # type: ignore[attr-defined]

    def of(self, kind: str, row: dict[str, Any]) -> bytes:
        """The digest of a row as the file gave it (``cells.row_digest``)."""
        return cells.row_digest(kind, row, self.layouts)

    def _sealed(
        self, row_digest: bytes, entry: str, version: int, position: int, leaf: bytes, said: Any
    ) -> bytes:
        """The seal: the row digest, the entry and the log position, version and leaf hash of
        its last record, then the code, kind, division and warnings kept with the row (fixed
        widths, then one whole ``repr``)."""
        mac = self._keyed.copy()
        mac.update(
            b"%b%s:%d:%d:%b%b"
            % (
                row_digest,
                entry.encode(),
                version,
                position,
                leaf,
                repr(said).encode("utf-8", "surrogatepass"),
            )
        )
        return mac.digest()  # HMAC-SHA256 of the message under ``_key``

    def _leaf(self, record: Any) -> bytes:
        return bytes(record) if self._pg else leaf_hash(record)

    @staticmethod
    def _hex(aggregate: Any) -> str:
        """An entry's id as hex text (SQLite's events table holds it so; PostgreSQL's a UUID)."""
        return aggregate.hex if type(aggregate) is UUID else str(aggregate)

    def _tuples(self, rows: list[Any]) -> list[Any]:
        """Rows as tuples in the selected order (SQLite's already are; PostgreSQL's are
        dictionaries by column name)."""
        return [tuple(r.values()) for r in rows] if self._pg else rows

    def known(self, row_digests: Sequence[bytes]) -> dict[bytes, Known]:
        """Of these row digests, those kept for an entry whose last stored record is the one
        sealed with them, with that entry: one indexed query for a batch, joining each kept
        row to its entry's last record; no signature checked, no event decoded or folded."""
        wanted = sorted(set(row_digests))
        if not wanted:
            return {}
        marks = ", ".join(["?"] * len(wanted))
        datastore: Any = self.app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as c:
            c.execute(
                for_driver(
                    "SELECT k.row_digest, k.aggregate, k.version, k.code, k.kind, k.division, "
                    f"k.warnings, k.seal, {self._last}"
                    f"JOIN {TABLE} k ON e.originator_id = k.aggregate "
                    "AND e.originator_version = k.version "
                    f"WHERE k.row_digest IN ({marks}) AND {self._later}",
                    self._pg,
                ),
                wanted,
            )
            rows = self._tuples(c.fetchall())
        found: dict[bytes, Known] = {}
        compare, leaf_of, hex_of, sealed = hmac.compare_digest, self._leaf, self._hex, self._sealed
        for row in rows:
            row_digest, entry, version, code, kind, division, warnings, seal, at, record = row
            row_digest = bytes(row_digest)
            said = (code, kind, division, warnings)
            expected = sealed(row_digest, hex_of(entry), version, at, leaf_of(record), said)
            if compare(bytes(seal), expected):
                kept = tuple(warnings.split(SEPARATOR)) if warnings else ()
                found[row_digest] = Known(entry, code, kind, division, kept)
        return found

    def _last_records(self, cursor: Any, uids: Sequence[UUID]) -> dict[str, tuple[int, int, bytes]]:
        """Each entry's last stored record (by its id in hex): its version, log position and
        leaf hash."""
        marks = ", ".join(["?"] * len(uids))
        cursor.execute(
            for_driver(
                f"SELECT e.originator_id, e.originator_version, {self._last}"
                f"WHERE e.originator_id IN ({marks}) AND {self._later}",
                self._pg,
            ),
            [stored_id(uid, self._pg) for uid in uids],
        )
        return {
            self._hex(aggregate): (version, at, self._leaf(record))
            for aggregate, version, at, record in self._tuples(cursor.fetchall())
        }

    def _saved_records(self, saved: Sequence[Any]) -> dict[str, tuple[int, int, bytes]]:
        """Each entry's last record among a save's recordings (by its id in hex): its version,
        log position (the notification id the insert gave it) and stored bytes."""
        last: dict[str, tuple[int, int, bytes]] = {}
        hex_of = self._hex
        for recording in saved:
            stored = recording.notification
            aggregate, version = stored.originator_id, stored.originator_version
            entry = aggregate.hex if type(aggregate) is UUID else hex_of(aggregate)
            held = last.get(entry)
            if held is None or version > held[0]:
                last[entry] = (version, stored.id, stored.state)
        return last

    def keep(self, current: Any, entries: Kept, saved: Sequence[Any] = ()) -> None:
        """Keep ``(row digest, known)`` sealed with each entry's last record as it stands in
        the held transaction ``current`` (its own events included), written in that
        transaction. An entry that the save just before recorded (``saved``: its recordings,
        each with the stored record and the log position the insert gave it) is sealed with
        its record from the save, as a read in the transaction would give it (nothing else
        writes the entry while the transaction is held); any other entry's last record is
        read, one query per 1,000 rows."""
        recorded = self._saved_records(saved)
        pg, sealed = self._pg, self._sealed
        for start in range(0, len(entries), 1000):
            # Each row with its entry's id and that id in hex, made once.
            batch = [
                (d, k, uid, uid.hex)
                for d, k in entries[start : start + 1000]
                for uid in (k.entry if type(k.entry) is UUID else k.uid,)
            ]
            unread = list({uid for _, _, uid, entry in batch if entry not in recorded})
            last = self._last_records(current.cursor_now(), unread) if unread else {}
            rows = []
            for row_digest, known, uid, entry in batch:
                found = recorded.get(entry)
                if found is not None:
                    version, at, record = found
                    leaf = leaf_hash(record)
                elif entry in last:
                    version, at, leaf = last[entry]
                else:
                    continue
                warnings = SEPARATOR.join(known.warnings)
                said = (known.code, known.kind, known.division, warnings)
                seal = sealed(row_digest, entry, version, at, leaf, said)
                # The entry's id in the events table's form (``_entry``: SQLite's is its hex).
                rows.append((row_digest, uid if pg else entry, version, *said, seal))
            rows.sort()  # by row digest: the inserts walk the table's B-tree in order
            current.execute(
                for_driver(
                    f"INSERT INTO {TABLE} (row_digest, aggregate, version, code, kind, "
                    "division, warnings, seal) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (row_digest) DO UPDATE SET aggregate = excluded.aggregate, "
                    "version = excluded.version, code = excluded.code, kind = excluded.kind, "
                    "division = excluded.division, warnings = excluded.warnings, "
                    "seal = excluded.seal",
                    self._pg,
                ),
                rows,
            )

    def forget_superseded(self, current: Any, saved: Sequence[Any]) -> None:
        """Remove the rows kept for the entries a save just changed (``saved``: its
        recordings) at their earlier versions: their seals bind records the entry has since
        added to, so they can never match again. In the held transaction ``current``, one
        indexed delete per changed entry (a registration, version 1, has nothing older)."""
        # Each changed entry with each of its versions the save recorded: the rows kept below
        # the highest are all removed, as below the highest alone (a registration has none).
        hex_of, pg = self._hex, self._pg
        stored = [recording.notification for recording in saved]
        older = [
            (UUID(hex_of(n.originator_id)) if pg else hex_of(n.originator_id), n.originator_version)
            for n in stored
            if n.originator_version > 1
        ]
        if older:
            current.execute(
                for_driver(f"DELETE FROM {TABLE} WHERE aggregate = ? AND version < ?", self._pg),
                older,
            )


__all__ = ["TABLE", "ImportDigests", "Kept", "Known"]
