"""Who may be drawn: the population rules and the inspector rules of a draw, with reasons.

Both read a ``RegistryState`` (the registry at the freeze position) and the policy in force, and
return reasons in words an auditor can check; the ledger records them, the verifier recomputes
them. Nothing here decides silently: every target that matches a draw's filter is either in the
population or listed as an exclusion with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from .inspection_rules import ON_DUTY, certificate_valid_on
from .registry_state import InspectorState, RegistryState, TargetRows, TargetState

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


# Every reason the rules below give, in the words the ledger records (part of the signed record,
# recomputed by the verifier: never reworded) and in the words the public column shows.
REASONS: dict[str, tuple[str, str]] = {
    "target_status": (
        "status is {status} (eligible: {eligible})",
        "状态为“{status}”，可抽取的状态为“{eligible}”",
    ),
    "yearly_cap": (
        "drawn {done} times in {year}, the policy's cap is {cap} a year",
        "{year} 年已被抽中 {done} 次，达到规则规定的每年 {cap} 次上限",
    ),
    "not_on_roster": ("not on the roster", "不在执法人员名录中"),
    "inspector_status": ("status is {status}", "状态为“{status}”"),
    "certificate_expired": (
        "enforcement certificate expired on {date}",
        "执法证已于 {date} 到期",
    ),
    "not_qualified": ("not qualified for item {item}", "不具备抽查事项 {item} 的执法资格"),
    "recused": (
        "recused: declared conflict of interest with this target",
        "回避：已申报与该检查对象存在利害关系",
    ),
    "over_capacity": (
        "over capacity: {assignments} assignments in this draw (cap {cap})",
        "超出分配上限：本次抽取已分配 {assignments} 次（上限 {cap} 次）",
    ),
    # A joint inspection: one person does not inspect for two divisions on one visit.
    "other_team": (
        "on division {division}'s team for this target",
        "已在 {division} 对该检查对象的检查组中",
    ),
    "on_the_team": ("already on the team", "已在本检查组中"),  # met again by a substitution
}
_LISTED = {"eligible"}  # values recorded as a comma-separated list of codes


def reason(kind: str, **values: Any) -> str:
    """A reason in the words the ledger records."""
    return REASONS[kind][0].format(**values)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(template)))


_PATTERNS = [(_pattern(english), chinese) for english, chinese in REASONS.values()]


def reason_in_chinese(recorded: str, labels: Mapping[str, str] | None = None) -> str:
    """The Chinese words of a recorded reason, each code in it (a status) by its label in
    ``labels`` when it has one. A reason in none of the forms above is returned as recorded."""
    labels = labels or {}
    for pattern, chinese in _PATTERNS:
        found = pattern.fullmatch(recorded)
        if found is None:
            continue
        values = {}
        for name, value in found.groupdict().items():
            codes = value.split(", ") if name in _LISTED else [value]
            values[name] = "、".join(labels.get(code, code) for code in codes)
        return chinese.format(**values)
    return recorded


@dataclass(frozen=True)
class Population:
    strata: dict[str, list[str]]  # stratum -> sorted target keys
    exclusions: list[tuple[str, str]]  # (target key, reason), sorted by key

    @cached_property
    def ids(self) -> list[str]:
        """Every eligible key, sorted: sorted once, on the first read (the count, the digest
        and the weights each read it; a population is never changed)."""
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
    return status_reason(target, policy) or yearly_cap_reason(
        target, state.selections[(target.key, year)], year, policy
    )


def status_reason(target: TargetState, policy: dict[str, Any]) -> str | None:
    """Why a target in scope may not be drawn in its status, or None."""
    statuses = eligible_target_statuses(policy)
    if target.status not in statuses:
        return reason("target_status", status=target.status, eligible=", ".join(statuses))
    return None


def yearly_cap_reason(
    target: TargetState, done: int, year: int, policy: dict[str, Any]
) -> str | None:
    """Why ``target``, drawn or inspected ``done`` times in ``year`` already, may not be once
    more: the policy's yearly cap, which risky entities may be exempt from; or None. A draw
    counts selections (the ledger, step 9); the rule audit counts inspections carried out."""
    frequency = policy.get("frequency", {})
    cap = frequency.get("max_inspections_per_entity_per_year")
    if cap is not None and done >= cap:
        risky = set(target.risk_flags) & set(frequency.get("risk_flags", []))
        if not (risky and frequency.get("risky_entities_exempt_from_cap")):
            return reason("yearly_cap", done=done, year=year, cap=cap)
    return None


def population(
    state: RegistryState,
    criteria: dict[str, Any],
    policy: dict[str, Any],
    year: int,
    stratify_by: str | None = None,
) -> Population:
    """The eligible targets in scope, by stratum, and every exclusion with its reason."""
    targets = state.targets
    if isinstance(targets, TargetRows) and (stratify_by is None or stratify_by in _PROFILED):
        return _population_of_rows(targets, state, criteria, policy, year, stratify_by)
    strata: dict[str, list[str]] = {}
    exclusions = []
    for target in _in_scope(state, criteria):
        reason = target_exclusion(target, state, policy, year)
        if reason is not None:
            exclusions.append((target.key, reason))
            continue
        strata.setdefault(stratum_of(target, stratify_by), []).append(target.key)
    return Population(
        strata={s: sorted(keys) for s, keys in sorted(strata.items())},
        exclusions=sorted(exclusions),
    )


# A record's fields its profile holds (``target_rows``): all but its id and key.
_PROFILED = frozenset(TargetState._fields[2:])


def _population_of_rows(
    targets: TargetRows,
    state: RegistryState,
    criteria: dict[str, Any],
    policy: dict[str, Any],
    year: int,
    stratify_by: str | None,
) -> Population:
    """``population`` over a verifier's compact rows, the same rules in the same order, each
    rule that reads no key (the scope, the status, the stratum) judged once per profile and
    no record rebuilt; the yearly cap, which counts the key's selections, per target."""

    def judged(target: TargetState) -> tuple[TargetState, str | None, str] | None:
        if not matches(target, criteria):
            return None
        excluded = status_reason(target, policy)
        if excluded is not None or stratify_by is None:
            return target, excluded, "all"
        return target, None, str(getattr(target, stratify_by) or "-")

    strata: dict[str, list[str]] = {}
    exclusions = []
    selections = state.selections
    for key, (target, excluded, stratum) in targets.keyed_verdicts(judged):
        if excluded is None:  # the cap reads the profile's risk flags, and the key's count
            excluded = yearly_cap_reason(target, selections[(key, year)], year, policy)
        if excluded is not None:
            exclusions.append((key, excluded))
            continue
        strata.setdefault(stratum, []).append(key)
    return Population(
        strata={s: sorted(keys) for s, keys in sorted(strata.items())},
        exclusions=sorted(exclusions),
    )


def _in_scope(state: RegistryState, criteria: dict[str, Any]) -> Iterator[TargetState]:
    """The targets ``matches`` passes, in order. Held as compact rows (a verifier's fold,
    ``TargetRows``), the test runs once for each distinct profile (it reads no id nor key),
    and only the targets in scope are rebuilt as records."""
    targets = state.targets
    if isinstance(targets, TargetRows):
        yield from targets.matching(partial(matches, criteria=criteria))
        return
    for target in targets.values():
        if matches(target, criteria):
            yield target


def stratum_of(target: TargetState, stratify_by: str | None) -> str:
    """The stratum a drawable target is drawn in."""
    return "all" if stratify_by is None else str(getattr(target, stratify_by) or "-")


def weights(state: RegistryState, keys: list[str], policy: dict[str, Any]) -> dict[str, int]:
    """Virtual-id counts from the policy's credit-class weights (risk raises the odds)."""
    by_key = state.targets_by_keys(keys)
    return {k: weight_of(by_key[k], policy) for k in keys}


def weight_of(target: TargetState, policy: dict[str, Any]) -> int:
    """A target's virtual-id count in a weighted draw: its credit class's weight."""
    return int(
        policy.get("frequency", {}).get("credit_class_weight", {}).get(target.credit_class, 1)
    )


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
        return reason("not_on_roster")
    if inspector.status not in eligible_inspector_statuses(policy):
        return reason("inspector_status", status=inspector.status)
    if not certificate_valid_on(inspector.certificate, on_date):
        return reason("certificate_expired", date=inspector.certificate.get("valid_until"))
    if item not in inspector.qualifications:
        return reason("not_qualified", item=item)
    if target_aggregate in inspector.conflicts:
        return reason("recused")
    cap = policy.get("teams", {}).get("max_assignments_per_draw")
    if cap is not None and assignments >= cap:
        return reason("over_capacity", assignments=assignments, cap=cap)
    return None
