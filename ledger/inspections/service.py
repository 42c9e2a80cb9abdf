"""The inspection service: one method per step of an inspection, checked before it is recorded.

Who may act: the division's clerk or head notifies, records the party's confirmation, follow-ups
and closing; inspectors take part and record what they found. The team comes from the draw (the
assigned inspectors as amended by logged substitutions); a directed (non-random) inspection has
no drawn team, so any on-duty inspector of the roster qualified for its items may take part (the
roster a lead draw draws from).
Every inspector present must hold a certificate valid on the day; a result is recorded only by
an inspector who was present. ``today`` is the service's clock (China time), injectable so that
the demo can replay a past year.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from verify.identity_rules import BOUND_INSPECTOR_RULE, inspector_act_refusal
from verify.inspection_rules import (
    NOT_ON_ROSTER,
    NOT_ON_TEAM,
    NOT_QUALIFIED,
    checklist_problem,
    directed_problem,
    method_problem,
    presence_refusal,
    recorder_problem,
    step_order_problem,
    team_size_problem,
)
from verify.results import CATEGORIES, FOLLOW_UPS
from verify.workdays import CHINA

from ..application import LedgerApp
from ..draws.aggregate import DirectedInspection, Draw
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..fields import Fields
from ..registry.authority import (
    acting,
    authorise,
    authorise_read,
    official_of,
    operator_policy,
)
from ..registry.inspectors import Inspector, inspector_id
from ..registry.items import METHOD_LABELS, Item, item_id
from ..registry.officials import Official
from .aggregate import Inspection, inspection_id
from .evidence import EvidenceStore

ANSWERS = ("yes", "no", "not_applicable")
TOLD = ("on_spot", "in_writing")  # how the result was told to the inspected party
# What each follow-up must say besides its date.
FOLLOW_UP_DETAILS = {
    "none": (),
    "order_to_correct": ("correct_by",),
    "corrected": (),
    "case_filed": ("case_number",),
    "transferred": ("department",),
    "penalty_decided": ("decision_number", "penalty"),
}


def china_today() -> date:
    return datetime.now(CHINA).date()


class Inspections:
    def __init__(
        self,
        app: LedgerApp,
        evidence: EvidenceStore | None = None,
        today: Callable[[], date] = china_today,
    ) -> None:
        self.app = app
        self.today = today
        if evidence is None and app.data_dir is not None:
            evidence = EvidenceStore(app.data_dir / "evidence")
        self.evidence = evidence

    def get(self, inspection: UUID) -> Inspection:
        record: Inspection = self.app.get(inspection, Inspection)
        return record

    def read(self, inspection: UUID, reader: Official) -> Inspection:
        """The inspection, for ``reader``: Forbidden unless they may read its division's
        records (``authority.authorise_read``) or are bound to an inspector of its team (the
        drawn team, or those present)."""
        record = self.get(inspection)

        def team() -> list[str]:  # the draw is read only if the team decides
            try:
                drawn = self._may_take_part(record) or []
            except (Conflict, NotFound):
                drawn = []
            return [*drawn, *getattr(record, "present", [])]

        authorise_read(self.app, reader, record.division, team=team)
        return record

    def _actor(self, by: str | None, action: str, division: str) -> dict[str, Any]:
        return acting(self.app, by, action, division)

    def _day(self, f: Fields, name: str, *, after: tuple[str, str] | None = None) -> str:
        """The step's day: not in the future, and not before ``after`` = (the day of the step
        it depends on, what that step is)."""
        day = f.day(name, required=True)
        if day is None:
            return ""
        if day > self.today().isoformat():
            f.problem(name, f"{day} is in the future (today is {self.today()})")
        problem = step_order_problem(day, after)
        if problem is not None:
            f.problem(name, problem)
        return day

    # -- notified ---------------------------------------------------------------------------------

    def notify(self, data: dict[str, Any], by: str | None) -> UUID:
        """Open the inspection of a drawn (or directed) target for a division."""
        f = Fields(data)
        source_text = f.text("source", max_len=64) or ""
        target = f.text("target", max_len=200) or ""
        division = f.text("division", required=False, max_len=64)
        notified_on = self._day(f, "notified_on")
        notice = f.text("notice", required=False, max_len=500) or ""
        f.done()
        try:
            source = UUID(source_text)
        except ValueError:
            raise BadInput(
                f"source: {source_text!r} is not a draw or directed-inspection id"
            ) from None
        record = self.app.get(source)
        if isinstance(record, Draw):
            random, division = True, division or record.division
            self._team_of_draw(record, target, division)  # the target was drawn, with a team
            own = division == record.division
            items = list(record.items if own else record.partners[division]["items"])
            since = (
                record.on_date if own else record.partners[division]["on_date"],
                f"draw {source} assigned its inspectors",
            )
        elif isinstance(record, DirectedInspection):
            random, division = False, division or record.division
            refusal = directed_problem(
                target, division, str(source), record.division, record.targets
            )
            if refusal is not None:
                raise (NotFound if refusal.kind == "not_named" else Conflict)(refusal.message)
            items = list(record.items)
            since = (record.on_date, f"directed inspection {source} was decided")
        else:
            raise NotFound(f"{source} is neither a draw nor a directed inspection")
        if problem := step_order_problem(notified_on, since):
            raise BadInput(f"notified_on: {problem} (a target is notified once it was drawn)")
        actor = self._actor(by, "inspection.notify", division)
        key = inspection_id(str(source), target, division)
        if key in self.app.repository:
            raise Conflict(f"the inspection of {target} by {division} is open already ({key})")
        facts = {
            "source": str(source),
            "random": random,
            "target": target,
            "division": division,
            "items": items,
            "notified_on": notified_on,
            "notice": notice,
        }
        inspection = Inspection.notify(facts, actor)
        self.app.save(inspection)
        return inspection.id

    def _team_of_draw(self, draw: Draw, target: str, division: str) -> list[str]:
        if draw.step != "assigned":
            raise Conflict(f"draw {draw.id} has not assigned inspectors yet (at '{draw.step}')")
        if division == draw.division:
            team = draw.teams.get(target)
        else:  # a joint inspection: the partner division inspects with its own drawn team
            partner = getattr(draw, "partners", {}).get(division, {})
            if partner.get("status") != "assigned":
                raise Conflict(
                    f"division {division} has drawn no inspectors in draw {draw.id} "
                    f"(partner status: {partner.get('status', 'not invited')})"
                )
            team = partner["teams"].get(target)
        if team is None:
            raise NotFound(f"target {target} was not drawn in draw {draw.id}")
        return list(team["members"])

    # -- carried out ------------------------------------------------------------------------------

    def carry_out(self, inspection_id_: UUID, data: dict[str, Any], by: str | None) -> None:
        inspection = self.get(inspection_id_)
        f = Fields(data)
        on = self._day(f, "on", after=(inspection.notified_on, "the notice"))
        method = self._method(f, inspection)
        present = f.codes("present")
        f.done()
        # Authority first: a refusal is a 403 whatever state the inspection is in.
        actor = self._team_actor(by, inspection, present, "inspection.record")
        inspection.check_step("notified", "record the inspection as carried out")
        problem = team_size_problem(present, self.app.policy_in_force())
        if problem is not None:
            raise BadInput(f"present: {problem}")
        team = self._may_take_part(inspection)
        for code in present:
            self._check_inspector(inspection, code, on, team)
        inspection.carry_out(on, method, present, actor)
        self.app.save(inspection)

    def _items(self, inspection: Inspection) -> list[Item]:
        return [self.app.get(item_id(code), Item, named=code) for code in inspection.items]

    def questions(self, inspection: Inspection) -> list[str]:
        """The checklist to answer: the questions of the inspection's items, each once."""
        return list(dict.fromkeys(q for item in self._items(inspection) for q in item.checklist))

    def _method(self, f: Fields, inspection: Inspection) -> str:
        """The method as its code: one the inspection's items allow, given as its code
        (``on_site``) or as officers write it (现场检查)."""
        given = f.text("method", max_len=200)
        if given is None:
            return ""
        code = next((c for c, label in METHOD_LABELS.items() if given in (c, label)), given)
        allowed = list(dict.fromkeys(m for item in self._items(inspection) for m in item.method))
        problem = method_problem(code, allowed)
        if problem is not None:
            f.problem("method", problem)
        return code

    def _may_take_part(self, inspection: Inspection) -> list[str] | None:
        """The drawn team (None for a directed inspection: any qualified inspector)."""
        if not inspection.random:
            return None
        draw: Draw = self.app.get(UUID(inspection.source), Draw)
        return self._team_of_draw(draw, inspection.target, inspection.division)

    def _check_inspector(
        self, inspection: Inspection, code: str, on: str, team: list[str] | None
    ) -> None:
        """Refuse an inspector who may not take part on ``on`` (verify/inspection_rules.py)."""
        try:
            inspector: Inspector | None = self.app.get(inspector_id(code), Inspector, named=code)
        except NotFound:
            inspector = None
        refusal = presence_refusal(
            code, inspector, on=on, random=inspection.random, team=team, items=inspection.items
        )
        if refusal is None:
            return
        if refusal.kind == NOT_ON_ROSTER:
            raise BadInput(f"present: {refusal.message}")
        if refusal.kind in (NOT_ON_TEAM, NOT_QUALIFIED):
            raise Forbidden(refusal.message)
        raise Conflict(refusal.message)  # not on duty, or no valid certificate on the day

    def _team_actor(
        self, by: str | None, inspection: Inspection, team: list[str], action: str
    ) -> dict[str, Any]:
        """Authorise ``by``; an official in the inspector role acts only as the roster inspector
        bound to them, and only on an inspection whose team that inspector is on
        (``identity_rules.inspector_act_refusal``)."""
        official = official_of(self.app, by)
        policy = operator_policy(self.app, official)
        actor = authorise(official, action, inspection.division, policy=policy)
        if official is not None and actor.role == "inspector":
            refusal = inspector_act_refusal(official.code, official.inspector, team)
            if refusal is not None:
                raise Forbidden(refusal)
        return actor.to_json()

    # -- checklist and result -----------------------------------------------------------------

    def answer_checklist(self, inspection_id_: UUID, data: dict[str, Any], by: str | None) -> None:
        inspection = self.get(inspection_id_)
        answers = data.get("answers")
        if not isinstance(answers, list) or not answers:
            raise BadInput("answers: a list of {question, answer, note} is required")
        clean = []
        for n, entry in enumerate(answers):
            f = Fields(entry if isinstance(entry, dict) else {})
            question = f.text("question", max_len=500)
            answer = f.choice("answer", ANSWERS)
            note = f.text("note", required=False, max_len=1000) or ""
            if f.problems:
                raise BadInput(f"answers[{n}]: " + "; ".join(str(p) for p in f.problems))
            clean.append({"question": question or "", "answer": answer, "note": note})
        # Who may answer first: the item's questions are not told to someone who may not.
        actor = self._team_actor(by, inspection, inspection.present, "inspection.result")
        problem = checklist_problem([a["question"] for a in clean], self.questions(inspection))
        if problem is not None:
            raise BadInput(f"answers: {problem}")
        recorded_by = self._recorder(data, by, inspection)
        inspection.answer_checklist(clean, recorded_by, actor)
        self.app.save(inspection)

    def record_result(self, inspection_id_: UUID, data: dict[str, Any], by: str | None) -> None:
        inspection = self.get(inspection_id_)
        f = Fields(data)
        category = f.choice("category", tuple(CATEGORIES))
        findings = f.text("findings", required=False, max_len=4000) or ""
        f.done()
        actor = self._team_actor(by, inspection, inspection.present, "inspection.result")
        inspection.check_step("carried_out", "record a result")
        recorded_by = self._recorder(data, by, inspection)
        inspection.record_result(category, findings, recorded_by, actor)
        self.app.save(inspection)

    def _recorder(self, data: dict[str, Any], by: str | None, inspection: Inspection) -> str:
        """The present inspector who records: the roster inspector the acting official is bound
        to, or (for the ledger's own operator) the one named in ``recorded_by``."""
        named = data.get("recorded_by")
        inspection.check_step("carried_out", "record what the inspection found")
        official = official_of(self.app, by)
        who = named if official is None else official.inspector
        if not who:
            raise BadInput("recorded_by: name the inspector present who records the result")
        if official is not None and named not in (None, who):
            raise Forbidden(
                f"official {official.code} is bound to inspector {who} and cannot record in the "
                f"name of {named}: {BOUND_INSPECTOR_RULE}"
            )
        problem = recorder_problem(str(who), inspection.present)
        if problem is not None:
            raise Forbidden(problem)
        return str(who)

    # -- told, confirmed, followed up, closed ------------------------------------------------------

    def record_confirmation(
        self, inspection_id_: UUID, data: dict[str, Any], by: str | None
    ) -> None:
        inspection = self.get(inspection_id_)
        f = Fields(data)
        on = self._day(f, "on", after=(getattr(inspection, "carried_out_on", ""), "the visit"))
        told = f.choice("told", TOLD, default="on_spot")
        confirmed = f.boolean("confirmed", default=True)
        note = f.text("note", required=not confirmed, max_len=1000) or ""
        f.done()
        actor = self._team_actor(by, inspection, inspection.present, "inspection.record")
        inspection.record_confirmation(on, told, confirmed, note, actor)
        self.app.save(inspection)

    def follow_up(self, inspection_id_: UUID, data: dict[str, Any], by: str | None) -> None:
        inspection = self.get(inspection_id_)
        f = Fields(data)
        kind = f.choice("kind", tuple(FOLLOW_UPS))
        confirmed = getattr(inspection, "confirmed_on", "")
        on = self._day(f, "on", after=(confirmed, "the party's confirmation"))
        details = {}
        for name in FOLLOW_UP_DETAILS.get(kind, ()):
            value = (
                f.day(name, required=True) if name == "correct_by" else f.text(name, max_len=500)
            )
            if name == "correct_by" and value is not None and on and value < on:
                f.problem(name, f"{value} is before the order itself on {on}")
            details[name] = value or ""
        note = f.text("note", required=False, max_len=1000)
        if note:
            details["note"] = note
        f.done()
        actor = self._team_actor(by, inspection, inspection.present, "inspection.record")
        inspection.follow_up(kind, on, details, actor)
        self.app.save(inspection)

    def close(self, inspection_id_: UUID, data: dict[str, Any], by: str | None) -> None:
        inspection = self.get(inspection_id_)
        f = Fields(data)
        steps = [(getattr(inspection, "confirmed_on", ""), "the party's confirmation")] + [
            (step["on"], f"the follow-up '{step['kind']}'") for step in inspection.follow_ups
        ]
        on = self._day(f, "on", after=max(steps))
        summary = f.text("summary", required=False, max_len=2000) or ""
        f.done()
        present = getattr(inspection, "present", [])
        actor = self._team_actor(by, inspection, present, "inspection.record")
        inspection.close(on, summary, actor)
        self.app.save(inspection)

    # -- evidence ---------------------------------------------------------------------------------

    def add_evidence(
        self,
        inspection_id_: UUID,
        content: bytes,
        declared_sha256: str,
        media_type: str,
        name: str,
        by: str | None,
    ) -> tuple[str, bool]:
        """Store a file and record its digest; (digest, recorded) — False if already recorded.

        The file is checked against ``declared_sha256`` before anything is stored or recorded."""
        inspection = self.get(inspection_id_)
        f = Fields({"media_type": media_type, "name": name})
        media = f.text("media_type", max_len=100) or ""
        filename = f.text("name", max_len=200) or ""
        f.done()
        team = getattr(inspection, "present", None) or []
        actor = self._team_actor(by, inspection, team, "inspection.record")
        if self.evidence is None:
            raise Conflict("this ledger has no evidence store (no data directory)")
        digest, size = self.evidence.put(content, declared_sha256)
        facts = {"sha256": digest, "size": size, "media_type": media, "name": filename}
        recorded = inspection.add_evidence(facts, actor)
        if recorded:
            self.app.save(inspection)
        return digest, recorded
