"""A plan bounds its draws (DESIGN.md, "The draw protocol", step 3's threat model).

Per plan and stratum, the counts of the plan's draws never exceed the plan's counts plus what
earlier months rolled over into a monthly plan's month (``plan.rolled_over`` counts not drawn,
for the same division). A draw abandoned before its seed was revealed releases its counts: its
outcome was never known. A draw abandoned later keeps them: drawing again after seeing a result
is what the bound exists to stop. One plan population (same plan, criteria and strata) is drawn
once, unless the earlier draw was abandoned with a reason.

``PlanBook`` folds the events that matter, in log order, from envelopes (``TOPICS``); the ledger
feeds it its log before opening a draw, the verifier the bundle, and both read the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TOPICS = (
    "plan.drafted",
    "plan.amended",
    "plan.withdrawn",
    "plan.rolled_over",
    "draw.opened",
    "draw.seed_revealed",
    "draw.abandoned",
)


@dataclass
class PlannedDraw:
    draw: str
    position: int
    division: str
    plan: str | None
    counts: dict[str, int]
    population: tuple[str, str]  # the criteria and strata, canonical text
    revealed: bool = False
    abandoned: dict[str, Any] | None = None
    narrowed: str = ""  # how its criteria narrow its plan's scope (``narrowing``)

    @property
    def holds_counts(self) -> bool:
        """Whether its counts still bind the plan (abandoned before the reveal: no)."""
        return self.abandoned is None or bool(self.abandoned.get("revealed"))


@dataclass
class PlanInfo:
    division: str
    kind: str
    period: str
    counts: dict[str, int]
    # Withdrawn: (the position, the plan's draws whose seed was revealed by then).
    withdrawn: tuple[int, list[str]] | None = None


@dataclass
class PlanBook:
    plans: dict[str, PlanInfo] = field(default_factory=dict)
    draws: dict[str, PlannedDraw] = field(default_factory=dict)
    carried: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    def apply(self, position: int, envelope: dict[str, Any]) -> None:
        kind, agg, p = envelope["type"], envelope["aggregate"], envelope["payload"]
        if kind == "plan.drafted":
            counts = dict(p["content"].get("counts") or {})
            self.plans[agg] = PlanInfo(p["division"], p["kind"], p["period"], counts)
        elif kind == "plan.amended" and agg in self.plans and "counts" in p["changes"]:
            self.plans[agg].counts = dict(p["changes"]["counts"] or {})
        elif kind == "plan.withdrawn" and agg in self.plans:
            self.plans[agg].withdrawn = (position, self.revealed(agg))
        elif kind == "plan.rolled_over" and agg in self.plans:
            into = self.carried.setdefault((self.plans[agg].division, p["to_month"]), {})
            for stratum, n in p["counts_not_drawn"].items():
                into[stratum] = into.get(stratum, 0) + n
        elif kind == "draw.opened":
            self.draws[agg] = PlannedDraw(
                agg, position, p["division"], p["plan"], dict(p["counts"]), population_of(p)
            )
            self.draws[agg].narrowed = narrowing(p["criteria"])
        elif kind == "draw.seed_revealed" and agg in self.draws:
            self.draws[agg].revealed = True
        elif kind == "draw.abandoned" and agg in self.draws:
            found = self.draws[agg]
            found.abandoned = {"reason": p["reason"], "revealed": found.revealed, "at": position}

    def allowed(self, plan: str) -> dict[str, int]:
        """The plan's counts per stratum plus what rolled over into its month."""
        info = self.plans[plan]
        allowed = dict(info.counts)
        if info.kind == "monthly":
            for stratum, n in self.carried.get((info.division, info.period), {}).items():
                allowed[stratum] = allowed.get(stratum, 0) + n
        return allowed

    def drawn(self, plan: str, extra: dict[str, int] | None = None) -> dict[str, int]:
        """Per stratum, the counts of the plan's draws that bind it (and ``extra``)."""
        drawn: dict[str, int] = {}
        binding = [d.counts for d in self.draws.values() if d.plan == plan and d.holds_counts]
        for counts in [*binding, extra or {}]:
            for stratum, n in counts.items():
                drawn[stratum] = drawn.get(stratum, 0) + n
        return drawn

    def over(self, plan: str, extra: dict[str, int] | None = None) -> list[str]:
        """Each stratum drawn over the plan's bound, described; empty if within it."""
        allowed, drawn = self.allowed(plan), self.drawn(plan, extra)
        return [
            f"stratum {s!r}: {n} drawn, the plan allows {allowed.get(s, 0)}"
            for s, n in sorted(drawn.items())
            if n > allowed.get(s, 0)
        ]

    def revealed(self, plan: str) -> list[str]:
        """The plan's draws whose seed was revealed (their outcome known), abandoned or not:
        withdrawing the plan then, to draw again under another, is the re-draw its bound
        stops."""
        return [d.draw for d in self.draws.values() if d.plan == plan and d.revealed]

    def same_population(self, plan: str, population: tuple[str, str]) -> list[PlannedDraw]:
        """The plan's draws of this population that were not abandoned."""
        return [
            d
            for d in self.draws.values()
            if d.plan == plan and d.population == population and d.abandoned is None
        ]


NARROWING = ("districts", "grids", "kinds", "credit_classes")


def narrowing(criteria: dict[str, Any]) -> str:
    """How a draw's criteria narrow its division's targets of its items (a plan names items
    and counts, no districts or kinds): '' when they do not."""
    return "；".join(
        f"{name} {'、'.join(str(v) for v in criteria[name])}"
        for name in NARROWING
        if isinstance(criteria.get(name), list) and criteria[name]
    )


def population_of(opened: dict[str, Any]) -> tuple[str, str]:
    criteria = sorted(
        (k, repr(sorted(v) if isinstance(v, list) else v)) for k, v in opened["criteria"].items()
    )
    return repr(criteria), str(opened.get("stratify_by"))


def findings(book: PlanBook) -> list[tuple[int, str]]:
    """The rule findings (not integrity failures): every abandoned draw with its reason, every
    draw outside a plan, every plan drawn over its counts, every plan withdrawn after one of
    its draws revealed its seed, every plan's draw narrower than its plan (only some districts,
    grids, kinds or credit classes: the plan's other targets could not be drawn by it), at the
    event that shows it."""
    out: list[tuple[int, str]] = []
    for plan, info in book.plans.items():
        if info.withdrawn is not None and info.withdrawn[1]:
            at, drawn = info.withdrawn
            draws = "、".join(drawn)
            out.append((at, f"计划 {plan} 在其抽取 {draws} 揭示种子之后撤回：另行计划再抽即为重抽"))
    over_reported: set[str] = set()
    for d in sorted(book.draws.values(), key=lambda d: d.position):
        if d.abandoned is not None:
            after = "之后" if d.abandoned["revealed"] else "之前"
            out.append(  # at the abandonment itself: the event that shows it
                (
                    d.abandoned["at"],
                    f"抽取 {d.draw} 在揭示种子{after}终止：{d.abandoned['reason']}",
                )
            )
        if d.plan is None:
            out.append((d.position, f"处室 {d.division} 的抽取 {d.draw} 不依据任何计划"))
        elif d.plan not in book.plans:
            out.append((d.position, f"抽取 {d.draw} 写明的计划 {d.plan} 不在导出包中"))
        elif d.narrowed:
            out.append(
                (
                    d.position,
                    f"抽取 {d.draw} 只抽计划 {d.plan} 范围的一部分（{d.narrowed}）："
                    "范围外的对象不会被本次抽中",
                )
            )
        if d.plan in book.plans and d.plan not in over_reported and book.over(d.plan):
            over_reported.add(d.plan)
            out.append(
                (d.position, f"计划 {d.plan} 的抽取超出其数量：{'；'.join(book.over(d.plan))}")
            )
    return out
