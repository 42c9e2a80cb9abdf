"""The authority replay: did every act's actor hold, at that position, a role that permitted it
on that record (docs/FORMAT.md, "Authority")?

For every event, in log order, with the officials and record owners as the log stood just
before it (folded from the ``official.*`` events and each record's own events):

1. the actor is the ledger's operator (listed, not judged), or
2. its ``official`` is a registered official, still active, holding the actor's ``role``, in the
   actor's ``department``; and
3. that role permits the event type's act (``authority_rules.EVENT_ACTS``) on the divisions whose
   records the event touches (``authority_rules.permits``); a leader's review, on the divisions
   the policy in force then put in their charge (``[leaders]``, folded from ``policy.set``);
4. identities (``authority_rules``, "identities that cannot be borrowed"): a binding of an
   official to a roster inspector keeps the binding rules, whoever recorded it; an act in the
   inspector role needs the official bound to an inspector on the inspection's team, and a
   result names that inspector; official and inspector codes never coincide.

A violation is a *finding* naming the event, separate from the integrity checks: a ledger can be
intact (every signature, chain and checkpoint in order) and still record an act nobody was
entitled to. Step 3 extracts what this needs from each record (``facts``), so the replay never
decodes a record twice and works the same when signatures were checked in other processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .authority_rules import (
    EVENT_ACTS,
    IN_CHARGE,
    INSPECTION,
    MOVED,
    NAMED,
    NEW,
    NONE,
    OPERATOR,
    PERMISSIONS,
    SHARED_CODE_RULE,
    binding_refusal,
    charge_of,
    inspector_act_refusal,
    inspector_binders,
    moving,
    needed,
    permits,
    policy_setters,
    shared_code_refusal,
    witness_managers,
)

# event type -> the payload member naming a verifier key the event introduces (docs/FORMAT.md,
# "Keys"): the first event's key, and a rotation's new key, which ``verify/key_trust.py`` trusts
# from the next position on if a key valid there signed the rotation.
KEY_INTRODUCTIONS: dict[str, str] = {
    "ledger.created": "verifier_key",
    "ledger.key_rotated": "verifier_key",
}

_OPERATOR = (OPERATOR["official"], OPERATOR["role"], OPERATOR["department"])
_NO_RULE: tuple[tuple[str, ...], str] = ((), NONE)

# (official, role, department, what the payload says that the replay needs, and what it says
# of identities: an inspector's code and unit, a binding, the team present, who recorded)
Facts = tuple[Any, Any, Any, Any, Any]


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
_WITNESS_EVENTS = ("witness.added", "witness.removed")  # verify/witnesses.py: (key, time)


def _identity_of(*members: str) -> Callable[[dict[str, Any]], Any]:
    return lambda p: tuple(p.get(m) for m in members)


def _unit_changed(p: dict[str, Any]) -> Any:
    changes = p.get("changes")
    return (changes.get("unit"),) if isinstance(changes, dict) else (None,)


# What the identity replay reads (an official acts as an inspector only as the one bound to them)
_IDENTITY: dict[str, Callable[[dict[str, Any]], Any]] = {
    "inspector.registered": _identity_of("code", "unit"),
    "inspector.updated": _unit_changed,
    "official.bound_to_inspector": _identity_of("inspector"),
    "inspection.carried_out": _identity_of("present"),
    "inspection.result_recorded": _identity_of("recorded_by"),
    "inspection.checklist_answered": _identity_of("recorded_by"),
}


def facts(envelope: dict[str, Any]) -> Facts:
    """What the replay (and the key check) needs of one checked envelope; small and picklable."""
    actor = envelope["actor"]
    kind = envelope["type"]
    extract = _EXTRACT.get(kind)
    identity = _IDENTITY.get(kind)
    extra = extract(envelope["payload"]) if extract is not None else None
    if kind in _WITNESS_EVENTS:
        extra = (envelope["payload"].get("key"), envelope["time"])
    return (
        actor.get("official"),
        actor.get("role"),
        actor.get("department"),
        extra,
        identity(envelope["payload"]) if identity is not None else None,
    )


@dataclass(frozen=True)
class Finding:
    """An act whose actor lacked the authority for it."""

    position: int
    type: str
    actor: dict[str, Any]
    needed: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.position,
            "type": self.type,
            "actor": self.actor,
            "needed": self.needed,
            "message": self.message,
        }


@dataclass
class AuthorityReport:
    official_acts: int = 0
    operator_acts: dict[str, list[int]] = field(default_factory=dict)  # type -> positions
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "official_acts": self.official_acts,
            "operator_acts": self.operator_acts,
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True)
class _Official:
    division: Any
    roles: frozenset[Any]
    deactivated_at: int | None = None


class _Log:
    """Officials and record owners as the log stood: what each judgement reads."""

    def __init__(self) -> None:
        self.officials: dict[Any, _Official] = {}  # by code
        self.codes: dict[str, Any] = {}  # official aggregate id -> code
        self.owner: dict[str, Any] = {}  # record aggregate id -> division
        self.policy: dict[str, Any] = {}  # what the replay reads of the policy in force
        self.units: dict[Any, Any] = {}  # roster inspector code -> unit
        self.inspectors: dict[str, Any] = {}  # inspector aggregate id -> code
        self.bound: dict[Any, Any] = {}  # official code -> the inspector bound to them
        self.holder: dict[Any, Any] = {}  # inspector code -> the active official bound to them
        self.present: dict[str, list[Any]] = {}  # inspection aggregate id -> the team present

    def apply(self, position: int, kind: str, whose: str, aggregate: str, extra: Any) -> None:
        if whose == NEW or (whose == MOVED and extra is not None):
            self.owner[aggregate] = extra
        elif whose == INSPECTION:
            self.owner[aggregate] = self.owner.get(str(extra))
        elif kind == "policy.set":
            self.policy = extra if isinstance(extra, dict) else {}
        elif kind == "official.registered" and isinstance(extra, tuple) and len(extra) == 3:
            code, division, roles = extra
            if isinstance(code, str):
                self.codes[aggregate] = code
                self.officials[code] = _Official(division, _roles(roles))
        elif kind == "official.roles_changed" and isinstance(extra, tuple) and len(extra) == 2:
            code = self.codes.get(aggregate)
            if code is not None:
                old = self.officials[code]
                self.officials[code] = _Official(extra[0], _roles(extra[1]), old.deactivated_at)
        elif kind == "official.deactivated":
            code = self.codes.get(aggregate)
            if code is not None:
                old = self.officials[code]
                self.officials[code] = _Official(old.division, old.roles, position)
                # A deactivated official's inspector is free again.
                self.holder.pop(self.bound.pop(code, None), None)

    def apply_identity(self, kind: str, aggregate: str, identity: Any) -> None:
        if not isinstance(identity, tuple) or not identity:
            return
        if not all(isinstance(v, str | list | None) for v in identity):
            return  # a forged payload: what it names cannot be folded (a hashable code)
        if kind == "inspector.registered" and len(identity) == 2 and isinstance(identity[0], str):
            self.inspectors[aggregate] = identity[0]
            self.units[identity[0]] = identity[1]
        elif kind == "inspector.updated" and identity[0] is not None:
            code = self.inspectors.get(aggregate)
            if code is not None:
                self.units[code] = identity[0]
        elif kind == "official.bound_to_inspector" and isinstance(identity[0], str):
            code = self.codes.get(aggregate)
            if code is not None:
                self.bound[code] = identity[0]
                self.holder[identity[0]] = code
        elif kind == "inspection.carried_out" and isinstance(identity[0], list):
            self.present[aggregate] = identity[0]

    def bound_to(self, inspector: Any) -> Any:
        return self.holder.get(inspector)

    def divisions(self, whose: str, aggregate: str, extra: Any) -> tuple[list[Any], str | None]:
        """The divisions whose records the event acts on, or a reason they are unknown."""
        if whose == NONE:
            return [], None
        if whose in (NEW, NAMED):
            return ([extra], None) if isinstance(extra, str) else ([], "names no division")
        key = str(extra) if whose == INSPECTION else aggregate
        owner = self.owner.get(key)
        if not isinstance(owner, str):
            return [], f"the division of record {key} is unknown: no earlier event names it"
        if whose == MOVED and isinstance(extra, str):
            return list(moving(owner, extra)), None
        return [owner], None


def _roles(roles: Any) -> frozenset[Any]:
    if not isinstance(roles, list):
        return frozenset()
    return frozenset(r for r in roles if isinstance(r, str))


def replay_authority(events: Iterable[tuple[int, str, str, Facts]]) -> AuthorityReport:
    """Judge every ``(position, type, aggregate, facts)`` in log order."""
    replay = AuthorityReplay()
    for position, kind, aggregate, event_facts in events:
        replay.add(position, kind, aggregate, event_facts)
    return replay.report


class AuthorityReplay:
    """``replay_authority`` one event at a time, for a verifier that streams the bundle: what it
    keeps is the registry of officials and records, not the events."""

    def __init__(self) -> None:
        self.report = AuthorityReport()
        self._log = _Log()

    def add(self, position: int, kind: str, aggregate: str, event_facts: Facts) -> None:
        report, log = self.report, self._log
        official, role, department, extra, identity = event_facts
        acts, whose = EVENT_ACTS.get(kind, _NO_RULE)
        if (official, role, department) == _OPERATOR:
            report.operator_acts.setdefault(kind, []).append(position)
            problem = _binding_problem(log, kind, aggregate, identity)
            problem = problem or _shared_code(log, kind, extra, identity)
        else:
            report.official_acts += 1
            problem = _judge(log, kind, acts, whose, aggregate, official, role, department, extra)
            if problem is None:
                problem = _identity_problem(log, kind, aggregate, official, role, identity)
            if problem is None:
                problem = _shared_code(log, kind, extra, identity)
        if problem is not None:
            actor = {"official": official, "role": role, "department": department}
            report.findings.append(Finding(position, kind, actor, *problem))
        log.apply(position, kind, whose, aggregate, extra)
        log.apply_identity(kind, aggregate, identity)


def _shared_code(log: _Log, kind: str, extra: Any, identity: Any) -> tuple[str, str] | None:
    """A new official taking a roster inspector's code, or a new inspector an official's: a
    finding whoever recorded it (the operator's acts included)."""
    if kind == "official.registered" and isinstance(extra, tuple):
        code = extra[0]
        if isinstance(code, str) and code in log.units:
            return SHARED_CODE_RULE, shared_code_refusal(code, "official", "roster inspector")
    if kind == "inspector.registered" and isinstance(identity, tuple):
        code = identity[0]
        if isinstance(code, str) and code in log.officials:
            return SHARED_CODE_RULE, shared_code_refusal(code, "inspector", "official")
    return None


def _binding_problem(log: _Log, kind: str, aggregate: str, identity: Any) -> tuple[str, str] | None:
    """A binding that breaks the rules (``authority_rules.binding_refusal``), whoever recorded
    it; None for any other event."""
    if kind != "official.bound_to_inspector":
        return None
    official_code = log.codes.get(aggregate)
    official = log.officials.get(official_code)
    inspector = identity[0] if isinstance(identity, tuple) else None
    if official is None or not isinstance(inspector, str):
        return "a registered official and a roster inspector", "names no inspector"
    refusal = binding_refusal(
        str(official_code),
        official.division,
        official.roles,
        log.bound.get(official_code),
        inspector,
        log.units.get(inspector),
        log.bound_to(inspector),
    )
    return None if refusal is None else ("official.bound_to_inspector", refusal[1])


def _identity_problem(
    log: _Log, kind: str, aggregate: str, code: Any, role: Any, identity: Any
) -> tuple[str, str] | None:
    """An official's binding judged, or an inspector-role act by an official not bound to an
    inspector on the inspection's team (``authority_rules.inspector_act_refusal``)."""
    if kind == "official.bound_to_inspector":
        return _binding_problem(log, kind, aggregate, identity)
    if role != "inspector" or not kind.startswith("inspection."):
        return None
    if kind == "inspection.carried_out":
        team = identity[0] if isinstance(identity, tuple) else []
    else:
        team = log.present.get(aggregate, [])
    bound = log.bound.get(code)
    refusal = inspector_act_refusal(str(code), bound, team if isinstance(team, list) else [])
    recorded = isinstance(identity, tuple) and kind != "inspection.carried_out"
    # A result or checklist names the inspector who recorded it: the one bound to the official.
    if refusal is None and recorded and identity[0] != bound:
        refusal = (
            f"official {code} is bound to inspector {bound} but recorded in the name of "
            f"{identity[0]}"
        )
    return None if refusal is None else ("the bound inspector, on the team", refusal)


def _judge(
    log: _Log,
    kind: str,
    acts: tuple[str, ...],
    whose: str,
    aggregate: str,
    code: Any,
    role: Any,
    department: Any,
    extra: Any,
) -> tuple[str, str] | None:
    """None if the act was within the actor's authority, else (what was needed, why not)."""
    if not acts:
        alone = (
            "it is the operator's alone" if kind in EVENT_ACTS else "no rule of authority covers it"
        )
        return "the ledger's operator", f"only the ledger's operator may record {kind}: {alone}"
    divisions, unknown = log.divisions(whose, aggregate, extra)
    why = _why_not(log, kind, acts, divisions, unknown, code, role, department)
    return None if why is None else (needed(acts, divisions), why)


def _why_not(
    log: _Log,
    kind: str,
    acts: tuple[str, ...],
    divisions: list[Any],
    unknown: str | None,
    code: Any,
    role: Any,
    department: Any,
) -> str | None:
    official = log.officials.get(code) if isinstance(code, str) else None
    if official is None:
        return f"{code!r} is not a registered official at this position"
    if official.deactivated_at is not None:
        return f"official {code} was deactivated at event {official.deactivated_at}"
    if not isinstance(role, str) or role not in official.roles:
        held = ", ".join(sorted(official.roles)) or "none"
        return f"official {code} does not hold the role {role!r} (holds: {held})"
    if department != official.division:
        return f"official {code} is of division {official.division}, not {department!r}"
    if unknown is not None:
        return unknown
    if kind == "policy.set":  # the version in force names who may record the next one
        setters = policy_setters(log.policy)
        if role in setters:
            return None
        return (
            f"the policy in force lets only {', '.join(setters) or 'nobody'} set the next version"
        )
    if kind == "official.bound_to_inspector":  # the personnel authority the policy names
        binders = inspector_binders(log.policy)
        if role in binders:
            return None
        return f"the policy in force lets only {', '.join(binders) or 'nobody'} bind inspectors"
    if kind in _WITNESS_EVENTS:  # the policy in force names who adds and removes witnesses
        managers = witness_managers(log.policy)
        if role in managers:
            return None
        return f"the policy in force lets only {', '.join(managers) or 'nobody'} manage witnesses"
    charge = charge_of(log.policy, code) if any(a in IN_CHARGE for a in acts) else ()
    for act in acts:
        if permits(role, department, act, divisions, charge):
            return None
    if not any(role in PERMISSIONS[act] for act in acts):
        return f"the role {role} does not permit {kind}"
    others = ", ".join(sorted(d for d in divisions if d != department))
    if charge or any(role in IN_CHARGE.get(act, ()) for act in acts):
        under = ", ".join(charge) or "none: the policy's [leaders] names none"
        return (
            f"a {role} of division {department} acts only on its own division's records and "
            f"those the policy in force puts in their charge ({under}), not on division "
            f"{others}'s"
        )
    return (
        f"a {role} of division {department} acts only on its own division's records, "
        f"not on division {others}'s (谁审批谁监管)"
    )
