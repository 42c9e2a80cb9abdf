"""The rule audit of the year and the cycle: coverage and participation (``verify/rule_audit.py``).

**Coverage.** Each annual plan not withdrawn binds its division to inspect all its targets
within the cycle (``plan_rules.cycle_bounds``: the policy's years, or the longer cycle the plan
states) ending with the plan's year (``plan_rules.cycle_window``). A target counts when it is the
division's and in a status the policy lets be drawn (``eligibility.eligible_target_statuses``)
as the cycle's last year ended; it is covered by an inspection *carried out* by the division
(random or directed) on a day inside the window — a selection that was never visited does not
count (the ledger's coverage view counts selections: it plans the work, the audit judges it).

**Participation.** For each division and year with an annual plan or an inspection carried
out: the share of its enforcement staff (the roster's inspectors of the division, on duty as
the year ended) present at any inspection that year, and the share of its rounds (the draws and
directed inspections under which it carried out inspections that year) with an agency (机关)
inspector present (``participation_rules``, thresholds from the policy in force then).

A cycle or year still running on ``as_of`` is reported as a figure only; one that is over and
short of the rule is a finding.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .audit_log import MAX_NAMED, AuditLog, EventRef, Family, RuleAudit
from .eligibility import eligible_inspector_statuses, eligible_target_statuses
from .participation_rules import agency_rounds_problem, staff_problem, thresholds
from .plan_rules import cycle_bounds, cycle_window


class Cycle(Family):
    def judge(
        self, ref: EventRef, payload: dict[str, Any], log: AuditLog, audit: RuleAudit
    ) -> None:
        return None

    def finish(self, log: AuditLog, audit: RuleAudit, as_of: date) -> None:
        for plan in log.plans.values():
            if plan.kind == "annual" and not plan.withdrawn and plan.period.isdigit():
                self._coverage(plan.division, int(plan.period), plan, log, audit, as_of)
        divisions_years = {
            (p.division, int(p.period))
            for p in log.plans.values()
            if p.kind == "annual" and not p.withdrawn and p.period.isdigit()
        }
        divisions_years |= {
            (i.division, int(i.on[:4])) for i in log.inspections.values() if i.on is not None
        }
        for division, year in sorted(divisions_years):
            self._participation(division, year, log, audit, as_of)

    def _coverage(
        self, division: str, year: int, plan: Any, log: AuditLog, audit: RuleAudit, as_of: date
    ) -> None:
        registry = log.registry_at_end_of(year)
        policy = registry.policy or {}
        stated = plan.content.get("coverage_cycle_years")
        years = stated if isinstance(stated, int) else cycle_bounds(policy)[0]
        start, end = (d.isoformat() for d in cycle_window(year, years))
        statuses = eligible_target_statuses(policy)
        targets = sorted(
            t.key
            for t in registry.targets.values()
            if t.division == division and t.status in statuses
        )
        covered: dict[str, int] = {}  # target -> the first inspection carried out in the window
        for i in log.inspections.values():
            if i.division == division and i.carried and i.on is not None and start <= i.on <= end:
                covered.setdefault(i.target, i.carried.position)
        uncovered = [k for k in targets if k not in covered]
        closed = as_of.isoformat() > end
        audit.checked["coverage"] += 1
        audit.figures.append(
            {
                "rule": "coverage",
                "division": division,
                "plan": plan.drafted.id,
                "window": {"from": start, "to": end},
                "targets": len(targets),
                "covered": len(targets) - len(uncovered),
                "over": closed,
                "events": {
                    "plan": [plan.drafted.position],
                    "covered": sorted(covered[k] for k in targets if k in covered),
                },
            }
        )
        if closed and uncovered:
            named = [log.target_refs.get(k) for k in uncovered[:MAX_NAMED]]
            audit.find(
                "coverage",
                f"division {division}: {len(uncovered)} of its {len(targets)} targets were not "
                f"inspected in the cycle {start}..{end} (plan {plan.period}); first: "
                f"{', '.join(uncovered[:MAX_NAMED])}",
                plan.drafted,
                *named,
                kind="coverage_short",
                division=division,
                start=start,
                end=end,
                period=plan.period,
                targets=len(targets),
                uncovered=len(uncovered),
                first=uncovered[:MAX_NAMED],
            )

    def _participation(
        self, division: str, year: int, log: AuditLog, audit: RuleAudit, as_of: date
    ) -> None:
        registry = log.registry_at_end_of(year)
        policy = registry.policy or {}
        on_duty = eligible_inspector_statuses(policy)
        staff = sorted(
            c
            for c, i in registry.inspectors.items()
            if i.division == division and i.status in on_duty
        )
        visits = [i for i in log.inspections.values() if i.on is not None and i.on[:4] == str(year)]
        took_part = {c for i in visits for c in i.present}
        staff_set = set(staff)
        took_part_at = sorted(
            i.carried.position
            for i in visits
            if i.carried is not None and staff_set.intersection(i.present)
        )
        rounds: dict[str, bool] = {}
        for i in visits:
            if i.division == division:
                rounds[i.source] = rounds.get(i.source, False) or i.agency
        closed = as_of.year > year
        inspected = [c for c in staff if c in took_part]
        with_agency = sum(rounds.values())
        audit.checked["participation_staff"] += 1
        audit.checked["participation_agency_rounds"] += 1
        audit.figures.append(
            {
                "rule": "participation",
                "division": division,
                "year": year,
                "staff": len(staff),
                "staff_took_part": len(inspected),
                "rounds": len(rounds),
                "rounds_with_agency_staff": with_agency,
                "over": closed,
                "events": {
                    "staff_took_part": took_part_at,
                    "rounds": _openings(log, rounds),
                    "rounds_with_agency_staff": _openings(log, {s for s, a in rounds.items() if a}),
                },
            }
        )
        if not closed:
            return
        problem = staff_problem(len(inspected), len(staff), policy)
        if problem is not None:
            absent = [c for c in staff if c not in took_part]
            audit.find(
                "participation_staff",
                f"division {division} in {year}: {problem}; absent: "
                f"{', '.join(absent[:MAX_NAMED])}",
                *(log.inspector_refs.get(c) for c in absent[:MAX_NAMED]),
                kind="staff_short",
                division=division,
                year=year,
                **_share(len(inspected), len(staff), thresholds(policy)[0]),
                absent=absent[:MAX_NAMED],
            )
        problem = agency_rounds_problem(with_agency, len(rounds), policy)
        if problem is not None:
            without = sorted(s for s, agency in rounds.items() if not agency)
            audit.find(
                "participation_agency_rounds",
                f"division {division} in {year}: {problem}",
                *(log.sources.get(s) for s in without[:MAX_NAMED]),
                kind="agency_rounds_short",
                division=division,
                year=year,
                **_share(with_agency, len(rounds), thresholds(policy)[1]),
            )


def _share(part: int, whole: int, minimum: int) -> dict[str, Any]:
    """The facts of a participation finding (its Chinese text, ``finding_texts.py``)."""
    percent = f"{part * 100 // whole}%" if whole else "无从计算"
    return {"part": part, "whole": whole, "percent": percent, "minimum": minimum}


def _openings(log: AuditLog, sources: Any) -> list[int]:
    """The positions where the rounds (draws, directed records) ``sources`` were opened."""
    return sorted(log.sources[s].position for s in sources if s in log.sources)
