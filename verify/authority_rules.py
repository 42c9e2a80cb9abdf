"""Who may do what: the one rulebook of authority, which the ledger enforces and the verifier
replays (DESIGN.md, "Identity and authority"; docs/FORMAT.md, "Authority").

"Whoever approves, supervises" (谁审批谁监管): a division acts only on its own items, targets,
inspectors, plans, draws, inspections and publications. The aggregator (``plan_aggregator``,
水政处) consolidates plans, publishes the item list and keeps the whole inspector roster; a
leader in charge reviews the plans of their own division and of those the policy puts in their
charge (``[leaders]``); inspectors of the detachment inspect for every division (the team check
decides who may); clerks and division heads read their own division's work lists, and every
official their own division's responsibility trail, auditors and the legal office (法制处)
every division's; the annual assessment is read by the legal office, auditors and admins for
every division and by a division head for their own; admins manage divisions, officials, tokens
and the policy. The ledger's own operator (the ``drawledger`` CLI with the data directory and
no official's credential) acts as ``OPERATOR``, only for the acts the policy lets it
(``operator_acts``: the ledger's one authority check, ``ledger/registry/authority.authorise``,
refuses the rest whatever the path — a service called with no official, the CLI, the demo —
with ``operator_refusal``'s reason), and on a written request only when the official who asked
may do the act themselves (``authorise`` judges them; the verifier replays both at each act's
position). The identity rules (bindings, codes) hold whoever records. An official acts as an
inspector only as the roster inspector bound to them (``verify/identity_rules.py``).

Pure data and functions: no ledger, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

# act -> the roles that may perform it, in the order the ledger tries them
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "division.manage": ("admin",),
    "official.manage": ("admin",),
    # Binding an official to the roster inspector they are: the personnel authority, which the
    # policy in force names (``inspector_binders``); admin when it names none.
    "official.bind": ("admin",),
    "token.manage": ("admin",),
    "policy.set": ("admin",),
    "witness.manage": ("admin",),  # the default; the policy's [authority] manage_witnesses
    "target.write": ("clerk", "division_head"),
    "item.write": ("clerk", "division_head"),
    "inspector.write": ("clerk", "division_head", "plan_aggregator"),
    "itemlist.publish": ("plan_aggregator",),
    "draw.run": ("clerk", "division_head"),
    "draw.abandon": ("division_head",),  # ending a draw early is the head's signed act
    "plan.write": ("clerk", "division_head"),
    "plan.review": ("leader_in_charge",),
    "plan.consolidate": ("plan_aggregator",),
    "inspection.notify": ("clerk", "division_head"),
    "inspection.record": ("clerk", "division_head", "inspector"),
    "inspection.result": ("inspector",),
    "publication.publish": ("clerk", "division_head"),
    # Erasing an individual's personal data (PIPL): the legal office decides, for any division.
    "personal_data.erase": ("legal_office",),
    # Reading a division's work lists (the staff views): not an event, checked by the API alone.
    "worklist.read": ("clerk", "division_head", "auditor", "legal_office"),
    # Reading the responsibility trail (who did what, when, under which rule): every official
    # their own division's acts; not an event, checked by the API alone.
    "trail.read": (
        "clerk",
        "division_head",
        "leader_in_charge",
        "plan_aggregator",
        "inspector",
        "auditor",
        "legal_office",
        "admin",
    ),
    # Reading the annual assessment (年度考核): the city's legal office and auditors rate every
    # division, admins keep the service; a division's head reads their own division's figures.
    # Not an event, checked by the service alone (``projections/assessment.py``).
    "assessment.read": ("division_head", "auditor", "legal_office", "admin"),
    # The oversight pages (/legal: the trail of any entity, the coverage and participation
    # dashboards, the rule findings): the bureau's auditors and its legal office (法制处), who
    # answer for every division's acts; nobody else (each official reads their own division's
    # trail through the API). Not an event, checked by the API alone.
    "oversight.read": ("auditor", "legal_office"),
    # On those pages, an individual's personal data (name, identity number: kept outside the
    # log, erasable) in place of its commitment: the legal office, which answers for personal
    # data (PIPL; it decides erasures); an auditor sees the commitment only.
    "oversight.personal_data": ("legal_office",),
    # Writing a dispute file (争议材料, docs/DISPUTE.md) over HTTP: the legal office about any
    # subject; an auditor about a target, draw or inspection, never about one official's acts
    # (``DISPUTE_SUBJECTS``). Not an event, checked by the API alone.
    "dispute.write": ("legal_office", "auditor"),
}
# act -> the roles that may perform it on any division's records (the others: their own only)
CROSS_DIVISION: dict[str, tuple[str, ...]] = {
    "inspector.write": ("plan_aggregator",),  # the aggregator keeps the whole roster
    "plan.consolidate": ("plan_aggregator",),
    # Inspectors of the detachment inspect for every division; the team check decides who may.
    "inspection.record": ("inspector",),
    "inspection.result": ("inspector",),
    "worklist.read": ("auditor", "legal_office"),  # they oversee every division's work
    "personal_data.erase": ("legal_office",),
    "trail.read": ("auditor", "legal_office"),  # and answer for every division's acts
    "assessment.read": ("auditor", "legal_office", "admin"),
    "oversight.read": ("auditor", "legal_office"),
    "oversight.personal_data": ("legal_office",),
    "dispute.write": ("legal_office", "auditor"),
}
# The subjects of a dispute file each role that may write one may name (``dispute_refusal``).
# A file about one official's acts is evidence in a personnel or disciplinary matter, which the
# legal office handles (法制处); an auditor audits records, not persons.
DISPUTE_SUBJECTS: dict[str, tuple[str, ...]] = {
    "legal_office": ("target", "draw", "inspection", "official"),
    "auditor": ("target", "draw", "inspection"),
}
# act -> the roles that may perform it on the divisions the policy puts in the official's charge
# (``charge_of``), besides their own: a leader reviews the plans of the divisions they lead.
IN_CHARGE: dict[str, tuple[str, ...]] = {"plan.review": ("leader_in_charge",)}
# Four eyes (分管领导审核): a plan is reviewed by someone other than whoever wrote it. The events
# that make an official one of a plan's authors; ``plan.reviewed`` by one of them is refused
# by the ledger and a finding of the verifier, whatever roles the official holds (an official
# who is both a division's clerk and its leader in charge may otherwise approve their own draft).
PLAN_AUTHORING = ("plan.drafted", "plan.amended")

# The envelope actor of the ledger's own operator.
OPERATOR = {"official": "drawledger", "role": "system", "department": "drawledger"}

# What the ledger's operator (the drawledger CLI run with the data directory and no official's
# credential) may record, as the policy's ``[authority] operator`` and ``operator_on_request``
# name them; these are the defaults. On its own: setting up the bureau (divisions, officials,
# their first credentials) and the scheduled monthly rollover. Only on the written request of
# an official entitled to the act (``--on-request-of CODE --request-ref TEXT``, recorded in the
# actor as ``on_request_of`` and ``request``): a division's registry import, a new policy
# version, an erasure. Nothing else: no draw, inspection or result.
DEFAULT_OPERATOR_ACTS = (
    "division.manage",
    "official.manage",
    "token.manage",
    "plan.rollover",
    "witness.manage",
)
DEFAULT_OPERATOR_ON_REQUEST = (
    "target.write",
    "inspector.write",
    "item.write",
    "policy.set",
    "personal_data.erase",  # on the person's written request (PIPL art. 47)
)
OPERATOR_ACT_NAMES = (*PERMISSIONS, "plan.rollover")
# event type -> the act the policy's operator lists name for it, where that is not the event's
# own act: the scheduled monthly rollover.
OPERATOR_EVENT_ACTS = {"plan.rolled_over": "plan.rollover", "draw.rolled_over": "plan.rollover"}

# Whose record an event acts on (the division whose authority it needs):
NEW = "new"  # the division the payload names, which becomes the record's
RECORD = "record"  # the record's division, as its earlier events left it
MOVED = "moved"  # the record's division and, if the change names another, that one too
NAMED = "named"  # the division the payload names, acting on another's record (a joint partner)
INSPECTION = "inspection"  # the division of the inspection the payload names
NONE = "none"  # no division's record: the bureau's own (divisions, officials, policy, list)

# event type -> (the acts, any one of which permits it; whose record). No acts: the operator only.
EVENT_ACTS: dict[str, tuple[tuple[str, ...], str]] = {
    "ledger.created": ((), NONE),
    "ledger.key_rotated": ((), NONE),  # the ledger's keys are its operator's alone
    "ledger.key_revoked": ((), NONE),
    "policy.set": (("policy.set",), NONE),
    "witness.added": (("witness.manage",), NONE),
    "witness.removed": (("witness.manage",), NONE),
    "division.created": (("division.manage",), NONE),
    "division.contact_named": (("division.manage",), NONE),
    "official.registered": (("official.manage",), NONE),
    "official.roles_changed": (("official.manage",), NONE),
    "official.deactivated": (("official.manage",), NONE),
    "official.bound_to_inspector": (("official.bind",), NONE),
    "official.token_issued": (("token.manage",), NONE),
    "official.token_revoked": (("token.manage",), NONE),
    "target.registered": (("target.write",), NEW),
    "target.updated": (("target.write",), MOVED),
    "target.status_changed": (("target.write",), RECORD),
    "target.personal_data_erased": (("personal_data.erase",), RECORD),
    "inspector.registered": (("inspector.write",), NEW),
    "inspector.updated": (("inspector.write",), MOVED),
    "inspector.conflict_declared": (("inspector.write",), RECORD),
    "inspector.conflict_withdrawn": (("inspector.write",), RECORD),
    "item.registered": (("item.write",), NEW),
    "item.amended": (("item.write",), MOVED),
    "item.withdrawn": (("item.write",), RECORD),
    "itemlist.published": (("itemlist.publish",), NONE),
    "plan.drafted": (("plan.write",), NEW),
    "plan.reviewed": (("plan.review",), RECORD),
    "plan.submitted": (("plan.write",), RECORD),
    "plan.consolidated": (("plan.consolidate",), RECORD),
    "plan.uploaded": (("plan.consolidate",), RECORD),
    "plan.amended": (("plan.write",), RECORD),
    "plan.withdrawn": (("plan.write",), RECORD),
    # A month's rollover: the aggregator for any division, a clerk or head for its own.
    "plan.rolled_over": (("plan.write", "plan.consolidate"), RECORD),
    "draw.opened": (("draw.run",), NEW),
    "draw.population_frozen": (("draw.run",), RECORD),
    "draw.seed_revealed": (("draw.run",), RECORD),
    "draw.targets_selected": (("draw.run",), RECORD),
    "draw.inspectors_assigned": (("draw.run",), RECORD),
    "draw.inspector_substituted": (("draw.run",), RECORD),
    "draw.partner_invited": (("draw.run",), RECORD),
    "draw.partner_accepted": (("draw.run",), NAMED),
    "draw.partner_declined": (("draw.run",), NAMED),
    "draw.partner_inspectors_assigned": (("draw.run",), NAMED),
    "draw.partner_inspector_substituted": (("draw.run",), NAMED),
    "draw.rolled_over": (("plan.write", "plan.consolidate"), RECORD),
    "draw.abandoned": (("draw.abandon",), RECORD),
    "directed.recorded": (("draw.run",), NEW),
    "inspection.notified": (("inspection.notify",), NEW),
    "inspection.carried_out": (("inspection.record",), RECORD),
    "inspection.checklist_answered": (("inspection.result",), RECORD),
    "inspection.result_recorded": (("inspection.result",), RECORD),
    "inspection.confirmation_recorded": (("inspection.record",), RECORD),
    "inspection.followed_up": (("inspection.record",), RECORD),
    "inspection.closed": (("inspection.record",), RECORD),
    "inspection.evidence_added": (("inspection.record",), RECORD),
    "publication.published": (("publication.publish",), INSPECTION),
    "publication.corrected": (("publication.publish",), RECORD),
    "publication.withdrawn": (("publication.publish",), RECORD),
}


def permits(
    role: str, home: str, act: str, divisions: Iterable[str], charge: Collection[str] = ()
) -> bool:
    """Whether ``role``, held in division ``home``, permits ``act`` on records of every one of
    ``divisions`` (none: a record of no division); ``charge`` is the divisions the policy puts
    in the official's charge (``charge_of``), which count as their own for ``IN_CHARGE`` acts."""
    if role not in PERMISSIONS[act]:
        return False
    if role in CROSS_DIVISION.get(act, ()):
        return True
    if role not in IN_CHARGE.get(act, ()):
        charge = ()
    for division in divisions:  # noqa: SIM110 - a loop, not all(): called for every event
        if division != home and division not in charge:
            return False
    return True


def dispute_refusal(roles: Collection[str], kind: str) -> str | None:
    """Why an official holding ``roles`` may not write the dispute file of a ``kind`` subject
    (target, draw, inspection, official), or None if they may (``DISPUTE_SUBJECTS``)."""
    allowed = {k for r in roles for k in DISPUTE_SUBJECTS.get(r, ())}
    if kind in allowed:
        return None
    writers = [r for r, kinds in DISPUTE_SUBJECTS.items() if kind in kinds]
    if not allowed:
        return (
            f"a dispute file is written by {' or '.join(PERMISSIONS['dispute.write'])} only "
            f"(dispute.write); roles held: {', '.join(sorted(roles)) or 'none'}"
        )
    return (
        f"a dispute file about {_SUBJECT_WORDS.get(kind, kind)} is written by "
        f"{' or '.join(writers) or 'nobody'} only: the roles held ({', '.join(sorted(roles))}) "
        f"write one about {' or '.join(_SUBJECT_WORDS[k] for k in sorted(allowed))}"
    )


_SUBJECT_WORDS = {
    "target": "a target",
    "draw": "a draw",
    "inspection": "an inspection",
    "official": "one official's acts",
}


DEFAULT_POLICY_SETTERS = ("admin",)  # when the policy in force names nobody
DEFAULT_INSPECTOR_BINDERS = ("admin",)  # the personnel authority, when the policy names none


def _named_roles(policy: Any, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    authority = policy.get("authority") if isinstance(policy, dict) else None
    named = authority.get(key) if isinstance(authority, dict) else None
    if not isinstance(named, list | tuple):
        return default
    return tuple(r for r in named if isinstance(r, str))


def policy_setters(policy: Any) -> tuple[str, ...]:
    """The roles that may record the next policy version, as the policy document in force names
    them (``[authority] set_policy``), else ``DEFAULT_POLICY_SETTERS``."""
    return _named_roles(policy, "set_policy", DEFAULT_POLICY_SETTERS)


def inspector_binders(policy: Any) -> tuple[str, ...]:
    """The roles that may bind an official to a roster inspector (the personnel authority), as
    the policy in force names them (``[authority] bind_inspector``), else admin."""
    return _named_roles(policy, "bind_inspector", DEFAULT_INSPECTOR_BINDERS)


def operator_acts(policy: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the ledger's operator may record under the policy document ``policy``: on its own
    (``[authority] operator``), and only on an official's written request
    (``[authority] operator_on_request``); the defaults where the policy names none."""
    return (
        _named_roles(policy, "operator", DEFAULT_OPERATOR_ACTS),
        _named_roles(policy, "operator_on_request", DEFAULT_OPERATOR_ON_REQUEST),
    )


def operator_refusal(policy: Any, act: str, request: str | None) -> str | None:
    """Why the ledger's operator may not record ``act`` (on the written request of the official
    ``request``, if any) under the policy document ``policy``; or None. Whether that official
    may ask for the act on the records it touches is ``authorise``'s to say (the ledger) and the
    replay's (the verifier): the requester is judged as if they had acted."""
    alone, on_request = operator_acts(policy)
    if act in alone or (act in on_request and request):
        return None
    if act in on_request:
        return (
            f"the ledger's operator records {act} only on a written request by an official "
            "who may do it (the policy in force: [authority] operator_on_request): name them "
            "with --on-request-of CODE (and the request with --request-ref), or act as an "
            "official with their credential (--as CODE with --token-file FILE or "
            "DRAWLEDGER_TOKEN)"
        )
    return (
        f"the ledger's operator may not record {act} (the policy in force: [authority] "
        f"operator lets it record {', '.join(alone) or 'nothing'} on its own, and "
        f"operator_on_request {', '.join(on_request) or 'nothing'} on a written request): act "
        "as an official with their credential (--as CODE with --token-file FILE or "
        "DRAWLEDGER_TOKEN)"
    )


def witness_managers(policy: Any) -> tuple[str, ...]:
    """The roles that may add and remove witnesses, as the policy document in force names them
    (``[authority] manage_witnesses``), else ``PERMISSIONS["witness.manage"]``."""
    authority = policy.get("authority") if isinstance(policy, dict) else None
    named = authority.get("manage_witnesses") if isinstance(authority, dict) else None
    if not isinstance(named, list | tuple):
        return PERMISSIONS["witness.manage"]
    return tuple(r for r in named if isinstance(r, str))


def charge_of(policy: Any, official: Any) -> tuple[str, ...]:
    """The divisions the policy document ``policy`` puts in the charge of the official whose
    code is ``official`` (``[leaders] "<code>" = ["szc", ...]``); none when it names nothing
    for them, so a leader then reviews only their own division's plans (the safe default)."""
    leaders = policy.get("leaders") if isinstance(policy, dict) else None
    if not isinstance(leaders, dict) or not isinstance(official, str):
        return ()
    named = leaders.get(official)
    if not isinstance(named, list):
        return ()
    return tuple(d for d in named if isinstance(d, str))


def moving(owner: str | None, named: str | None) -> tuple[str, ...]:
    """The divisions whose authority an act on a record of ``owner`` needs when it names the
    division ``named``: the owner's; and, when the act moves the record to another division,
    that one's too (a move is an act over both). No owner: a new record, ``named``'s alone."""
    if owner is None:
        return () if named is None else (named,)
    if named is None or named == owner:
        return (owner,)
    return (owner, named)


def role_for(
    roles: Collection[str],
    home: str,
    act: str,
    division: str | None | tuple[str, ...],
    charge: Collection[str] = (),
) -> str | None:
    """The first role (in ``PERMISSIONS`` order) of an official of ``home`` holding ``roles``
    that permits ``act`` on ``division``'s records (None: a record of no division; a tuple:
    the records of every one of them, as ``moving`` gives), or None; ``charge`` as ``permits``."""
    if isinstance(division, tuple):
        divisions: tuple[str, ...] = division
    else:
        divisions = () if division is None else (division,)
    for role in PERMISSIONS[act]:
        if role in roles and permits(role, home, act, divisions, charge):
            return role
    return None


def needed(acts: Iterable[str], divisions: Collection[str]) -> str:
    """What an act needs, in words: the roles, and whose records."""
    parts = []
    for act in acts:
        roles = " or ".join(PERMISSIONS[act])
        cross = CROSS_DIVISION.get(act, ())
        where = ""
        if divisions:
            owners = " and ".join(sorted(divisions))
            where = f" in division {owners}"
            if cross:
                where += f" (or, for any division, {' or '.join(cross)})"
            if act in IN_CHARGE:
                under = " or ".join(IN_CHARGE[act])
                where += f" (or a {under} the policy's [leaders] puts it under)"
        parts.append(f"{act}: {roles}{where}")
    return "; or ".join(parts)


def directed_refusal(
    division: str,
    items: dict[str, tuple[str, Collection[str]] | None],
    targets: dict[str, tuple[str, Collection[str]] | None],
) -> str | None:
    """Why a directed (not drawn) inspection by ``division`` may not name these items and
    targets, or None if it may.

    ``items`` maps each named item code to (its owning division, its executing units), or None
    if it is not on the list; ``targets`` maps each named target key to (its division, its
    items), or None if it is not in the registry. A division names its own listed items and the
    targets in its charge (谁审批谁监管). The joint rule of the item list: a division named
    among an item's executing units may name that item, and the owner's targets that carry it.
    """
    joint: set[tuple[str, str]] = set()  # (owner, item) whose targets ``division`` may name
    for code, item in sorted(items.items()):
        if item is None:
            return f"item {code!r} is not a listed inspection item: no inspection without one"
        owner, units = item
        if owner != division and division not in units:
            return (
                f"item {code} belongs to division {owner}, and {division} is not among its "
                "executing units: a division inspects only under its own items (谁审批谁监管)"
            )
        joint.add((owner, code))
    for key, target in sorted(targets.items()):
        if target is None:
            return f"target {key} is not in the registry"
        owner, carried = target
        if owner == division or any((owner, c) in joint for c in carried):
            continue
        return (
            f"target {key} is in the charge of division {owner}, not {division}, and no named "
            f"item that {division} executes jointly with {owner} covers it (谁审批谁监管)"
        )
    return None


# -- identities that cannot be borrowed ------------------------------------------------------------
#
# An official acts in the inspector role only as the one roster inspector the personnel
# authority bound them to (``official.bound_to_inspector``): the official's division is the
# inspector's unit (the detachment, a service centre, or the division itself for agency staff),
# one inspector is bound to at most one active official, one official to at most one inspector.
# Codes of officials and of roster inspectors never coincide: an account is never taken for
# the person it is not; the binding is the one link between them.
