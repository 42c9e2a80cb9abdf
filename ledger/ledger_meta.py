"""The ledger itself as an aggregate: its origin and the public keys that sign it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from .aggregates import LedgerAggregate, id_for


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

    def __init__(self, origin: str, verifier_key: str, format: str) -> None:  # noqa: A002
        self.origin = origin
        self.verifier_keys = [verifier_key]
        self.format = format

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
