"""What the rule audit (``verify/rule_audit.py``) reads and reports: its findings, each naming
the events behind it, and the log as it stood before each event judged (``AuditLog``), folded
once for every rule family.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .inspection_replay import follow_draw
from .labels import RULE_LABELS, event_label
from .registry_state import RegistryState, target_key

# Every rule the audit judges, with what it asks (the report's headings).
RULES: dict[str, str] = {
    "frequency_cap": "no entity inspected more often in a year than the policy's cap",
    "team_size": "at least the policy's minimum of different inspectors per team and visit",
    "team_composition": "those present are on the roster, on the drawn team, on duty",
    "recusal": "nobody inspects a target they declared an interest in",
    "substitutions": "no drawn team substituted more often than the policy allows",
    "qualification": "those present are qualified for every item inspected",
    "certificate": "every enforcement certificate is valid on the day",
    "plan_deadline": "plans reported and uploaded by the policy's deadlines",
    "publication_deadline": "results published within the policy's working days",
    "plan_bounds": "draws follow a plan and stay within its counts",
    "selection_inspected": "every selected target inspected by the end of its plan's period",
    "step_dates": "no inspection step dated before the step it follows",
    "coverage": "a division's targets all inspected within the cycle",
    "participation_staff": "enough of a division's enforcement staff took part",
    "participation_agency_rounds": "agency staff took part in enough of a division's rounds",
    "event_time_order": "no event timed before the one it follows (the clock stepped back)",
    "witnessed_time": "no event timed after a witness saw a checkpoint holding it, nor long before "
    "one saw a checkpoint without it",
}
MAX_SHOWN = 50
MAX_NAMED = 10  # events named behind one finding about many (uncovered targets, absent staff)


@dataclass(frozen=True)
class EventRef:
    """An event behind a finding: its ledger position, type and aggregate id."""

    position: int
    type: str
    id: str

    def to_json(self) -> dict[str, Any]:
        return {"event": self.position, "type": self.type, "id": self.id}

    def __str__(self) -> str:
        return self.named(None)

    def named(self, name: Callable[[int], str] | None) -> str:
        where = f"位置 {self.position}" if name is None else name(self.position)
        return f"{where} {event_label(self.type)}（{self.type}）{self.id}"


@dataclass(frozen=True)
class RuleFinding:
    rule: str
    message: str
    events: tuple[EventRef, ...]
    # the finding's kind and facts: its Chinese text (``finding_texts.py``), not in its JSON
    kind: str = ""
    facts: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "message": self.message,
            "events": [e.to_json() for e in self.events],
        }


@dataclass
class RuleAudit:
    as_of: str = ""
    findings: list[RuleFinding] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)  # rule -> acts or figures judged
    # coverage, participation; each figure's "events" (the ledger positions behind each count)
    # are kept for the annual assessment and left out of ``to_json``
    figures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def find(
        self, rule: str, message: str, *events: EventRef | None, kind: str = "", **facts: Any
    ) -> None:
        """Record a finding of ``rule``: the verifier's words, the events behind it, and its
        ``kind`` and ``facts`` (its Chinese text, ``finding_texts.py``)."""
        assert rule in RULES, rule
        named = tuple(dict.fromkeys(e for e in events if e is not None))
        self.findings.append(RuleFinding(rule, message, named, kind, facts))

    def to_json(self, rules: Iterable[str] | None = None) -> dict[str, Any]:
        """The audit as JSON; with ``rules``, the table lists only those (a dispute file's)."""
        by_rule = Counter(f.rule for f in self.findings)
        return {
            "ok": self.ok,
            "as_of": self.as_of,
            "rules": {
                rule: {
                    "asks": RULES[rule],
                    "checked": self.checked[rule],
                    "findings": by_rule[rule],
                }
                for rule in (RULES if rules is None else rules)
            },
            "findings": [f.to_json() for f in self.findings],
            "figures": [{k: v for k, v in f.items() if k != "events"} for f in self.figures],
        }

    def lines(
        self,
        name: Callable[[int], str] | None = None,
        *,
        rules: Iterable[str] | None = None,
        title: str = "规则审查",
        note: str = "",
    ) -> list[str]:
        """The printed findings; ``name`` names an event by its leaf index (the report's
        ``event_name``: its ledger position and leaf); with ``rules``, only those are listed;
        ``title`` and ``note`` open and close the first line. In Chinese: each rule by its
        Chinese name (``labels.RULE_LABELS``) and code, each finding by its Chinese text
        (``finding_texts.py``; the JSON keeps the English ``message``)."""
        from .finding_texts import finding_text  # it imports this module

        by_rule = Counter(f.rule for f in self.findings)
        head = f"{title}（截至 {self.as_of}）：{len(self.findings)} 项发现{note}"
        out = [f"{'通过' if self.ok else '发现'} {head}"]
        for rule in RULES if rules is None else rules:
            mark = "通过" if not by_rule[rule] else f"{by_rule[rule]:<4}"
            label = RULE_LABELS.get(rule, rule)
            out.append(f"       {mark} {label}（{rule}）：已判断 {self.checked[rule]} 项")
        for f in self.findings[:MAX_SHOWN]:
            out.append(f"       [{RULE_LABELS.get(f.rule, f.rule)}] {finding_text(f)}")
            named = [e.named(name) for e in f.events]
            out.append(f"         相关事件：{'；'.join(named) or '无'}")
        if len(self.findings) > MAX_SHOWN:
            out.append(f"       …… 另有 {len(self.findings) - MAX_SHOWN} 项（见 --json）")
        return out


@dataclass
class Inspection:
    """What the audit keeps of one inspection."""

    source: str
    random: bool
    target: str
    division: str
    items: list[str]
    notified: EventRef
    on: str | None = None
    present: tuple[str, ...] = ()
    agency: bool = False  # an agency (机关) inspector was present
    carried: EventRef | None = None
    confirmed_on: str | None = None
    confirmation: EventRef | None = None
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    penalty: EventRef | None = None
    published: set[str] = field(default_factory=set)  # channels


@dataclass
class Plan:
    division: str
    kind: str
    period: str
    content: dict[str, Any]
    deadlines: dict[str, Any]
    drafted: EventRef
    uploaded: bool = False
    withdrawn: bool = False


@dataclass
class AuditLog:
    """The log as it stood before the event being judged."""

    registry: RegistryState = field(default_factory=lambda: RegistryState(names=False))
    teams: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    draw_division: dict[str, str] = field(default_factory=dict)
    sources: dict[str, EventRef] = field(default_factory=dict)  # draw/directed id -> opening
    target_aggregate: dict[str, str] = field(default_factory=dict)  # key -> aggregate id
    target_refs: dict[str, EventRef] = field(default_factory=dict)  # key -> registration
    inspector_refs: dict[str, EventRef] = field(default_factory=dict)  # code -> registration
    conflict_refs: dict[tuple[str, str], EventRef] = field(default_factory=dict)
    inspections: dict[str, Inspection] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    year_end: dict[int, RegistryState] = field(default_factory=dict)  # the registry at 12-31
    year: int | None = None  # the year (China time) of the last event folded

    @property
    def policy(self) -> dict[str, Any]:
        return self.registry.policy or {}

    def registry_at_end_of(self, year: int) -> RegistryState:
        """The registry as the year ended (or as the bundle ends, if it ends in the year)."""
        return self.year_end.get(year, self.registry)


class Family:
    """A rule family: judges each event before it is folded in, and what remains at the end."""

    def judge(
        self, ref: EventRef, payload: dict[str, Any], log: AuditLog, audit: RuleAudit
    ) -> None:
        raise NotImplementedError

    def finish(self, log: AuditLog, audit: RuleAudit, as_of: date) -> None:
        raise NotImplementedError


def close_years(log: AuditLog, year: int) -> None:
    """Keep the registry as each year ended, when the log passes into a later year."""
    if log.year is not None and year > log.year:
        snapshot = log.registry.copy()
        for ended in range(log.year, year):
            log.year_end[ended] = snapshot
    if log.year is None or year > log.year:
        log.year = year


def fold(log: AuditLog, ref: EventRef, envelope: dict[str, Any]) -> None:
    kind, _, step = ref.type.partition(".")
    p = envelope["payload"]
    if kind == "draw":
        follow_draw(step, ref.id, p, log.teams, log.draw_division)
        if step == "opened":
            log.sources[ref.id] = ref
    elif ref.type == "directed.recorded":
        log.sources[ref.id] = ref
    elif ref.type == "target.registered":
        key = target_key(p["kind"], p["code"])
        log.target_aggregate[key], log.target_refs[key] = ref.id, ref
    elif ref.type == "inspector.registered":
        log.inspector_refs[p["code"]] = ref
    elif ref.type == "inspector.conflict_declared":
        code = log.registry.inspector_codes.get(ref.id)
        if code is not None:
            log.conflict_refs[(code, p["target"])] = ref
    elif kind == "inspection":
        _fold_inspection(log, ref, step, p)
    elif kind == "plan":
        _fold_plan(log, ref, step, p)
    log.registry.apply(envelope)


def _fold_inspection(log: AuditLog, ref: EventRef, step: str, p: dict[str, Any]) -> None:
    if step == "notified":
        log.inspections[ref.id] = Inspection(
            p["source"], p["random"], p["target"], p["division"], list(p["items"]), ref
        )
        return
    inspection = log.inspections.get(ref.id)
    if inspection is None:
        return
    if step == "carried_out":
        inspection.on, inspection.present, inspection.carried = p["on"], tuple(p["present"]), ref
        inspectors = log.registry.inspectors
        inspection.agency = any(
            inspectors[c].agency_staff for c in inspection.present if c in inspectors
        )
    elif step == "confirmation_recorded":
        inspection.confirmed_on, inspection.confirmation = p["on"], ref
    elif step == "followed_up":
        inspection.follow_ups.append({"kind": p["kind"], "on": p["on"]})
        if p["kind"] == "penalty_decided" and inspection.penalty is None:
            inspection.penalty = ref


def _fold_plan(log: AuditLog, ref: EventRef, step: str, p: dict[str, Any]) -> None:
    if step == "drafted":
        log.plans[ref.id] = Plan(
            p["division"], p["kind"], p["period"], dict(p["content"]), dict(p["deadlines"]), ref
        )
        return
    plan = log.plans.get(ref.id)
    if plan is None:
        return
    if step == "amended":
        plan.content.update(p["changes"])
    elif step == "uploaded":
        plan.uploaded = True
    elif step == "withdrawn":
        plan.withdrawn = True
