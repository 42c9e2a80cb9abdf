"""The annual assessment (年度考核; issue 12, part 6; docs/ASSESSMENT.md): per division, the
figures the city's establishment and legal offices rate double-random work by — plans made and
uploaded on time, draws completed and abandoned, coverage in the cycle, inspections done,
participation shares, results published on time, cases filed — each with the ledger positions
of the events behind it, as the ledger stood at any position.

One pass over the checked log up to the position runs the rule audit (``verify/rule_audit.py``)
with this module's ``Tally`` folded in the same pass: coverage and participation are the audit's
own figures (``verify/audit_cycle.py``, with ``participation_rules``' thresholds), and what is
late (plans, publications) is what the audit's findings name — never a second judgement. The
tally only counts acts (drafted, opened, assigned, carried out, filed, published) per division.

Who may read it: ``assessment.read`` in ``verify/authority_rules.py`` (the legal office,
auditors and admins every division; a division head their own).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from ledger.application import LedgerApp
from ledger.as_of import CHINA, time_at
from ledger.errors import NotFound
from ledger.labels import event_label, rule_label
from ledger.registry.authority import authorise
from ledger.registry.officials import Official
from verify.audit_log import AuditLog, EventRef, Family, RuleAudit
from verify.authority_rules import CROSS_DIVISION
from verify.participation_rules import below, thresholds
from verify.rule_audit import audit_rules

READ = "assessment.read"
FORMAT = "drawledger-assessment/v1"

# Each figure: its Chinese name, what it counts, the event types behind it and the rule of the
# audit that judges it, if any (the reports' legend; docs/ASSESSMENT.md).
_DEFINED: dict[str, tuple[str, str, tuple[str, ...], str | None]] = {
    "plans_made": (
        "制定抽查计划（项）",
        "计划期属于该年度的年度计划和月度计划，未撤回",
        ("plan.drafted",),
        None,
    ),
    "plans_uploaded": ("上传计划（项）", "其中已上传省平台的", ("plan.uploaded",), None),
    "plans_uploaded_on_time": (
        "按时上传计划（项）",
        "上传未被规则审计认定逾期的",
        ("plan.uploaded",),
        "plan_deadline",
    ),
    "draws_opened": (
        "开启抽取（次）",
        "本处室牵头、按该年度计划开启的双随机抽取（无计划的按开启日期）",
        ("draw.opened",),
        None,
    ),
    "draws_completed": (
        "完成抽取（次）",
        "其中已分配执法人员的",
        ("draw.inspectors_assigned",),
        None,
    ),
    "draws_abandoned": ("终止抽取（次）", "其中被终止的", ("draw.abandoned",), None),
    "coverage": (
        "周期内检查覆盖（户）",
        "年度计划周期内实施过检查的检查对象 / 应检查对象（按实施检查计，不按抽中计）",
        ("inspection.carried_out",),
        "coverage",
    ),
    "inspections_done": (
        "实施检查（次）",
        "检查日期在该年的检查",
        ("inspection.carried_out",),
        None,
    ),
    "inspections_random": (
        "其中双随机检查（次）",
        "随机抽取产生的",
        ("inspection.carried_out",),
        None,
    ),
    "inspections_directed": (
        "其中定向检查（次）",
        "投诉举报等定向检查",
        ("inspection.carried_out",),
        None,
    ),
    "participation_staff": (
        "参与检查的执法人员（人）",
        "该年参与过检查的本处室执法人员 / 年末在岗执法人员",
        ("inspection.carried_out",),
        "participation_staff",
    ),
    "participation_agency_rounds": (
        "有机关人员参与的检查轮次",
        "有机关人员在场的检查轮次 / 全部检查轮次",
        ("draw.opened", "directed.recorded"),
        "participation_agency_rounds",
    ),
    "results_published": (
        "公示检查结果（条）",
        "公示日期在该年的检查结果（含双公示）",
        ("publication.published",),
        None,
    ),
    "results_published_on_time": (
        "按时公示（条）",
        "公示未被规则审计认定逾期的",
        ("publication.published",),
        "publication_deadline",
    ),
    "results_overdue": (
        "逾期未公示（项）",
        "该年检查的结果过了公示期限仍未公示的",
        ("inspection.confirmation_recorded", "inspection.followed_up"),
        "publication_deadline",
    ),
    "cases_filed": ("立案（件）", "立案日期在该年的后续处理", ("inspection.followed_up",), None),
}


def _counts(counts: str, events: tuple[str, ...], rule: str | None) -> str:
    said = f"{counts}；依据事件：{'、'.join(event_label(e) for e in events)}"
    return f"{said}；规则：{rule_label(rule)}" if rule else said


# Each figure: its Chinese name and what it counts, in Chinese (the reports' legend).
FIGURES: dict[str, tuple[str, str]] = {
    key: (name, _counts(counts, events, rule))
    for key, (name, counts, events, rule) in _DEFINED.items()
}
# The figures the tally counts itself (the others are the rule audit's).
_COUNTED: tuple[str, ...] = (
    "plans_made",
    "plans_uploaded",
    "draws_opened",
    "draws_completed",
    "draws_abandoned",
    "inspections_done",
    "inspections_random",
    "inspections_directed",
    "results_published",
    "cases_filed",
)


class Tally(Family):
    """Counts the acts of one year per division, in the rule audit's pass over the log."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.names: dict[str, str] = {}  # division code -> name
        self.acts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.plans: dict[str, tuple[str, int]] = {}  # plan id -> (division, drafted at)
        self.plan_years: dict[str, int | None] = {}  # every plan's id -> the year of its period
        self.draws: dict[str, str] = {}  # draw id (opened in the year) -> division
        self.years: set[int] = set()  # every year with a plan, draw, inspection or publication
        self.log = AuditLog()
        self.audit = RuleAudit()

    def judge(self, ref: EventRef, p: dict[str, Any], log: AuditLog, audit: RuleAudit) -> None:
        kind = ref.type
        if kind == "division.created":
            self.names[p["code"]] = p["name"]
        elif kind == "plan.drafted":
            self.plan_years[ref.id] = _plan_year(p["period"])
            self._seen(self.plan_years[ref.id] or log.year)
            if self.plan_years[ref.id] == self.year:
                self.plans[ref.id] = (p["division"], ref.position)
        elif kind == "plan.uploaded" and ref.id in self.plans:
            self._add(self.plans[ref.id][0], "plans_uploaded", ref)
        elif kind == "draw.opened" and self._seen(self._draw_year(p, log)) == self.year:
            self.draws[ref.id] = p["division"]
            self._add(p["division"], "draws_opened", ref)
        elif kind == "draw.inspectors_assigned" and ref.id in self.draws:
            self._add(self.draws[ref.id], "draws_completed", ref)
        elif kind == "draw.abandoned" and ref.id in self.draws:
            self._add(self.draws[ref.id], "draws_abandoned", ref)
        elif kind == "inspection.carried_out" and self._in_year(self._seen(p["on"])):
            inspection = log.inspections.get(ref.id)
            if inspection is not None:
                self._add(inspection.division, "inspections_done", ref)
                which = "inspections_random" if inspection.random else "inspections_directed"
                self._add(inspection.division, which, ref)
        elif kind == "inspection.followed_up" and p["kind"] == "case_filed":
            inspection = log.inspections.get(ref.id)
            if inspection is not None and self._in_year(p["on"]):
                self._add(inspection.division, "cases_filed", ref)
        elif kind == "publication.published" and self._in_year(self._seen(p["published_on"])):
            inspection = log.inspections.get(p["inspection"])
            if inspection is not None:
                self._add(inspection.division, "results_published", ref)

    def finish(self, log: AuditLog, audit: RuleAudit, as_of: date) -> None:
        self.log, self.audit = log, audit
        for plan_id, (division, drafted) in self.plans.items():
            plan = log.plans.get(plan_id)
            if plan is not None and not plan.withdrawn:
                self.acts[division]["plans_made"].append(drafted)

    def _draw_year(self, p: dict[str, Any], log: AuditLog) -> int | None:
        """A draw counts in the year of the plan it follows (else the year it was opened)."""
        return self.plan_years.get(p.get("plan") or "") or log.year

    def _seen(self, when: Any) -> Any:
        """``when`` (a year, or a day as ISO text) after adding its year to ``years``."""
        if isinstance(when, int) or (isinstance(when, str) and when[:4].isdigit()):
            self.years.add(int(str(when)[:4]))
        return when

    def _add(self, division: str, figure: str, ref: EventRef) -> None:
        self.acts[division][figure].append(ref.position)

    def _in_year(self, day: str | None) -> bool:
        return day is not None and day[:4] == str(self.year)


def assess(
    app: LedgerApp,
    reader: Official | None,
    year: int | None,
    position: int,
    division: str | None = None,
) -> dict[str, Any]:
    """The assessment of ``year`` as the ledger stood at ``position``: of every division, or of
    ``division`` only. Without ``year``, the year (China time) of the event at ``position``,
    unless nothing of that year is there yet: then the latest earlier year that has something
    (in January, the year just ended, which is when it is assessed). ``reader`` None is the
    ledger's operator (the CLI with the data directory). Forbidden for a reader without
    ``assessment.read`` on that division (a division head without ``division``: their own);
    NotFound for an unknown division or a year without any plan, draw, inspection or
    publication by then."""
    if reader is not None and division is None and not _sees_all(reader):
        division = reader.division
    if reader is not None:
        authorise(reader, READ, division or reader.division)
    asked, year = year, time_at(app, position).astimezone(CHINA).year if year is None else year
    tally = Tally(year)
    envelopes = ((p, event.envelope) for p, event in app.records(stop=position))
    audit = audit_rules(envelopes, also=(tally,))
    if division is not None and division not in tally.names:
        raise NotFound(f"no division {division!r} in the ledger as of position {position}")
    rows = _divisions(tally, audit, year)
    if not rows and asked is None and (earlier := [y for y in tally.years if y < year]):
        return assess(app, reader, max(earlier), position, division)
    if not rows:
        raise NotFound(
            f"no plan, draw, inspection or publication of {year} in the ledger as of position "
            f"{position}: nothing to assess"
        )
    if division is not None:
        rows = {division: rows.get(division) or _empty()}
    return {
        "format": FORMAT,
        "year": year,
        "as_of": {"position": position, "judged_on": audit.as_of},
        "legend": {
            key: {"name": name, "counts": FIGURES[key][1], "events": list(events), "rule": rule}
            for key, (name, _, events, rule) in _DEFINED.items()
        },
        "divisions": [
            {"division": code, "name": tally.names.get(code, code), "figures": figures}
            for code, figures in sorted(rows.items())
        ],
    }


def _sees_all(reader: Official) -> bool:
    return reader.active and any(r in CROSS_DIVISION[READ] for r in reader.roles)


def _plan_year(period: str) -> int | None:
    head = period[:4]
    return int(head) if head.isdigit() else None


_NOT_JUDGED = {  # a share the audit does not judge for a division without its grounds
    "coverage": "未评（该年度无年度计划）",
    "participation_staff": "未评（该年无年度计划，也未实施检查）",
    "participation_agency_rounds": "未评（该年无年度计划，也未实施检查）",
}


def _empty() -> dict[str, Any]:
    figures: dict[str, Any] = {key: {"value": 0, "events": []} for key in FIGURES}
    for key, note in _NOT_JUDGED.items():
        figures[key].update({"of": None, "note": note})
    return figures


def _divisions(tally: Tally, audit: RuleAudit, year: int) -> dict[str, dict[str, Any]]:
    """Each division's figures: the tally's counts, the audit's coverage and participation
    figures, and what the audit's findings say was late."""
    late = _late(audit)
    rows: dict[str, dict[str, Any]] = defaultdict(_empty)
    for division, acts in tally.acts.items():
        for key in _COUNTED:
            rows[division][key] = {"value": len(acts[key]), "events": sorted(acts[key])}
        on_time = [p for p in acts["plans_uploaded"] if p not in late["plan.uploaded"]]
        rows[division]["plans_uploaded_on_time"] = {"value": len(on_time), "events": on_time}
        published = [p for p in acts["results_published"] if p not in late["publication.published"]]
        rows[division]["results_published_on_time"] = {"value": len(published), "events": published}
    for figure in audit.figures:
        if figure["rule"] == "coverage":
            plan = tally.log.plans.get(figure["plan"])
            if plan is not None and _plan_year(plan.period) == year:
                rows[figure["division"]]["coverage"] = _coverage(figure)
        elif figure["rule"] == "participation" and figure["year"] == year:
            staff, agency = _participation(figure, tally.log, year)
            rows[figure["division"]]["participation_staff"] = staff
            rows[figure["division"]]["participation_agency_rounds"] = agency
    for division, events in _overdue(audit, tally.log, year).items():
        rows[division]["results_overdue"] = {"value": len(events), "events": events}
    return dict(rows)


def _late(audit: RuleAudit) -> dict[str, set[int]]:
    """The plan uploads and publications the audit's findings name as late."""
    named: dict[str, set[int]] = {"plan.uploaded": set(), "publication.published": set()}
    for finding in audit.findings:
        if finding.rule in ("plan_deadline", "publication_deadline") and finding.events:
            first = finding.events[0]
            if first.type in named:
                named[first.type].add(first.position)
    return named


def _overdue(audit: RuleAudit, log: AuditLog, year: int) -> dict[str, list[int]]:
    """Per division, the results of the year's inspections the audit finds unpublished past
    their deadline (the finding names what the deadline counts from, then the notice)."""
    out: dict[str, list[int]] = defaultdict(list)
    for finding in audit.findings:
        if finding.rule != "publication_deadline" or not finding.events:
            continue
        first = finding.events[0]
        inspection = log.inspections.get(first.id)
        if first.type == "publication.published" or inspection is None:
            continue
        if inspection.on is not None and inspection.on[:4] == str(year):
            out[inspection.division].append(first.position)
    return {d: sorted(p) for d, p in out.items()}


def _share(part: int, whole: int) -> str:
    return f"{part * 100 // whole}%" if whole else "—"


def _coverage(figure: dict[str, Any]) -> dict[str, Any]:
    covered, targets = figure["covered"], figure["targets"]
    return {
        "value": covered,
        "of": targets,
        "share": _share(covered, targets),
        "window": figure["window"],
        "over": figure["over"],
        "kept": (covered == targets) if figure["over"] else None,
        "events": figure["events"]["covered"],
        "plan_events": figure["events"]["plan"],
    }


def _participation(
    figure: dict[str, Any], log: AuditLog, year: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    staff_min, agency_min = thresholds(log.registry_at_end_of(year).policy or {})
    over, events = figure["over"], figure["events"]
    took_part, staff = figure["staff_took_part"], figure["staff"]
    with_agency, rounds = figure["rounds_with_agency_staff"], figure["rounds"]
    return (
        {
            "value": took_part,
            "of": staff,
            "share": _share(took_part, staff),
            "minimum": f"{staff_min}%",
            "over": over,
            "kept": (not below(took_part, staff, staff_min)) if over else None,
            "events": events["staff_took_part"],
        },
        {
            "value": with_agency,
            "of": rounds,
            "share": _share(with_agency, rounds),
            "minimum": f"{agency_min}%",
            "over": over,
            "kept": (not below(with_agency, rounds, agency_min)) if over else None,
            "events": events["rounds_with_agency_staff"],
            "of_events": events["rounds"],
        },
    )
