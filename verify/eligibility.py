"""Who may be drawn: the population rules and the inspector rules of a draw, with reasons.

Both read a ``RegistryState`` (the registry at the freeze position) and the policy in force, and
return reasons in words an auditor can check; the ledger records them, the verifier recomputes
them. Nothing here decides silently: every target that matches a draw's filter is either in the
population or listed as an exclusion with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .inspection_rules import ON_DUTY, certificate_valid_on
from .registry_state import InspectorState, RegistryState, TargetState

STRATIFY_BY = ("district", "grid", "credit_class", "kind")
# Who may be drawn when the policy's ``eligibility`` omits its lists.
DEFAULT_TARGET_STATUSES = ("in_business",)
DEFAULT_INSPECTOR_STATUSES = (ON_DUTY,)


def eligible_target_statuses(policy: dict[str, Any]) -> list[str]:
    """The target statuses that may be drawn (and that a coverage cycle counts)."""
    return list(policy.get("eligibility", {}).get("target_statuses", DEFAULT_TARGET_STATUSES))


def eligible_inspector_statuses(policy: dict[str, Any]) -> list[str]:
    """The inspector statuses that may be drawn onto a team."""
    statuses = policy.get("eligibility", {}).get("inspector_statuses", DEFAULT_INSPECTOR_STATUSES)
    return list(statuses)


@dataclass(frozen=True)
class Population:
    strata: dict[str, list[str]]  # stratum -> sorted target keys
    exclusions: list[tuple[str, str]]  # (target key, reason), sorted by key

    @property
    def ids(self) -> list[str]:
        return sorted(k for keys in self.strata.values() for k in keys)


def matches(target: TargetState, criteria: dict[str, Any]) -> bool:
    """Whether a target is in a draw's scope (before eligibility)."""
    if target.division != criteria["division"]:
        return False
    items = criteria.get("items") or []
    if items and not set(items) & set(target.items):
        return False
    for name, attribute in (
        ("districts", "district"),
        ("grids", "grid"),
        ("kinds", "kind"),
        ("credit_classes", "credit_class"),
    ):
        allowed = criteria.get(name)
        if allowed and getattr(target, attribute) not in allowed:
            return False
    return True


def target_exclusion(
    target: TargetState, state: RegistryState, policy: dict[str, Any], year: int
) -> str | None:
    """Why a target in scope may not be drawn, or None."""
    statuses = eligible_target_statuses(policy)
    if target.status not in statuses:
        return f"status is {target.status} (eligible: {', '.join(statuses)})"
    frequency = policy.get("frequency", {})
    cap = frequency.get("max_inspections_per_entity_per_year")
    done = state.selections[(target.key, year)]
    if cap is not None and done >= cap:
        risky = set(target.risk_flags) & set(frequency.get("risk_flags", []))
        if not (risky and frequency.get("risky_entities_exempt_from_cap")):
            return f"drawn {done} times in {year}, the policy's cap is {cap} a year"
    return None


def population(
    state: RegistryState,
    criteria: dict[str, Any],
    policy: dict[str, Any],
    year: int,
    stratify_by: str | None = None,
) -> Population:
    """The eligible targets in scope, by stratum, and every exclusion with its reason."""
    strata: dict[str, list[str]] = {}
    exclusions = []
    for target in state.targets.values():
        if not matches(target, criteria):
            continue
        reason = target_exclusion(target, state, policy, year)
        if reason is not None:
            exclusions.append((target.key, reason))
            continue
        stratum = "all" if stratify_by is None else str(getattr(target, stratify_by) or "-")
        strata.setdefault(stratum, []).append(target.key)
    return Population(
        strata={s: sorted(keys) for s, keys in sorted(strata.items())},
        exclusions=sorted(exclusions),
    )


def weights(state: RegistryState, keys: list[str], policy: dict[str, Any]) -> dict[str, int]:
    """Virtual-id counts from the policy's credit-class weights (risk raises the odds)."""
    table = policy.get("frequency", {}).get("credit_class_weight", {})
    by_key = state.target_by_key()
    return {k: int(table.get(by_key[k].credit_class, 1)) for k in keys}


def inspector_exclusion(
    inspector: InspectorState | None,
    *,
    code: str,
    item: str,
    target_aggregate: str,
    on_date: str,
    policy: dict[str, Any],
    assignments: int,
) -> str | None:
    """Why an inspector may not join this target's team, or None."""
    if inspector is None:
        return "not on the roster"
    if inspector.status not in eligible_inspector_statuses(policy):
        return f"status is {inspector.status}"
    if not certificate_valid_on(inspector.certificate, on_date):
        return f"enforcement certificate expired on {inspector.certificate.get('valid_until')}"
    if item not in inspector.qualifications:
        return f"not qualified for item {item}"
    if target_aggregate in inspector.conflicts:
        return "recused: declared conflict of interest with this target"
    cap = policy.get("teams", {}).get("max_assignments_per_draw")
    if cap is not None and assignments >= cap:
        return f"over capacity: {assignments} assignments in this draw (cap {cap})"
    return None
