"""The registry state a draw freezes, persisted beside the log so that a restart does not fold
the whole log again.

A cold freeze folds every event of the log (at 1,000,000 targets, minutes). Instead the folded
state is written, now and then, to the ``registry_state`` table of the event store, tagged with
the ledger position it was folded up to, the leaf hash of the record at that position, and a
SHA-256 digest of its stored bytes; the ledger's key signs the four together. On load:

1. the signature is verified with the ledger's key (an operator who edits the row, its digest
   or its position without the key is refused);
2. the stored bytes must hash to the signed digest;
3. the record stored at the signed position must hash to the signed leaf hash (a state from
   another log, or from before the log was restored from elsewhere, is refused).

Anything refused is ignored: the fold falls back to the log (``RegistryStates``), and the reason
is kept for the operator (``refused``). What a state holds was folded from records the checked
reader verified, so it stands for the log as signed; records after its position are folded
(checked) as before. The table is a cache, not part of the log: rows are replaced, never
exported, and deleting them costs one cold fold.
"""

from __future__ import annotations

import gc
import hashlib
import json
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from verify.merkle import leaf_hash
from verify.registry_state import InspectorState, RegistryState, TargetState, codes

from ..application import LedgerApp
from ..storage import for_driver, is_postgres, schema_transaction

TABLE = "registry_state"
KEEP = 3  # rows kept: a draw frozen before the newest can still start from an older one
_FORMAT = "drawledger registry state v1"


@dataclass(frozen=True)
class Persisted:
    state: RegistryState
    last_id: int  # the notification id of the last event folded in


def encode(state: RegistryState) -> bytes:
    """The state as compressed JSON, every mapping in its own order (a fold's order)."""
    body = {
        "position": state.position,
        "targets": [
            [t.aggregate, t.key, t.kind, t.name, t.district, t.grid, t.division, t.items]
            + [t.credit_class, t.risk_flags, t.status]
            for t in state.targets.values()
        ],
        "inspectors": [
            [i.code, i.name, i.certificate, i.unit, i.division, i.agency_staff]
            + [i.qualifications, i.status, sorted(i.conflicts)]
            for i in state.inspectors.values()
        ],
        "inspector_codes": list(state.inspector_codes.items()),
        "policy": state.policy,
        "selections": [[k, y, n] for (k, y), n in state.selections.items()],
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode(), 1)


def _target(row: list[Any]) -> TargetState:
    """A TargetState from its fields in order (a named tuple: made from the row at C speed),
    its items and risk flags the shared tuples a fold makes (``codes``): the same record as
    the fold's (a test compares whole states)."""
    row[7], row[9] = codes(row[7]), codes(row[9])
    return TargetState._make(row)


def decode(data: bytes) -> RegistryState:
    """The state ``encode`` wrote. The cyclic garbage collector is paused meanwhile: the
    hundreds of thousands of lists and records made here hold no cycles, and its passes over
    them took most of the time (as in an import, ``Registry.import_targets``)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _decode(data)
    finally:
        if paused:
            gc.enable()


def _decode(data: bytes) -> RegistryState:
    body = json.loads(zlib.decompress(data))
    targets = {}
    for row in body["targets"]:
        t = _target(row)
        targets[t.aggregate] = t
    inspectors = {}
    for row in body["inspectors"]:
        code, name, certificate, unit, division, agency, qualifications, status, conflicts = row
        i = InspectorState(
            code,
            name,
            certificate,
            unit,
            division,
            agency,
            qualifications,
            status,
            frozenset(conflicts),
        )
        inspectors[i.code] = i
    return RegistryState(
        targets=targets,
        inspectors=inspectors,
        inspector_codes=dict(body["inspector_codes"]),
        policy=body["policy"],
        selections=Counter({(k, y): n for k, y, n in body["selections"]}),
        position=body["position"],
    )


def _message(origin: str, position: int, last_id: int, leaf: bytes, digest: bytes) -> bytes:
    return f"{_FORMAT}\n{origin}\n{position}\n{last_id}\n{leaf.hex()}\n{digest.hex()}\n".encode()


class StateStore:
    """The ``registry_state`` table of one ledger's event store."""

    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        recorder: Any = app.recorder  # the SQLite or PostgreSQL recorder: its datastore
        self.recorder = recorder
        self._pg = is_postgres(app.recorder)
        self.refused: str | None = None  # why the last load ignored a stored state
        blob = "BYTEA" if self._pg else "BLOB"
        with schema_transaction(recorder) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (last_id BIGINT PRIMARY KEY, "
                f"position BIGINT NOT NULL, leaf_hash {blob} NOT NULL, digest {blob} NOT NULL, "
                f"signature {blob} NOT NULL, body {blob} NOT NULL)"
            )

    def _sql(self, statement: str) -> str:
        return for_driver(statement, self._pg)

    def _leaf_at(self, last_id: int) -> bytes | None:
        found = self.app.recorder.select_notifications(start=last_id, limit=1, stop=last_id)
        return leaf_hash(found[0].state) if found and found[0].id == last_id else None

    def save(self, state: RegistryState, last_id: int) -> None:
        """Persist ``state``, folded up to the event at notification id ``last_id``."""
        leaf = self._leaf_at(last_id)
        if leaf is None:
            return  # nothing at that position (an empty log): nothing worth keeping
        body = encode(state)
        digest = hashlib.sha256(body).digest()
        origin = self.app.origin
        signature = self.app.signer.sign(_message(origin, state.position, last_id, leaf, digest))
        with self.recorder.datastore.transaction(commit=True) as c:
            c.execute(
                self._sql(
                    f"INSERT INTO {TABLE} (last_id, position, leaf_hash, digest, signature, body) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (last_id) DO NOTHING"
                ),
                (last_id, state.position, leaf, digest, signature, body),
            )
            c.execute(
                self._sql(
                    f"DELETE FROM {TABLE} WHERE last_id NOT IN "
                    f"(SELECT last_id FROM {TABLE} ORDER BY last_id DESC LIMIT {KEEP})"
                )
            )

    def newest(self, position: int | None = None) -> Persisted | None:
        """The newest stored state folded up to at most ``position`` events (any if None)
        that passes the checks of the module docstring; None if there is none (and
        ``refused`` says why one was ignored)."""
        self.refused = None
        clause = "" if position is None else "WHERE position <= ? "
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(
                self._sql(
                    f"SELECT last_id, position, leaf_hash, digest, signature, body FROM {TABLE} "
                    f"{clause}ORDER BY last_id DESC LIMIT 1"
                ),
                () if position is None else (position,),
            )
            row = c.fetchone()
        if row is None:
            return None
        problem = self._problem(row)
        if problem is not None:
            self.refused = f"the persisted registry state at position {row['last_id']}: {problem}"
            return None
        state = decode(bytes(row["body"]))
        if state.position != row["position"]:
            self.refused = f"the persisted registry state at {row['last_id']}: wrong position"
            return None
        return Persisted(state, int(row["last_id"]))

    def _problem(self, row: Any) -> str | None:
        last_id, leaf = int(row["last_id"]), bytes(row["leaf_hash"])
        digest, body = bytes(row["digest"]), bytes(row["body"])
        message = _message(self.app.origin, int(row["position"]), last_id, leaf, digest)
        if not self.app.signer.verifier.verify(message, bytes(row["signature"])):
            return "its signature does not verify with the ledger's key"
        if hashlib.sha256(body).digest() != digest:
            return "its bytes do not hash to the signed digest"
        if self._leaf_at(last_id) != leaf:
            return "the log's record at that position is not the one it was folded from"
        return None
