"""The rule audit of teams and visits: frequency caps, team sizes and composition, recusals,
qualifications, certificates valid on the day (``verify/rule_audit.py``).

Each inspection carried out is judged with the registry as it stood just before it was
recorded, by the rulebook's own functions:

- ``inspection_rules.team_size_problem`` and ``presence_refusal`` (the ledger's checks when it
  records a visit: a forged bundle may still break them);
- ``eligibility.inspector_exclusion``, the draw's own test of an inspector for a target, applied
  again on the day for every item inspected: an interest declared after the draw and never
  substituted, a qualification lost, or a directed (non-random) visit by a conflicted
  inspector — the ledger records these, and the audit names them;
- ``eligibility.yearly_cap_reason``, the draw's yearly cap, counting visits carried out
  (random and directed) in the calendar year of their stated day; the divisions of a joint
  inspection visiting together on one day under one draw are one visit ("one visit, several
  checks");
- ``inspection_rules.drawn_team_problem``: a draw (or a joint partner) asking for teams smaller
  than the policy's minimum (the ledger refuses it when the draw opens; a forged bundle).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from .audit_log import AuditLog, EventRef, Family, Inspection, RuleAudit
from .eligibility import REASONS, inspector_exclusion, reason_in_chinese, yearly_cap_reason
from .inspection_rules import (
    CERTIFICATE_INVALID,
    NOT_ON_DUTY,
    NOT_ON_TEAM,
    NOT_QUALIFIED,
    drawn_team_problem,
    min_inspectors,
    presence_refusal,
    team_size_problem,
)

# The kind of finding (finding_texts.py) of an exclusion; a refusal's is the refusal's kind.
EXCLUDED = "inspector_excluded"
# The rule each refusal or exclusion breaks (the rest are the team's composition).
_BY_REFUSAL = {NOT_QUALIFIED: "qualification", CERTIFICATE_INVALID: "certificate"}
_BY_EXCLUSION = {
    REASONS["recused"][0].split(":")[0]: "recusal",
    REASONS["not_qualified"][0].split(" {")[0]: "qualification",
    REASONS["certificate_expired"][0].split(" {")[0]: "certificate",
}


class Visits(Family):
    def __init__(self) -> None:
        self.done: Counter[tuple[str, int]] = Counter()  # (target key, year) -> carried out
        self.visits: dict[tuple[str, int], list[EventRef]] = {}
        self.seen: set[tuple[str, str, str]] = set()  # (source, target, day): visits counted

    def judge(
        self, ref: EventRef, payload: dict[str, Any], log: AuditLog, audit: RuleAudit
    ) -> None:
        if ref.type in ("draw.opened", "draw.partner_accepted"):
            self._team_size(ref, payload, log, audit)
        elif ref.type == "inspection.carried_out":
            inspection = log.inspections.get(ref.id)
            if inspection is not None:
                self._visit(ref, payload, inspection, log, audit)

    def finish(self, log: AuditLog, audit: RuleAudit, as_of: date) -> None:
        return None

    def _team_size(self, ref: EventRef, p: dict[str, Any], log: AuditLog, audit: RuleAudit) -> None:
        audit.checked["team_size"] += 1
        problem = drawn_team_problem(p["team_size"], log.policy)
        if problem is not None:
            partner = ref.type == "draw.partner_accepted"
            who = f"partner {p['division']}" if partner else "draw"
            audit.find(
                "team_size",
                f"{who} {ref.id} asks for {problem}",
                ref,
                kind="draw_team_too_small",
                who=f"联合检查部门 {p['division']}（抽取）" if partner else "抽取",
                draw=ref.id,
                team_size=p["team_size"],
                minimum=min_inspectors(log.policy),
            )

    def _visit(
        self,
        ref: EventRef,
        p: dict[str, Any],
        inspection: Inspection,
        log: AuditLog,
        audit: RuleAudit,
    ) -> None:
        on, present = p["on"], list(p["present"])
        behind = (ref, inspection.notified)
        audit.checked["team_size"] += 1
        problem = team_size_problem(present, log.policy)
        if problem is not None:
            audit.find(
                "team_size",
                f"inspection of {inspection.target} on {on}: {problem}",
                *behind,
                kind="visit_team_too_small",
                target=inspection.target,
                on=on,
                present=present,
                minimum=min_inspectors(log.policy),
            )
        team = log.teams.get((inspection.source, inspection.division, inspection.target))
        aggregate = log.target_aggregate.get(inspection.target, "")
        for code in dict.fromkeys(present):
            for rule, message, cited, kind, facts in self._inspector(
                code, on, inspection, team, aggregate, log
            ):
                audit.find(
                    rule,
                    f"inspection of {inspection.target} on {on}: {message}",
                    *behind,
                    cited,
                    kind=kind,
                    target=inspection.target,
                    on=on,
                    code=code,
                    **facts,
                )
        for rule in ("team_composition", "recusal", "qualification", "certificate"):
            audit.checked[rule] += len(present)
        self._cap(ref, on, inspection, log, audit)

    def _inspector(
        self,
        code: str,
        on: str,
        inspection: Inspection,
        team: list[str] | None,
        aggregate: str,
        log: AuditLog,
    ) -> list[tuple[str, str, EventRef | None, str, dict[str, Any]]]:
        """(rule, why, the event that shows it, the finding's kind, its facts) for each rule
        inspector ``code`` broke."""
        inspector = log.registry.inspectors.get(code)
        registered = log.inspector_refs.get(code)
        found: dict[str, tuple[str, str, EventRef | None, str, dict[str, Any]]] = {}
        refusal = presence_refusal(
            code, inspector, on=on, random=inspection.random, team=team, items=inspection.items
        )
        if refusal is not None:
            rule = _BY_REFUSAL.get(refusal.kind, "team_composition")
            facts: dict[str, Any] = {}
            if refusal.kind == NOT_ON_TEAM:
                facts = {"team": team or []}
            elif inspector is not None and refusal.kind == NOT_QUALIFIED:
                facts = {
                    "items": [i for i in inspection.items if i not in inspector.qualifications]
                }
            elif inspector is not None and refusal.kind == NOT_ON_DUTY:
                facts = {"status": inspector.status}
            elif inspector is not None and refusal.kind == CERTIFICATE_INVALID:
                until = inspector.certificate.get("valid_until")
                facts = {"expired": f"已于 {until} 到期" if until else "未载明有效期"}
            found[rule] = (rule, refusal.message, registered, refusal.kind, facts)
        if inspector is None:
            return list(found.values())
        for item in inspection.items:
            reason = inspector_exclusion(
                inspector,
                code=code,
                item=item,
                target_aggregate=aggregate,
                on_date=on,
                policy=log.policy,
                assignments=0,
            )
            if reason is None:
                continue
            rule = next((r for head, r in _BY_EXCLUSION.items() if reason.startswith(head)), "")
            rule = rule or "team_composition"
            if rule in found:
                continue
            cited = registered
            if rule == "recusal":
                cited = log.conflict_refs.get((code, aggregate), registered)
            found[rule] = (
                rule,
                f"inspector {code}: {reason}",
                cited,
                EXCLUDED,
                {"reason": reason_in_chinese(reason)},
            )
        return list(found.values())

    def _cap(
        self, ref: EventRef, on: str, inspection: Inspection, log: AuditLog, audit: RuleAudit
    ) -> None:
        year = int(on[:4])
        key = (inspection.target, year)
        earlier = self.visits.setdefault(key, [])
        visit = (inspection.source, inspection.target, on)
        if (
            visit in self.seen
        ):  # a joint inspection's partner, same visit: one visit, several checks
            earlier.append(ref)
            return
        self.seen.add(visit)
        aggregate = log.target_aggregate.get(inspection.target)
        target = log.registry.targets.get(aggregate or "")
        audit.checked["frequency_cap"] += 1
        if target is not None:
            reason = yearly_cap_reason(target, self.done[key], year, log.policy)
            if reason is not None:
                audit.find(
                    "frequency_cap",
                    f"target {inspection.target} inspected again on {on}: {reason}",
                    ref,
                    *earlier,
                    kind="yearly_cap",
                    target=inspection.target,
                    on=on,
                    year=year,
                    done=self.done[key],
                    cap=log.policy.get("frequency", {}).get("max_inspections_per_entity_per_year"),
                )
        self.done[key] += 1
        earlier.append(ref)
