"""Personal data of natural persons: kept outside the log, erasable, bound by a commitment.

The table is ordinary (not append-only): erasing a person's data (PIPL) deletes the row and
leaves every event, signature and proof intact; the event keeps only ``{"ref", "commitment"}``.

A person's row is stored only after the event that commits to it is saved (``commit`` gives
the event's part and the row, ``store`` writes rows): a save that fails (refused, or overtaken
by another command recording the same entry) leaves no row behind and never replaces the row of
the command that won. A crash between the save and ``store`` leaves the event without its row,
which reads like an erased person's (``reveal``: NotFound).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from typing import Any

from verify.commitment import commit

from ..errors import NotFound
from ..storage import for_driver, is_postgres, schema_transaction

TABLE = "personal_data"

# A row to store once its event is saved: (ref, data as JSON, salt in hex).
Held = tuple[str, str, str]


class PersonalData:
    def __init__(self, recorder: Any, ref_key: bytes) -> None:
        self.recorder = recorder
        self._pg = is_postgres(recorder)
        # A keyed hash gives the same reference for the same person without revealing them; its
        # key is the ledger's for life (``ledger/person_refs.py``), not the signing key in use.
        self._ref_key = ref_key
        with schema_transaction(recorder) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (ref TEXT PRIMARY KEY, data TEXT NOT NULL, "
                "salt TEXT NOT NULL)"
            )

    def _sql(self, statement: str) -> str:
        return for_driver(statement, self._pg)

    def reference(self, identity: str) -> str:
        """The pseudonymous reference of a person, from an identifying number."""
        mac = hmac.new(self._ref_key, identity.encode("utf-8"), hashlib.sha256).hexdigest()
        return "person-" + mac[:20]

    def commit(self, ref: str, data: dict[str, Any]) -> tuple[dict[str, str], Held]:
        """What the event may hold of a person's data (its reference and a salted commitment),
        and the row to ``store`` once that event is saved; nothing is written here."""
        salt = secrets.token_bytes(32)
        row = (ref, json.dumps(data, ensure_ascii=False), salt.hex())
        return {"ref": ref, "commitment": commit(data, salt)}, row

    def store(self, rows: Iterable[Held]) -> None:
        """Store (or replace) the rows of events already saved, in one transaction."""
        rows = list(rows)
        if not rows:
            return
        with self.recorder.datastore.transaction(commit=True) as c:
            for ref, data, salt in rows:
                c.execute(self._sql(f"DELETE FROM {TABLE} WHERE ref = ?"), (ref,))
                c.execute(
                    self._sql(f"INSERT INTO {TABLE} (ref, data, salt) VALUES (?, ?, ?)"),
                    (ref, data, salt),
                )

    def reveal(self, ref: str) -> tuple[dict[str, Any], bytes]:
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(self._sql(f"SELECT data, salt FROM {TABLE} WHERE ref = ?"), (ref,))
            row = c.fetchone()
        if row is None:
            raise NotFound(f"no personal data is held for {ref} (never kept, or erased)")
        return json.loads(row["data"]), bytes.fromhex(row["salt"])

    def erase(self, ref: str) -> None:
        with self.recorder.datastore.transaction(commit=True) as c:
            c.execute(self._sql(f"DELETE FROM {TABLE} WHERE ref = ?"), (ref,))
