"""Who may do what, enforced: the rulebook is ``verify/authority_rules.py`` (roles, acts and
"whoever approves, supervises", 谁审批谁监管), which the verifier replays over every event.

A division acts only on its own items, targets and inspectors; the aggregator (plan_aggregator
role, 水政处) consolidates and publishes the item list and keeps the whole inspector roster;
admins manage divisions, officials and tokens; the policy in force names who may set the next
policy version (``ledger/policies.py``). The acting official's role is the
first of their roles that permits the act, and it is recorded in the event's envelope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, overload

from verify.authority_rules import (
    IN_CHARGE,
    PERMISSIONS,
    charge_of,
    moving,
    operator_refusal,
    role_for,
)

from ..actors import Actor, Requester, credential_of, current_request, operator
from ..errors import Forbidden, NotFound
from .officials import Official, official_id

if TYPE_CHECKING:
    from ..application import LedgerApp


def authorise(
    official: Requester | None,
    action: str,
    division: str | None = None,
    *,
    roles: tuple[str, ...] | None = None,
    to: str | None = None,
    charge: tuple[str, ...] = (),
    policy: dict[str, Any] | None = None,
    operator_act: str | None = None,
) -> Actor:
    """The Actor under which ``official`` may perform ``action`` on ``division``'s records
    (and, with ``to``, move a record of ``division`` to division ``to``: an act over both).

    ``None`` is the ledger's own operator (the CLI with the data directory, or any caller of a
    service with ``by=None``), acting as system: only for the acts the ``policy`` in force
    (``operator_policy``; required for the operator) lets it record, ``[authority] operator``
    on its own and ``operator_on_request`` on the written request of an official entitled to
    the act (``actors.on_request``), whatever the path; ``operator_act`` is the act those lists
    name when it is not ``action`` (``plan.rollover``).
    ``roles`` are the roles allowed where a record names them (the policy names who sets the
    next policy); otherwise the rulebook's ``PERMISSIONS`` (``verify/authority_rules.py``) does.
    ``charge`` are the divisions the policy in force puts in the official's charge
    (``authority_rules.charge_of``: a leader reviews those divisions' plans).
    Raises Forbidden saying which role or division would be needed.
    """
    if official is None:
        if policy is None:
            raise TypeError("the operator's act is judged against the policy in force: policy=")
        request = current_request()
        refusal = operator_refusal(
            policy, operator_act or action, request.official.code if request else None
        )
        if refusal is not None:
            raise Forbidden(refusal)
        if request is not None:  # the official who asked is judged as if they had acted
            _check_requester(request.official, action, division, roles, to, charge)
        return operator()
    allowed = PERMISSIONS[action] if roles is None else roles
    if not official.active:
        raise Forbidden(f"official {official.code} is deactivated and may not act")
    divisions = moving(division, to) if to is not None else division
    if roles is None:
        role = role_for(official.roles, official.division, action, divisions, charge)
    else:
        role = next((r for r in roles if r in official.roles), None)
    if role is not None:
        return Actor(official.code, role, official.division, token=credential_of(official.code))
    if not any(r in official.roles for r in allowed):
        raise Forbidden(
            f"official {official.code} (roles: {', '.join(official.roles)}) may not {action}: "
            f"it needs one of the roles {', '.join(allowed)}"
        )
    if to is not None and to != division:
        whose = f"move a record of division {division} to division {to} (an act over both)"
    else:
        whose = f"act on a record of division {division}"
    if action in IN_CHARGE and any(r in official.roles for r in IN_CHARGE[action]):
        under = ", ".join(charge) or "none besides their own: the policy's [leaders] names none"
        raise Forbidden(
            f"official {official.code} of division {official.division} may not {action}: "
            f"{whose}, which is not in their charge (divisions in their charge: {under})"
        )
    raise Forbidden(
        f"official {official.code} of division {official.division} may not {action}: "
        f"{whose}; a division acts only on its own records (谁审批谁监管)"
    )


def _check_requester(
    official: Requester,
    action: str,
    division: str | None,
    roles: tuple[str, ...] | None,
    to: str | None,
    charge: tuple[str, ...],
) -> None:
    """Forbidden unless the official on whose written request the operator acts may ``action``
    on these records themselves: a request lends the operator no authority its author lacks."""
    try:
        authorise(official, action, division, roles=roles, to=to, charge=charge)
    except Forbidden as e:
        raise Forbidden(
            f"the operator acts on the request of {official.code}, who may not: {e}"
        ) from None


def operator_policy(app: LedgerApp, official: Requester | None = None) -> dict[str, Any] | None:
    """The policy document in force, which judges the operator's acts (``{}``, the defaults,
    before any version is set); None when ``official`` acts (an official is judged by roles)."""
    if official is not None:
        return None
    try:
        return app.policy_in_force()
    except NotFound:
        return {}


@overload
def official_of(app: LedgerApp, by: str) -> Official: ...
@overload
def official_of(app: LedgerApp, by: None) -> None: ...
@overload
def official_of(app: LedgerApp, by: str | None) -> Official | None: ...
def official_of(app: LedgerApp, by: str | None) -> Official | None:
    """The official whose code is ``by`` (NotFound if none), or None for the ledger's operator."""
    if by is None:
        return None
    official: Official = app.get(official_id(by), Official, named=by)
    return official


def acting(
    app: LedgerApp,
    by: str | None,
    action: str,
    division: str | None = None,
    *,
    to: str | None = None,
) -> dict[str, Any]:
    """The envelope's actor for official ``by`` doing ``action`` on ``division``'s records
    (with ``to``: moving one to division ``to``): the one lookup every service makes before it
    records an act (Forbidden or NotFound). For an ``IN_CHARGE`` act (a plan's review) the
    policy in force says which divisions are in the official's charge."""
    official = official_of(app, by)
    request = current_request() if official is None else None
    who = by if official is not None else request.official.code if request else None
    policy = operator_policy(app, official)  # read once: the operator's judge, and the charge
    in_force = policy or (app.policy_in_force() if who and action in IN_CHARGE else {})
    charge = charge_of(in_force, who) if who and action in IN_CHARGE else ()
    actor = authorise(official, action, division, to=to, charge=charge, policy=policy)
    return actor.to_json()


# Reading a division's internal records (a plan, drafts included; an inspection, its checklist
# answers and unconfirmed result; a coverage report; the lists of its plans, draws, inspections
# and publications; its trail): by the rule of their trail. Its work lists: ``worklist.read``.
RECORD_READ = "trail.read"
# The reads the leader in charge makes of the divisions the policy in force puts in their charge
# (``[leaders]``), as the division's own readers make them: a leader reads what they review.
READS_IN_CHARGE = (RECORD_READ, "worklist.read")
LEADER = "leader_in_charge"


def read_charge(app: LedgerApp, official: Official) -> tuple[str, ...]:
    """The divisions whose records ``official`` reads as their leader in charge: those the
    policy in force puts in their charge (``authority_rules.charge_of``), if they are an active
    official in the leader-in-charge role; none otherwise. Read afresh on every call: a policy
    that takes a division away ends the reads at once."""
    if not official.active or LEADER not in official.roles:
        return ()
    return charge_of(operator_policy(app) or {}, official.code)


def authorise_read(
    app: LedgerApp,
    official: Official,
    division: str,
    act: str = RECORD_READ,
    *,
    team: Callable[[], Iterable[str]] | None = None,
) -> None:
    """Forbidden unless ``official`` may read ``division``'s internal records (``act``, one of
    ``READS_IN_CHARGE``: its records, lists and trail by ``trail.read``; its work lists by
    ``worklist.read``): as the rulebook says (the division's own officials in a reading role;
    auditors and the legal office every division's), and besides, a leader in charge the
    divisions the policy in force puts in their charge (``read_charge``), and an official in the
    inspector role bound to a roster inspector on ``team()`` (the inspection they are on,
    whatever their unit; asked for only when nothing else lets the official read). Raises the
    rulebook's words."""
    try:
        authorise(official, act, division)
    except Forbidden:
        if not official.active:
            raise
        bound = official.inspector if "inspector" in official.roles else None
        if bound and team is not None and bound in team():
            return
        if act in READS_IN_CHARGE and division in read_charge(app, official):
            return
        raise
