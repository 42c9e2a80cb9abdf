"""The authority replay: did every act's actor hold, at that position, a role that permitted it
on that record (docs/FORMAT.md, "Authority")?

For every event, in log order, with the officials and record owners as the log stood just
before it (folded from the ``official.*`` events and each record's own events):

1. the actor is the ledger's operator, recording an act the policy in force then let it record
   on its own (``[authority] operator``), or on the written request of an official
   (``operator_on_request``; the actor's ``on_request_of``) who held, then, a role permitting
   that act on those records (judged as in 2 and 3, as if they had acted), or
2. its ``official`` is a registered official, still active, holding the actor's ``role``, in the
   actor's ``department``; and
3. that role permits the event type's act (``authority_rules.EVENT_ACTS``) on the divisions whose
   records the event touches (``authority_rules.permits``); a leader's review, on the divisions
   the policy in force then put in their charge (``[leaders]``, folded from ``policy.set``);
4. identities (``authority_rules``, "identities that cannot be borrowed"): a binding of an
   official to a roster inspector keeps the binding rules, whoever recorded it; an act in the
   inspector role needs the official bound to an inspector on the inspection's team, and a
   result names that inspector; official and inspector codes never coincide;
5. a directed inspection names only its division's own listed items and the targets in its
   charge, or an item whose executing units list the division and its owner's targets carrying
   it (``authority_rules.directed_refusal``, the rule the ledger enforces), as the item list and
   the registry stood then;
6. four eyes: a plan is reviewed by none of the officials who drafted or amended it
   (``authority_rules.PLAN_AUTHORING``), whatever roles they hold;
7. credentials: an act naming the API token it was done with (the actor's ``token``) names one
   issued to its official, not revoked before it and not expired at its time; the operator
   names none (``credential_replay``).

A violation is a *finding* naming the event, separate from the integrity checks: a ledger can be
intact (every signature, chain and checkpoint in order) and still record an act nobody was
entitled to. Step 3 extracts what this needs from each record (``authority_facts.facts``), so
the replay never decodes a record twice and works the same when signatures were checked in
other processes.

Steps 2 and 3 read only the officials and the policy in force, so an official's act judged
permitted is remembered by (type, official, role, department, division) and the next such act
looked up, not judged again, until an ``official.*`` or ``policy.set`` event changes either
(``AuthorityLog.permitted`` is emptied then): an import's thousands of registrations by one
clerk are judged once. Refusals are never remembered; step 4 and 5 are judged every time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .aggregate_ids import AggregateKey, packed
from .authority_facts import _SCOPE, _WITNESS_EVENTS, Facts
from .authority_log import AuthorityLog
from .authority_rules import (
    EVENT_ACTS,
    IN_CHARGE,
    NAMED,
    NEW,
    NONE,
    OPERATOR,
    OPERATOR_EVENT_ACTS,
    PERMISSIONS,
    PLAN_AUTHORING,
    RECORD,
    charge_of,
    directed_refusal,
    inspector_binders,
    needed,
    operator_acts,
    permits,
    policy_setters,
    witness_managers,
)
from .credential_replay import TOKEN_EVENTS, Credentials
from .identity_replay import (
    binding_problem,
    bound_move_problem,
    identity_problem,
    shared_code_problem,
)

_OPERATOR = (OPERATOR["official"], OPERATOR["role"], OPERATOR["department"])
_NO_RULE: tuple[tuple[str, ...], str] = ((), NONE)


@dataclass(frozen=True)
class Finding:
    """An act whose actor lacked the authority for it."""

    position: int
    type: str
    actor: dict[str, Any]
    needed: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.position,
            "type": self.type,
            "actor": self.actor,
            "needed": self.needed,
            "message": self.message,
        }


@dataclass
class AuthorityReport:
    official_acts: int = 0
    operator_acts: dict[str, list[int]] = field(default_factory=dict)  # type -> positions
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "official_acts": self.official_acts,
            "operator_acts": self.operator_acts,
            "findings": [f.to_json() for f in self.findings],
        }


def replay_authority(events: Iterable[tuple[int, str, str, Facts]]) -> AuthorityReport:
    """Judge every ``(position, type, aggregate, facts)`` in log order."""
    replay = AuthorityReplay()
    for position, kind, aggregate, event_facts in events:
        replay.add(position, kind, aggregate, event_facts)
    return replay.report


class AuthorityReplay:
    """``replay_authority`` one event at a time, for a verifier that streams the bundle: what it
    keeps is the registry of officials and records, not the events. Aggregates are kept by
    their packed keys (``aggregate_ids.packed``), numbered in ``rows`` (shared with the
    caller's columns when given: the record pass's chains' heads)."""

    def __init__(self, rows: dict[AggregateKey, int] | None = None) -> None:
        self.report = AuthorityReport()
        self._log = AuthorityLog(rows)
        self._plan_authors: dict[AggregateKey, set[Any]] = {}  # who drafted or amended a plan
        self._credentials = Credentials()  # every token issued (``credential_replay``)

    def add(self, position: int, kind: str, aggregate: AggregateKey, event_facts: Facts) -> None:
        """Judge one event; ``aggregate`` its id as written or already packed."""
        aggregate = packed(aggregate)
        report, log = self.report, self._log
        official, role, department, extra, identity, request, credential = event_facts
        acts, whose = EVENT_ACTS.get(kind, _NO_RULE)
        operator = official == _OPERATOR[0] and role == _OPERATOR[1] and department == _OPERATOR[2]
        if operator:
            report.operator_acts.setdefault(kind, []).append(position)
            problem = _operator_problem(log, kind, acts, whose, aggregate, extra, request)
            if problem is None and kind in _IDENTITY_JUDGED:
                problem = binding_problem(log, kind, aggregate, identity)
                problem = problem or shared_code_problem(log, kind, extra, identity)
                problem = problem or bound_move_problem(log, kind, aggregate, extra, identity)
                problem = problem or _directed_problem(log, kind, identity)
        else:
            report.official_acts += 1
            # The division whose authority the act needs, when it is one the payload or the
            # record's owner names: a (type, actor, division) judged permitted since the
            # officials and the policy last changed is permitted again (``log.permitted``).
            if whose in (NEW, NAMED):
                division = extra
            elif whose == RECORD:
                division = log.owner.get(aggregate)
            else:
                division = None
            if (
                type(division) is str
                and type(official) is str
                and type(role) is str
                and type(department) is str
            ):
                judged = (kind, official, role, department, division)
                if judged in log.permitted:
                    problem = None
                else:
                    problem = _judge(
                        log, kind, acts, whose, aggregate, official, role, department, extra
                    )
                    if problem is None:
                        log.permitted.add(judged)
            else:
                problem = _judge(
                    log, kind, acts, whose, aggregate, official, role, department, extra
                )
            # identity_problem judges a binding and an inspector's acts only (None otherwise).
            if problem is None and (role == "inspector" or kind == "official.bound_to_inspector"):
                problem = identity_problem(log, kind, aggregate, official, role, identity)
            if problem is None and kind in _IDENTITY_JUDGED:
                problem = shared_code_problem(log, kind, extra, identity)
                problem = problem or bound_move_problem(log, kind, aggregate, extra, identity)
                problem = problem or _directed_problem(log, kind, identity)
        if kind in _FOUR_EYES:
            problem = problem or self._four_eyes(kind, aggregate, official)
        if credential is not None:  # the token the act names was live for its official then
            problem = problem or self._credentials.problem(official, operator, credential)
        if problem is not None:
            actor = {"official": official, "role": role, "department": department}
            if request is not None:
                actor["on_request_of"] = request
            if credential is not None:
                actor["token"] = credential[0]
            report.findings.append(Finding(position, kind, actor, *problem))
        if kind in TOKEN_EVENTS:
            self._credentials.apply(position, kind, log.codes.get(aggregate), extra)
        if (
            kind == "target.registered"
            and type(identity) is tuple
            and len(identity) == 3
            and identity[1] is extra  # facts' own: the payload's division, read once for both
        ):
            log.register_target(aggregate, identity)  # (key, division, items)
            return
        log.apply(position, kind, whose, aggregate, extra)
        if kind in _SCOPE:
            log.apply_scope(kind, aggregate, identity)
        elif identity is not None:  # apply_identity folds nothing else
            log.apply_identity(kind, aggregate, identity)

    def _four_eyes(self, kind: str, plan: AggregateKey, official: Any) -> tuple[str, str] | None:
        """A plan reviewed by one of its authors (``authority_rules.PLAN_AUTHORING``); an
        authoring event makes its official one of them."""
        authors = self._plan_authors.setdefault(plan, set())
        if kind in PLAN_AUTHORING:
            if isinstance(official, str):
                authors.add(official)
            return None
        if official in authors:
            return _FOUR_EYES_RULE, f"工作人员 {official} 拟订或修改了该计划，却审核了它"
        return None


_FOUR_EYES = frozenset({*PLAN_AUTHORING, "plan.reviewed"})
_FOUR_EYES_RULE = "计划须由拟订、修改人以外的工作人员审核（分管领导审核，PLAN_AUTHORING）"

# The event types the binding, shared-code, bound-move and directed-scope rules judge (each of
# those functions returns None for any other type): the others skip the four calls.
_IDENTITY_JUDGED = frozenset(
    {
        "official.bound_to_inspector",
        "official.registered",
        "inspector.registered",
        "official.roles_changed",
        "inspector.updated",
        "directed.recorded",
    }
)

_DIRECTED_RULE = (
    "定向检查只能针对本处室清单内的抽查事项和其负责的检查对象，或实施单位列有本处室的抽查事项"
    "（directed_refusal）"
)


def _directed_problem(log: AuthorityLog, kind: str, identity: Any) -> tuple[str, str] | None:
    """A directed inspection naming what its division may not (``directed_refusal``, the rule
    the ledger enforces), judged on the items and targets as the log stood; whoever recorded."""
    if kind != "directed.recorded":
        return None
    division, items, targets = identity if isinstance(identity, tuple) else (None, None, None)
    scope = log.scope(items, targets)
    if not isinstance(division, str) or scope is None:
        return _DIRECTED_RULE, "定向检查未写明处室、抽查事项或检查对象"
    refusal = directed_refusal(division, *scope)
    return None if refusal is None else (_DIRECTED_RULE, refusal)


def _operator_problem(
    log: AuthorityLog,
    kind: str,
    acts: tuple[str, ...],
    whose: str,
    aggregate: str,
    extra: Any,
    request: Any,
) -> tuple[str, str] | None:
    """An act of the ledger's operator judged against the policy in force at its position
    (``authority_rules.operator_acts``): one it may record on its own; or one it may record on
    a written request, whose author (``on_request_of``) must be an official who may do that act
    on those records themselves, judged as if they had acted. The ledger's keys and its first
    policy version (the set-up, before any official exists) are the operator's alone."""
    if not acts or (kind == "policy.set" and log.policies == 0):
        return None
    alone, on_request = operator_acts(log.policy)
    named = (OPERATOR_EVENT_ACTS[kind],) if kind in OPERATOR_EVENT_ACTS else acts
    rule = (
        f"[authority] operator：{'、'.join(alone) or '无'}；operator_on_request："
        f"{'、'.join(on_request) or '无'}"
    )
    if any(act in alone for act in named):
        return None
    if not any(act in on_request for act in named):
        return rule, f"现行制度不允许账本运营方记录 {kind}"
    if not isinstance(request, str):
        return rule, (
            f"账本运营方只能依有权办理的工作人员的书面请求记录 {kind}，"
            "而此行为未写明请求人（on_request_of）"
        )
    requester = log.officials.get(request)
    if requester is None:
        return rule, f"请求人 {request!r} 不是本账本登记的工作人员"
    divisions, unknown = log.divisions(whose, aggregate, extra)
    why = "其没有任何角色"
    for role in sorted(requester.roles):
        found = _why_not(log, kind, acts, divisions, unknown, request, role, requester.division)
        if found is None:
            return None
        why = found
    return needed(acts, divisions), f"请求人 {request} 无权办理：{why}"


def _judge(
    log: AuthorityLog,
    kind: str,
    acts: tuple[str, ...],
    whose: str,
    aggregate: str,
    code: Any,
    role: Any,
    department: Any,
    extra: Any,
) -> tuple[str, str] | None:
    """None if the act was within the actor's authority, else (what was needed, why not)."""
    if not acts:
        alone = "这是运营方专属的行为" if kind in EVENT_ACTS else "没有权限规则涵盖它"
        return "账本运营方", f"只有账本运营方可以记录 {kind}：{alone}"
    divisions, unknown = log.divisions(whose, aggregate, extra)
    why = _why_not(log, kind, acts, divisions, unknown, code, role, department)
    return None if why is None else (needed(acts, divisions), why)


def _why_not(
    log: AuthorityLog,
    kind: str,
    acts: tuple[str, ...],
    divisions: list[Any],
    unknown: str | None,
    code: Any,
    role: Any,
    department: Any,
) -> str | None:
    official = log.officials.get(code) if isinstance(code, str) else None
    if official is None:
        return f"{code!r} 在此位置不是登记的工作人员"
    if official.deactivated_at is not None:
        return f"工作人员 {code} 已于叶子 {official.deactivated_at} 停用"
    if not isinstance(role, str) or role not in official.roles:
        held = "、".join(sorted(official.roles)) or "无"
        return f"工作人员 {code} 没有角色 {role!r}（其角色：{held}）"
    if department != official.division:
        return f"工作人员 {code} 属于处室 {official.division}，不是 {department!r}"
    if unknown is not None:
        return unknown
    if kind == "policy.set":  # the version in force names who may record the next one
        setters = policy_setters(log.policy)
        if role in setters:
            return None
        return f"现行制度只允许 {'、'.join(setters) or '无人'} 发布下一版本"
    if kind == "official.bound_to_inspector":  # the personnel authority the policy names
        binders = inspector_binders(log.policy)
        if role in binders:
            return None
        return f"现行制度只允许 {'、'.join(binders) or '无人'} 绑定执法人员身份"
    if kind in _WITNESS_EVENTS:  # the policy in force names who adds and removes witnesses
        managers = witness_managers(log.policy)
        if role in managers:
            return None
        return f"现行制度只允许 {'、'.join(managers) or '无人'} 管理见证方"
    charge = charge_of(log.policy, code) if any(a in IN_CHARGE for a in acts) else ()
    for act in acts:
        if permits(role, department, act, divisions, charge):
            return None
    if not any(role in PERMISSIONS[act] for act in acts):
        return f"角色 {role} 无权记录 {kind}"
    others = "、".join(sorted(d for d in divisions if d != department))
    if charge or any(role in IN_CHARGE.get(act, ()) for act in acts):
        under = "、".join(charge) or "无：制度的 [leaders] 未指定"
        return (
            f"处室 {department} 的 {role} 只能办理本处室的记录和现行制度划归其分管的处室"
            f"（{under}）的记录，不能办理处室 {others} 的记录"
        )
    return (
        f"处室 {department} 的 {role} 只能办理本处室的记录，"
        f"不能办理处室 {others} 的记录（谁审批谁监管）"
    )
