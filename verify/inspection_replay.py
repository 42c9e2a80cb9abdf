"""Check every inspection and publication of a bundle against the rules (docs/FORMAT.md, step 10).

One pass in log order, with the registry (inspectors, policy) and the draws' teams as they stood
at each event:

- (10a) an inspection of a drawn target names a target that has a drawn team in its draw (the
  lead's, or a partner division's in a joint inspection);
- (10b) carried out: at least the policy's minimum number of different inspectors present, each
  on the team as amended by substitutions logged before (for a directed inspection, qualified
  for its items), on duty and with a certificate valid on the day;
- (10c) the result and checklist are recorded by an inspector who was present, in a national
  category;
- (10d) a publication follows the confirmation (or refusal) it counts from — or the penalty
  decision for the 双公示 column; it names the policy version in force at its position; its
  content digest, deadline (working days of that policy, on its working-day calendar),
  allowance and on-time flag are re-derived; it does not
  claim a date after it was recorded; a correction names the digest it replaces.

Publications recorded on a later day than the date they state are counted in the step's detail:
the ledger's own clock states the date, so in production the two agree; a demo replaying a past
year shows them apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .draw_rules import substituted
from .errors import VerifyError
from .inspection_rules import (
    directed_problem,
    presence_refusal,
    recorder_problem,
    team_size_problem,
)
from .registry_state import RegistryState
from .results import CATEGORIES, content_digest, deadline_start, publication_terms
from .workdays import china_date


@dataclass
class _Inspection:
    source: str
    random: bool
    target: str
    division: str
    items: list[str]
    present: list[str] = field(default_factory=list)
    confirmed_on: str | None = None
    follow_ups: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Summary:
    inspections: int = 0
    publications: int = 0
    late: int = 0
    stated_before_recording: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)


def check_inspections(envelopes: Iterable[dict[str, Any] | None]) -> Summary:
    """Check every inspection and publication; ``None`` stands for an undecodable record."""
    out = Summary()
    state = RegistryState(names=False, packed_ids=True)  # no draw rule reads a name
    teams: dict[tuple[str, str, str], list[str]] = {}  # (draw, division, target) -> members
    draw_division: dict[str, str] = {}
    directed: dict[str, tuple[str, list[str]]] = {}  # id -> (division, targets)
    inspections: dict[str, _Inspection] = {}
    publications: dict[str, str] = {}  # id -> current content digest
    for position, envelope in enumerate(envelopes):
        if envelope is None:
            state.position += 1
            continue
        kind, _, step = envelope["type"].partition(".")
        payload, aggregate = envelope["payload"], envelope["aggregate"]
        if kind == "draw":
            follow_draw(step, aggregate, payload, teams, draw_division)
        elif kind == "directed" and step == "recorded":
            directed[aggregate] = (payload["division"], list(payload["targets"]))
        elif kind == "inspection":
            problem = _inspection(step, aggregate, payload, inspections, teams, directed, state)
            out.inspections += step == "notified"
            if problem:
                out.failures.append((position, problem))
        elif kind == "publication":
            problem = _publication(step, aggregate, envelope, inspections, publications, state, out)
            if problem:
                out.failures.append((position, problem))
        state.apply(envelope)
    return out


def follow_draw(
    step: str,
    draw: str,
    p: dict[str, Any],
    teams: dict[tuple[str, str, str], list[str]],
    division_of: dict[str, str],
) -> None:
    """Follow a draw's teams, per (draw, division, target), through assignments and logged
    substitutions (the rule audit follows them the same way)."""
    if step == "opened":
        division_of[draw] = p["division"]
    elif step in ("inspectors_assigned", "partner_inspectors_assigned"):
        division = p.get("division", division_of.get(draw, ""))
        for team in p["teams"]:
            teams[(draw, division, team["target"])] = list(team["members"])
    elif step in ("inspector_substituted", "partner_inspector_substituted"):
        division = p.get("division", division_of.get(draw, ""))
        members = teams.get((draw, division, p["target"]), [])
        teams[(draw, division, p["target"])] = substituted(members, p["replaced"], p["substitute"])


def _inspection(
    step: str,
    aggregate: str,
    p: dict[str, Any],
    inspections: dict[str, _Inspection],
    teams: dict[tuple[str, str, str], list[str]],
    directed: dict[str, tuple[str, list[str]]],
    state: RegistryState,
) -> str | None:
    if step == "notified":
        inspections[aggregate] = _Inspection(
            p["source"], p["random"], p["target"], p["division"], list(p["items"])
        )
        # (10a): a drawn (or directed) target
        if p["random"] and (p["source"], p["division"], p["target"]) not in teams:
            return f"对 {p['target']} 的检查：{p['division']} 的检查组在 {p['source']} 中未抽中它"
        if not p["random"]:
            division, targets = directed.get(p["source"], ("", []))
            refusal = directed_problem(p["target"], p["division"], p["source"], division, targets)
            if refusal is not None:
                return f"对 {p['target']} 的检查：{refusal.message}"
        return None
    inspection = inspections.get(aggregate)
    if inspection is None:
        return f"为从未告知的检查记录了 {step}"
    if step == "carried_out":
        inspection.present = list(p["present"])
        return _present(inspection, p, teams, state)
    if step in ("result_recorded", "checklist_answered"):
        # (10c)
        problem = recorder_problem(p["recorded_by"], inspection.present)
        if problem is not None:
            return problem
        if step == "result_recorded" and p["category"] not in CATEGORIES:
            return f"结果类别 {p['category']!r} 不是全国统一的类别"
    elif step == "confirmation_recorded":
        inspection.confirmed_on = p["on"]
    elif step == "followed_up":
        inspection.follow_ups.append({"kind": p["kind"], "on": p["on"]})
    return None


def _present(
    inspection: _Inspection,
    p: dict[str, Any],
    teams: dict[tuple[str, str, str], list[str]],
    state: RegistryState,
) -> str | None:
    """(10b): who was present on the day."""
    present = p["present"]
    problem = team_size_problem(present, state.policy or {})
    if problem is not None:
        return problem
    team = teams.get((inspection.source, inspection.division, inspection.target))
    for code in present:
        refusal = presence_refusal(
            code,
            state.inspectors.get(code),
            on=p["on"],
            random=inspection.random,
            team=team,
            items=inspection.items,
        )
        if refusal is not None:
            return refusal.message
    return None


def _publication(
    step: str,
    aggregate: str,
    envelope: dict[str, Any],
    inspections: dict[str, _Inspection],
    publications: dict[str, str],
    state: RegistryState,
    out: Summary,
) -> str | None:
    p = envelope["payload"]
    if step == "withdrawn":
        if publications.get(aggregate) != p["withdraws"]:
            return f"撤回的内容 {p['withdraws'][:16]}… 不是已公示的内容"
        return None
    computed = content_digest(p["content"])
    if computed != p["content_digest"]:
        return f"内容摘要：记录为 {p['content_digest']}，计算得 {computed}"
    if step == "corrected":
        if publications.get(aggregate) != p["replaces"]:
            return f"替换的内容 {p['replaces'][:16]}… 不是已公示的内容"
        publications[aggregate] = p["content_digest"]
        return None
    publications[aggregate] = p["content_digest"]
    out.publications += 1
    inspection = inspections.get(p["inspection"])
    if inspection is None:
        return f"公示的检查 {p['inspection']} 从未告知"
    # (10d): counted from the confirmation, or the penalty decision
    start = deadline_start(p["channel"], inspection.confirmed_on, inspection.follow_ups)
    if start is None:
        return f"在尚无可公示内容时即在 {p['channel']} 公示"
    if start != p["start"]:
        return f"期限应自 {start} 起算，而非 {p['start']}"
    # the policy it names is the one in force at its position, not a later (or earlier) one
    in_force = (state.policy or {}).get("version")
    if p.get("policy_version") != in_force:
        return f"采用的制度版本为 {p.get('policy_version')!r}，但其位置时的现行版本为 {in_force!r}"
    try:
        terms = publication_terms(start, p["published_on"], state.policy or {})
    except VerifyError as e:
        return f"无法重新推算期限：{e}"
    recorded_on = china_date(envelope["time"])
    found = tuple(p[name] for name in terms)
    expected = tuple(terms.values())
    if found != expected:
        return f"期限、工作日数、是否按时：记录为 {found}，重新推算得 {expected}"
    if p["published_on"] > recorded_on.isoformat():
        return f"所述公示日期 {p['published_on']} 晚于记录日期（{recorded_on}）"
    out.late += not p["on_time"]
    out.stated_before_recording += p["published_on"] < recorded_on.isoformat()
    return None
