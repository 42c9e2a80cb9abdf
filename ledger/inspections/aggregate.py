"""An inspection of one drawn (or directed) target by one division, each step a signed event.

notified → carried out (date, method, the inspectors actually present) → checklist answered →
result recorded (a national category) → result told on the spot and confirmed, or confirmation
refused → follow-ups (order to correct, corrected, case filed, penalty decided, transferred) →
closed. Evidence files stay outside the log; the log keeps their SHA-256, size, type and who
added them. A step out of order is refused with the step the inspection is at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from verify.results import CATEGORIES, FOLLOW_UPS, PROBLEM_CATEGORIES

from ..aggregates import LedgerAggregate, id_for
from ..errors import Conflict

STEPS = ("notified", "carried_out", "result_recorded", "confirmation_recorded", "closed")


def inspection_id(source: str, target: str, division: str) -> UUID:
    """One inspection per draw (or directed record), target and inspecting division."""
    return id_for("inspection", f"{source}/{target}/{division}")


class Inspection(LedgerAggregate):
    TOPIC = "inspection"
    STEPS = STEPS

    if TYPE_CHECKING:
        source: str
        random: bool
        target: str
        division: str
        items: list[str]
        step: str
        notified_on: str
        carried_out_on: str
        present: list[str]
        answers: list[dict[str, str]]
        category: str
        confirmed_on: str
        confirmed: bool
        follow_ups: list[dict[str, Any]]
        evidence: dict[str, dict[str, Any]]

    class Created(LedgerAggregate.Created):
        TOPIC = "inspection.notified"
        source: str  # the draw (or directed inspection) id
        random: bool
        target: str
        division: str
        items: list[str]
        notified_on: str
        notice: str

        def apply(self, inspection: Inspection) -> None:
            for name in ("source", "random", "target", "division", "items", "notified_on"):
                setattr(inspection, name, getattr(self, name))
            inspection.step = "notified"
            inspection.answers, inspection.follow_ups, inspection.evidence = [], [], {}

    class CarriedOut(LedgerAggregate.Event):
        TOPIC = "inspection.carried_out"
        on: str
        method: str
        present: list[str]

        def apply(self, inspection: Inspection) -> None:
            inspection.step, inspection.carried_out_on = "carried_out", self.on
            inspection.present = list(self.present)

    class ChecklistAnswered(LedgerAggregate.Event):
        TOPIC = "inspection.checklist_answered"
        answers: list[dict[str, str]]
        recorded_by: str

        def apply(self, inspection: Inspection) -> None:
            inspection.answers = [dict(a) for a in self.answers]

    class ResultRecorded(LedgerAggregate.Event):
        TOPIC = "inspection.result_recorded"
        category: str
        findings: str
        recorded_by: str  # the inspector (roster code) on the team who recorded it

        def apply(self, inspection: Inspection) -> None:
            inspection.step, inspection.category = "result_recorded", self.category

    class ConfirmationRecorded(LedgerAggregate.Event):
        TOPIC = "inspection.confirmation_recorded"
        on: str
        told: str  # how the result was told to the party: on the spot, or in writing
        confirmed: bool  # False: the inspected party refused to confirm
        note: str

        def apply(self, inspection: Inspection) -> None:
            inspection.step = "confirmation_recorded"
            inspection.confirmed_on, inspection.confirmed = self.on, self.confirmed

    class FollowedUp(LedgerAggregate.Event):
        TOPIC = "inspection.followed_up"
        kind: str
        on: str
        details: dict[str, str]

        def apply(self, inspection: Inspection) -> None:
            inspection.follow_ups.append({"kind": self.kind, "on": self.on, **self.details})

    class EvidenceAdded(LedgerAggregate.Event):
        TOPIC = "inspection.evidence_added"
        sha256: str
        size: int
        media_type: str
        name: str

        def apply(self, inspection: Inspection) -> None:
            inspection.evidence[self.sha256] = {
                "size": self.size,
                "media_type": self.media_type,
                "name": self.name,
            }

    class Closed(LedgerAggregate.Event):
        TOPIC = "inspection.closed"
        on: str
        summary: str

        def apply(self, inspection: Inspection) -> None:
            inspection.step = "closed"

    # -- commands ---------------------------------------------------------------------------------

    @classmethod
    def notify(cls, facts: dict[str, Any], actor: dict[str, Any]) -> Inspection:
        key = inspection_id(facts["source"], facts["target"], facts["division"])
        return cls._create(cls.Created, id=key, actor=actor, **facts)

    def carry_out(self, on: str, method: str, present: list[str], actor: dict[str, Any]) -> None:
        self.check_step("notified", "record the inspection as carried out")
        self.trigger_event(self.CarriedOut, on=on, method=method, present=present, actor=actor)

    def answer_checklist(
        self, answers: list[dict[str, str]], recorded_by: str, actor: dict[str, Any]
    ) -> None:
        self.check_step("carried_out", "answer the checklist")
        self.trigger_event(
            self.ChecklistAnswered, answers=answers, recorded_by=recorded_by, actor=actor
        )

    def record_result(
        self, category: str, findings: str, recorded_by: str, actor: dict[str, Any]
    ) -> None:
        self.check_step("carried_out", "record a result")
        if category not in CATEGORIES:
            raise Conflict(f"unknown result category {category!r}")
        self.trigger_event(
            self.ResultRecorded,
            category=category,
            findings=findings,
            recorded_by=recorded_by,
            actor=actor,
        )

    def record_confirmation(
        self, on: str, told: str, confirmed: bool, note: str, actor: dict[str, Any]
    ) -> None:
        self.check_step("result_recorded", "record the party's confirmation")
        if on < self.carried_out_on:
            raise Conflict(f"confirmed on {on}, before the inspection on {self.carried_out_on}")
        self.trigger_event(
            self.ConfirmationRecorded,
            on=on,
            told=told,
            confirmed=confirmed,
            note=note,
            actor=actor,
        )

    def follow_up(self, kind: str, on: str, details: dict[str, str], actor: dict[str, Any]) -> None:
        self.check_step("confirmation_recorded", "record a follow-up")
        if kind not in FOLLOW_UPS:
            raise Conflict(f"unknown follow-up {kind!r}")
        if kind == "none" and self.category in PROBLEM_CATEGORIES:
            raise Conflict(
                f"result '{self.category}' found a problem: its follow-up cannot be 'none'"
            )
        kinds = {f["kind"] for f in self.follow_ups}
        if kind == "corrected" and "order_to_correct" not in kinds:
            raise Conflict("'corrected' needs an 'order_to_correct' follow-up first")
        if kind == "penalty_decided" and "case_filed" not in kinds:
            raise Conflict("'penalty_decided' needs a 'case_filed' follow-up first")
        self.trigger_event(self.FollowedUp, kind=kind, on=on, details=details, actor=actor)

    def add_evidence(self, facts: dict[str, Any], actor: dict[str, Any]) -> bool:
        """Record an evidence file; False (nothing recorded) if the same file is recorded."""
        if self.step == "closed":
            raise Conflict("the inspection is closed: evidence can no longer be added")
        if facts["sha256"] in self.evidence:
            return False
        self.trigger_event(self.EvidenceAdded, actor=actor, **facts)
        return True

    def close(self, on: str, summary: str, actor: dict[str, Any]) -> None:
        self.check_step("confirmation_recorded", "close the inspection")
        if self.category in PROBLEM_CATEGORIES and not self.follow_ups:
            raise Conflict(
                f"result '{self.category}' found a problem: record its follow-up before closing"
            )
        self.trigger_event(self.Closed, on=on, summary=summary, actor=actor)

    def penalty(self) -> dict[str, Any] | None:
        return next((f for f in self.follow_ups if f["kind"] == "penalty_decided"), None)
