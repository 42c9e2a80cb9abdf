"""Witnesses as records of the log: ``witness.added`` and ``witness.removed`` (docs/FORMAT.md,
"Witnesses"), and which witnesses are in force at a position.

A witness is an independent auditor's cosignature/v1 key; the ledger keeps its cosignatures of
checkpoints only while it is in force (``witnesses.py``). A removed key is never added again: a
witness that changes its key is added under the new one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from verify.authority_rules import witness_managers
from verify.errors import VerifyError
from verify.keys import VerifierKey
from verify.witnesses import WITNESS_EVENTS, cosignature_key

from .aggregates import LedgerAggregate, id_for
from .errors import BadInput, ConfigurationError, Conflict, Forbidden

if TYPE_CHECKING:
    from .application import LedgerApp

MIGRATED = "migrated from the deprecated 'witnesses' setting of drawledger.toml"


def witness_key(text: str) -> VerifierKey:
    """A witness's verifier key (cosignature/v1); BadInput saying what is wrong otherwise."""
    try:
        return cosignature_key(text.strip() if isinstance(text, str) else text)
    except VerifyError as e:
        raise BadInput(f"witness key: {e}") from None


def witness_id(key: VerifierKey) -> UUID:
    return id_for("witness", f"{key.name}+{key.key_id.hex()}")


class Witness(LedgerAggregate):
    """One witness key, from its addition to its removal."""

    TOPIC = "witness"

    class Created(LedgerAggregate.Created):
        TOPIC = "witness.added"
        key: str
        reason: str

    class Removed(LedgerAggregate.Event):
        TOPIC = "witness.removed"
        key: str
        reason: str

        def apply(self, witness: Witness) -> None:
            witness.removed = True

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        self.removed = False

    @classmethod
    def add(cls, key: VerifierKey, reason: str, actor: dict[str, Any]) -> Witness:
        return cls._create(
            cls.Created, id=witness_id(key), key=str(key), reason=reason, actor=actor
        )

    def remove(self, reason: str, actor: dict[str, Any]) -> None:
        if self.removed:
            raise Conflict(f"witness {self.key} was removed already")
        self.trigger_event(self.Removed, key=self.key, reason=reason, actor=actor)


def witnesses_in_force(app: LedgerApp, stop: int | None = None) -> list[VerifierKey]:
    """The witnesses in force after the event at ledger position ``stop`` (the head if None),
    in the order they were added."""
    found: dict[str, VerifierKey] = {}
    for notification in app.notifications(topics=list(WITNESS_EVENTS), stop=stop):
        event: Any = app.domain_event(notification)
        key = witness_key(event.key)
        if isinstance(event, Witness.Created):
            found[str(key)] = key
        else:
            found.pop(str(key), None)
    return list(found.values())


def migrate_settings_file(app: LedgerApp, keys: list[str], data_dir: Path) -> None:
    """``migrate_settings`` as a ledger is opened (``LedgerApp.open``): a key it cannot take
    is the settings file's ConfigurationError."""
    try:
        migrate_settings(app, keys)
    except (BadInput, Forbidden) as e:
        raise ConfigurationError(f"a witness key in {data_dir}/drawledger.toml: {e}") from None


def migrate_settings(app: LedgerApp, keys: list[str]) -> int:
    """Record ``witness.added`` (by the operator) for each key of the deprecated TOML setting
    that the log never named; a key once removed stays removed. Returns how many were added.
    Forbidden if the policy in force does not let the operator manage witnesses."""
    from .registry.authority import authorise, operator_policy

    added = 0
    actor: dict[str, Any] | None = None
    for text in keys:
        key = witness_key(text)
        if witness_id(key) in app.repository:
            continue
        try:
            if actor is None:  # the rule of the policy in force, as for any operator act
                policy = operator_policy(app)
                managers = witness_managers(policy)
                found = authorise(None, "witness.manage", roles=managers, policy=policy)
                actor = found.to_json()
            app.save(Witness.add(key, MIGRATED, actor))
        except Conflict:  # another process migrated it at the same moment
            continue
        added += 1
    return added
