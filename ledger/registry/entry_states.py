"""Kept entry states: a registry entry as it stood at one of its records, so that a re-sync reads
the entry's last few records instead of its whole history.

A re-sync (an import whose rows change existing entries,
``current_entries.current_records``) needs each changed entry as it stands. Folding its whole
history made each round's rows dearer than the last one's (one more record to decode, check
and fold per entry and round). Instead, once a
fold has gone through ``KEEP_AFTER`` records or more, the folded entry is kept in the
``entry_states`` table, beside the events: its id, the version it was folded up to, that
record's leaf hash (SHA-256 of 0x00 and its stored bytes, ``verify.merkle``) and envelope
digest (what the next version's ``prev`` names), the state as JSON, and a seal over all of it.
The next read of the entry starts from the kept state and reads its records from the kept
version on:

1. the seal must match: an HMAC-SHA-256 keyed by a secret derived from the ledger's signing
   key (as the import digests are sealed, ``digests.py``) over the ledger's origin, the entry,
   the version, the leaf hash, the digest and the state's bytes; a row written or edited by
   anyone without the key, or copied from another entry, matches nothing;
2. the record stored at the kept version must hash to the sealed leaf hash: the state was
   folded from those very bytes, checked then (a state kept from another log, or a record
   replaced since, is refused);
3. the later records are checked as a whole history is (``SigningMapper.check_history``: form,
   each one's chain link, starting from the sealed digest, and the last one's signature), then
   folded onto the kept state.

A kept state from an older version passes (it was true at its version) and only folds more
records. Anything refused is ignored and logged, and the entry is read whole and checked, as
without a kept state (an edited history then fails there: TamperedEvent). What the shortcut
does not look at is the records before the kept version: an earlier record edited in the
database changes nothing the comparison reads (the state was folded from the records as
signed); the offline verifier, the checkpoints and any full read find it.

The table is a cache, not part of the log: its rows are replaced, never exported in bundles,
and deleting them costs one full fold per entry. It holds only what the log holds (an
individual's entry holds its reference and commitment, never personal data). Rows are written
in the import's own transaction (an import that is rolled back keeps none of them). A key
rotation makes every kept state unreadable (its seal key is the old key's): each entry is then
folded whole once more, and kept again (the refusals logged one line a batch, not one an
entry).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple
from uuid import UUID

from verify.merkle import leaf_hash

from ..application import LedgerApp
from ..mapper import format_time, parse_time
from ..storage import for_driver, is_postgres, schema_transaction, stored_id
from ..transactions import held

TABLE = "entry_states"
KEEP_AFTER = 3  # records folded past an entry's kept state (or from its start) before keeping
_LABEL = "drawledger/entry-state/v1"
# The aggregate's own bookkeeping, kept apart from its state (the rest of ``vars``).
_BASE = ("_id", "_version", "_created_on", "_modified_on", "_pending_events")
log = logging.getLogger(__name__)


class KeptState(NamedTuple):
    """A checked kept state: the entry folded up to ``version``, whose record has this leaf
    hash and envelope digest."""

    version: int
    leaf: bytes
    digest: bytes
    entry: Any  # the aggregate, ready to fold the later records onto


def _plain(value: Any) -> bool:
    """Whether JSON gives ``value`` back as it is: a string, number, boolean or None, or a
    list or string-keyed dictionary of them (a tuple would come back a list)."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return True
    if kind is list:
        return all(_plain(v) for v in value)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False


def encode(aggregate: Any) -> bytes:
    """The aggregate's state as JSON: its id, version and times, then its attributes, each a
    JSON value as the fold read it from the records' payloads (TypeError if one is not: JSON
    would not give it back as it is, and the kept state would not be the fold's)."""
    state = {k: v for k, v in vars(aggregate).items() if k not in _BASE}
    if not _plain(state):
        raise TypeError(f"its state holds a value JSON would not give back as it is: {state!r}")
    body = {
        "kind": type(aggregate).TOPIC,
        "id": str(aggregate.id),
        "version": aggregate.version,
        "created_on": format_time(aggregate.created_on),
        "modified_on": format_time(aggregate.modified_on),
        "state": state,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def decode(data: bytes, cls: type[Any]) -> Any:
    """The aggregate ``encode`` wrote (ValueError if it is not a ``cls``)."""
    body = json.loads(data)
    if body["kind"] != cls.TOPIC:
        raise ValueError(f"it holds a {body['kind']}, not a {cls.TOPIC}")
    aggregate: Any = object.__new__(cls)
    aggregate.__dict__.update(body["state"])
    aggregate.__base_init__(UUID(body["id"]), body["version"], parse_time(body["created_on"]))
    aggregate._modified_on = parse_time(body["modified_on"])
    return aggregate


class EntryStates:
    """The ``entry_states`` table of one ledger's event store."""

    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        self._pg = is_postgres(app.recorder)
        self._keyed = hmac.new(app.signer.derive_secret(_LABEL), digestmod=hashlib.sha256)
        self._keyed.update(app.origin.encode() + b"\n")
        self._refused: dict[str, list[UUID]] = {}  # why: the entries whose kept state it was
        if getattr(app, "_entry_states_table", False):  # created once per process
            return
        datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
        binary = "BYTEA" if self._pg else "BLOB"
        # The entry's id in the events table's own form (SQLite: its hex text; PostgreSQL: its
        # id type), so that a read joins the table to the entry's records directly.
        entry = getattr(datastore, "originator_id_type", "uuid").upper() if self._pg else "TEXT"
        with schema_transaction(app.recorder) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (entry {entry} PRIMARY KEY, "
                f"version INTEGER NOT NULL, leaf_hash {binary} NOT NULL, "
                f"digest {binary} NOT NULL, seal {binary} NOT NULL, body {binary} NOT NULL)"
            )
        app._entry_states_table = True  # type: ignore[attr-defined]

    def _sql(self, statement: str) -> str:
        return for_driver(statement, self._pg)

    def _sealed(self, uid: UUID, version: int, leaf: bytes, digest: bytes, body: bytes) -> bytes:
        mac = self._keyed.copy()
        mac.update(b"%s:%d:%b%b%b" % (uid.hex.encode(), version, leaf, digest, body))
        return mac.digest()

    def load(self, uids: Sequence[UUID], cls: type[Any]) -> dict[UUID, KeptState]:
        """The kept state of each of these entries that has one whose seal matches and that
        holds a ``cls``; each one refused is noted (``refuse``) and left out (its entry is
        read whole).
        The leaf hash is checked against the log by the caller, which reads the record."""
        if not uids:
            return {}
        marks = ", ".join(["?"] * len(uids))
        datastore: Any = self.app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as c:
            c.execute(
                self._sql(
                    f"SELECT entry, version, leaf_hash, digest, seal, body FROM {TABLE} "
                    f"WHERE entry IN ({marks})"
                ),
                [stored_id(uid, self._pg) for uid in uids],
            )
            rows = c.fetchall()
        found: dict[UUID, KeptState] = {}
        for row in rows:
            uid = UUID(str(row["entry"]))
            version, leaf = int(row["version"]), bytes(row["leaf_hash"])
            digest, body = bytes(row["digest"]), bytes(row["body"])
            expected = self._sealed(uid, version, leaf, digest, body)
            if not hmac.compare_digest(bytes(row["seal"]), expected):
                self.refuse(uid, "its seal does not match (written or edited without the key)")
                continue
            try:
                entry = decode(body, cls)
            except (ValueError, KeyError, TypeError) as e:
                self.refuse(uid, f"it cannot be read: {e}")
                continue
            if entry.id != uid or entry.version != version:
                self.refuse(uid, "it holds another entry or version than it names")
                continue
            found[uid] = KeptState(version, leaf, digest, entry)
        return found

    def refuse(self, uid: UUID, why: str) -> None:
        """Note a kept state that is ignored, and why (logged by ``log_refused``)."""
        self._refused.setdefault(why, []).append(uid)

    def log_refused(self) -> None:
        """Log the kept states ignored since the last call: one line for a batch, each reason
        with its first entry and how many more (after a key rotation every kept state is
        refused once: one line per 1,000 entries, not one per entry)."""
        for why, uids in self._refused.items():
            more = f" and {len(uids) - 1} more" if len(uids) > 1 else ""
            log.warning(
                "条目 %s%s 保存的状态不予采用：%s；改为完整读取 (a kept state ignored)",
                uids[0],
                more,
                why,
            )
        self._refused.clear()

    def keep(self, states: Iterable[tuple[Any, bytes, bytes]]) -> None:
        """Keep each (entry folded from checked records, its last record's stored bytes, that
        record's envelope digest), replacing an older kept state; in the transaction this
        thread holds (the import's), else in one of its own. An entry whose state is not JSON
        is not kept."""
        rows = []
        for entry, record, digest in states:
            try:
                body = encode(entry)
            except TypeError as e:
                log.warning("条目 %s 的状态未能保存：%s (an entry not kept)", entry.id, e)
                continue
            uid, version, leaf = entry.id, entry.version, leaf_hash(record)
            seal = self._sealed(uid, version, leaf, digest, body)
            rows.append((stored_id(uid, self._pg), version, leaf, digest, seal, body))
        if not rows:
            return
        statement = self._sql(
            f"INSERT INTO {TABLE} (entry, version, leaf_hash, digest, seal, body) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (entry) DO UPDATE SET "
            "version = excluded.version, leaf_hash = excluded.leaf_hash, "
            "digest = excluded.digest, seal = excluded.seal, body = excluded.body "
            f"WHERE excluded.version > {TABLE}.version"
        )
        current = held(self.app.recorder)
        if current is not None:
            current.execute(statement, rows)
            return
        datastore: Any = self.app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=True) as c:
            c.executemany(statement, rows)


__all__ = ["KEEP_AFTER", "TABLE", "EntryStates", "KeptState", "decode", "encode"]
