"""The policy: a versioned rule document, each version recorded whole as a ``policy.set`` event.

The policy in force at any ledger position is the last ``policy.set`` before it, so every check
can use the rules that applied at the time. A version is checked whole (``policy_rules.py``)
before it is recorded; ``policies.py`` decides who may set one and reads the versions back.
"""

from __future__ import annotations

import tomllib
from hashlib import sha256
from importlib import resources
from typing import Any
from uuid import UUID

from verify.events import canonical

from .aggregates import LedgerAggregate, id_for
from .policy_rules import check_document


def default_policy() -> dict[str, Any]:
    """The default policy document shipped with drawledger (policy_default.toml)."""
    text = resources.files("ledger").joinpath("policy_default.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def policy_id(version: str) -> UUID:
    return id_for("policy", version)


class Policy(LedgerAggregate):
    """One version of the rule document; immutable once set (a change is a new version)."""

    TOPIC = "policy"

    class Created(LedgerAggregate.Created):
        TOPIC = "policy.set"
        version: str
        document: dict[str, Any]
        digest: str
        reason: str = ""  # why it changed; versions recorded before reasons were kept have none

    def __init__(self, version: str, document: dict[str, Any], digest: str, reason: str) -> None:
        self.policy_version = version
        self.document = document
        self.digest = digest
        self.reason = reason

    @classmethod
    def set(cls, document: dict[str, Any], actor: dict[str, Any], reason: str = "") -> Policy:
        """A new version; InvalidFields naming every problem of the document."""
        check_document(document)
        return cls._create(
            cls.Created,
            id=policy_id(document["version"]),
            version=document["version"],
            document=document,
            digest=policy_digest(document),
            reason=reason,
            actor=actor,
        )


def policy_digest(document: dict[str, Any]) -> str:
    """SHA-256 (hex) of the document's canonical JSON (RFC 8785): equal documents, equal digests."""
    return sha256(canonical(document)).hexdigest()  # canonical refuses floats and non-JSON values
