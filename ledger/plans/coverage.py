"""Coverage: which of a division's targets are not yet inspected in the current cycle.

A division's plan should reach all its targets within one year, or within 2–3 years where its
targets are many (DOMAIN.md, "Plans"). The cycle is the policy's ``plans.coverage_cycle_years``
(1) unless a plan states a longer one, bounded by ``plans.coverage_cycle_years_many_targets``.
The cycle window is the ``cycle_years`` calendar years ending with the reference year (a plan's
year): for 2026 and three years, 2024-01-01 to 2026-12-31.

A target counts when it is the division's, in a status the policy lets be drawn (a closed or
deregistered entity needs no inspection); it is covered when a random draw of the division
selected it, or a non-random (complaint-driven, mandated) inspection of the division named it,
on a date (UTC, of that event) inside the window. Everything is computed from the log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from verify.eligibility import eligible_target_statuses
from verify.plan_rules import cycle_bounds, cycle_window
from verify.registry_state import RegistryState

from ..application import LedgerApp
from ..errors import BadInput
from .aggregate import Plan

# The events coverage reads: the targets, which division each draw is for, and the selections.
_TOPICS = [
    "target.registered",
    "target.updated",
    "target.status_changed",
    "draw.opened",
    "draw.targets_selected",
    "directed.recorded",
]
SHOW = ("uncovered", "covered", "all")


def cycle_years(requested: int | None, policy: dict[str, Any]) -> int:
    """The cycle in years: the policy's default, or a longer one up to the policy's bound."""
    default, longest = cycle_bounds(policy)
    if requested is None:
        return default
    if not isinstance(requested, int) or isinstance(requested, bool):
        raise BadInput(f"coverage_cycle_years {requested!r}: must be a whole number of years")
    if not default <= requested <= longest:
        raise BadInput(
            f"coverage_cycle_years {requested}: the policy allows {default} year(s), or up to "
            f"{longest} where a division's targets are many"
        )
    return requested


class Coverage:
    def __init__(self, app: LedgerApp) -> None:
        self.app = app

    def for_plan(
        self, plan_id: UUID, *, show: str = "uncovered", limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """Coverage of the plan's division in the cycle the plan states, ending with its year."""
        plan: Plan = self.app.get(plan_id, Plan)
        years = plan.content.get("coverage_cycle_years")
        report = self.for_division(
            plan.division,
            year=int(plan.period[:4]),
            years=years,
            show=show,
            limit=limit,
            offset=offset,
        )
        return {"plan": str(plan_id), **report}

    def for_division(
        self,
        division: str,
        *,
        year: int | None = None,
        years: int | None = None,
        show: str = "uncovered",
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        """Counts of the division's targets covered and not, and one page of them."""
        if show not in SHOW:
            raise BadInput(f"show {show!r}: must be one of {', '.join(SHOW)}")
        if not 1 <= limit <= 500 or offset < 0:
            raise BadInput("limit must be between 1 and 500 and offset 0 or more")
        policy = self.app.policy_in_force()
        year = year or datetime.now(UTC).year
        years = cycle_years(years, policy)
        start, end = cycle_window(year, years)
        state, covered = self._fold(division, start.isoformat(), end.isoformat())
        statuses = eligible_target_statuses(policy)
        targets = sorted(
            (t for t in state.targets.values() if t.division == division and t.status in statuses),
            key=lambda t: t.key,
        )
        rows = [
            {
                "target": t.key,
                "name": t.name,
                "kind": t.kind,
                "district": t.district,
                "covered": covered.get(t.key),
            }
            for t in targets
            if show == "all" or (t.key in covered) == (show == "covered")
        ]
        n_covered = sum(t.key in covered for t in targets)
        return {
            "division": division,
            "year": year,
            "cycle_years": years,
            "window": {"from": start.isoformat(), "to": end.isoformat()},
            "targets": len(targets),
            "covered": n_covered,
            "uncovered": len(targets) - n_covered,
            "show": show,
            "items": rows[offset : offset + limit],
            "total": len(rows),
            "limit": limit,
            "offset": offset,
        }

    def _fold(
        self, division: str, start: str, end: str
    ) -> tuple[RegistryState, dict[str, dict[str, str]]]:
        """The registry now, and for each covered target its first covering act in the window."""
        state = RegistryState()
        draw_division: dict[str, str] = {}
        covered: dict[str, dict[str, str]] = {}

        def cover(keys: list[str], on: str, kind: str, record: str) -> None:
            if start <= on <= end:
                for key in keys:
                    covered.setdefault(key, {"on": on, kind: record})

        for _, event in self.app.records(topics=_TOPICS):
            envelope = event.envelope
            kind, payload, on = envelope["type"], envelope["payload"], envelope["time"][:10]
            if kind == "draw.opened":
                draw_division[envelope["aggregate"]] = payload["division"]
            elif kind == "draw.targets_selected":
                if draw_division.get(envelope["aggregate"]) == division:
                    keys = [s["target"] for st in payload["strata"] for s in st["selected"]]
                    cover(keys, on, "draw", envelope["aggregate"])
            elif kind == "directed.recorded":
                if payload["division"] == division:
                    cover(payload["targets"], on, "directed", envelope["aggregate"])
            else:
                state.apply(envelope)
        return state, covered
