"""The rule audit of deadlines and plans: plans reported and uploaded in time, results published
within the policy's working days, draws within a plan (``verify/rule_audit.py``).

- A plan's deadlines are re-derived from the policy in force when it was drafted
  (``plan_rules.plan_deadlines``, the ledger's own function); a submission or upload the ledger
  recorded as late is a finding (the ledger allows it, and says so), and so is a recorded
  deadline other than the policy's, and a plan still not uploaded after its upload deadline.
- A publication's deadline is re-derived in working days (``results.publication_terms`` with the
  policy in force at its position); a late one is a finding naming the publication and what its
  deadline counts from; so is a confirmed result (or a penalty decision, for 双公示) still not
  published when its deadline has passed by ``as_of``.
- ``plan_bounds.findings``: draws abandoned, draws outside a plan, plans drawn over their counts,
  plans' draws narrower than their plan.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .audit_log import AuditLog, EventRef, Family, Inspection, RuleAudit
from .errors import VerifyError
from .plan_bounds import TOPICS as PLAN_TOPICS
from .plan_bounds import PlanBook, findings
from .plan_rules import plan_deadlines
from .results import CHANNELS, deadline_start, publication_deadline, publication_terms

_STEP_DEADLINE = {"plan.submitted": "report_by", "plan.uploaded": "upload_by"}
_DOING = {"report_by": "reported to the aggregator", "upload_by": "uploaded"}
_DOING_ZH = {"report_by": "报送至汇总处室", "upload_by": "上传"}  # finding_texts.py
_KIND = {"annual": "年度", "monthly": "月度", "quarterly": "季度"}
_DEADLINE_ZH = {"report_by": "报送期限", "upload_by": "上传期限"}


def _deadlines(deadlines: Any) -> str:
    """A plan's deadlines in Chinese words (as recorded when not a mapping)."""
    if not isinstance(deadlines, dict):
        return str(deadlines)
    return "，".join(f"{_DEADLINE_ZH.get(k, k)} {v}" for k, v in deadlines.items()) or "无"


class Deadlines(Family):
    def __init__(self) -> None:
        self.book = PlanBook()
        self.refs: dict[int, EventRef] = {}
        self.policy_at: dict[str, dict[str, Any]] = {}  # inspection id -> policy at confirmation

    def judge(
        self, ref: EventRef, payload: dict[str, Any], log: AuditLog, audit: RuleAudit
    ) -> None:
        if ref.type in PLAN_TOPICS:
            self.book.apply(
                ref.position, {"type": ref.type, "aggregate": ref.id, "payload": payload}
            )
            self.refs[ref.position] = ref
        if ref.type == "plan.drafted":
            self._drafted(ref, payload, log, audit)
        elif ref.type in _STEP_DEADLINE:
            self._step(ref, payload, log, audit)
        elif ref.type == "publication.published":
            self._published(ref, payload, log, audit)
        elif ref.type in ("inspection.confirmation_recorded", "inspection.followed_up"):
            self.policy_at.setdefault(ref.id, log.policy)

    def finish(self, log: AuditLog, audit: RuleAudit, as_of: date) -> None:
        for position, message in findings(self.book):
            audit.find("plan_bounds", message, self.refs.get(position), kind="plan_bounds")
        audit.checked["plan_bounds"] += len(self.book.draws)
        for plan in log.plans.values():
            upload_by = plan.deadlines.get("upload_by")
            if plan.withdrawn or plan.uploaded or not isinstance(upload_by, str):
                continue
            if upload_by < as_of.isoformat():
                audit.find(
                    "plan_deadline",
                    f"{plan.kind} plan {plan.period} of {plan.division} was not uploaded by "
                    f"{upload_by} (still not, as of {as_of})",
                    plan.drafted,
                    kind="plan_not_uploaded",
                    division=plan.division,
                    kind_zh=_KIND.get(plan.kind, plan.kind),
                    period=plan.period,
                    upload_by=upload_by,
                    as_of=as_of,
                )
        for inspection_id, inspection in log.inspections.items():
            for channel in CHANNELS:
                self._unpublished(inspection_id, inspection, channel, audit, as_of)

    def _drafted(self, ref: EventRef, p: dict[str, Any], log: AuditLog, audit: RuleAudit) -> None:
        audit.checked["plan_deadline"] += 1
        try:
            expected = plan_deadlines(p["kind"], p["period"], log.policy)
        except ValueError as problem:
            audit.find(
                "plan_deadline",
                f"plan period {p['period']!r}: {problem}",
                ref,
                kind="plan_period_unknown",
                period=p["period"],
            )
            return
        if p["deadlines"] != expected:
            audit.find(
                "plan_deadline",
                f"{p['kind']} plan {p['period']} of {p['division']} records deadlines "
                f"{p['deadlines']}; the policy in force gives {expected}",
                ref,
                kind="plan_deadlines_differ",
                division=p["division"],
                kind_zh=_KIND.get(p["kind"], p["kind"]),
                period=p["period"],
                recorded=_deadlines(p["deadlines"]),
                expected=_deadlines(expected),
            )

    def _step(self, ref: EventRef, p: dict[str, Any], log: AuditLog, audit: RuleAudit) -> None:
        plan = log.plans.get(ref.id)
        if plan is None:
            return
        audit.checked["plan_deadline"] += 1
        which = _STEP_DEADLINE[ref.type]
        deadline = plan.deadlines.get(which)
        what = f"{plan.kind} plan {plan.period} of {plan.division}"
        plan_facts = {
            "division": plan.division,
            "kind_zh": _KIND.get(plan.kind, plan.kind),
            "period": plan.period,
        }
        if p["deadline"] != deadline:
            audit.find(
                "plan_deadline",
                f"{what}: {ref.type} names the deadline {p['deadline']}, the plan's is {deadline}",
                ref,
                plan.drafted,
                kind="plan_step_deadline_differs",
                **plan_facts,
                step=_DOING_ZH[which],
                named=p["deadline"],
                deadline=deadline,
            )
        elif p["late"]:
            audit.find(
                "plan_deadline",
                f"{what} was {_DOING[which]} late: after its deadline {deadline}",
                ref,
                plan.drafted,
                kind="plan_step_late",
                **plan_facts,
                doing=_DOING_ZH[which],
                deadline=deadline,
            )

    def _published(self, ref: EventRef, p: dict[str, Any], log: AuditLog, audit: RuleAudit) -> None:
        inspection = log.inspections.get(p["inspection"])
        if inspection is not None:
            inspection.published.add(p["channel"])
        audit.checked["publication_deadline"] += 1
        try:
            terms = publication_terms(p["start"], p["published_on"], log.policy)
        except (VerifyError, ValueError) as e:
            audit.find(
                "publication_deadline",
                f"cannot count its deadline: {e}",
                ref,
                kind="publication_uncountable",
            )
            return
        if not terms["on_time"]:
            counted = _counted_from(inspection, p["channel"])
            audit.find(
                "publication_deadline",
                f"published to {p['channel']} on {p['published_on']}, after its deadline "
                f"{terms['deadline']} ({terms['working_days_allowed']} working days from "
                f"{p['start']})",
                ref,
                counted,
                kind="publication_late",
                published_on=p["published_on"],
                channel=CHANNELS.get(p["channel"], p["channel"]),
                deadline=terms["deadline"],
                allowed=terms["working_days_allowed"],
                start=p["start"],
            )

    def _unpublished(
        self,
        inspection_id: str,
        inspection: Inspection,
        channel: str,
        audit: RuleAudit,
        as_of: date,
    ) -> None:
        start = deadline_start(channel, inspection.confirmed_on, inspection.follow_ups)
        if start is None or channel in inspection.published:
            return
        audit.checked["publication_deadline"] += 1
        policy = self.policy_at.get(inspection_id, {})
        try:
            deadline, allowed = publication_deadline(date.fromisoformat(start), policy)
        except (VerifyError, ValueError):
            return  # a deadline in a year without a calendar: not yet judged
        if deadline < as_of:
            audit.find(
                "publication_deadline",
                f"inspection of {inspection.target}: not published to {channel}; its deadline "
                f"{deadline} ({allowed} working days from {start}) passed before {as_of}",
                _counted_from(inspection, channel),
                inspection.notified,
                kind="publication_missing",
                target=inspection.target,
                channel=CHANNELS.get(channel, channel),
                deadline=deadline,
                allowed=allowed,
                start=start,
                as_of=as_of,
            )


def _counted_from(inspection: Inspection | None, channel: str) -> EventRef | None:
    if inspection is None:
        return None
    return inspection.confirmation if channel == "results" else inspection.penalty
