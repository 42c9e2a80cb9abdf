"""Step 5 of the dispute check: every draw in a dispute file replays from its frozen population.

A dispute file (docs/DISPUTE.md) holds a draw's signed events but not the registry it drew from,
so it carries, per draw whose population was frozen, ``draws/<draw id>.json``: the eligible
targets as the selection read them (``{"draw": id, "eligible": [{"target", "stratum",
"weight"?}, …]}``, the ``eligible`` table of the draw's public record). That file is not signed;
it is bound to the signed ``draw.population_frozen`` event by what the freeze committed to — the
count, the digest of the ids, the strata sizes and (since draw records carry strata and weights)
the digest of the whole table — so a target added, removed, moved to another stratum or given
another weight no longer matches. From it and the signed events the check then re-derives the
seed (the nonce against its commitment, the entropy against the sources the opening named, as
step 9 of the bundle check does) and recomputes the selection of every stratum.

Then the team walks (the lead's, each joint partner's, every substitution) are replayed by the
bundle check's own code (``draw_replay.replay_walks``) over the registry as the draw froze it,
built from the file: its signed records before the freeze (the freeze's ``position`` counts the
leaves before it) — the policy in force, the selected targets, and every inspector the recorded
walks reached, with their conflicts of interest — and the file's ``rosters`` (per division that
walked, the inspector codes it walked over). The rosters are bound to the signed freeze too:
since freezes record ``roster_digest`` (the whole roster, which the lead division walks) and
``partner_roster_digests`` (each division's or unit's own, which a joint partner walks;
``verify.draw_rules.roster_digests``), each roster in the file must hash to its digest, so an
inspector added to it or left out of it — even one left out of the records too — is caught.
A freeze recorded before then commits to no roster: the check names it ("roster not
committed") and can then show only what the records show — every inspector the file's signed
records put on the roster at the freeze must be on the file's roster, and a code added or left
out that changes who is walked first makes the walk differ; an inspector left out of both the
roster and the records, who would have been walked first, needs the whole registry (the bundle
check's step 9).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .draw_replay import replay_walks, seed_problems
from .draw_rules import roster, selected_strata
from .draws import DrawError, population_digest, population_table_digest, roster_digest
from .events import SignedEvent
from .registry_state import InspectorState, RegistryState


def population_file(directory: Path, draw: str) -> Path:
    """Where a dispute file keeps the frozen population of ``draw``."""
    return directory / "draws" / f"{draw}.json"


def replay(directory: Path, events: list[tuple[int, int, SignedEvent]]) -> tuple[int, list[str]]:
    """(number of draws replayed, failures) for the draws among ``events`` ((position, leaf
    index, event) in log order, already checked as signed and included)."""
    draws: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {}
    for position, _, event in events:
        if event.type.startswith("draw."):
            step = event.type.split(".", 1)[1]
            draws.setdefault(event.aggregate, {})[step] = (position, event.envelope)
    failures: list[str] = []
    replayed = 0
    for draw, steps in sorted(draws.items()):
        if "population_frozen" not in steps or "opened" not in steps:
            continue  # nothing was drawn yet (or a directed record): nothing to replay
        replayed += 1
        problems = _replay(directory, draw, steps, events)
        failures += [f"抽取 {draw}：{problem}" for problem in problems]
    return replayed, failures


def _replay(
    directory: Path,
    draw: str,
    steps: dict[str, tuple[int, dict[str, Any]]],
    events: list[tuple[int, int, SignedEvent]],
) -> list[str]:
    opened = steps["opened"][1]["payload"]
    frozen_pos, frozen_env = steps["population_frozen"]
    try:
        table, rosters = _table(population_file(directory, draw), draw)
    except ValueError as e:
        return [str(e)]
    problems = [f"（位置 {frozen_pos}）{p}" for p in against_freeze(table, frozen_env)]
    if problems or "seed_revealed" not in steps:
        return problems
    rev_pos, rev_env = steps["seed_revealed"]
    problems += [f"（位置 {rev_pos}）{p}" for p in seed_problems(opened, frozen_env, rev_env)]
    if problems or "targets_selected" not in steps:
        return problems
    sel_pos, sel_env = steps["targets_selected"]
    seed = rev_env["payload"]["seed"]
    recorded = sel_env["payload"]["strata"]
    try:
        computed = _selection(table, opened, seed)
    except DrawError as e:
        return [f"（位置 {sel_pos}）无法重新计算抽中对象：{e}"]
    if computed != recorded:
        return [f"（位置 {sel_pos}）{_first_difference(recorded, computed)}"]
    committed = against_committed_rosters(frozen_env["payload"], opened["division"], rosters)
    if committed:
        return [f"（位置 {frozen_pos}）{p}" for p in committed]
    return _walks(draw, frozen_env["payload"]["position"], rosters, events)


def rosters_not_committed(events: list[tuple[int, int, SignedEvent]]) -> list[str]:
    """The draws among ``events`` whose signed freeze does not commit to the rosters (recorded
    before freezes did): their rosters in the file are not provable ("roster not committed")."""
    return sorted(
        e.aggregate
        for _, _, e in events
        if e.type == "draw.population_frozen" and "roster_digest" not in e.envelope["payload"]
    )


def against_committed_rosters(
    frozen: dict[str, Any], lead: str, rosters: dict[str, list[str]]
) -> list[str]:
    """How the file's rosters depart from the digests the signed freeze committed to: the
    whole roster for the lead division, its own for each joint partner (none for a partner with
    no inspector at the freeze). Nothing for a freeze recorded before it committed to them."""
    if "roster_digest" not in frozen:
        return []
    partners = frozen.get("partner_roster_digests") or {}
    problems = []
    for division, codes in sorted(rosters.items()):
        want = frozen["roster_digest"] if division == lead else partners.get(division)
        got = roster_digest(codes)
        if len(set(codes)) != len(codes):
            problems.append(f"材料中处室 {division} 的名录有重复的代码")
        elif got != (want or roster_digest([])):
            problems.append(
                f"材料中处室 {division} 的名录（{len(codes)} 个代码）的哈希为 {got}，"
                f"冻结时承诺的是 {want or '空名录'}：有执法人员被添加或遗漏"
            )
    return problems


def _walks(
    draw: str,
    frozen_count: int,
    rosters: dict[str, list[str]],
    events: list[tuple[int, int, SignedEvent]],
) -> list[str]:
    """The team walks replayed over the registry the file shows as the draw froze it."""
    own = [(p, e.envelope) for p, _, e in events if e.aggregate == draw]
    walked = _walked(own)
    if not walked:
        return []  # no team drawn yet
    state = RegistryState(names=False)  # no draw rule reads a name
    try:
        for _, index, event in events:
            if index < frozen_count:
                state.apply(event.envelope)
    except (KeyError, TypeError) as e:
        return [f"无法由材料中的记录得出冻结时的名录：{e}"]
    problems = [
        f"执法人员 {code} 参与了检查组的轮选，但材料中没有其在冻结之前的签名名录记录"
        for code in sorted(walked)
        if code not in state.inspectors
    ]
    signed = dict(state.inspectors)
    opened = next(e for _, e in own if e["type"] == "draw.opened")["payload"]
    lead_first = sorted(rosters.items(), key=lambda r: r[0] != opened["division"])
    for division, codes in lead_first:  # a partner's code is on the lead's roster too
        for code in codes:
            if code not in signed:  # not walked: only its code (its ticket) counts
                state.inspectors[code] = _unwalked(code, division)
    for division, codes in rosters.items():
        partner = None if division == opened["division"] else {"division": division}
        shown = sorted(c for c in roster(state, partner) if c in signed)
        missing = [c for c in shown if c not in codes]
        if missing:
            problems.append(
                f"材料中处室 {division} 的名录遗漏了 {_short(missing)}，"
                "按材料中的签名记录，冻结时他们在名录中"
            )
    if problems:
        return problems
    return [f"（位置 {p}）{problem}" for p, problem in replay_walks(own, state)]


def _walked(events: list[tuple[int, dict[str, Any]]]) -> set[str]:
    """Every inspector a draw's recorded walks reached: members, skips, substitutes."""
    found: set[str] = set()
    for _, envelope in events:
        p = envelope["payload"]
        for team in p.get("teams", []) if envelope["type"].endswith("inspectors_assigned") else []:
            found.update(team["members"])
            found.update(s["inspector"] for s in team["skips"])
        if envelope["type"].endswith("inspector_substituted"):
            found.update((p["replaced"], p["substitute"]))
            found.update(s["inspector"] for s in p["skips"])
    return found


def _unwalked(code: str, division: str) -> InspectorState:
    """A roster code no recorded walk reached: its ticket orders the walk, nothing else of it
    is read unless the walk goes otherwise than recorded (then it differs, and is reported)."""
    return InspectorState(
        code=code,
        name="",
        certificate={},
        unit=division,
        division=division,
        agency_staff=False,
        qualifications=[],
        status="(not in the file)",
    )


def _table(path: Path, draw: str) -> tuple[list[tuple[str, str, int]], dict[str, list[str]]]:
    """The (target, stratum, weight) rows of a population file and its rosters (division ->
    inspector codes); ValueError naming the fault."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"缺少其冻结的总体（{path.parent.name}/{path.name}）") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path.name} 无法读取：{e}") from None
    rows_given = doc.get("eligible") if isinstance(doc, dict) else None
    if not isinstance(rows_given, list) or doc.get("draw") != draw:
        raise ValueError(f"{path.name} 不是该次抽取冻结的总体")
    rows = []
    for row in rows_given:
        try:
            weight = row.get("weight", 1)
            if not isinstance(row["target"], str) or not isinstance(row["stratum"], str):
                raise TypeError("target 和 stratum 必须是文本")
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
                raise TypeError(f"权重 {weight!r} 不是正整数")
        except (AttributeError, KeyError, TypeError) as e:
            raise ValueError(f"{path.name}：行 {str(row)[:80]} 格式有误：{e}") from None
        rows.append((row["target"], row["stratum"], weight))
    rosters = doc.get("rosters", {})
    if not isinstance(rosters, dict) or not all(
        isinstance(codes, list) and all(isinstance(c, str) for c in codes)
        for codes in rosters.values()
    ):
        raise ValueError(f"{path.name}：其名录不是执法人员代码的列表")
    return rows, rosters


def against_freeze(table: list[tuple[str, str, int]], frozen: dict[str, Any]) -> list[str]:
    """How the population file departs from what the signed freeze committed to."""
    facts = frozen["payload"]
    ids = [t for t, _, _ in table]
    strata: dict[str, int] = {}
    for _, stratum, _ in table:
        strata[stratum] = strata.get(stratum, 0) + 1
    found: dict[str, Any] = {
        "count": len(ids),
        "digest": population_digest(ids),
        "strata": strata,
    }
    if "table_digest" in facts:
        found["table_digest"] = population_table_digest(table)
    return [
        f"总体文件得出的 {name} 为 {_short(value)}，冻结时承诺的是 {_short(facts.get(name))}"
        for name, value in found.items()
        if facts.get(name) != value
    ] + (["the population file lists a target twice"] if len(set(ids)) != len(ids) else [])


def _selection(
    table: list[tuple[str, str, int]], opened: dict[str, Any], seed: str
) -> list[dict[str, Any]]:
    """Step 4 of the draw over the file's table, by the rule ``verify.draw_rules.selection``
    applies over the registry."""
    counts = opened["counts"]
    by_stratum: dict[str, list[str]] = {}
    for target, stratum, _ in table:
        by_stratum.setdefault(stratum, []).append(target)
    strata = {s: by_stratum.get(s, []) for s in counts}
    weights = {t: w for t, _, w in table} if opened.get("weighted") else None
    return selected_strata(strata, counts, seed, weights)


def _first_difference(recorded: list[dict[str, Any]], computed: list[dict[str, Any]]) -> str:
    for want, got in zip(recorded, computed, strict=False):
        if want != got:
            a = [s["target"] for s in want.get("selected", [])]
            b = [s["target"] for s in got.get("selected", [])]
            return (
                f"层 {want.get('stratum')!r}：签名的抽中对象为 {_short(a)}，"
                f"由冻结的总体和种子重新计算得 {_short(b)}"
            )
    return f"签名的抽中对象有 {len(recorded)} 层，重新计算得 {len(computed)} 层"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
