"""What a verification found: the numbered steps (integrity and replays), the authority replay's
findings, and the anchor the ledger's key was trusted on.

A bundle *verifies* only if all three hold: every step passed, no act broke the rules of
authority, and the key is anchored (``--key``, or a ``--trusted-checkpoint`` it signed). Without
an anchor a pass proves only that the bundle is consistent with itself: whoever holds any key
can write such a bundle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .audit_log import RuleAudit
from .authority_replay import AuthorityReport

MAX_FAILURES_SHOWN = 50
UNANCHORED = (
    "未锚定：没有 --key 或 --trusted-checkpoint 锚定账本公钥，本结果只证明导出包自身一致，"
    "不能证明它是该账本写出的"
)
# The report's verdicts (its last lines; the tests and docs/FORMAT.md quote them).
INTACT = "账本完整"
RULES_KEPT = "规则均得到遵守"
VERIFIED = "通过：导出包核验通过"
CONSISTENT_ONLY = "未核验：只能证明导出包自身一致"
NOT_VERIFIED = "失败：导出包核验未通过"


def event_name(index: int, positions: Sequence[int]) -> str:
    """How the report names the event at leaf ``index``: by its ledger position (the
    ``notification_id`` the bundle gives it, from 1: the number the service, the draw records,
    the column, the trail and the dispute file show), with the leaf index the proofs use."""
    if 0 <= index < len(positions):
        return f"位置 {positions[index]}（叶子 {index}）"
    return f"叶子 {index}"


def _with_positions(value: Any, positions: Sequence[int]) -> Any:
    """``value`` (the JSON report) with a ``position`` beside every ``event`` (a leaf index)."""
    if isinstance(value, list):
        return [_with_positions(v, positions) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _with_positions(v, positions) for k, v in value.items()}
    index = value.get("event")
    if type(index) is int and 0 <= index < len(positions):
        out["position"] = positions[index]
    return out


@dataclass
class Failure:
    position: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"event": self.position, "message": self.message}


@dataclass
class Step:
    number: int
    name: str
    detail: str = ""
    failures: list[Failure] = field(default_factory=list)
    # What an auditor should look at that is not an integrity failure: a draw's beacon round to
    # check against its public source, a rule finding (an abandoned draw, a plan drawn over).
    notes: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, position: int | None, message: str) -> None:
        self.failures.append(Failure(position, message))

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.number,
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "failures": [f.to_json() for f in self.failures],
            "notes": [n.to_json() for n in self.notes],
        }


@dataclass
class Report:
    steps: list[Step] = field(default_factory=list)
    authority: AuthorityReport = field(default_factory=AuthorityReport)
    anchor: str | None = None  # what anchored the ledger's key; None: nothing did
    rule_audit: RuleAudit | None = None  # with --rules: the rule audit (verify/rule_audit.py)
    # Each leaf index's ledger position (the bundle's notification ids), to name events by.
    positions: Sequence[int] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Every numbered step passed."""
        return all(s.ok for s in self.steps)

    @property
    def rules_kept(self) -> bool:
        """No act broke the rules of authority, nor (when it ran) a rule the audit judges."""
        return self.authority.ok and (self.rule_audit is None or self.rule_audit.ok)

    @property
    def anchored(self) -> bool:
        return self.anchor is not None

    @property
    def ok(self) -> bool:
        """The bundle verifies: intact, within the rules, and signed by an anchored key."""
        return self.intact and self.rules_kept and self.anchored

    def to_json(self) -> dict[str, Any]:
        """The report as JSON: every event is named by ``event`` (its leaf index, as before)
        and ``position`` (its ledger position); the operator's acts, listed by leaf index in
        ``authority.operator_acts``, by position in ``authority.operator_positions``."""
        out: dict[str, Any] = _with_positions(self._json(), self.positions)
        acts = self.authority.operator_acts  # leaf indexes by type: the same by position
        out["authority"]["operator_positions"] = {
            kind: [self.positions[i] for i in leaves if 0 <= i < len(self.positions)]
            for kind, leaves in acts.items()
        }
        return out

    def _json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "intact": self.intact,
            "rules_kept": self.rules_kept,
            "anchored": self.anchored,
            "anchor": self.anchor if self.anchored else UNANCHORED,
            "steps": [s.to_json() for s in self.steps],
            "authority": self.authority.to_json(),
            **({"rule_audit": self.rule_audit.to_json()} if self.rule_audit else {}),
        }

    def lines(self) -> list[str]:
        """The printed report: the first and the last line say if nothing anchored the key."""
        out = [] if self.anchored else [UNANCHORED]
        for step in self.steps:
            out.append(
                f"{'通过' if step.ok else '失败'} ({step.number}) {step.name}：{step.detail}"
            )
            for failure in step.failures[:MAX_FAILURES_SHOWN]:
                where = "" if failure.position is None else f"{self._name(failure.position)}："
                out.append(f"       {where}{failure.message}")
            if len(step.failures) > MAX_FAILURES_SHOWN:
                out.append(f"       …… 另有 {len(step.failures) - MAX_FAILURES_SHOWN} 项")
            for note in step.notes:
                where = "" if note.position is None else f"{self._name(note.position)}："
                out.append(f"       提示：{where}{note.message}")
        out += self._authority_lines()
        out += self.rule_audit.lines(self._name) if self.rule_audit else []
        out.append(f"账本公钥：{self.anchor}" if self.anchored else "账本公钥：未锚定")
        out.append(INTACT if self.intact else "账本不完整（见上方“失败”各项）")
        audited = len(self.rule_audit.findings) if self.rule_audit else 0
        out.append(
            RULES_KEPT
            if self.rules_kept
            else f"规则未得到遵守：上方有 {len(self.authority.findings)} 项越权发现和 "
            f"{audited} 项规则审查发现"
        )
        if self.ok:
            out.append(VERIFIED)
        elif self.intact and self.authority.ok and self.anchored:
            out.append("完整，规则未遵守：账本核验通过；规则审查有发现")
        elif self.intact and self.authority.ok:  # the rule audit's findings, if any, above
            out += [CONSISTENT_ONLY, UNANCHORED]
        else:
            out.append(NOT_VERIFIED)
            if not self.anchored:
                out.append(UNANCHORED)
        return out

    def _name(self, index: int) -> str:
        return event_name(index, self.positions)

    def _authority_lines(self) -> list[str]:
        a = self.authority
        operator = sum(len(p) for p in a.operator_acts.values())
        head = (
            f"权限：工作人员的行为 {a.official_acts} 项，其中超出权限 {len(a.findings)} 项；"
            f"账本运营方的行为 {operator} 项（均按行为当时施行的制度判断）"
        )
        out = [f"{'通过' if a.ok else '发现'} {head}"]
        if a.operator_acts:
            listed = "、".join(f"{kind} ×{len(p)}" for kind, p in sorted(a.operator_acts.items()))
            out.append(f"       运营方（系统）的行为：{listed}")
        for f in a.findings[:MAX_FAILURES_SHOWN]:
            who = f"{f.actor['official']}（{f.actor['role']}，{f.actor['department']}）"
            if f.actor.get("on_request_of"):
                who += f"应 {f.actor['on_request_of']} 的请求"
            out.append(f"       {self._name(f.position)} {f.type}，由 {who} 所为：{f.message}")
            out.append(f"         所需权限：{f.needed}")
        if len(a.findings) > MAX_FAILURES_SHOWN:
            out.append(f"       …… 另有 {len(a.findings) - MAX_FAILURES_SHOWN} 项")
        return out
