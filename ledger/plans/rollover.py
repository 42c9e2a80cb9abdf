"""Monthly rollover: "a monthly plan not finished rolls over into the next month", as events.

After a month ends, for each division, what its monthly plans of that month left unfinished moves
to the next month:

- a draw is *of the month* when it names an uploaded monthly plan of that month, or an earlier
  rollover moved it into that month; it is *unfinished* when its inspectors were not assigned by
  the month's last day (no ``draw.inspectors_assigned``, or one dated after it) and was not
  abandoned (``draw.abandoned`` ends it). Each unfinished
  draw records ``draw.rolled_over`` (its plan, from and to month, its step now);
- a plan's *counts not drawn* are its planned counts per stratum minus the counts of every draw
  that names it (an unfinished draw carries its own counts along with it; a draw abandoned before
  its reveal counts for nothing, as in verify/plan_bounds.py). Each uploaded monthly
  plan of the month records one ``plan.rolled_over`` naming the next month, its unfinished draws
  and those counts (a plan finished within its month records nothing).

Running it again records nothing new: a plan rolls over once, a draw already moved to the next
month is not moved again. The policy's ``plans.monthly_rollover`` switches it off. The next
month's plan shows what was carried into it (``Plans.show``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from verify.plan_rules import plan_period

from ..application import LedgerApp
from ..draws.aggregate import Draw
from ..errors import BadInput, Conflict
from ..registry.authority import authorise
from ..registry.officials import Official, official_id
from .aggregate import Plan


def month_bounds(month: str) -> tuple[date, str]:
    """The last day of ``YYYY-MM`` and the month after it."""
    try:
        year, number = plan_period("monthly", month)
    except ValueError as problem:
        raise BadInput(f"month {month!r}: {problem}") from None
    assert number is not None  # a monthly period names its month
    last = date(year, number, calendar.monthrange(year, number)[1])
    following = f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"
    return last, following


@dataclass
class _DrawInfo:
    division: str
    plan: str | None
    counts: dict[str, int]
    month: str | None = None  # where rollovers moved it
    assigned_on: str | None = None
    revealed: bool = False
    abandoned: bool = False
    released: bool = False  # abandoned before its reveal: its counts go back to the plan


@dataclass
class _Index:
    """What the log says about monthly plans and draws, read once."""

    plans: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (division, period)
    draws: dict[str, _DrawInfo] = field(default_factory=dict)


_TOPICS = [
    "plan.drafted",
    "draw.opened",
    "draw.seed_revealed",
    "draw.inspectors_assigned",
    "draw.rolled_over",
    "draw.abandoned",
]


class MonthlyRollover:
    def __init__(self, app: LedgerApp, today: date | None = None) -> None:
        self.app = app
        self._today = today

    def roll_over(self, month: str, by: str | None, division: str | None = None) -> dict[str, Any]:
        """Record the rollover of ``month`` (all divisions, or one); returns what moved."""
        last, following = month_bounds(month)
        official = None if by is None else self.app.get(official_id(by), Official, named=by)
        # Authority first, even when nothing would move: the division's (its clerk or head, or
        # the aggregator); for every division, the role here and each plan's division below.
        policy = self.app.policy_in_force()
        judged = policy if official is None else None  # the operator's acts: by the policy
        _actor(official, division, judged)
        if not policy.get("plans", {}).get("monthly_rollover", False):
            raise Conflict(
                f"the policy in force ({policy.get('version')}) has plans.monthly_rollover off"
            )
        today = self._today or datetime.now(UTC).date()
        if today <= last:
            raise Conflict(f"month {month} ends on {last}; its unfinished work rolls over after")
        index = self._index()
        changed: list[Plan | Draw] = []
        moved: list[dict[str, Any]] = []
        plans_of_month = [
            (UUID(pid), div)
            for pid, (div, period) in index.plans.items()
            if period == month and division in (None, div)
        ]
        for plan_id, div in plans_of_month:
            plan: Plan = self.app.get(plan_id, Plan)
            if plan.status != "uploaded" or plan.rolled_over_to is not None:
                continue
            linked = {d: info for d, info in index.draws.items() if info.plan == str(plan_id)}
            unfinished = [d for d, info in linked.items() if _unfinished(info, last, month)]
            drawn: dict[str, int] = {}
            for info in linked.values():
                if info.released:
                    continue
                for stratum, n in info.counts.items():
                    drawn[stratum] = drawn.get(stratum, 0) + n
            left = {
                s: n - drawn.get(s, 0)
                for s, n in plan.content.get("counts", {}).items()
                if n > drawn.get(s, 0)
            }
            if not unfinished and not left:
                continue  # the plan was finished within its month: nothing moves
            facts = {
                "month_ended": last.isoformat(),
                "to_month": following,
                "unfinished_draws": [
                    {"draw": d, "step": self.app.get(UUID(d), Draw).step} for d in unfinished
                ],
                "counts_not_drawn": left,
            }
            plan.roll_over(facts, _actor(official, div, judged))
            changed.append(plan)
            moved.append({"plan": str(plan_id), "division": div, **facts})
        # Draws of the month: those of its plans and those an earlier rollover moved into it.
        for draw_id, info in index.draws.items():
            of_month = info.month == month or (
                info.month is None and index.plans.get(info.plan or "", ("", ""))[1] == month
            )
            if not of_month or division not in (None, info.division):
                continue
            if not _unfinished(info, last, month):
                continue
            draw: Draw = self.app.get(UUID(draw_id), Draw)
            move = {
                "plan": info.plan or "",
                "from_month": month,
                "to_month": following,
                "step": draw.step,
            }
            draw.roll_over(move, _actor(official, info.division, judged))
            changed.append(draw)
        if changed:
            self.app.save(*changed)  # all or nothing
        return {
            "month": month,
            "to_month": following,
            "plans": moved,
            "draws": [str(c.id) for c in changed if isinstance(c, Draw)],
        }

    def _index(self) -> _Index:
        index = _Index()
        for _, event in self.app.records(topics=_TOPICS):
            envelope = event.envelope
            kind, agg, p = envelope["type"], envelope["aggregate"], envelope["payload"]
            if kind == "plan.drafted" and p["kind"] == "monthly":
                index.plans[agg] = (p["division"], p["period"])
            elif kind == "draw.opened":
                index.draws[agg] = _DrawInfo(p["division"], p["plan"], dict(p["counts"]))
            elif kind == "draw.inspectors_assigned":
                index.draws[agg].assigned_on = p["on_date"]
            elif kind == "draw.rolled_over":
                index.draws[agg].month = p["to_month"]
            elif kind == "draw.seed_revealed":
                index.draws[agg].revealed = True
            elif kind == "draw.abandoned":
                info = index.draws[agg]
                info.abandoned, info.released = True, not info.revealed
        return index


def _unfinished(info: _DrawInfo, last: date, month: str) -> bool:
    """Not assigned by the month's last day, not abandoned, not moved past this month already."""
    if info.abandoned:
        return False
    if info.month is not None and info.month > month:
        return False
    return info.assigned_on is None or info.assigned_on > last.isoformat()


def _actor(
    official: Official | None, division: str | None, policy: dict[str, Any] | None
) -> dict[str, Any]:
    """The aggregator rolls over any division's plans; a clerk or head only its own; the
    operator where ``policy`` lists ``plan.rollover``."""
    roles = official.roles if official is not None else []
    action = "plan.consolidate" if "plan_aggregator" in roles else "plan.write"
    actor = authorise(official, action, division, policy=policy, operator_act="plan.rollover")
    return actor.to_json()
