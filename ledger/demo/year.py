"""A year (2026) of plans and draws for the demo bureau, recorded through the services.

On top of the demo registry (``demo.py``): annual plans of 水政处 (szc) and 工管处 (ggc) and a
monthly plan of szc for every month, each through review, submission, consolidation and upload
by the officials whose roles permit it, some of them late (recorded as late, with the deadline);
one monthly plan amended before its review; December's plan is reviewed, not yet submitted.
Each month from January to October szc draws from its monthly plan; ggc draws once from its
annual plan.
Among them: a recusal after the teams were assigned (the inspector's conflict declared in the
roster, and a substitution by the next eligible inspector in the same order), a joint inspection
in April (one invited division accepts and draws its own teams, another declines), a May draw
left at its selection that the aggregator's month-end rollover moves into June, where its teams
are assigned, and a complaint-driven (non-random) inspection.

Steps are dated inside 2026 (the services take the day of each act); the events themselves
carry the time they were recorded. Each draw's seed comes from a ceremony of two parties, the
drawing division and the legal office (``szc-legal``), which commit to their contributions when
the draw opens and reveal them after the freeze; the contributions come from ``seed``, the
selections still differ from ledger to ledger, as each draw's nonce is secret and random. (The
demo names no beacon round: its steps are dated in 2026, a beacon's round must be published
after the freeze as recorded now.)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from verify.eligibility import inspector_exclusion
from verify.entropy import contribution_commitment

from ..application import LedgerApp
from ..draws.joint import JointInspections
from ..draws.service import Draws
from ..errors import BadInput, Conflict
from ..plans.rollover import MonthlyRollover
from ..plans.service import Plans
from ..registry.service import Registry
from .changzhou import LEADERS

YEAR = 2026
LEAD = "szc"
LEAD_ITEM = "qsxk"
AGGREGATOR = "szc-aggregator"
DRAWN_MONTHS = range(1, 11)  # January to October; November's plan is uploaded, December's in review
LATE_SUBMISSION, LATE_UPLOAD, AMENDED = 5, 9, 7  # months whose plan had a late or amended step
RECUSAL, JOINT, ROLLED_OVER = 3, 4, 5  # months of the draw with a recusal, joint, rollover
CEREMONY_PARTY = "szc-legal"  # the legal office, the second party of every draw's ceremony
PARTNERS = ("szyc", "nsc", "hhc")  # candidates to invite to the joint inspection

# Fewer targets can leave a division with none to draw from, and its year could not be built.
MIN_YEAR_TARGETS = 50


def check_size(targets: int, inspectors: int, plans_and_draws: bool) -> None:
    """BadInput unless the demo can be built this size (checked before a ledger is made)."""
    if targets < 1 or inspectors < 1:
        raise BadInput("a demo needs at least one target and one inspector")
    if plans_and_draws and targets < MIN_YEAR_TARGETS:
        raise BadInput(
            f"a demo year of plans and draws needs at least {MIN_YEAR_TARGETS} targets, so that "
            f"every division has some (asked for {targets}); a smaller registry without the "
            "year: --registry-only"
        )


@dataclass(frozen=True)
class DemoYear:
    plans: tuple[str, ...]
    draws: tuple[str, ...]  # every random draw, in the order opened; all have their teams
    joint_draw: str
    recusal_draw: str
    rolled_over_draw: str
    directed: tuple[str, ...]  # non-random (complaint-driven) inspections


def record_year(app: LedgerApp, seed: int) -> DemoYear:
    """Record the demo year; Conflict (from the step that failed) if the registry is too small
    to staff it (a few dozen targets and about twenty inspectors are enough)."""
    return _Year(app, random.Random(seed)).record()


class _Year:
    def __init__(self, app: LedgerApp, rng: random.Random) -> None:
        self.app = app
        self.rng = rng
        self.plans: list[str] = []
        self.drawn: list[str] = []
        self.draws = Draws(app)  # one service, acting on each step's day

    def record(self) -> DemoYear:
        # szc's annual plan is broken down into its monthly plans, which its draws follow.
        self._plan(LEAD, "annual", str(YEAR), LEAD_ITEM, 30, date(YEAR - 1, 12, 10))
        ggc_annual = self._plan("ggc", "annual", str(YEAR), "hdjs", 6, date(YEAR - 1, 12, 18))
        per_draw = self._draw_size()
        recusal = joint = rolled = ""
        for month in range(1, 13):
            plan = self._monthly_plan(month, per_draw)
            if month not in DRAWN_MONTHS:
                continue
            if month == ROLLED_OVER + 1:  # the draw rolled over from May gets its teams
                self.draws.on(date(YEAR, month, 2)).assign(UUID(rolled), f"{LEAD}-clerk")
            day = date(YEAR, month, 8)
            last = "select" if month == ROLLED_OVER else "assign"
            draw = self._draw(plan, LEAD_ITEM, per_draw, day, last)
            if month == RECUSAL:
                recusal = draw
                self._recusal(draw, date(YEAR, month, 9))
            elif month == JOINT:
                joint = draw
                self._joint(draw, date(YEAR, month, 9))
            elif month == ROLLED_OVER:
                rolled = draw
            if month == 7:
                self._draw(ggc_annual, "hdjs", 2, date(YEAR, month, 15), "assign", "ggc")
            # The aggregator rolls each month's unfinished work over on the 1st of the next.
            MonthlyRollover(self.app, today=date(YEAR, month + 1, 1)).roll_over(
                f"{YEAR}-{month:02d}", AGGREGATOR
            )
        directed = self._complaint(date(YEAR, 9, 14))
        return DemoYear(
            plans=tuple(self.plans),
            draws=tuple(self.drawn),
            joint_draw=joint,
            recusal_draw=recusal,
            rolled_over_draw=rolled,
            directed=(directed,),
        )

    # -- plans ----------------------------------------------------------------------------------

    def _plan(
        self,
        division: str,
        kind: str,
        period: str,
        item: str,
        count: int,
        submitted: date,
        uploaded: date | None = None,
        amend: bool = False,
        stop_after_review: bool = False,
    ) -> UUID:
        clerk = f"{division}-clerk"
        plans = Plans(self.app, today=submitted)
        spec = {
            "division": division,
            "kind": kind,
            "period": period,
            "items": [item],
            "counts": {"all": count},
            "team_size": 2,
            "schedule": "每月上旬抽取，中旬实施检查" if kind == "monthly" else "按月分解实施",
            "joint_divisions": ["szyc"] if kind == "monthly" else [],
        }
        plan = plans.draft(spec, clerk)
        if amend:
            plans.amend(plan, {"counts": {"all": count + 1}}, "新增投诉较多的取水户", clerk)
        plans.review(plan, True, "同意", _leader_of(division))
        self.plans.append(str(plan))
        if stop_after_review:
            return plan
        plans.submit(plan, f"{division}-head")
        plans.consolidate(plan, AGGREGATOR)
        Plans(self.app, today=uploaded or submitted).upload(plan, AGGREGATOR)
        return plan

    def _monthly_plan(self, month: int, per_draw: int) -> UUID:
        before = (YEAR - 1, 12) if month == 1 else (YEAR, month - 1)
        submitted = date(*before, 22 if month == LATE_SUBMISSION else 18)
        uploaded = date(*before, 27 if month == LATE_UPLOAD else 24)
        # The month whose draw rolls over planned one target more than it drew.
        count = per_draw + (1 if month == ROLLED_OVER else 0)
        return self._plan(
            LEAD,
            "monthly",
            f"{YEAR}-{month:02d}",
            LEAD_ITEM,
            count - (1 if month == AMENDED else 0),
            submitted,
            uploaded,
            amend=month == AMENDED,
            stop_after_review=month == 12,
        )

    def _draw_size(self) -> int:
        """Targets per monthly draw: 3, fewer for a small registry (the yearly cap is 2)."""
        state = self.draws.registry_at(None)
        own = sum(t.division == LEAD and t.status == "in_business" for t in state.targets.values())
        return max(1, min(3, own // 8))

    # -- draws ----------------------------------------------------------------------------------

    def _draw(
        self, plan: UUID, item: str, count: int, day: date, last: str, division: str = LEAD
    ) -> str:
        draws = self.draws.on(day)
        clerk, head = f"{division}-clerk", f"{division}-head"
        contributions = {
            party: "".join(self.rng.choice("0123456789abcdef") for _ in range(64))
            for party in (division, CEREMONY_PARTY)
        }
        spec = {
            "division": division,
            "plan": str(plan),
            "items": [item],
            "counts": {"all": count},
            "team_size": 2,
            "ceremony": [
                {"party": party, "commitment": contribution_commitment(contribution)}
                for party, contribution in contributions.items()
            ],
        }
        draw = draws.open(spec, clerk)
        draws.freeze(draw, clerk)
        draws.reveal(draw, None, contributions, head)
        draws.select(draw, clerk)
        if last == "assign":
            draws.assign(draw, clerk)
        self.drawn.append(str(draw))
        return str(draw)

    def _recusal(self, draw: str, day: date) -> None:
        """An inspector declares an interest in a target after the draw and is replaced."""
        draws = self.draws.on(day)
        team = next(iter(draws.get(UUID(draw)).teams.values()))
        inspector, reason = team["members"][0], "回避：与该单位负责人系近亲属"
        target = draws.registry_at(None).target_by_key()[team["target"]].aggregate
        # The roster keeps the declaration (later draws skip them for this target) ...
        Registry(self.app).declare_conflict(inspector, UUID(target), reason, by=AGGREGATOR)
        # ... and this draw replaces them by the next eligible inspector in the same order.
        draws.substitute(UUID(draw), team["target"], inspector, reason, "szc-head")

    def _joint(self, draw: str, day: date) -> None:
        """szc invites two divisions: the one best staffed for its own item accepts, another
        declines; the accepting one draws its own teams."""
        draws = self.draws.on(day)
        joint = JointInspections(draws)
        accepting, declining = self._partners(draws)
        draw_id = UUID(draw)
        joint.invite(draw_id, accepting[0], "同一批取水单位，一次检查、多项联查", "szc-clerk")
        joint.invite(draw_id, declining, "同一批取水单位，一次检查、多项联查", "szc-clerk")
        joint.accept(
            draw_id, accepting[0], {"items": [accepting[1]], "team_size": 2}, f"{accepting[0]}-head"
        )
        joint.decline(
            draw_id, declining, "本月检查任务已满，不参加此次联合检查", f"{declining}-clerk"
        )
        joint.assign(draw_id, accepting[0], f"{accepting[0]}-clerk")

    def _partners(self, draws: Draws) -> tuple[tuple[str, str], str]:
        """(division, item) of the candidate with the most inspectors fit for its own first
        item, and the candidate with the fewest (it declines)."""
        state = draws.registry_at(None)
        policy = state.policy or {}
        items = {"szyc": "jsyy", "nsc": "stbc", "hhc": "hdcs"}
        fit: dict[str, int] = {}
        for division in PARTNERS:
            fit[division] = sum(
                division in (i.division, i.unit)
                and inspector_exclusion(
                    i,
                    code=i.code,
                    item=items[division],
                    target_aggregate="",
                    on_date=draws.today().isoformat(),
                    policy=policy,
                    assignments=0,
                )
                is None
                for i in state.inspectors.values()
            )
        ranked = sorted(PARTNERS, key=lambda d: (-fit[d], d))
        if fit[ranked[0]] < 2:
            raise Conflict("the demo roster is too small for a joint inspection's teams of two")
        return (ranked[0], items[ranked[0]]), ranked[-1]

    def _complaint(self, day: date) -> str:
        """A complaint-driven inspection of a szc target no draw selected."""
        draws = self.draws.on(day)
        state = draws.registry_at(None)
        drawn = {key for key, _ in state.selections}
        target = next(
            t.key
            for t in sorted(state.targets.values(), key=lambda t: t.key)
            if t.division == LEAD and t.status == "in_business" and t.key not in drawn
        )
        facts: dict[str, Any] = {
            "division": LEAD,
            "items": [LEAD_ITEM],
            "targets": [target],
            "ground": "complaint",
            "reason": "12345 热线投诉：夜间超许可取水",
            "legal_basis": "《中华人民共和国水法》第四十八条；《取水许可和水资源费征收管理条例》",
        }
        return str(draws.record_non_random(facts, f"{LEAD}-clerk"))


def _leader_of(division: str) -> str:
    """The leader in charge the demo's policy puts ``division`` under (``changzhou.LEADERS``)."""
    return next(code for code, divisions in LEADERS.items() if division in divisions)
