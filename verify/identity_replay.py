"""The identity replay: identities that cannot be borrowed (``authority_rules``, "identities
that cannot be borrowed"), judged event by event on the log as it stood
(``authority_log.AuthorityLog``) for ``authority_replay``. Each function returns (what was
needed, why not) for an event that breaks a rule, else None; the binding rules, the codes and a
bound official's or inspector's move hold whoever recorded the event, the operator included.
"""

from __future__ import annotations

from typing import Any

from .authority_log import AuthorityLog
from .identity_rules import (
    SHARED_CODE_RULE,
    binding_refusal,
    bound_move_refusal,
    inspector_act_refusal,
    shared_code_refusal,
)


def shared_code_problem(
    log: AuthorityLog, kind: str, extra: Any, identity: Any
) -> tuple[str, str] | None:
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


def binding_problem(
    log: AuthorityLog, kind: str, aggregate: str, identity: Any
) -> tuple[str, str] | None:
    """A binding that breaks the rules (``identity_rules.binding_refusal``), whoever recorded
    it; None for any other event."""
    if kind != "official.bound_to_inspector":
        return None
    official_code = log.codes.get(aggregate)
    official = log.officials.get(official_code)
    inspector = identity[0] if isinstance(identity, tuple) else None
    if official is None or not isinstance(inspector, str):
        return "登记的工作人员，且为名录中的执法人员", "未写明执法人员"
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


def identity_problem(
    log: AuthorityLog, kind: str, aggregate: str, code: Any, role: Any, identity: Any
) -> tuple[str, str] | None:
    """An official's binding judged, or an inspector-role act by an official not bound to an
    inspector on the inspection's team (``identity_rules.inspector_act_refusal``)."""
    if kind == "official.bound_to_inspector":
        return binding_problem(log, kind, aggregate, identity)
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
        refusal = f"工作人员 {code} 绑定的执法人员身份为 {bound}，却以 {identity[0]} 的名义记录"
    return None if refusal is None else ("the bound inspector, on the team", refusal)


def bound_move_problem(
    log: AuthorityLog, kind: str, aggregate: str, extra: Any, identity: Any
) -> tuple[str, str] | None:
    """A bound official moved to another division, or a bound roster inspector to another unit
    (``identity_rules.bound_move_refusal``): the binding's division and unit must match."""
    if kind == "official.roles_changed" and isinstance(extra, tuple) and len(extra) == 2:
        code = log.codes.get(aggregate)
        official = log.officials.get(code)
        if official is None or official.deactivated_at is not None:
            return None
        refusal = bound_move_refusal(
            "official", str(code), log.bound.get(code), official.division, extra[0]
        )
    elif kind == "inspector.updated" and isinstance(identity, tuple) and identity:
        code = log.inspectors.get(aggregate)
        if code is None or not isinstance(identity[0], str | None):
            return None
        refusal = bound_move_refusal(
            "inspector", str(code), log.holder.get(code), log.units.get(code), identity[0]
        )
    else:
        return None
    return None if refusal is None else ("official.bound_to_inspector", refusal)
