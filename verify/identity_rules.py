"""The identity rules of the rulebook (DESIGN.md, "Identity and authority"): which roster inspector
an official is, and that nobody acts in another's name. The ledger enforces them whoever records
(``ledger/registry/identities.py``, the inspections' team check) and the verifier replays them
(``verify/identity_replay.py``). Pure data and functions: no ledger, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

BOUND_INSPECTOR_RULE = (
    "an official acts as an inspector only as the one roster inspector the personnel authority "
    "bound them to (official.bound_to_inspector; 执法身份不得借用)"
)
SHARED_CODE_RULE = (
    "official codes and roster inspector codes never coincide; an official is linked to the "
    "inspector they are only by official.bound_to_inspector"
)
TAKEN = "taken"  # the inspector or the official is bound already (a conflict)
REFUSED = "refused"  # the binding breaks a rule (forbidden)
UNKNOWN = "unknown"  # no such inspector on the roster


def binding_refusal(
    official: str,
    division: str,
    roles: Collection[str],
    holds: str | None,
    inspector: str,
    unit: str | None,
    bound_to: str | None,
) -> tuple[str, str] | None:
    """Why ``official`` (of ``division``, holding ``roles``, bound already to ``holds`` or None)
    may not be bound to roster inspector ``inspector`` (of ``unit``; None: not on the roster;
    bound already to the active official ``bound_to`` or None), as (TAKEN, REFUSED or UNKNOWN,
    message); or None."""
    if unit is None:
        return UNKNOWN, f"no inspector {inspector} on the roster"
    if "inspector" not in roles:
        return REFUSED, (
            f"official {official} does not hold the inspector role: only an official who "
            "acts as an inspector is bound to one"
        )
    if holds is not None:
        return TAKEN, f"official {official} is bound to inspector {holds} already"
    if bound_to is not None:
        return TAKEN, (
            f"inspector {inspector} is bound to official {bound_to} already: one roster "
            "inspector, one official"
        )
    if division != unit:
        return REFUSED, (
            f"official {official} is of division {division}, inspector {inspector} of unit "
            f"{unit}: an official is bound only to an inspector of their own unit "
            f"({BOUND_INSPECTOR_RULE})"
        )
    return None


def inspector_act_refusal(official: str, bound: str | None, team: Collection[str]) -> str | None:
    """Why ``official``, bound to roster inspector ``bound`` (None: to none), may not act in the
    inspector role on an inspection whose team is ``team``; or None."""
    if bound is None:
        return (
            f"official {official} is bound to no roster inspector and may not act in the "
            f"inspector role: {BOUND_INSPECTOR_RULE}"
        )
    if bound not in team:
        return (
            f"official {official} is bound to inspector {bound}, who is not on this "
            f"inspection's team ({', '.join(team) or 'none present yet'}): {BOUND_INSPECTOR_RULE}"
        )
    return None


def shared_code_refusal(code: str, kind: str, other: str) -> str:
    """The refusal of a ``kind`` ("official" or "inspector") code that is an ``other``'s."""
    return f"{kind} code {code} is the code of {other} {code}: {SHARED_CODE_RULE}"


def bound_move_refusal(kind: str, code: str, bound: str | None, old: Any, new: Any) -> str | None:
    """Why a bound official (``kind`` "official") may not move from division ``old`` to ``new``,
    or a bound roster inspector (``kind`` "inspector") from unit ``old`` to ``new``: the
    official's division is the inspector's unit for as long as the binding holds, and a binding
    ends only with the official's account (``official.deactivated``). ``bound`` is the inspector
    bound to the official, or the active official bound to the inspector (None: not bound)."""
    if bound is None or new is None or new == old:
        return None
    if kind == "official":
        return (
            f"official {code} is bound to roster inspector {bound} of unit {old} and may not move "
            f"to division {new}: deactivate the account and bind a new one in {new} "
            f"({BOUND_INSPECTOR_RULE})"
        )
    return (
        f"roster inspector {code} is bound to official {bound} of division {old} and may not "
        f"move to unit {new}: deactivate that account first, then bind a new one in {new} "
        f"({BOUND_INSPECTOR_RULE})"
    )
