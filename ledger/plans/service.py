"""The plan service: one method per workflow step, each checked against the acting official."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from verify.plan_rules import plan_period

from ..application import LedgerApp
from ..errors import BadInput
from ..fields import Fields, check_code
from ..registry.authority import acting, authorise_read
from ..registry.items import item_id
from ..registry.officials import Official
from .aggregate import KINDS, Plan, deadlines
from .bounds import check_withdrawal
from .coverage import cycle_years


def parse_plan(data: dict[str, Any]) -> dict[str, Any]:
    f = Fields(data)
    items = f.codes("items")
    if not items:
        f.problem("items", "a plan names at least one listed inspection item")
    counts = f.counts("counts", required=False)
    kind, period = f.choice("kind", KINDS), data.get("period")
    try:  # the raw value: a period with spaces or full-width digits is refused, not mended
        plan_period(kind, period)
    except ValueError as problem:
        f.problem("period", str(problem))
    spec = {
        "division": check_code(f, "division"),
        "kind": kind,
        "period": period,
        "content": {
            "items": items,
            "counts": counts,
            "stratify_by": data.get("stratify_by"),
            "weighted": f.boolean("weighted"),
            "team_size": f.integer("team_size", low=2, high=20) or 2,
            "schedule": f.text("schedule", required=False, max_len=500),
            "joint_divisions": f.codes("joint_divisions"),
            # Longer than the policy's one year only where the division's targets are many.
            "coverage_cycle_years": f.integer("coverage_cycle_years", low=1, high=10),
        },
    }
    f.done()
    return spec


class Plans:
    def __init__(self, app: LedgerApp, today: date | None = None) -> None:
        self.app = app
        self._today = today

    def today(self) -> date:
        return self._today or datetime.now(UTC).date()

    def _actor(self, by: str | None, action: str, division: str) -> dict[str, Any]:
        return acting(self.app, by, action, division)

    def get(self, plan: UUID) -> Plan:
        record: Plan = self.app.get(plan, Plan)
        return record

    def read(self, plan: UUID, reader: Official) -> Plan:
        """The plan (drafts included), for ``reader``: Forbidden unless they may read its
        division's records (``authority.authorise_read``)."""
        record = self.get(plan)
        authorise_read(self.app, reader, record.division)
        return record

    def draft(self, data: dict[str, Any], by: str | None) -> UUID:
        spec = parse_plan(data)
        actor = self._actor(by, "plan.write", spec["division"])
        for item in spec["content"]["items"]:
            if not self.app.recorder.select_events(item_id(item), limit=1):
                raise BadInput(f"items: no inspection item {item!r}")
        policy = self.app.policy_in_force()
        content = spec["content"]
        content["coverage_cycle_years"] = cycle_years(content["coverage_cycle_years"], policy)
        due = deadlines(spec["kind"], spec["period"], policy)
        plan = Plan.draft({**spec, "deadlines": due}, actor)
        self.app.save(plan)
        return plan.id

    def review(self, plan_id: UUID, approved: bool, comment: str, by: str | None) -> None:
        plan = self.get(plan_id)
        plan.review(approved, comment, self._actor(by, "plan.review", plan.division))
        self.app.save(plan)

    def submit(self, plan_id: UUID, by: str | None) -> bool:
        """Submit to the aggregator; returns whether it was late."""
        plan = self.get(plan_id)
        plan.submit(self.today(), self._actor(by, "plan.write", plan.division))
        self.app.save(plan)
        return self._last_late(plan_id)

    def consolidate(self, plan_id: UUID, by: str | None) -> None:
        plan = self.get(plan_id)
        plan.consolidate(self._actor(by, "plan.consolidate", plan.division))
        self.app.save(plan)

    def upload(self, plan_id: UUID, by: str | None) -> bool:
        plan = self.get(plan_id)
        plan.upload(self.today(), self._actor(by, "plan.consolidate", plan.division))
        self.app.save(plan)
        return self._last_late(plan_id)

    def amend(self, plan_id: UUID, changes: dict[str, Any], reason: str, by: str | None) -> None:
        plan = self.get(plan_id)
        unknown = sorted(set(changes) - set(plan.content))
        if unknown:
            raise BadInput(f"plan fields {unknown} do not exist; fields: {sorted(plan.content)}")
        if "coverage_cycle_years" in changes:
            cycle_years(changes["coverage_cycle_years"], self.app.policy_in_force())
        plan.amend(changes, reason, self._actor(by, "plan.write", plan.division))
        self.app.save(plan)

    def withdraw(self, plan_id: UUID, reason: str, by: str | None) -> None:
        plan = self.get(plan_id)
        actor = self._actor(by, "plan.write", plan.division)
        check_withdrawal(self.app, str(plan_id))
        plan.withdraw(reason, actor)
        self.app.save(plan)

    def show(self, plan_id: UUID) -> dict[str, Any]:
        """The plan as it stands; a monthly plan also shows what rolled over into its month."""
        plan = self.get(plan_id)
        carried: dict[str, list[dict[str, Any]]] = {"plans": [], "draws": []}
        if plan.kind == "monthly":
            for _, event in self.app.records(topics=["plan.rolled_over", "draw.rolled_over"]):
                envelope = event.envelope
                facts, source = envelope["payload"], UUID(envelope["aggregate"])
                if facts["to_month"] != plan.period:
                    continue
                kind, key = (
                    ("plans", "plan") if event.type == "plan.rolled_over" else ("draws", "draw")
                )
                if self.app.get(source).division == plan.division:  # a Plan or a Draw
                    carried[kind].append({key: str(source), **facts})
        return {
            "id": str(plan_id),
            "division": plan.division,
            "kind": plan.kind,
            "period": plan.period,
            "status": plan.status,
            "content": plan.content,
            "deadlines": plan.deadlines,
            "rolled_over_to": plan.rolled_over_to,
            "carried_in": carried,
        }

    def _last_late(self, plan_id: UUID) -> bool:
        (last,) = self.app.records_of(plan_id, desc=True, limit=1)
        return bool(last.envelope["payload"].get("late"))
