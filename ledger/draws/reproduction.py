"""What an outsider needs, besides a draw's recorded steps, to reproduce it from its record alone.

All of it is computed from the registry as it stood at the freeze position (the state every step
of the draw read), never copied from the steps it lets a reader check:

- ``eligible``: every target in the population with its stratum and, in a weighted draw, its
  weight (the credit-class weight of the policy in force at the freeze);
- ``excluded``: every target the freeze left out, with the recorded reason and its Chinese words;
- ``weights``: the policy version, its digest and the weight table that set the weights;
- ``rosters``: the inspectors each team walk walked over, as frozen — code, unit, division,
  qualifications, status and the certificate's end date, nothing that names a person — with the
  rules of the walk (eligible statuses, the capacity cap) and, per target, the walked inspectors
  who had declared an interest in it (codes only: that a recusal happened is public, its reason
  is not; docs/COLUMN.md).
"""

from __future__ import annotations

from typing import Any

from verify.draw_rules import frozen_population, roster
from verify.draws import inspector_order, partner_inspector_order
from verify.eligibility import eligible_inspector_statuses, reason_in_chinese, weights
from verify.registry_state import RegistryState

from ..policy import policy_digest
from ..registry.layouts import LABELS, TARGET_STATUS_LABELS
from .aggregate import Draw


def exclusion_reason(recorded: str) -> str:
    """A logged exclusion (or skip) in Chinese, its statuses by the registry's labels."""
    return reason_in_chinese(recorded, {**TARGET_STATUS_LABELS, **LABELS["status"]})


def reproduction(draw: Draw, state: RegistryState) -> dict[str, Any]:
    """The population by target, the weights' source and the rosters of a frozen draw."""
    params = draw.params()
    policy = state.policy or {}
    pop = frozen_population(params, state)
    weight = weights(state, pop.ids, policy) if params["weighted"] else {}
    eligible = [
        {"target": key, "stratum": stratum, **({"weight": weight[key]} if weight else {})}
        for stratum, keys in pop.strata.items()
        for key in keys
    ]
    return {
        "eligible": sorted(eligible, key=lambda e: e["target"]),
        "excluded": [
            {"target": key, "reason": reason, "reason_zh": exclusion_reason(reason)}
            for key, reason in pop.exclusions
        ],
        "weights": _weights(policy) if params["weighted"] else None,
        "rosters": _rosters(draw, state),
    }


def _weights(policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "policy_version": policy.get("version"),
        "policy_digest": policy_digest(policy) if policy else None,
        "credit_class_weight": dict(policy.get("frequency", {}).get("credit_class_weight", {})),
    }


def _rosters(draw: Draw, state: RegistryState) -> dict[str, Any]:
    """Per division that walked (the lead, each partner that assigned): its roster as frozen
    and the recusals its walks met. Empty before any team is assigned."""
    policy = state.policy or {}
    rules = {
        "policy_version": policy.get("version"),  # the version in force at the freeze
        "eligible_statuses": eligible_inspector_statuses(policy),
        "max_assignments_per_draw": policy.get("teams", {}).get("max_assignments_per_draw"),
    }
    walks: dict[str, Any] = {}
    if draw.teams:
        walks[draw.division] = (None, draw.teams)
    for division, partner in draw.partners.items():
        if partner.get("teams"):
            walks[division] = (partner, partner["teams"])
    out = {}
    for division, (partner, teams) in walks.items():
        codes = roster(state, partner)
        out[division] = {
            "position": draw.position,
            **rules,
            "inspectors": [_public(state, code) for code in codes],
            "recusals": _recusals(draw, state, codes, partner, teams),
        }
    return out


def _public(state: RegistryState, code: str) -> dict[str, Any]:
    """An inspector as the record shows them: what the walk reads, no name, no certificate
    number."""
    i = state.inspectors[code]
    return {
        "code": code,
        "unit": i.unit,
        "division": i.division,
        "qualifications": sorted(i.qualifications),
        "status": i.status,
        "certificate_valid_until": i.certificate.get("valid_until"),
    }


def _recusals(
    draw: Draw,
    state: RegistryState,
    codes: list[str],
    partner: dict[str, Any] | None,
    teams: dict[str, dict[str, Any]],
) -> dict[str, list[str]]:
    """Per target, the inspectors the walk reached (substitutions included) who had declared
    an interest in it at the freeze. Declarations nobody's walk reached stay out."""
    by_key = state.target_by_key()
    out = {}
    for target, team in teams.items():
        if partner is None:
            order = inspector_order(codes, draw.seed, target)
        else:
            order = partner_inspector_order(codes, draw.seed, partner["division"], target)
        aggregate = by_key[target].aggregate
        met = [c for c in order[: team["walked"]] if aggregate in state.inspectors[c].conflicts]
        if met:
            out[target] = met
    return out
