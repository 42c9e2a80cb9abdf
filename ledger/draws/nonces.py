"""The secret nonces of open draws, kept beside the log until each draw's reveal.

A nonce is stored sealed (AES-256-GCM, the draw id as associated data) under a key derived from
the ledger's signing key (``SignerKey.derive_secret``), so a read-only database user, a DBA or a
backup reader sees only ciphertext: without the key file they cannot compute a draw's outcome
before its reveal. Whoever reads the key file (0600 in the data directory) can unseal the nonce —
and could sign events too; what keeps such an operator from choosing an outcome is the draw's
public entropy (a beacon round and/or a ceremony fixed before the freeze and unknown until after
it, docs/DRAWS.md "Threat model"), not this table.

Rows written before sealing existed hold the nonce as 64 hex digits; they are still read.
"""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import NotFound, TamperedEvent
from ..storage import for_driver, is_postgres, schema_transaction

TABLE = "draw_nonces"
_LABEL = "drawledger/draw-nonce-key/v1"
_SEALED = "v1:"


class NonceVault:
    def __init__(self, app: Any) -> None:
        self._aead = AESGCM(app.signer.derive_secret(_LABEL))
        self._pg = is_postgres(app.recorder)
        self._datastore: Any = app.recorder.datastore
        with schema_transaction(app.recorder) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (draw TEXT PRIMARY KEY, nonce TEXT NOT NULL)"
            )

    def new(self, draw: UUID) -> bytes:
        """A fresh 32-byte nonce for ``draw``, stored sealed before the draw is saved."""
        nonce = secrets.token_bytes(32)
        iv = secrets.token_bytes(12)
        sealed = _SEALED + (iv + self._aead.encrypt(iv, nonce, str(draw).encode())).hex()
        with self._datastore.transaction(commit=True) as c:
            c.execute(
                for_driver(f"INSERT INTO {TABLE} (draw, nonce) VALUES (?, ?)", self._pg),
                (str(draw), sealed),
            )
        return nonce

    def get(self, draw: UUID) -> bytes:
        with self._datastore.transaction(commit=False) as c:
            c.execute(
                for_driver(f"SELECT nonce FROM {TABLE} WHERE draw = ?", self._pg), (str(draw),)
            )
            row = c.fetchone()
        if row is None:
            raise NotFound(f"the nonce of draw {draw} is not held by this ledger")
        text = row["nonce"]
        if not text.startswith(_SEALED):
            return bytes.fromhex(text)  # a row from before sealing
        blob = bytes.fromhex(text[len(_SEALED) :])
        try:
            return self._aead.decrypt(blob[:12], blob[12:], str(draw).encode())
        except InvalidTag:
            raise TamperedEvent(
                f"the sealed nonce of draw {draw} does not open under this ledger's key "
                "(changed, moved from another draw, or another ledger's)"
            ) from None
