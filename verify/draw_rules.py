"""Steps 2, 4, 5 and 6 of a draw, computed from the registry at the freeze position.

The ledger records what these functions return; the verifier calls them again on the state it
folds from the bundle and compares. ``params`` holds the draw's parameters: the ``draw.opened``
payload plus the freeze's ``year`` and the revealed ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .draws import Skip, assign_team, inspector_order, next_inspector, select_targets
from .eligibility import inspector_exclusion, population, weights
from .registry_state import RegistryState


def frozen_population(params: dict[str, Any], state: RegistryState) -> Any:
    policy = state.policy or {}
    return population(state, params["criteria"], policy, params["year"], params["stratify_by"])


def selection(params: dict[str, Any], state: RegistryState) -> list[dict[str, Any]]:
    """Step 4: per stratum, the selected targets with their tickets and the threshold."""
    pop = frozen_population(params, state)
    counts = params["counts"]
    strata = {s: pop.strata.get(s, []) for s in counts}
    w = weights(state, pop.ids, state.policy or {}) if params["weighted"] else None
    return [
        {
            "stratum": r.stratum,
            "population": r.population,
            "count": r.count,
            "threshold": r.threshold,
            "selected": [{"target": s.target, "ticket": s.ticket} for s in r.selected],
        }
        for r in select_targets(strata, counts, params["seed"], weights=w)
    ]


def assignment(
    params: dict[str, Any], state: RegistryState, selected: list[str], on_date: str
) -> list[dict[str, Any]]:
    """Step 5: a team per selected target, each walking its own order, skips logged."""
    roster = sorted(state.inspectors)
    assignments: dict[str, int] = {}
    teams = []
    for target in selected:
        why = ineligibility(params, state, target, on_date, assignments)
        order = inspector_order(roster, params["seed"], target)
        team = assign_team(order, target, params["team_size"], why)
        for member in team.members:
            assignments[member] = assignments.get(member, 0) + 1
        teams.append(
            {
                "target": target,
                "members": team.members,
                "skips": [{"inspector": s.inspector, "reason": s.reason} for s in team.skips],
                "walked": team.walked,
            }
        )
    return teams


def substitution(
    params: dict[str, Any],
    state: RegistryState,
    team: dict[str, Any],
    replaced: str,
    on_date: str,
) -> tuple[str, list[Skip], int]:
    """Step 6: the next eligible inspector after where the team's walk stopped."""
    why = ineligibility(params, state, team["target"], on_date, {})
    order = inspector_order(sorted(state.inspectors), params["seed"], team["target"])
    walk = _Walk(team["target"], team["members"], team["walked"])
    substitute, skips = next_inspector(order, walk, why)  # type: ignore[arg-type]
    return substitute, skips, walk.walked


class _Walk:
    """The part of a team that next_inspector reads and advances."""

    def __init__(self, target: str, members: list[str], walked: int) -> None:
        self.target = target
        self.members = list(members)
        self.walked = walked


def ineligibility(
    params: dict[str, Any],
    state: RegistryState,
    target: str,
    on_date: str,
    assignments: dict[str, int],
) -> Callable[[str], str | None]:
    aggregate = state.target_by_key()[target].aggregate
    policy = state.policy or {}

    def why(code: str) -> str | None:
        return inspector_exclusion(
            state.inspectors.get(code),
            code=code,
            item=params["items"][0],
            target_aggregate=aggregate,
            on_date=on_date,
            policy=policy,
            assignments=assignments.get(code, 0),
        )

    return why
