"""The ledger itself as an aggregate: its origin and the public keys that sign it, rotated
(``ledger.key_rotated``, signed by the old key) and revoked (``ledger.key_revoked``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from .aggregates import LedgerAggregate, id_for
from .errors import Conflict, NotFound


def ledger_id(origin: str) -> UUID:
    return id_for("ledger", origin)


class Ledger(LedgerAggregate):
    """Created once by ``drawledger init``; names the checkpoint origin and the signing key."""

    TOPIC = "ledger"

    class Created(LedgerAggregate.Created):
        TOPIC = "ledger.created"
        origin: str
        verifier_key: str
        format: str

    class KeyRotated(LedgerAggregate.Event):
        TOPIC = "ledger.key_rotated"
        verifier_key: str
        reason: str

        def apply(self, ledger: Ledger) -> None:
            ledger.verifier_keys.append(self.verifier_key)

    class KeyRevoked(LedgerAggregate.Event):
        TOPIC = "ledger.key_revoked"
        key: str
        from_index: int
        reason: str

        def apply(self, ledger: Ledger) -> None:
            ledger.revoked[self.key] = self.from_index

    def __init__(self, origin: str, verifier_key: str, format: str) -> None:  # noqa: A002
        self.origin = origin
        self.verifier_keys = [verifier_key]
        self.format = format
        self.revoked: dict[str, int] = {}

    @classmethod
    def create(cls, origin: str, verifier_key: str, actor: dict[str, Any]) -> Ledger:
        return cls._create(
            cls.Created,
            id=ledger_id(origin),
            origin=origin,
            verifier_key=verifier_key,
            format="drawledger/event/v1",
            actor=actor,
        )

    def rotate(self, verifier_key: str, reason: str, actor: dict[str, Any]) -> None:
        """Introduce the next key; the event is signed by the key in use (the old one)."""
        if verifier_key in self.verifier_keys:
            raise Conflict(f"{verifier_key} is a key of this ledger already")
        self.trigger_event(self.KeyRotated, verifier_key=verifier_key, reason=reason, actor=actor)

    def revoke(self, key: str, from_index: int, reason: str, actor: dict[str, Any]) -> None:
        """No longer trust ``key`` from leaf index ``from_index`` on."""
        if key not in self.verifier_keys:
            raise NotFound(f"{key} is not a key of this ledger")
        if key in self.revoked:
            raise Conflict(f"{key} was revoked already, from position {self.revoked[key]}")
        self.trigger_event(
            self.KeyRevoked, key=key, from_index=from_index, reason=reason, actor=actor
        )
