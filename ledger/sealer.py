"""The sealer: integrates every stored event into an RFC 6962 Merkle tree and signs checkpoints.

Words (as in transparency logs): the event store *sequences* events (their notification order);
the sealer *integrates* them, in that order, as leaves (leaf index = position in the log, from 0;
leaf data = the stored record bytes), and signs a *checkpoint* (C2SP tlog-checkpoint) over the new
tree size and root.

Safety rules:
- a sealing round extends the compact tree stored with the last checkpoint, so every checkpoint
  it signs is consistent with the previous one by construction; it refuses to sign if that stored
  state does not reproduce the last root (``SealError``), or if the log no longer holds the
  record the last checkpoint sealed last (its tail cut or rolled back behind its back);
- leaves and their checkpoint are written in one transaction, so a crash loses both or neither,
  and the next round resumes from what is stored;
- one leader at a time: on PostgreSQL each round takes a transaction-level advisory lock and
  re-checks the last checkpoint inside it; on SQLite the write transaction serialises rounds.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError

from verify.errors import VerifyError
from verify.keys import SignerKey, VerifierKey
from verify.merkle import CompactTree, consistency_proof, inclusion_proof, leaf_hash
from verify.note import Checkpoint, Note, parse_note, sign_note, verify_note

from .errors import BadInput, Conflict, Forbidden, LedgerError, NotFound
from .sequenced import Sequenced
from .storage import for_driver, install_append_only_guards, is_postgres, schema_transaction

LEAVES_TABLE = "seal_leaves"
CHECKPOINTS_TABLE = "seal_checkpoints"
COSIGNATURES_TABLE = "seal_cosignatures"
log = logging.getLogger(__name__)
_ADVISORY_LOCK_KEY = 0x6472_6177_6C65_6467 & 0x7FFF_FFFF_FFFF_FFFF  # "drawledg"
# A round's transaction may sit idle this long (eventsourcing's default is 5 s): the process can
# stall between two statements (a full collection, a loaded machine: CI saw one) and lose it.
_ROUND_IDLE_TIMEOUT = "60s"


class SealError(LedgerError):
    """The sealer's stored state is inconsistent; it will not sign anything."""


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    last_notification_id: int
    signed_at: str


class Sealer:
    """Seals the notification log of one recorder with one signing key."""

    def __init__(self, recorder: Any, signer: SignerKey, origin: str, batch: int = 10_000):
        self.recorder = recorder
        # Called with each round's (notification id, leaf hash) before they are integrated: the
        # application checks there that every record it did not sign itself verifies, so that a
        # checkpoint vouches only for records whose signatures were checked (vouching.py).
        self.before_sealing: Callable[[Sequenced], None] | None = None
        self.signer = signer
        # Keys that sign every checkpoint beside ``signer``: the old key during a rotation's
        # overlap (``ledger/key_rotation.py``), so that those who know only it can follow.
        self.overlap: list[SignerKey] = []
        self.origin = origin
        self.batch = batch
        self._pg = is_postgres(recorder)
        self._lock = threading.Lock()
        # Called with the new tree size after rounds that signed a checkpoint: the application
        # keeps the proof tiles up there (``proof_tiles.py``), so no dispute file waits for them.
        self.after_sealing: Callable[[int], object] | None = None
        # (tree size, leaf hash) of the last leaf this sealer signed: its next round's check
        # that the record is still stored (``_check_tip``) needs no read of the leaves table.
        self._tip: tuple[int, bytes | None] = (-1, None)
        self._create_tables()

    # -- schema -----------------------------------------------------------------------------

    def _create_tables(self) -> None:
        blob = "BYTEA" if self._pg else "BLOB"
        with schema_transaction(self.recorder) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {LEAVES_TABLE} ("
                "leaf_index BIGINT PRIMARY KEY, notification_id BIGINT NOT NULL UNIQUE, "
                f"leaf_hash {blob} NOT NULL)"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS_TABLE} ("
                f"tree_size BIGINT PRIMARY KEY, root {blob} NOT NULL, frontier TEXT NOT NULL, "
                "last_notification_id BIGINT NOT NULL, note TEXT NOT NULL, signed_at TEXT NOT NULL)"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {COSIGNATURES_TABLE} ("
                "tree_size BIGINT NOT NULL, name TEXT NOT NULL, key_id TEXT NOT NULL, "
                "line TEXT NOT NULL, added_at TEXT NOT NULL, PRIMARY KEY (tree_size, name, key_id))"
            )
        install_append_only_guards(
            self.recorder, [LEAVES_TABLE, CHECKPOINTS_TABLE, COSIGNATURES_TABLE]
        )

    def _sql(self, statement: str) -> str:
        return for_driver(statement, self._pg)

    # -- sealing ----------------------------------------------------------------------------

    def seal(self) -> StoredCheckpoint | None:
        """Integrate every event not yet sealed and sign a checkpoint over them.

        Returns the new checkpoint, or None when there was nothing new (or another sealer
        holds the lead). Runs rounds of at most ``batch`` events until caught up.
        """
        with self._lock:
            newest = self._rounds()
        if newest is not None and self.after_sealing is not None:
            try:
                self.after_sealing(newest.size)
            except Exception as e:  # noqa: BLE001 - a cache: never a reason to fail a seal
                log.warning("封存至 %s 后缓存未保存（封存照常）：%s (cache)", newest.size, e)
        return newest

    def _rounds(self) -> StoredCheckpoint | None:
        newest = None
        while True:
            checkpoint, full = self._round()
            if checkpoint is None:
                return newest
            newest = checkpoint
            if not full:  # fewer than a batch: caught up, no need to ask again
                return newest

    def _round(self) -> tuple[StoredCheckpoint | None, bool]:
        base = self.latest()
        if base is None:
            sequenced = self._leaf_hashes_from(1)
        else:  # the record sealed last, read with the new ones: is it still there?
            sequenced = self._leaf_hashes_from(base.last_notification_id, self.batch + 1)
            tip = sequenced.pop_first() if sequenced else None
            self._check_tip(base, tip)
        if not sequenced:
            return None, False
        if self.before_sealing is not None:
            self.before_sealing(sequenced)  # raises SealError: nothing is integrated
        full = len(sequenced) == self.batch
        tree = self._tree_at(base)
        first_index = tree.size
        ids, hashes = sequenced.ids, sequenced.hashes
        tree.extend(hashes)
        root = tree.root()
        text = Checkpoint(self.origin, tree.size, root).to_text()
        note = sign_note(text, [self.signer, *self.overlap])
        stored = StoredCheckpoint(
            size=tree.size,
            root=root,
            note=note,
            last_notification_id=ids[-1],
            signed_at=_now(),
        )
        # what the statements carry is made before the transaction (_ROUND_IDLE_TIMEOUT)
        indexes = list(range(first_index, tree.size)) if self._pg else []
        frontier = json.dumps([h.hex() for h in tree.frontier])
        with self.recorder.datastore.transaction(commit=True) as c:
            if self._pg:
                c.execute(
                    "SELECT set_config('idle_in_transaction_session_timeout', %s, true) AS _, "
                    "pg_try_advisory_xact_lock(%s) AS ok",
                    (_ROUND_IDLE_TIMEOUT, _ADVISORY_LOCK_KEY),
                )
                if not c.fetchone()["ok"]:
                    return None, False  # another sealer leads; it will seal these events
            c.execute(f"SELECT MAX(tree_size) AS size FROM {CHECKPOINTS_TABLE}")
            row = c.fetchone()
            current = row["size"] if row and row["size"] is not None else 0
            if current != first_index:
                return None, False  # someone sealed meanwhile; the next round starts from there
            if self._pg:
                # One statement for the whole round: executemany costs a round trip per row.
                c.execute(
                    f"INSERT INTO {LEAVES_TABLE} (leaf_index, notification_id, leaf_hash) "
                    "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bytea[])",
                    (indexes, ids, hashes),
                )
            else:  # the rows made one at a time as they are bound, none held
                c.executemany(
                    f"INSERT INTO {LEAVES_TABLE} (leaf_index, notification_id, leaf_hash) "
                    "VALUES (?, ?, ?)",
                    zip(range(first_index, tree.size), ids, hashes, strict=True),
                )
            c.execute(
                self._sql(
                    f"INSERT INTO {CHECKPOINTS_TABLE} (tree_size, root, frontier, "
                    "last_notification_id, note, signed_at) VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (
                    stored.size,
                    root,
                    frontier,
                    stored.last_notification_id,
                    note,
                    stored.signed_at,
                ),
            )
        self._last = (stored, CompactTree(tree.size, tree.frontier))
        self._tip = (stored.size, hashes[-1])
        return stored, full

    def check_tip(self) -> None:
        """SealError unless the log still holds the record the latest checkpoint sealed last
        (nothing to check before the first checkpoint)."""
        base = self.latest()
        if base is not None:
            found = self._leaf_hashes_from(base.last_notification_id, 1)
            self._check_tip(base, found.pop_first() if found else None)

    def _check_tip(self, base: StoredCheckpoint, tip: tuple[int, bytes] | None) -> None:
        """SealError unless ``tip``, the first stored record at or after the position
        ``base`` sealed last, is that very record. Sealed events removed from the store behind
        the ledger's back (its tail cut, or the store rolled back with its checkpoints kept)
        would otherwise leave every event stored since unsealed, without a word: the sealer
        would wait for positions the store has already passed, or give again (SQLite reuses
        the numbers of removed rows)."""
        position = base.last_notification_id
        sealed = self._tip[1] if self._tip[0] == base.size else self._sealed_leaf(base.size - 1)
        if tip != (position, sealed):
            raise SealError(
                f"the log no longer holds at position {position} the record the checkpoint of "
                f"size {base.size} sealed last: sealed events were removed or replaced behind "
                "the ledger's back (the store cut short or rolled back): refusing to sign"
            )

    def _sealed_leaf(self, index: int) -> bytes | None:
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(
                self._sql(f"SELECT leaf_hash FROM {LEAVES_TABLE} WHERE leaf_index = ?"), (index,)
            )
            row = c.fetchone()
        return bytes(row["leaf_hash"]) if row is not None else None

    def record_hashes(self, start: int, limit: int) -> list[tuple[int, bytes]]:
        """(notification id, leaf hash) of up to ``limit`` stored events from ``start``, hashed
        from the records as they are stored now (not from the leaves table)."""
        return list(self._leaf_hashes_from(start, limit))

    def _leaf_hashes_from(self, start: int, limit: int | None = None) -> Sequenced:
        """(notification id, leaf hash) of up to ``batch`` events from ``start``, in order.

        PostgreSQL hashes the records itself (SHA-256(0x00 ‖ record)), so only 32 bytes per
        event cross the connection; SQLite has no SHA-256, so the records are read and hashed
        here, one at a time as the cursor gives them (never the batch's records all at once:
        10,000 records of a few kilobytes were tens of megabytes at the end of a large import).
        Both give the same hashes (a test compares them with verify.merkle.leaf_hash). On
        SQLite the notification id is the events table's rowid (as the library's recorder has
        it); reading just it and the record skips building a notification per event.
        """
        found = Sequenced()
        ids, hashes = found.ids.append, found.hashes.append
        if self._pg:
            with self.recorder.datastore.transaction(commit=False) as c:
                c.execute(
                    "SELECT notification_id, sha256('\\x00'::bytea || state) AS leaf "
                    f"FROM {self.recorder.events_table_name} WHERE notification_id >= %s "
                    "ORDER BY notification_id LIMIT %s",
                    (start, limit or self.batch),
                )
                for r in c:  # a row at a time (fetchall made a dict per row, all at once)
                    ids(r["notification_id"])
                    hashes(bytes(r["leaf"]))
            return found
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, state FROM {self.recorder.events_table_name} WHERE rowid >= ? "
                "ORDER BY rowid LIMIT ?",
                (start, limit or self.batch),
            )
            for r in c.sqlite_cursor:
                ids(r[0])
                hashes(leaf_hash(r[1]))
        return found

    def _tree_at(self, base: StoredCheckpoint | None) -> CompactTree:
        if base is None:
            return CompactTree()
        last = getattr(self, "_last", None)
        if last is not None and last[0] == base:  # what this sealer signed last: no re-read
            return CompactTree(last[1].size, last[1].frontier)
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(
                self._sql(f"SELECT frontier FROM {CHECKPOINTS_TABLE} WHERE tree_size = ?"),
                (base.size,),
            )
            frontier = [bytes.fromhex(h) for h in json.loads(c.fetchone()["frontier"])]
        try:
            tree = CompactTree(base.size, frontier)
        except VerifyError as e:
            raise SealError(
                f"stored tree state at size {base.size}: {e}: refusing to sign"
            ) from None
        if tree.root() != base.root:
            raise SealError(
                f"stored tree state at size {base.size} gives root {tree.root().hex()}, "
                f"the signed checkpoint says {base.root.hex()}: refusing to sign"
            )
        return tree

    # -- witnesses --------------------------------------------------------------------------

    def add_cosignature(self, size: int, line: str, witnesses: list[VerifierKey]) -> str:
        """Keep a witness's cosignature/v1 line for the checkpoint of ``size``; return its name.

        The line must be by one of ``witnesses`` and verify over that checkpoint's text.
        """
        checkpoint = self.checkpoint(size)
        line = line.strip("\n") + "\n"
        try:
            parsed = parse_note(checkpoint.note + line)
        except VerifyError as e:
            raise BadInput(f"not a signature line: {e}") from None
        signature = parsed.signatures[-1]
        witness = next(
            (w for w in witnesses if (w.name, w.key_id) == (signature.name, signature.key_id)),
            None,
        )
        if witness is None:
            raise Forbidden(
                f"{signature.name}+{signature.key_id.hex()} is not a witness of this ledger"
            )
        try:
            verify_note(Note(parsed.text, (signature,)), [witness])
        except VerifyError as e:
            raise BadInput(f"cosignature does not verify over checkpoint {size}: {e}") from None
        try:
            with self.recorder.datastore.transaction(commit=True) as c:
                c.execute(
                    self._sql(
                        f"INSERT INTO {COSIGNATURES_TABLE} (tree_size, name, key_id, line, "
                        "added_at) VALUES (?, ?, ?, ?, ?)"
                    ),
                    (size, signature.name, signature.key_id.hex(), line, _now()),
                )
        except Exception as e:
            if not _is_integrity_error(e):
                raise
            raise Conflict(f"{signature.name} has cosigned checkpoint {size} already") from None
        return signature.name

    def cosigned_note(self, size: int | None = None) -> str:
        """The checkpoint note (latest by default) with every witness cosignature kept for it."""
        checkpoint = self.checkpoint(size if size is not None else self._latest_size())
        lines = self.cosignature_lines(checkpoint.size).get(checkpoint.size, [])
        return checkpoint.note + "".join(lines)

    def cosignature_lines(self, size: int | None = None) -> dict[int, list[str]]:
        """The cosignature lines kept, by checkpoint size, in the order they came (of one
        checkpoint, or of every checkpoint in one read when ``size`` is None)."""
        where, params = ("WHERE tree_size = ? ", (size,)) if size is not None else ("", ())
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(
                self._sql(
                    f"SELECT tree_size, line FROM {COSIGNATURES_TABLE} {where}"
                    "ORDER BY tree_size, added_at"
                ),
                params,
            )
            found: dict[int, list[str]] = {}
            for r in c.fetchall():
                found.setdefault(int(r["tree_size"]), []).append(r["line"])
        return found

    def cosigned_notes(self) -> tuple[int, list[str]]:
        """(how many cosignature lines are kept, the checkpoints witnesses cosigned as notes
        with their cosignatures, oldest first) in one read: what bounds the events' times
        (the rule audit's ``witnessed_time``)."""
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT k.tree_size, k.note, s.line FROM {CHECKPOINTS_TABLE} k "
                f"JOIN {COSIGNATURES_TABLE} s ON s.tree_size = k.tree_size "
                "ORDER BY k.tree_size, s.added_at"
            )
            notes: dict[int, list[str]] = {}
            lines = 0
            for r in c.fetchall():
                notes.setdefault(int(r["tree_size"]), [r["note"]]).append(r["line"])
                lines += 1
        return lines, ["".join(parts) for parts in notes.values()]

    # -- reading ----------------------------------------------------------------------------

    def latest(self) -> StoredCheckpoint | None:
        rows = self._checkpoints("ORDER BY tree_size DESC LIMIT 1")
        return rows[0] if rows else None

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every checkpoint ever signed, oldest first."""
        return self._checkpoints("ORDER BY tree_size")

    def checkpoint(self, size: int) -> StoredCheckpoint:
        rows = self._checkpoints(self._sql("WHERE tree_size = ?"), (size,))
        if not rows:
            raise NotFound(f"no checkpoint was signed at tree size {size}")
        return rows[0]

    def _checkpoints(self, clause: str, params: tuple[Any, ...] = ()) -> list[StoredCheckpoint]:
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT tree_size, root, note, last_notification_id, signed_at "
                f"FROM {CHECKPOINTS_TABLE} {clause}",
                params,
            )
            return [
                StoredCheckpoint(
                    size=r["tree_size"],
                    root=bytes(r["root"]),
                    note=r["note"],
                    last_notification_id=r["last_notification_id"],
                    signed_at=r["signed_at"],
                )
                for r in c.fetchall()
            ]

    def leaf_hashes(self, size: int) -> list[bytes]:
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(
                self._sql(
                    f"SELECT leaf_hash FROM {LEAVES_TABLE} WHERE leaf_index < ? ORDER BY leaf_index"
                ),
                (size,),
            )
            hashes = [bytes(r["leaf_hash"]) for r in c.fetchall()]
        if len(hashes) != size:
            raise SealError(f"expected {size} sealed leaves, found {len(hashes)}")
        return hashes

    def leaf_index(self, notification_id: int) -> int:
        """The leaf index of the event at a ledger position (docs/FORMAT.md, "Positions")."""
        missing = f"event at notification id {notification_id} is not sealed yet"
        return self._paired("leaf_index", "notification_id", notification_id, missing)

    def position(self, leaf_index: int) -> int:
        """The ledger position of the event sealed as leaf ``leaf_index``; NotFound if no
        event is sealed there yet."""
        missing = f"no event is sealed as leaf {leaf_index} yet"
        return self._paired("notification_id", "leaf_index", leaf_index, missing)

    def _paired(self, wanted: str, given: str, value: int, missing: str) -> int:
        """One side of a sealed leaf's pairing (leaf index ↔ notification id) from the other."""
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(self._sql(f"SELECT {wanted} FROM {LEAVES_TABLE} WHERE {given} = ?"), (value,))
            row = c.fetchone()
        if row is None:
            raise NotFound(missing)
        return int(row[wanted])

    def inclusion_proof(self, leaf_index: int, size: int | None = None) -> tuple[int, list[bytes]]:
        """Proof that leaf ``leaf_index`` is in the tree of a signed checkpoint's size."""
        size = size if size is not None else self._latest_size()
        self.checkpoint(size)
        if not 0 <= leaf_index < size:
            raise NotFound(f"leaf {leaf_index} is not in the tree of size {size}")
        return size, inclusion_proof(self.leaf_hashes(size), leaf_index)

    def consistency_proof(
        self, old_size: int, new_size: int | None = None
    ) -> tuple[int, list[bytes]]:
        """Proof that the tree of ``old_size`` is a prefix of the tree of ``new_size``."""
        new_size = new_size if new_size is not None else self._latest_size()
        self.checkpoint(new_size)
        if not 0 <= old_size <= new_size:
            raise NotFound(f"no consistency proof from size {old_size} to {new_size}")
        return new_size, consistency_proof(self.leaf_hashes(new_size), old_size)

    def _latest_size(self) -> int:
        latest = self.latest()
        if latest is None:
            raise NotFound("nothing has been sealed yet")
        return latest.size


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _is_integrity_error(error: Exception) -> bool:
    """A unique-key violation, as the library's SQLite wrapper or psycopg reports it."""
    if isinstance(error, IntegrityError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg comes with eventsourcing[postgres]
        return False
    return isinstance(error, psycopg.errors.IntegrityError)
