"""Replay every draw of a bundle from the bundle alone (docs/FORMAT.md, step 9).

For each draw: the population is recomputed from the registry folded up to the freeze position
(count, digest, strata sizes, every exclusion and its reason, what recent registry changes did
to the draw: ``changed_out`` and the rest, ``recent_changes.py``), the nonce is checked against
the commitment made before the freeze, the reveal against the entropy sources the opening committed
to (the beacon round named, each ceremony contribution against its commitment) and against the
order in time (beacon round after the freeze, reveal after both and by ``reveal_by``), the seed
is re-derived, an abandonment is checked to end the draw before its teams, and the selection,
every team with its skips, and every substitution are recomputed. A joint inspection's partners
are replayed the same way: each invitation answered once, a partner's teams only after the
selection and only by a partner that accepted, recomputed from its own roster, items and seed
domain, and its substitutions. Any difference is reported at the event (its position in the
log) that recorded it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .draw_rules import (
    Taken,
    assignment,
    frozen_population,
    population_table,
    roster_digests,
    selection,
    substituted,
    substitution,
    taken_by,
)
from .draws import (
    DrawError,
    derive_seed,
    nonce_commitment,
    normalise_entropy,
    population_digest,
    population_table_digest,
)
from .entropy import check_order, check_reveal, check_sources, derive_seed_v2
from .recent_changes import Watches
from .registry_state import RegistryState


@dataclass
class _Draw:
    events: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    substitutions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    partner_events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def add(self, position: int, envelope: dict[str, Any]) -> None:
        step = envelope["type"].split(".", 1)[1]
        if step == "inspector_substituted":
            self.substitutions.append((position, envelope))
        elif step.startswith("partner_"):
            self.partner_events.append((position, envelope))
        elif step != "rolled_over":  # a rollover moves a draw to a month; it draws nothing
            self.events[step] = (position, envelope)

    def payload(self, step: str) -> dict[str, Any] | None:
        found = self.events.get(step)
        return found[1]["payload"] if found else None


def replay_draws(
    envelopes: Iterable[dict[str, Any] | None],
    positions: Sequence[int] | None = None,
    notes: Any = None,
) -> tuple[int, list[tuple[int, str]]]:
    """Return (number of draws, [(position, what differs)]). ``None`` stands for a record that
    could not be decoded (step 3 reported it); the registry fold skips it. ``positions``: the
    ledger position of each leaf, which a freeze's ``changed_out`` names (None: leaf + 1);
    ``notes``: a list given the recent changes of freezes that list none (``Watches``)."""
    draws: dict[str, _Draw] = {}
    recent = Watches(positions, notes)
    for position, envelope in enumerate(envelopes):
        if envelope is None or not envelope["type"].startswith("draw."):
            recent.policy_set(position, envelope)
            continue
        draws.setdefault(envelope["aggregate"], _Draw()).add(position, envelope)
    failures: list[tuple[int, str]] = []
    for draw in draws.values():
        failures += _check_opening(draw)
    frozen_at: dict[int, list[_Draw]] = {}
    for draw in draws.values():
        frozen = draw.events.get("population_frozen")
        if frozen is not None:
            frozen_at.setdefault(frozen[1]["payload"]["position"], []).append(draw)
            recent.watch(frozen[0], frozen[1], draw.payload("opened"))
            continue
        # Without a frozen population nothing may be drawn: no seed, selection or team.
        drawn = [
            *draw.events.items(),
            *(
                (e["type"].split(".", 1)[1], (p, e))
                for p, e in draw.substitutions + draw.partner_events
            ),
        ]
        for step, (at, _) in drawn:
            if step not in (
                "opened",
                "abandoned",
                "partner_invited",
                "partner_accepted",
                "partner_declined",
            ):
                failures.append((at, f"{step} 在冻结总体之前记录"))
    state = RegistryState(names=False, packed_ids=True)  # no draw rule reads a name
    for position, envelope in enumerate(envelopes):
        for draw in frozen_at.pop(state.position, []):
            failures += _check(draw, state, position)
            at = draw.events["population_frozen"][0]
            failures += [(at, problem) for problem in recent.problems(at, state)]
        if envelope is not None:
            recent.see(position, envelope, state)
            state.apply(envelope)
        else:
            state.position += 1
    for pending in frozen_at.values():
        for draw in pending:
            at = draw.events["population_frozen"][0]
            failures.append((at, "冻结所写的位置超出了导出包"))
    return len(draws), failures


def beacon_rounds(envelopes: Iterable[dict[str, Any] | None]) -> list[tuple[int, str]]:
    """Each draw's beacon round, for the auditor to look up: (position of its opening, text)
    naming the source, round and scheduled time, and the value the reveal recorded."""
    rounds: dict[str, tuple[int, dict[str, Any]]] = {}
    values: dict[str, str] = {}
    for position, envelope in enumerate(envelopes):
        if envelope is None:
            continue
        payload = envelope["payload"]
        if envelope["type"] == "draw.opened":
            beacon = (payload.get("entropy_sources") or {}).get("beacon")
            if beacon is not None:
                rounds[envelope["aggregate"]] = (position, beacon)
        elif envelope["type"] == "draw.seed_revealed" and payload.get("beacon"):
            values[envelope["aggregate"]] = payload["beacon"]["value"]
    return [
        (
            position,
            f"抽取 {draw}：信标 {b['source']} 第 {b['round']} 轮（预定于 {b['scheduled_at']}）"
            f"，值 {values.get(draw, '未揭示')}",
        )
        for draw, (position, b) in rounds.items()
    ]


def _check_opening(draw: _Draw) -> list[tuple[int, str]]:
    """The opening's entropy sources, and the abandonment: by a division head of the draw's
    division, before its teams were assigned, and nothing of the lead's drawn after it."""
    out: list[tuple[int, str]] = []
    opened = draw.events.get("opened")
    if opened is not None and "entropy_sources" in opened[1]["payload"]:
        for problem in check_sources(opened[1]["payload"]["entropy_sources"]):
            out.append((opened[0], f"开启时约定的熵来源：{problem}"))
    abandoned = draw.events.get("abandoned")
    if abandoned is None:
        return out
    at, envelope = abandoned
    actor = envelope["actor"]
    division = opened[1]["payload"]["division"] if opened else None
    if actor["role"] != "division_head" or actor["department"] != division:
        out.append(
            (
                at,
                f"由 {actor['official']}（{actor['department']} 的 {actor['role']}）终止；"
                f"只有处室 {division} 的负责人可以终止",
            )
        )
    for step, (position, _) in draw.events.items():
        if step == "inspectors_assigned" and position < at:
            out.append((at, "在分配检查组之后终止"))
        elif step not in ("opened", "abandoned") and position > at:
            out.append((position, f"{step} 在抽取终止之后记录"))
    return out


def _check(draw: _Draw, state: RegistryState, now: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    params: dict[str, Any] = {}
    out += _check_lead(draw, state, params)
    out += _check_partners(draw, state, params)
    return out


def _check_lead(draw: _Draw, state: RegistryState, params: dict[str, Any]) -> list[tuple[int, str]]:
    """The lead's six steps; fills ``params`` (with the seed, once revealed) for the partners."""
    out: list[tuple[int, str]] = []
    opened = draw.payload("opened")
    frozen_pos, frozen_env = draw.events["population_frozen"]
    frozen = frozen_env["payload"]
    if opened is None:
        return [(frozen_pos, "为从未开启的抽取冻结了总体")]
    if frozen["position"] > frozen_pos:
        out.append((frozen_pos, f"冻结于位置 {frozen['position']}，在冻结事件之后"))
    params.update(opened, year=frozen["year"], seed=None)
    # (9a): the population at the freeze position
    pop = frozen_population(params, state)
    found = {
        "count": len(pop.ids),
        "digest": population_digest(pop.ids),
        "strata": {s: len(keys) for s, keys in pop.strata.items()},
        "exclusions": [{"target": k, "reason": r} for k, r in pop.exclusions],
    }
    if "table_digest" in frozen:  # recorded since draw records carry strata and weights
        found["table_digest"] = population_table_digest(population_table(params, state, pop))
    if "roster_digest" in frozen:  # recorded since dispute files carry the rosters
        found.update(roster_digests(state))
    for name, value in found.items():
        if frozen.get(name) != value:
            out.append(
                (
                    frozen_pos,
                    f"{'' if 'roster' in name else '总体 '}{name}：记录为 "
                    f"{_short(frozen.get(name))}，"
                    f"位置 {frozen['position']} 时的名录得出 {_short(value)}",
                )
            )
    revealed = draw.events.get("seed_revealed")
    if revealed is None:
        return out
    rev_pos, rev_env = revealed
    facts = rev_env["payload"]
    out += [(rev_pos, problem) for problem in seed_problems(opened, frozen_env, rev_env)]
    if rev_pos < frozen_pos:
        out.append((rev_pos, "在冻结总体之前揭示了种子"))
    params["seed"] = facts["seed"]
    # (9c): the selection
    selected = draw.events.get("targets_selected")
    if selected is None:
        return out
    sel_pos, sel_env = selected
    expected = _attempt(selection, params, state, pop)  # the population of (9a), not again
    if expected != sel_env["payload"]["strata"]:
        out.append(_differs(sel_pos, "抽中对象", sel_env["payload"]["strata"], expected))
    return out + _check_teams(draw, state, params, sel_env)


def _check_teams(
    draw: _Draw, state: RegistryState, params: dict[str, Any], sel_env: dict[str, Any]
) -> list[tuple[int, str]]:
    """(9d) the lead's teams and their skips, (9e) its substitutions, over ``state``."""
    out: list[tuple[int, str]] = []
    assigned = draw.events.get("inspectors_assigned")
    if assigned is None:
        return out
    asg_pos, asg_env = assigned
    targets = [s["target"] for st in sel_env["payload"]["strata"] for s in st["selected"]]
    on_date = asg_env["payload"]["on_date"]
    taken = _taken_before(draw, asg_pos, params["division"])  # partners that drew first
    expected_teams = _attempt(assignment, params, state, targets, on_date, None, taken)
    if expected_teams != asg_env["payload"]["teams"]:
        out.append(_differs(asg_pos, "检查组", asg_env["payload"]["teams"], expected_teams))
        return out
    # (9e): substitutions, in order, each continuing its team's walk
    teams = {t["target"]: dict(t) for t in asg_env["payload"]["teams"]}
    for sub_pos, sub_env in draw.substitutions:
        taken = _taken_before(draw, sub_pos, params["division"])
        out += _check_substitution(
            sub_pos, sub_env["payload"], teams, params, state, on_date, None, taken
        )
    return out


def replay_walks(
    events: Iterable[tuple[int, dict[str, Any]]], state: RegistryState
) -> list[tuple[int, str]]:
    """Steps 9d-9f alone — the lead's teams, its substitutions, the partners' acts and walks —
    for one draw's ``(position, envelope)`` events, over ``state`` (the registry as the draw
    froze it: the dispute check builds it from the file's signed records and its roster,
    verify/dispute_draws.py). The seed is taken as revealed and the selection as recorded:
    the caller checks both before."""
    draw = _Draw()
    for position, envelope in events:
        draw.add(position, envelope)
    opened, revealed = draw.payload("opened"), draw.payload("seed_revealed")
    selected = draw.events.get("targets_selected")
    if opened is None or revealed is None or selected is None:
        return []
    frozen = draw.events["population_frozen"][1]["payload"]
    params = {**opened, "year": frozen["year"], "seed": revealed["seed"]}
    return _check_teams(draw, state, params, selected[1]) + _check_partners(draw, state, params)


def seed_problems(
    opened: dict[str, Any], frozen: dict[str, Any], revealed: dict[str, Any]
) -> list[str]:
    """(9b): every way the reveal (``draw.seed_revealed``'s envelope) departs from what the
    opening (``draw.opened``'s payload) committed to — the nonce's commitment, the entropy's
    sources and their order in time after the freeze (``draw.population_frozen``'s envelope) —
    and whether the recorded seed is the one they derive. Empty if it all holds."""
    facts = revealed["payload"]
    problems: list[str] = []
    nonce = bytes.fromhex(facts["nonce"])
    if nonce_commitment(nonce) != opened["commitment"]:
        problems.append(
            f"揭示的随机数哈希为 {nonce_commitment(nonce)}，抽取承诺的是 {opened['commitment']}"
        )
    sources = opened.get("entropy_sources")
    if sources is None:  # opened before entropy sources existed: typed entropy, seed v1
        if normalise_entropy(facts["entropy_as_entered"]) != facts["entropy"]:
            problems.append("熵不是所输入内容的规范形式")
        seed = derive_seed(facts["entropy"], nonce)
    else:
        seed, found = _sources_seed(sources, facts, frozen["time"], revealed["time"], nonce)
        problems += found
    if seed != facts["seed"]:
        problems.append(f"种子：记录为 {facts['seed']}，推导得 {seed}")
    return problems


def _sources_seed(
    sources: dict[str, Any],
    facts: dict[str, Any],
    frozen_time: str,
    revealed_time: str,
    nonce: bytes,
) -> tuple[str, list[str]]:
    """(9b) for a draw with entropy sources: the seed derived from what the reveal recorded,
    and every way the reveal departs from what the opening committed to, or from the order."""
    problems = check_order(sources, frozen_time, revealed_time)
    beacon, named = facts.get("beacon"), sources.get("beacon")
    value = beacon["value"] if beacon else ""
    if named is not None and (
        beacon is None or (beacon["source"], beacon["round"]) != (named["source"], named["round"])
    ):
        problems.append(f"揭示中没有给出所写轮次的值：{named}")
    if beacon is not None and normalise_entropy(beacon["value_as_entered"]) != value:
        problems.append("信标值不是所输入内容的规范形式")
    try:
        check_reveal(sources, value, facts["contributions"])
    except DrawError as e:
        problems.append(str(e))
    return derive_seed_v2(nonce, value, facts["contributions"]), problems


def _check_substitution(
    position: int,
    sub: dict[str, Any],
    teams: dict[str, dict[str, Any]],
    params: dict[str, Any],
    state: RegistryState,
    on_date: str,
    partner: dict[str, Any] | None,
    taken: Taken,
) -> list[tuple[int, str]]:
    """One substitution recomputed; the team moves on only if it checks out."""
    team = teams.get(sub["target"])
    if team is None or sub["replaced"] not in team["members"]:
        return [(position, f"为 {sub['target']} 所作的替换替下的不是检查组成员")]
    result = _attempt(substitution, params, state, team, sub["replaced"], on_date, partner, taken)
    if isinstance(result, str):
        return [(position, f"替换：{result}")]
    substitute, skips, walked = result
    recorded = (sub["substitute"], sub["skips"], sub["walked"])
    computed = (
        substitute,
        [{"inspector": s.inspector, "reason": s.reason} for s in skips],
        walked,
    )
    if recorded != computed:
        return [_differs(position, "替换", recorded, computed)]
    team["members"] = substituted(team["members"], sub["replaced"], substitute)
    team["walked"] = walked
    return []


# What a partner must have done before each of its acts, and what the act makes it.
_PARTNER_STEPS = {
    "partner_invited": (None, "invited"),
    "partner_accepted": ("invited", "accepted"),
    "partner_declined": ("invited", "declined"),
    "partner_inspectors_assigned": ("accepted", "assigned"),
    "partner_inspector_substituted": ("assigned", "assigned"),
}


def _check_partners(
    draw: _Draw, state: RegistryState, params: dict[str, Any]
) -> list[tuple[int, str]]:
    """(9f): a joint inspection's partners, act by act in log order."""
    out: list[tuple[int, str]] = []
    partners: dict[str, dict[str, Any]] = {}
    selected = draw.events.get("targets_selected")
    frozen_position = draw.events["population_frozen"][1]["payload"]["position"]
    for position, envelope in draw.partner_events:
        act = envelope["type"].split(".", 1)[1]
        facts = envelope["payload"]
        division = facts["division"]
        partner = partners.get(division, {})
        needs, becomes = _PARTNER_STEPS[act]
        status = partner.get("status")
        if status != needs:
            had = "未被邀请" if status is None else f"状态为 {status}"
            out.append((position, f"为处室 {division} 记录 {act}，而该处室{had}"))
            continue
        # The lead invites; the invited division answers and draws for itself.
        acting = params.get("division") if act == "partner_invited" else division
        actor = envelope["actor"]
        if actor["role"] != "system" and actor["department"] != acting:
            out.append(
                (
                    position,
                    f"{act} 由 {actor['department']} 的 {actor['official']} 所为；"
                    f"此处只能由处室 {acting} 办理",
                )
            )
        if act == "partner_invited":
            partners[division] = {"division": division, "status": becomes}
        elif act == "partner_accepted":
            partner.update(status=becomes, items=facts["items"], team_size=facts["team_size"])
        elif act == "partner_declined":
            partner["status"] = becomes
        elif act == "partner_inspectors_assigned":
            if selected is None or position < selected[0] or params.get("seed") is None:
                out.append((position, f"处室 {division} 的检查组早于抽取对象"))
                continue
            if facts["position"] != frozen_position:
                out.append(
                    (
                        position,
                        f"处室 {division} 的名录取自位置 {facts['position']}，"
                        f"总体冻结于位置 {frozen_position}",
                    )
                )
                continue
            targets = [
                s["target"] for st in selected[1]["payload"]["strata"] for s in st["selected"]
            ]
            on_date = facts["on_date"]
            taken = _taken_before(draw, position, division)
            expected = _attempt(assignment, params, state, targets, on_date, partner, taken)
            if expected != facts["teams"]:
                out.append(
                    _differs(position, f"处室 {division} 的检查组", facts["teams"], expected)
                )
                partner["status"] = "failed"
                continue
            partner.update(
                status=becomes,
                on_date=on_date,
                teams={t["target"]: dict(t) for t in facts["teams"]},
            )
        else:
            taken = _taken_before(draw, position, division)
            on_date = partner["on_date"]
            out += _check_substitution(
                position, facts, partner["teams"], params, state, on_date, partner, taken
            )
    return out


def _taken_before(draw: _Draw, position: int, own: str) -> Taken:
    """Who is on the other divisions' teams as recorded before ``position`` (each recorded
    team is checked at its own event; here it only decides whom a later walk skips)."""
    teams: dict[str, dict[str, dict[str, Any]]] = {}
    opened, assigned = draw.events.get("opened"), draw.events.get("inspectors_assigned")
    if opened is not None and assigned is not None and assigned[0] < position:
        lead = opened[1]["payload"]["division"]
        teams[lead] = {t["target"]: dict(t) for t in assigned[1]["payload"]["teams"]}
    else:
        lead = None
    changes = sorted(draw.substitutions + draw.partner_events, key=lambda e: e[0])
    for at, envelope in changes:
        if at >= position:
            break
        act, facts = envelope["type"].split(".", 1)[1], envelope["payload"]
        division = facts.get("division", lead)
        if act == "partner_inspectors_assigned":
            teams[division] = {t["target"]: dict(t) for t in facts["teams"]}
        elif act.endswith("inspector_substituted") and division in teams:
            team = teams[division].get(facts["target"])
            if team is not None:
                team["members"] = substituted(
                    team["members"], facts["replaced"], facts["substitute"]
                )
    return taken_by({d: list(t.values()) for d, t in teams.items()}, own)


def _attempt(compute, *args):  # type: ignore[no-untyped-def]
    try:
        return compute(*args)
    except (DrawError, KeyError) as e:
        return f"无法重新计算：{e}"


def _differs(position: int, what: str, recorded: Any, computed: Any) -> tuple[int, str]:
    return position, f"{what}：记录为 {_short(recorded)}，重新计算得 {_short(computed)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."
