"""The rule audit of selections (``verify/rule_audit.py``): every target a draw selected is
inspected by the end of its plan's period.

A clerk who draws a friend's company can still spare it by never visiting: the selection is
public, the visit is not, and nothing else would say so. So each target of a
``draw.targets_selected`` (of a draw not abandoned) must have an ``inspection.carried_out`` of
that draw — by any division taking part — dated no later than the end of the period:

- the draw's plan's period (``plan_rules.plan_period``: an annual plan's year ends on 12-31, a
  monthly plan's month on its last day), moved to the end of the month a ``draw.rolled_over``
  carried the draw into;
- for a draw that names no plan, or a plan not in the bundle: the end of the calendar year (China
  time) in which it selected.

Judged only once the period is over on the audit day (``as_of``); until then a target not yet
visited is not a finding. One finding per target, naming the selection and the draw's opening.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .audit_log import AuditLog, EventRef, Family, RuleAudit
from .plan_rules import plan_period

RULE = "selection_inspected"


@dataclass
class _Selection:
    opened: EventRef
    plan: str | None
    year: int  # the year (China time) it selected in: the end for a draw outside a plan
    selected: EventRef | None = None
    targets: list[str] = field(default_factory=list)
    abandoned: bool = False
    rolled_to: str | None = None  # the month a rollover carried the draw into


def period_end(kind: str, period: str) -> date:
    """The last day of a plan's period (ValueError for a period that is not one)."""
    year, month = plan_period(kind, period)
    if month is None:
        return date(year, 12, 31)
    return date(year, month, calendar.monthrange(year, month)[1])


class Selections(Family):
    def __init__(self) -> None:
        self.draws: dict[str, _Selection] = {}

    def judge(
        self, ref: EventRef, payload: dict[str, Any], log: AuditLog, audit: RuleAudit
    ) -> None:
        kind, _, step = ref.type.partition(".")
        if kind != "draw":
            return
        if step == "opened":
            self.draws[ref.id] = _Selection(ref, payload.get("plan"), log.year or 0)
            return
        draw = self.draws.get(ref.id)
        if draw is None:
            return
        if step == "targets_selected":
            draw.selected, draw.year = ref, log.year or draw.year
            draw.targets = [s["target"] for st in payload["strata"] for s in st["selected"]]
        elif step == "abandoned":
            draw.abandoned = True
        elif step == "rolled_over":
            draw.rolled_to = str(payload["to_month"])

    def finish(self, log: AuditLog, audit: RuleAudit, as_of: date) -> None:
        visited: dict[tuple[str, str], str] = {}  # (draw, target) -> the earliest visit
        for inspection in log.inspections.values():
            if inspection.on is None:
                continue
            key = (inspection.source, inspection.target)
            visited[key] = min(visited.get(key, inspection.on), inspection.on)
        for draw_id, draw in self.draws.items():
            if draw.selected is None or draw.abandoned:
                continue
            end, period, period_zh = self._end(draw, log)
            if end >= as_of:
                continue  # the period is not over on the audit day
            for target in draw.targets:
                audit.checked[RULE] += 1
                on = visited.get((draw_id, target))
                if on is not None and on <= end.isoformat():
                    continue
                late = f" (first visited on {on})" if on is not None else ""
                audit.find(
                    RULE,
                    f"target {target} selected by draw {draw_id} was not inspected by {end}, "
                    f"the end of {period}{late}",
                    draw.selected,
                    draw.opened,
                    kind="selection_not_inspected",
                    draw=draw_id,
                    target=target,
                    end=end,
                    period=period_zh,
                    late=f"（首次检查于 {on}）" if on is not None else "",
                )

    @staticmethod
    def _end(draw: _Selection, log: AuditLog) -> tuple[date, str, str]:
        """The last day by which the draw's targets are inspected, and what period it ends (in
        the verifier's words and in Chinese, ``finding_texts.py``)."""
        plan = log.plans.get(draw.plan) if draw.plan else None
        try:
            if draw.rolled_to is not None:
                end = period_end("monthly", draw.rolled_to)
                return end, f"the month {draw.rolled_to}", f"{draw.rolled_to} 月（结转）"
            if plan is not None:
                end = period_end(plan.kind, plan.period)
                return (
                    end,
                    f"plan {draw.plan}'s period {plan.period}",
                    f"计划 {draw.plan} 的计划期 {plan.period}",
                )
        except ValueError:
            pass  # a period that names no month or year: judged as a draw outside a plan
        return (
            date(draw.year, 12, 31),
            f"the year {draw.year} (the draw follows no plan)",
            f"{draw.year} 年（该抽取不依计划）",
        )
