"""The rule audit of an inspection's dates (``verify/rule_audit.py``): no step is dated before
the step it follows — ``inspection_rules.step_order_problem``, the function the ledger refuses
such a step with.

- the notice (``notified_on``) not before the draw assigned that division's team (its
  ``inspectors_assigned`` or ``partner_inspectors_assigned`` ``on_date``), nor before a directed
  inspection was decided (its ``on_date``, where the record has one);
- the visit (``carried_out.on``) not before the notice;
- the party's confirmation not before the visit;
- a follow-up not before the confirmation, and an order's ``correct_by`` not before the order;
- the closing not before the confirmation nor any follow-up.

A ledger refuses all of these; a finding means a bundle recorded before the rule, or one the
ledger did not write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .audit_log import AuditLog, EventRef, Family, RuleAudit
from .inspection_rules import step_order_problem

RULE = "step_dates"
# Each step and each step it follows in Chinese (finding_texts.py); the English as recorded above.
_STEPS_ZH = {
    "inspection.notified": "告知检查",
    "inspection.carried_out": "实施检查",
    "inspection.confirmation_recorded": "被检查对象确认",
    "inspection.followed_up": "后续处理",
    "inspection.closed": "检查办结",
}
_AFTER_ZH = {
    "the notice": "告知检查",
    "the visit": "实施检查",
    "the party's confirmation": "被检查对象确认",
    "the order itself": "责令改正决定本身",
}


def _step_zh(what: str) -> str:
    """The step ``what`` (the verifier's words) in Chinese."""
    if what in _AFTER_ZH:
        return _AFTER_ZH[what]
    if what.startswith("the follow-up '"):
        kind = what.removeprefix("the follow-up '")[:-1]
        return f"后续处理“{kind}”"
    if what.endswith(" drew (or directed) it"):
        return f"抽取（或定向检查登记）{what.removesuffix(' drew (or directed) it')}"
    return what


@dataclass
class _Steps:
    notified_on: str = ""
    carried_on: str = ""
    confirmed_on: str = ""
    later: list[tuple[str, str]] = field(default_factory=list)  # (day, what) to close after


class StepDates(Family):
    def __init__(self) -> None:
        self.assigned: dict[tuple[str, str], str] = {}  # (source, division) -> its day
        self.steps: dict[str, _Steps] = {}

    def judge(
        self, ref: EventRef, payload: dict[str, Any], log: AuditLog, audit: RuleAudit
    ) -> None:
        p = payload
        if ref.type == "draw.inspectors_assigned":
            self.assigned[(ref.id, log.draw_division.get(ref.id, ""))] = p["on_date"]
        elif ref.type == "draw.partner_inspectors_assigned" or (
            ref.type == "directed.recorded" and p.get("on_date")
        ):
            self.assigned[(ref.id, p["division"])] = p["on_date"]
        elif ref.type == "inspection.notified":
            since = self.assigned.get((p["source"], p["division"]), "")
            what = f"{p['source']} drew (or directed) it"
            self._check(ref, audit, p["notified_on"], (since, what))
            self.steps[ref.id] = _Steps(notified_on=p["notified_on"])
        elif ref.id in self.steps:
            self._step(ref, p, self.steps[ref.id], audit)

    def _step(self, ref: EventRef, p: dict[str, Any], steps: _Steps, audit: RuleAudit) -> None:
        if ref.type == "inspection.carried_out":
            self._check(ref, audit, p["on"], (steps.notified_on, "the notice"))
            steps.carried_on = p["on"]
        elif ref.type == "inspection.confirmation_recorded":
            self._check(ref, audit, p["on"], (steps.carried_on, "the visit"))
            steps.confirmed_on = p["on"]
            steps.later.append((p["on"], "the party's confirmation"))
        elif ref.type == "inspection.followed_up":
            self._check(ref, audit, p["on"], (steps.confirmed_on, "the party's confirmation"))
            correct_by = p.get("details", {}).get("correct_by")
            if correct_by:
                self._check(ref, audit, correct_by, (p["on"], "the order itself"))
            steps.later.append((p["on"], f"the follow-up '{p['kind']}'"))
        elif ref.type == "inspection.closed":
            self._check(ref, audit, p["on"], max(steps.later, default=None))

    @staticmethod
    def _check(ref: EventRef, audit: RuleAudit, day: str, after: tuple[str, str] | None) -> None:
        audit.checked[RULE] += 1
        problem = step_order_problem(day, after)
        if problem is not None:
            audit.find(
                RULE,
                f"{ref.type} of {ref.id}: {problem}",
                ref,
                kind="step_before_the_one_it_follows",
                id=ref.id,
                step=_STEPS_ZH.get(ref.type, ref.type),
                day=day,
                after=_step_zh(after[1]) if after else "",
                after_day=after[0] if after else "",
            )

    def finish(self, log: AuditLog, audit: RuleAudit, as_of: date) -> None:
        return None
