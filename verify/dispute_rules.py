"""The rule audit inside the dispute check (``python -m verify dispute``; docs/DISPUTE.md): were
the rules kept in the acts the file shows?

The audit is the bundle audit's own (``rule_audit.audit_rules``: the same rule families, the same
rulebook functions), run over the file's signed records in log order. The writer puts in the file
what the per-event rules read (``projections/dispute.py``, ``_context``): every policy version,
for each inspection its acts, its source draw or directed record, its target and the inspectors
present, for each draw its selected targets and the inspectors its walks reached — each with its
record's whole chain, signed and proven like every other record. So the registry as it stood
before each act is folded from the file itself.

Which rules a file can judge depends on what it is about, since a file holds the acts about its
subject and no others:

- always: team sizes and composition, recusals, substitutions (each draw's whole chain is in
  the file), qualifications, certificates valid on the day,
  step dates, plan deadlines (a plan in the file has its whole chain) and publication deadlines
  in working days (each inspection's publications are in the file);
- frequency caps: in a file about a target (it holds every visit to it), a draw or an inspection
  (the writer adds every visit to each target inspected, in the years of its visits); not in a
  file about an official (it holds only the visits they took part in);
- every selected target inspected: only in a file about a draw (it holds every inspection of the
  draw);
- the records' times: each against the records before it in the file (``event_time_order``: a
  record timed before one recorded earlier), and against the witnesses' cosignatures of the
  checkpoints around it (``witnessed_time``: the file's ``witnessed.jsonl`` and own checkpoint,
  and the holder's trusted checkpoints; verify/dispute_witnessed.py) — the latter named not
  judgeable when no cosignature of a witness the file's records name counts;
- never: coverage and participation (a division's whole register and staff) and plan bounds
  (every draw of a plan) — named in the report as not judgeable from a dispute file.

Findings are not integrity failures: the check's exit status does not depend on them. They are
judged as of the China date of the file's ``as_of``: the time of the signed record at that
position (``as_of.json``, checked in step 2), so a deadline passed by then is a finding even
if no act of the file came after it, and one not yet passed is not. A file without it (written
before it existed) is judged as of its last event, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .audit_log import RULES, RuleAudit, RuleFinding
from .events import SignedEvent
from .labels import RULE_LABELS
from .rule_audit import audit_rules
from .workdays import china_date, china_time

# The rules every dispute file can judge, and those only a file about one kind of subject can.
ALWAYS = (
    "team_size",
    "team_composition",
    "recusal",
    "substitutions",
    "qualification",
    "certificate",
    "step_dates",
    "plan_deadline",
    "publication_deadline",
    "event_time_order",
    "witnessed_time",
)
ONLY_ABOUT = {"frequency_cap": ("target", "draw", "inspection"), "selection_inspected": ("draw",)}
WHY_NOT = {
    "frequency_cap": "需要每个检查对象的全部检查记录：关于工作人员的材料只含其本人参与的检查",
    "selection_inspected": "需要该次抽取的全部检查：只有关于抽取的材料才包含",
    "plan_bounds": "需要计划的全部抽取：须核验整个账本",
    "coverage": "需要处室的全部检查对象和全部检查：须核验整个账本",
    "participation_staff": "需要处室的全部执法人员：须核验整个账本",
    "participation_agency_rounds": "需要处室的全部检查轮次：须核验整个账本",
}
UNWITNESSED = (
    "材料及所给受信任的检查点中，没有账本的见证方（材料中的 witness.added 记录）联署的检查点"
    "界定这些记录的时间：请向见证方取得其联署的检查点，用 --trusted-checkpoint 给出"
)


@dataclass
class DisputeAudit:
    """The bundle audit's findings on the rules the file can judge (``judged``, in the order of
    ``RULES``), and the rules it cannot, with why."""

    audit: RuleAudit
    judged: tuple[str, ...]
    not_judged: dict[str, str] = field(default_factory=dict)  # rule -> why not
    as_of_basis: str = ""  # what the audit's as_of date is the China date of
    as_of_position: int | None = None  # the position of the signed record at the file's as_of

    @property
    def ok(self) -> bool:
        return self.audit.ok

    def to_json(self) -> dict[str, Any]:
        found = self.audit.to_json(self.judged)
        del found["figures"]
        return {**found, "as_of_basis": self.as_of_basis, "not_judgeable": self.not_judged}

    def lines(self) -> list[str]:
        out = self.audit.lines(
            lambda position: f"位置 {position}",
            rules=self.judged,
            title="材料中行为的规则审查",
            note="——审查发现不是完整性错误",
        )
        out.insert(1, f"       按{self.as_of_basis}的中国日期判断")
        for rule, why in self.not_judged.items():
            label = RULE_LABELS.get(rule, rule)
            out.append(f"       不适用 {label}（{rule}）：无法依据争议材料判断（{why}）")
        return out


def _own(finding: RuleFinding, key: str | None) -> bool:
    """Whether a finding is the file's to make: a draw file also holds the draws of other
    visits to its targets (for the yearly cap), but not every inspection of those draws, so
    whether their selections were inspected is judged for the file's own draw only."""
    if finding.rule != "selection_inspected" or key is None:
        return True
    return any(e.type == "draw.targets_selected" and e.id == key for e in finding.events)


def audit_file(
    subject: str,
    events: list[tuple[int, int, SignedEvent]],
    as_of: tuple[int, str] | None = None,
    key: str | None = None,
    checkpoints: Sequence[str] = (),
) -> DisputeAudit:
    """The audit of the file's events ((position, leaf index, event) in log order, checked as
    signed, included and whole) for a file about a ``subject`` kind, judged as of the China
    date of ``as_of`` ((position, UTC time) of the signed record at the file's as_of), or of
    the file's last event for a file that proves no as_of; the records' times against the
    witness cosignatures of ``checkpoints`` (notes proven consistent with the file's)."""
    day = None if as_of is None else china_date(as_of[1])
    audit = audit_rules(
        ((p, e.envelope) for p, _, e in events),
        as_of=day,
        checkpoints=checkpoints,
        leaves={p: i for p, i, _ in events},
    )
    judged = tuple(
        r
        for r in RULES
        if (r in ALWAYS or subject in ONLY_ABOUT.get(r, ()))
        and (r != "witnessed_time" or audit.checked.get(r))
    )
    kept = RuleAudit(
        audit.as_of, [f for f in audit.findings if f.rule in judged and _own(f, key)], audit.checked
    )
    basis = (
        f"材料的 as_of（位置 {as_of[0]}，北京时间 {china_time(as_of[1])}）"
        if as_of is not None
        else "材料的最后一个事件（材料未证明 as_of）"
    )
    return DisputeAudit(
        kept,
        judged,
        {
            r: why
            for r, why in {**WHY_NOT, "witnessed_time": UNWITNESSED}.items()
            if r not in judged
        },
        basis,
        None if as_of is None else as_of[0],
    )
