"""The policy: a versioned rule document, each version recorded whole as a ``policy.set`` event.

The policy in force at any ledger position is the last ``policy.set`` before it, so every check
can use the rules that applied at the time.
"""

from __future__ import annotations

import tomllib
from hashlib import sha256
from importlib import resources
from typing import Any
from uuid import UUID

from verify.events import canonical

from .aggregates import LedgerAggregate, id_for
from .errors import BadInput


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

    def __init__(self, version: str, document: dict[str, Any], digest: str) -> None:
        self.policy_version = version
        self.document = document
        self.digest = digest

    @classmethod
    def set(cls, document: dict[str, Any], actor: dict[str, Any]) -> Policy:
        version = document.get("version")
        if not isinstance(version, str) or not version:
            raise BadInput("policy.version must be a non-empty string naming this version")
        encoded = canonical(document)  # also refuses floats and other non-JSON values
        return cls._create(
            cls.Created,
            id=policy_id(version),
            version=version,
            document=document,
            digest=sha256(encoded).hexdigest(),
            actor=actor,
        )
