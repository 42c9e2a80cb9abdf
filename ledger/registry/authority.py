"""Who may do what: roles, and "whoever approves, supervises" (谁审批谁监管).

A division acts only on its own items, targets and inspectors; the aggregator (plan_aggregator
role, 水政处) consolidates and publishes the item list and keeps the whole inspector roster;
admins manage divisions, officials, tokens and the policy. The acting official's role is the
first of their roles that permits the act, and it is recorded in the event's envelope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..actors import SYSTEM, Actor
from ..errors import Forbidden
from .officials import Official, official_id

if TYPE_CHECKING:
    from ..application import LedgerApp

PERMISSIONS: dict[str, tuple[str, ...]] = {
    "division.manage": ("admin",),
    "official.manage": ("admin",),
    "token.manage": ("admin",),
    "policy.set": ("admin",),
    "target.write": ("clerk", "division_head"),
    "item.write": ("clerk", "division_head"),
    "inspector.write": ("clerk", "division_head", "plan_aggregator"),
    "itemlist.publish": ("plan_aggregator",),
    "draw.run": ("clerk", "division_head"),
    "draw.abandon": ("division_head",),
    "plan.write": ("clerk", "division_head"),
    "plan.review": ("leader_in_charge",),
    "plan.consolidate": ("plan_aggregator",),
    "inspection.notify": ("clerk", "division_head"),
    "inspection.record": ("clerk", "division_head", "inspector"),
    "inspection.result": ("inspector",),
    "publication.publish": ("clerk", "division_head"),
}
# Roles that may act for any division on these acts (the aggregator keeps the whole roster).
CROSS_DIVISION: dict[str, tuple[str, ...]] = {
    "inspector.write": ("plan_aggregator",),
    "plan.review": ("leader_in_charge",),  # a leader oversees several divisions
    "plan.consolidate": ("plan_aggregator",),
    # Inspectors of the detachment inspect for every division; the team check decides who may.
    "inspection.record": ("inspector",),
    "inspection.result": ("inspector",),
}


def authorise(official: Official | None, action: str, division: str | None = None) -> Actor:
    """The Actor under which ``official`` may perform ``action`` on ``division``'s records.

    ``None`` is the ledger's own operator (the CLI with the data directory), acting as system.
    Raises Forbidden saying which role or division would be needed.
    """
    if official is None:
        return SYSTEM
    allowed = PERMISSIONS[action]
    if not official.active:
        raise Forbidden(f"official {official.code} is deactivated and may not act")
    held = [r for r in allowed if r in official.roles]
    if not held:
        raise Forbidden(
            f"official {official.code} (roles: {', '.join(official.roles)}) may not {action}: "
            f"it needs one of the roles {', '.join(allowed)}"
        )
    for role in held:
        if division is None or division == official.division:
            return Actor(official.code, role, official.division)
        if role in CROSS_DIVISION.get(action, ()):
            return Actor(official.code, role, official.division)
    raise Forbidden(
        f"official {official.code} of division {official.division} may not {action} for "
        f"division {division}: a division acts only on its own records (谁审批谁监管)"
    )


def official_of(app: LedgerApp, by: str | None) -> Official | None:
    """The official whose code is ``by`` (NotFound if none), or None for the ledger's operator."""
    if by is None:
        return None
    official: Official = app.get(official_id(by), Official)
    return official


def acting(
    app: LedgerApp, by: str | None, action: str, division: str | None = None
) -> dict[str, Any]:
    """The envelope's actor for official ``by`` doing ``action`` on ``division``'s records:
    the one lookup every service makes before it records an act (Forbidden or NotFound)."""
    return authorise(official_of(app, by), action, division).to_json()
