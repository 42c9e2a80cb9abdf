"""Steps 2, 4, 5 and 6 of a draw, computed from the registry at the freeze position.

Steps 5 and 6 also serve a joint inspection's partners: each draws its own teams for the lead's
selected targets, from the same frozen registry, with its own seed domain (verify/draws.py).

The ledger records what these functions return; the verifier calls them again on the state it
folds from the bundle and compares. ``params`` holds the draw's parameters: the ``draw.opened``
payload plus the freeze's ``year`` and the revealed ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .aggregate_ids import unpacked
from .draws import (
    Skip,
    assign_team,
    inspector_order,
    next_inspector,
    partner_inspector_order,
    roster_digest,
    select_targets,
)
from .eligibility import Population, inspector_exclusion, population, reason, weights
from .registry_state import RegistryState


def frozen_population(params: dict[str, Any], state: RegistryState) -> Any:
    policy = state.policy or {}
    return population(state, params["criteria"], policy, params["year"], params["stratify_by"])


def population_table(
    params: dict[str, Any], state: RegistryState, pop: Population | None = None
) -> list[tuple[str, str, int]]:
    """Every eligible target as the selection reads it: (id, stratum, weight), stratum by
    stratum; weight 1 in an unweighted draw (``population_table_digest`` in verify/draws.py
    sorts them). ``pop``: the population if the caller computed it already."""
    pop = pop or frozen_population(params, state)
    w = weights(state, pop.ids, state.policy or {}) if params["weighted"] else {}
    return [(k, s, w.get(k, 1)) for s, keys in pop.strata.items() for k in keys]


def selection(
    params: dict[str, Any], state: RegistryState, pop: Population | None = None
) -> list[dict[str, Any]]:
    """Step 4: per stratum, the selected targets with their tickets and the threshold.
    ``pop``: the population if the caller computed it already."""
    pop = pop or frozen_population(params, state)
    counts = params["counts"]
    strata = {s: pop.strata.get(s, []) for s in counts}
    w = weights(state, pop.ids, state.policy or {}) if params["weighted"] else None
    return selected_strata(strata, counts, params["seed"], w)


def selected_strata(
    strata: Mapping[str, list[str]],
    counts: Mapping[str, int],
    seed: str,
    weights: Mapping[str, int] | None,
) -> list[dict[str, Any]]:
    """Step 4 over given strata, as ``draw.targets_selected`` records it: per stratum, the
    selected targets with their tickets and the threshold (the dispute check calls it on a
    dispute file's frozen population)."""
    return [
        {
            "stratum": r.stratum,
            "population": r.population,
            "count": r.count,
            "threshold": r.threshold,
            "selected": [{"target": s.target, "ticket": s.ticket} for s in r.selected],
        }
        for r in select_targets(strata, counts, seed, weights=weights)
    ]


def substituted(members: Iterable[str], replaced: str, substitute: str) -> list[str]:
    """A team after a substitution (step 6): the substitute takes the replaced member's place,
    everyone else keeps theirs."""
    return [substitute if m == replaced else m for m in members]


# Per target, the inspectors on the teams of the other divisions of a joint inspection, with the
# division whose team they are on.
Taken = dict[str, dict[str, str]]


def taken_by(teams: Mapping[str, Iterable[dict[str, Any]]], own: str) -> Taken:
    """``Taken`` from each division's teams (``{division: [team, ...]}``), except ``own``'s."""
    taken: Taken = {}
    for division, division_teams in teams.items():
        if division == own:
            continue
        for team in division_teams:
            for member in team["members"]:
                taken.setdefault(team["target"], {})[member] = division
    return taken


def roster(state: RegistryState, partner: dict[str, Any] | None = None) -> list[str]:
    """The inspectors a team is drawn from, sorted: the whole roster for the lead division; for
    a joint partner, its own inspectors (those of its division or its unit)."""
    if partner is None:
        return sorted(state.inspectors)
    division = partner["division"]
    return sorted(c for c, i in state.inspectors.items() if division in (i.division, i.unit))


def roster_digests(state: RegistryState) -> dict[str, Any]:
    """What a freeze commits to about the rosters (since draws record it): ``roster_digest``,
    the digest (``verify.draws.roster_digest``) of the whole roster the lead division's walks
    walk over, and ``partner_roster_digests``, per division or unit some inspector belongs to,
    the digest of the roster a joint partner of that name would walk over (``roster``). A
    partner with no inspector at the freeze has none (its roster is empty)."""
    return {
        "roster_digest": roster_digest(state.inspectors),
        "partner_roster_digests": {d: roster_digest(c) for d, c in partner_rosters(state).items()},
    }


def partner_rosters(state: RegistryState) -> dict[str, list[str]]:
    """Per division or unit some inspector belongs to (sorted), the sorted codes a joint
    partner of that name walks over (``roster``)."""
    by_division: dict[str, list[str]] = {}
    for code, inspector in state.inspectors.items():
        for name in {inspector.division, inspector.unit}:
            if name:
                by_division.setdefault(name, []).append(code)
    return {name: sorted(codes) for name, codes in sorted(by_division.items())}


def _order(
    params: dict[str, Any], roster: list[str], target: str, partner: dict[str, Any] | None
) -> list[str]:
    if partner is None:
        return inspector_order(roster, params["seed"], target)
    return partner_inspector_order(roster, params["seed"], partner["division"], target)


def _for(params: dict[str, Any], partner: dict[str, Any] | None) -> dict[str, Any]:
    """The parameters a team walk reads: a partner brings its own items and team size."""
    if partner is None:
        return params
    return {**params, "items": partner["items"], "team_size": partner["team_size"]}


def assignment(
    params: dict[str, Any],
    state: RegistryState,
    selected: list[str],
    on_date: str,
    partner: dict[str, Any] | None = None,
    taken: Taken | None = None,
) -> list[dict[str, Any]]:
    """Step 5: a team per selected target, each walking its own order, skips logged. With
    ``partner`` (``division``, ``items``, ``team_size``), the partner's teams of a joint
    inspection, drawn from its own roster in its own order. ``taken``: who is already on
    another division's team of the same joint inspection, per target (skipped: one person
    does not inspect for two divisions on one visit)."""
    walk_params = _for(params, partner)
    inspectors = roster(state, partner)
    by_key = state.targets_by_keys(selected)  # once: one pass over the registry
    assignments: dict[str, int] = {}
    teams = []
    for target in selected:
        others = (taken or {}).get(target, {})
        aggregate = unpacked(by_key[target].aggregate)
        why = ineligibility(walk_params, state, aggregate, on_date, assignments, others)
        order = _order(params, inspectors, target, partner)
        team = assign_team(order, target, walk_params["team_size"], why)
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
    partner: dict[str, Any] | None = None,
    taken: Taken | None = None,
) -> tuple[str, list[Skip], int]:
    """Step 6: the next eligible inspector after where the team's walk stopped (in the
    partner's own order for a partner's team), skipping those on other divisions' teams."""
    others = (taken or {}).get(team["target"], {})
    aggregate = unpacked(state.targets_by_keys([team["target"]])[team["target"]].aggregate)
    why = ineligibility(_for(params, partner), state, aggregate, on_date, {}, others)
    order = _order(params, roster(state, partner), team["target"], partner)
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
    aggregate: str,
    on_date: str,
    assignments: dict[str, int],
    others: Mapping[str, str] | None = None,
) -> Callable[[str], str | None]:
    """Why an inspector may not join the team for the target ``aggregate`` (its aggregate
    id), or None."""
    policy = state.policy or {}

    def why(code: str) -> str | None:
        if others and code in others:
            return reason("other_team", division=others[code])
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
