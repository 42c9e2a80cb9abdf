"""Annual and monthly inspection plans and their workflow, each step a signed event.

drafted → reviewed by the leader in charge (分管领导审核) → submitted to the aggregator (水政处) →
consolidated → uploaded. Amending a plan before upload sends it back to drafted (it must be
reviewed again); a plan can be withdrawn with a reason. Deadlines come from the policy in force:
a late step is allowed but recorded as late, with its deadline. An uploaded monthly plan whose
draws are unfinished at the month's end rolls over into the next month (``plan.rolled_over``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from verify.plan_rules import plan_deadlines

from ..aggregates import LedgerAggregate
from ..errors import BadInput, Conflict, Forbidden

KINDS = ("annual", "monthly")
ORDER = ("drafted", "reviewed", "submitted", "consolidated", "uploaded")


def deadlines(kind: str, period: str, policy: dict[str, Any]) -> dict[str, str]:
    """The report-to-aggregator and upload deadlines of a plan, from the policy
    (``verify/plan_rules.plan_deadlines``, which the rule audit replays)."""
    try:
        return plan_deadlines(kind, period, policy)
    except ValueError as problem:
        raise BadInput(f"period {period!r}: {problem}") from None


class Plan(LedgerAggregate):
    TOPIC = "plan"

    if TYPE_CHECKING:
        division: str
        kind: str
        period: str
        content: dict[str, Any]
        status: str
        deadlines: dict[str, str]
        rolled_over_to: str | None
        authors: set[str]  # who drafted or amended it (authority_rules.PLAN_AUTHORING)

    class Created(LedgerAggregate.Created):
        TOPIC = "plan.drafted"
        division: str
        kind: str
        period: str
        content: dict[str, Any]
        deadlines: dict[str, str]

        def apply(self, plan: Plan) -> None:
            plan.division, plan.kind, plan.period = self.division, self.kind, self.period
            plan.content, plan.deadlines = dict(self.content), dict(self.deadlines)
            plan.status = "drafted"
            plan.rolled_over_to = None
            plan.authors = {self.actor["official"]}

    class Reviewed(LedgerAggregate.Event):
        TOPIC = "plan.reviewed"
        approved: bool
        comment: str

        def apply(self, plan: Plan) -> None:
            plan.status = "reviewed" if self.approved else "drafted"

    class Submitted(LedgerAggregate.Event):
        TOPIC = "plan.submitted"
        deadline: str
        late: bool

        def apply(self, plan: Plan) -> None:
            plan.status = "submitted"

    class Consolidated(LedgerAggregate.Event):
        TOPIC = "plan.consolidated"

        def apply(self, plan: Plan) -> None:
            plan.status = "consolidated"

    class Uploaded(LedgerAggregate.Event):
        TOPIC = "plan.uploaded"
        deadline: str
        late: bool

        def apply(self, plan: Plan) -> None:
            plan.status = "uploaded"

    class Amended(LedgerAggregate.Event):
        TOPIC = "plan.amended"
        changes: dict[str, Any]
        reason: str

        def apply(self, plan: Plan) -> None:
            plan.content.update(self.changes)
            plan.status = "drafted"
            plan.authors.add(self.actor["official"])

    class Withdrawn(LedgerAggregate.Event):
        TOPIC = "plan.withdrawn"
        reason: str

        def apply(self, plan: Plan) -> None:
            plan.status = "withdrawn"

    class RolledOver(LedgerAggregate.Event):
        TOPIC = "plan.rolled_over"
        month_ended: str
        to_month: str
        unfinished_draws: list[dict[str, str]]
        counts_not_drawn: dict[str, int]

        def apply(self, plan: Plan) -> None:
            plan.rolled_over_to = self.to_month

    @classmethod
    def draft(cls, facts: dict[str, Any], actor: dict[str, Any]) -> Plan:
        return cls._create(cls.Created, id=uuid4(), actor=actor, **facts)

    def check_status(self, *allowed: str, doing: str) -> None:
        if self.status not in allowed:
            raise Conflict(
                f"cannot {doing}: the plan is {self.status}; this step needs {' or '.join(allowed)}"
            )

    def review(self, approved: bool, comment: str, actor: dict[str, Any]) -> None:
        self.check_status("drafted", doing="review the plan")
        if actor["official"] in self.authors:  # four eyes (authority_rules.PLAN_AUTHORING)
            raise Forbidden(
                f"official {actor['official']} drafted or amended this plan and may not review "
                "it: a plan is reviewed by another official"
            )
        self.trigger_event(self.Reviewed, approved=approved, comment=comment, actor=actor)

    def submit(self, today: date, actor: dict[str, Any]) -> None:
        self.check_status("reviewed", doing="submit the plan to the aggregator")
        deadline = self.deadlines["report_by"]
        late = today.isoformat() > deadline
        self.trigger_event(self.Submitted, deadline=deadline, late=late, actor=actor)

    def consolidate(self, actor: dict[str, Any]) -> None:
        self.check_status("submitted", doing="consolidate the plan")
        self.trigger_event(self.Consolidated, actor=actor)

    def upload(self, today: date, actor: dict[str, Any]) -> None:
        self.check_status("consolidated", doing="upload the plan")
        deadline = self.deadlines["upload_by"]
        late = today.isoformat() > deadline
        self.trigger_event(self.Uploaded, deadline=deadline, late=late, actor=actor)

    def amend(self, changes: dict[str, Any], reason: str, actor: dict[str, Any]) -> None:
        self.check_status("drafted", "reviewed", "submitted", "consolidated", doing="amend")
        if not reason.strip():
            raise BadInput("reason: an amendment states why")
        self.trigger_event(self.Amended, changes=changes, reason=reason, actor=actor)

    def withdraw(self, reason: str, actor: dict[str, Any]) -> None:
        if self.status == "withdrawn":
            raise Conflict("the plan is withdrawn already")
        if not reason.strip():
            raise BadInput("reason: a withdrawal states why")
        self.trigger_event(self.Withdrawn, reason=reason, actor=actor)

    def roll_over(self, facts: dict[str, Any], actor: dict[str, Any]) -> None:
        if self.kind != "monthly":
            raise Conflict("only a monthly plan rolls over into the next month")
        self.check_status("uploaded", doing="roll the plan over")
        if self.rolled_over_to is not None:
            raise Conflict(f"the plan rolled over into {self.rolled_over_to} already")
        self.trigger_event(self.RolledOver, actor=actor, **facts)
