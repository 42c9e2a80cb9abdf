"""What the authority replay reads of each event (``verify/authority_replay.py``), taken from
the checked envelope in step 3 (``facts``): the actor, what the payload says that the replay
judges or folds (a division, a record's new division, an inspection, an official's roles, the
policy, a key) and what it says of identities and the directed-inspection scope. Small and
picklable, so signatures may be checked in other processes; one reader an event type (``_READ``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .authority_rules import EVENT_ACTS, INSPECTION, MOVED, NAMED, NEW
from .credential_replay import token_facts
from .registry_state import target_key

# event type -> the payload member naming a verifier key the event introduces (docs/FORMAT.md,
# "Keys"): the first event's key, and a rotation's new key, which ``verify/key_trust.py`` trusts
# from the next position on if a key valid there signed the rotation.
KEY_INTRODUCTIONS: dict[str, str] = {
    "ledger.created": "verifier_key",
    "ledger.key_rotated": "verifier_key",
}


# (official, role, department, what the payload says that the replay needs, what it says of
# identities: an inspector's code and unit, a binding, the team present, who recorded; the
# official on whose written request the operator acted; and the credential the act names: its
# token id and the act's time, or None: ``credential_replay``)
Facts = tuple[Any, Any, Any, Any, Any, Any, Any]


def _division(p: dict[str, Any]) -> Any:
    return p.get("division")


def _new_division(p: dict[str, Any]) -> Any:
    changes = p.get("changes")
    return changes.get("division") if isinstance(changes, dict) else None


def _inspection(p: dict[str, Any]) -> Any:
    return p.get("inspection")


def _official_registered(p: dict[str, Any]) -> Any:
    return (p.get("code"), p.get("division"), p.get("roles"))


def _official_roles(p: dict[str, Any]) -> Any:
    return (p.get("division"), p.get("roles"))


def _policy(p: dict[str, Any]) -> Any:
    """What the replay reads of a policy version: who leads which divisions, who sets the next."""
    document = p.get("document")
    if not isinstance(document, dict):
        return {}
    return {"leaders": document.get("leaders"), "authority": document.get("authority")}


def _key_named(member: str) -> Callable[[dict[str, Any]], Any]:
    return lambda p: p.get(member)


_BY_WHOSE: dict[str, Callable[[dict[str, Any]], Any]] = {
    NEW: _division,
    NAMED: _division,
    MOVED: _new_division,
    INSPECTION: _inspection,
}
_EXTRACT: dict[str, Callable[[dict[str, Any]], Any]] = {
    kind: _BY_WHOSE[whose] for kind, (_, whose) in EVENT_ACTS.items() if whose in _BY_WHOSE
}
_EXTRACT["official.registered"] = _official_registered
_EXTRACT["official.roles_changed"] = _official_roles
_EXTRACT["policy.set"] = _policy
_EXTRACT.update({kind: _key_named(member) for kind, member in KEY_INTRODUCTIONS.items()})
_EXTRACT["ledger.key_revoked"] = lambda p: (p.get("key"), p.get("from_index"))
_EXTRACT["official.token_issued"] = lambda p: token_facts("official.token_issued", p)
_EXTRACT["official.token_revoked"] = lambda p: token_facts("official.token_revoked", p)
_WITNESS_EVENTS = ("witness.added", "witness.removed")  # verify/witnesses.py: (key, time)


def _identity_of(*members: str) -> Callable[[dict[str, Any]], Any]:
    return lambda p: tuple(p.get(m) for m in members)


def _unit_changed(p: dict[str, Any]) -> Any:
    changes = p.get("changes")
    return (changes.get("unit"),) if isinstance(changes, dict) else (None,)


def _changed(*members: str) -> Callable[[dict[str, Any]], Any]:
    def read(p: dict[str, Any]) -> Any:
        changes = p.get("changes")
        changes = changes if isinstance(changes, dict) else {}
        return (None, *(changes.get(m) for m in members))

    return read


def _target_scope(p: dict[str, Any]) -> Any:
    kind, code = p.get("kind"), p.get("code")
    key = target_key(kind, code) if isinstance(kind, str) and isinstance(code, str) else None
    return (key, p.get("division"), p.get("items"))


# What the identity replay reads (an official acts as an inspector only as the one bound to them)
# and the directed-inspection scope (a division names its own listed items and targets in its
# charge, or an item it executes jointly: ``authority_rules.directed_refusal``): one slot, as no
# event type is read by both.
_IDENTITY: dict[str, Callable[[dict[str, Any]], Any]] = {
    "inspector.registered": _identity_of("code", "unit"),
    "inspector.updated": _unit_changed,
    "official.bound_to_inspector": _identity_of("inspector"),
    "inspection.carried_out": _identity_of("present"),
    "inspection.result_recorded": _identity_of("recorded_by"),
    "inspection.checklist_answered": _identity_of("recorded_by"),
}
_SCOPE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "item.registered": _identity_of("code", "division", "executing_units"),
    "item.amended": _changed("division", "executing_units"),
    "item.withdrawn": lambda p: (None, None, None),
    "target.registered": _target_scope,
    "target.updated": _changed("division", "items"),
    "directed.recorded": _identity_of("division", "items", "targets"),
}
_IDENTITY.update(_SCOPE)


def _both(
    extract: Callable[[dict[str, Any]], Any] | None,
    identity: Callable[[dict[str, Any]], Any] | None,
) -> Callable[[dict[str, Any]], tuple[Any, Any]]:
    return lambda p: (
        extract(p) if extract is not None else None,
        identity(p) if identity is not None else None,
    )


def _target_registered(p: dict[str, Any]) -> tuple[Any, Any]:
    """``(_division(p), _target_scope(p))``, the division read once: the same object in both,
    so the replay folds the registration in one step (``AuthorityLog.register_target``)."""
    division, kind, code = p.get("division"), p.get("kind"), p.get("code")
    key = target_key(kind, code) if isinstance(kind, str) and isinstance(code, str) else None
    return division, (key, division, p.get("items"))


# event type -> (what ``_EXTRACT`` reads of its payload, what ``_IDENTITY`` reads): one lookup
_READ: dict[str, Callable[[dict[str, Any]], tuple[Any, Any]]] = {
    kind: _both(_EXTRACT.get(kind), _IDENTITY.get(kind)) for kind in {*_EXTRACT, *_IDENTITY}
}
_READ["target.registered"] = _target_registered


def facts(envelope: dict[str, Any]) -> Facts:
    """What the replay (and the key check) needs of one checked envelope; small and picklable."""
    actor = envelope["actor"]
    kind = envelope["type"]
    read = _READ.get(kind)
    if read is not None:
        extra, identity = read(envelope["payload"])
    elif kind in _WITNESS_EVENTS:
        extra, identity = (envelope["payload"].get("key"), envelope["time"]), None
    else:
        extra = identity = None
    return (
        actor.get("official"),
        actor.get("role"),
        actor.get("department"),
        extra,
        identity,
        actor.get("on_request_of"),
        (actor["token"], envelope["time"]) if "token" in actor else None,
    )
