#!/usr/bin/env python3
"""Reproduce a drawledger draw from its public record alone (docs/DRAWS.md, /column/guide).

    python3 reproduce_draw.py record.json

``record.json`` is what the public column serves at ``/column/draws/<id>/record.json`` (the same
bytes as ``GET /draws/<id>/record`` and ``drawledger draw-record``). This script needs nothing
but the Python standard library and imports nothing of drawledger; where PyPI's
``consistent-sampler`` (1.0.10) is installed it also recomputes every selection with it, as an
independent implementation of the sampling.

It recomputes, and compares with what the record says was drawn:

1. the population: the digest of its ids, its count, its strata, and the digest of the table of
   ids, strata and weights the freeze committed to;
2. the seed, from the revealed nonce and the committed entropy (beacon value, ceremony
   contributions, or typed entropy for an old draw);
3. the selection of every stratum, with its tickets, weights as virtual ids ``id#1 … id#w``;
4. every team walk (the lead's, each joint partner's) and every substitution, over the roster as
   frozen, skipping whoever the rules rule out, with the same logged reasons.

Exit 0 if everything matches; 1 naming the first target (or step) that differs; 2 if the file is
not a draw record.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from typing import Any

# -- consistent sampling (Rivest), byte for byte as consistent-sampler 1.0.10 ------------------


def ticket(hashed_seed: str, item: str) -> str:
    """The first-generation ticket of ``item``: a decimal fraction written as text."""
    value = int(hashlib.sha256((hashed_seed + item).encode("utf-8")).hexdigest(), 16)
    return "0." + f"{value:064d}"[::-1]


def trim(x: str, digits: int) -> str:
    """The ticket truncated to ``digits`` significant digits after its leading 9s."""
    x0 = x + "0"
    first = next(i for i in range(2, len(x0)) if x0[i] < "9")
    return x[: first + digits]


def sample(
    ids: list[str], seed: str, count: int, digits: int = 9, key: Callable[[str], str] = str
) -> list[tuple[str, str]]:
    """The ids with the smallest tickets, in ticket order, as (trimmed ticket, id), until
    ``count`` distinct ``key(id)`` are taken (``key``: the target of a weighted draw's virtual
    id ``target#n``; by default every id counts).

    Shortcut, exact: a ticket's first three digits are the last three decimal digits of its
    hash, reversed. So the ids are put in 1,000 buckets by those digits, every id in a lower
    bucket has a smaller ticket than every id in a higher one, and only the lowest buckets
    that hold ``count`` distinct keys need their full tickets computed and sorted.
    """
    hashed = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    base = hashlib.sha256(hashed.encode("utf-8"))
    buckets: list[list[str]] = [[] for _ in range(1000)]
    for item in ids:
        h = base.copy()
        h.update(item.encode("utf-8"))
        residue = int.from_bytes(h.digest(), "big") % 1000
        buckets[int(f"{residue:03d}"[::-1])].append(item)
    candidates: list[str] = []
    keys: set[str] = set()
    for bucket in buckets:
        if len(keys) >= count:
            break
        candidates += bucket
        keys.update(key(i) for i in bucket)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for full, item in sorted((ticket(hashed, i), i) for i in candidates):
        if len(out) == count:
            break
        if key(item) not in seen:
            seen.add(key(item))
            out.append((trim(full, digits), item))
    return out


class Differs(Exception):
    """The record does not reproduce: what was expected, what the record says."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Differs(message)


# -- 1. population ------------------------------------------------------------------------------


def check_population(m: dict[str, Any], population: list[str]) -> None:
    frozen = m["population_frozen"]
    eligible = m["eligible"]
    ids = [e["target"] for e in eligible]
    check(ids == sorted(set(population)), "符合条件的检查对象与所列总体不一致")
    text = "".join(f"{i}\n" for i in sorted(set(ids)))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    check(
        digest == frozen["digest"],
        f"总体摘要：记录中的检查对象得出 {digest}，冻结时承诺的是 {frozen['digest']}",
    )
    check(len(ids) == frozen["count"], f"总体数量 {len(ids)} != {frozen['count']}")
    strata: dict[str, int] = {}
    for e in eligible:
        strata[e["stratum"]] = strata.get(e["stratum"], 0) + 1
    check(strata == frozen["strata"], f"各层大小 {strata} != 冻结时的 {frozen['strata']}")
    excluded = [{"target": e["target"], "reason": e["reason"]} for e in m["excluded"]]
    check(excluded == frozen["exclusions"], "排除的检查对象不是冻结时记录的那些")


def check_table(m: dict[str, Any]) -> None:
    """The strata and weights listed are those the freeze committed to (its ``table_digest``:
    SHA-256 of ``id TAB stratum TAB weight LF`` by id; freezes recorded before it have none)."""
    committed = m["population_frozen"].get("table_digest")
    if committed is None:
        return
    rows = sorted((e["target"], e["stratum"], e.get("weight", 1)) for e in m["eligible"])
    text = "".join(f"{i}\t{s}\t{w}\n" for i, s, w in rows)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    check(
        digest == committed,
        f"总体表：所列的层和权重得出 {digest}，冻结时承诺的是 {committed}",
    )


def check_rosters(m: dict[str, Any]) -> None:
    """Each division's roster listed is the one the freeze committed to (SHA-256 of the sorted
    codes, one per line LF: ``roster_digest`` for the lead division's whole roster,
    ``partner_roster_digests`` for a joint partner's own; freezes recorded before them have
    none), so no inspector was added to it or left out of it."""
    frozen = m["population_frozen"]
    if "roster_digest" not in frozen:
        return
    for division, roster in m.get("rosters", {}).items():
        codes = sorted({i["code"] for i in roster["inspectors"]})
        digest = hashlib.sha256("".join(f"{c}\n" for c in codes).encode("utf-8")).hexdigest()
        if division == m["opened"]["division"]:
            committed = frozen["roster_digest"]
        else:
            committed = frozen.get("partner_roster_digests", {}).get(division)
            committed = committed or hashlib.sha256(b"").hexdigest()
        check(
            digest == committed,
            f"处室 {division} 的名录：所列 {len(codes)} 个代码得出 {digest}，"
            f"冻结时承诺的是 {committed}",
        )


# -- 2. seed ------------------------------------------------------------------------------------


def nfkc_compact(text: str) -> str:
    import re
    import unicodedata

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def check_seed(m: dict[str, Any]) -> str:
    opened, revealed = m["opened"], m["seed_revealed"]
    nonce = revealed["nonce"]
    check(
        hashlib.sha256(bytes.fromhex(nonce)).hexdigest() == opened["commitment"],
        "揭示的随机数的哈希与开启抽取时的承诺不符",
    )
    sources = opened.get("entropy_sources")
    if sources is None:  # a draw recorded before entropy sources existed: seed v1
        entropy = nfkc_compact(revealed["entropy_as_entered"])
        check(entropy == revealed["entropy"], "输入的熵未按记录规范化")
        seed = hashlib.sha256(f"drawledger/seed/v1\n{entropy}\n{nonce}".encode()).hexdigest()
    else:
        committed = {p["party"]: p["commitment"] for p in sources.get("ceremony") or []}
        contributions = revealed["contributions"]
        check(set(contributions) == set(committed), "仪式的参与方与开启时约定的不同")
        for party, contribution in contributions.items():
            digest = hashlib.sha256(contribution.encode("ascii")).hexdigest()
            check(digest == committed[party], f"参与方 {party} 的贡献值与其承诺不符")
        beacon = revealed.get("beacon")
        value = ""
        if sources.get("beacon"):
            check(beacon is not None, "开启时指定了信标轮次，揭示中却没有")
            check(
                (beacon["source"], beacon["round"])
                == (sources["beacon"]["source"], sources["beacon"]["round"]),
                "揭示中的信标轮次不是开启时指定的轮次",
            )
            value = nfkc_compact(beacon["value_as_entered"])
            check(value == beacon["value"], "信标值未按记录规范化")
            check(
                sources["beacon"]["scheduled_at"] > m["population_frozen"]["time"],
                "信标轮次在总体冻结之前已公布",
            )
        lines = ["drawledger/seed/v2", nonce, value]
        lines += [f"{p}={contributions[p]}" for p in sorted(contributions)]
        seed = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    check(seed == revealed["seed"], f"种子：重新计算得 {seed}，记录为 {revealed['seed']}")
    return seed


# -- 3. selection -------------------------------------------------------------------------------


def selection(m: dict[str, Any], seed: str) -> list[dict[str, Any]]:
    """Per stratum, the selected targets with their tickets, recomputed."""
    strata: dict[str, list[dict[str, Any]]] = {}
    for e in m["eligible"]:
        strata.setdefault(e["stratum"], []).append(e)
    counts = m["opened"]["counts"]
    weighted = bool(m["opened"]["weighted"])
    out = []
    for stratum in sorted(counts):
        members = strata.get(stratum, [])
        k = counts[stratum]
        if weighted:  # target t takes part as t#1 … t#w; the first k distinct are taken
            virtual = [f"{e['target']}#{n}" for e in members for n in range(1, e["weight"] + 1)]
            chosen = [
                {"target": _target_of(item), "ticket": tick}
                for tick, item in sample(virtual, f"{seed}/targets", k, 18, key=_target_of)
            ]
        else:
            ids = [e["target"] for e in members]
            chosen = [{"target": i, "ticket": t} for t, i in sample(ids, f"{seed}/targets", k, 18)]
        out.append({"stratum": stratum, "selected": chosen})
    return out


def _target_of(virtual_id: str) -> str:
    return virtual_id.rsplit("#", 1)[0]


def check_selection(m: dict[str, Any], seed: str) -> list[str]:
    recorded = {s["stratum"]: s["selected"] for s in m["targets_selected"]["strata"]}
    for stratum in selection(m, seed):
        name = stratum["stratum"]
        got = recorded.get(name, [])
        for n, (mine, theirs) in enumerate(zip(stratum["selected"], got, strict=False), 1):
            check(
                mine == theirs,
                f"层 {name!r} 第 {n} 位：按记录的总体和权重应抽中 "
                f"{mine['target']}（抽签号 {mine['ticket']}）；记录为抽中 "
                f"{theirs['target']}（抽签号 {theirs['ticket']}）",
            )
        check(len(stratum["selected"]) == len(got), f"层 {name!r}：数量不同")
    cross_check(m, seed)
    return [s["target"] for stratum in m["targets_selected"]["strata"] for s in stratum["selected"]]


def cross_check(m: dict[str, Any], seed: str) -> None:
    """The unweighted selections again with PyPI's consistent-sampler, where it is installed."""
    try:
        from consistent_sampler import sampler  # type: ignore[import-not-found]
    except ImportError:
        return
    if m["opened"]["weighted"]:
        return
    for stratum in m["targets_selected"]["strata"]:
        ids = [e["target"] for e in m["eligible"] if e["stratum"] == stratum["stratum"]]
        k = stratum["count"]
        theirs = sampler(ids, seed=f"{seed}/targets", take=k, digits=18, output="tuple")
        expected = [{"target": i, "ticket": t} for t, i, _ in theirs]
        check(
            expected == stratum["selected"],
            f"consistent-sampler 在层 {stratum['stratum']} 上结果不同",
        )
    print("consistent-sampler 1.0.10 得出相同的抽中对象")


# -- 4. team walks ------------------------------------------------------------------------------


def order(roster: list[str], seed: str) -> list[str]:
    return [i for _, i in sample(roster, seed, len(roster))]


class Walks:
    """The draw's team walks replayed in log order, over each division's frozen roster."""

    def __init__(self, m: dict[str, Any], seed: str) -> None:
        self.m = m
        self.seed = seed
        self.teams: dict[str, dict[str, dict[str, Any]]] = {}  # division -> target -> team
        self.partners: dict[str, dict[str, Any]] = {}

    def why(
        self, division: str, item: str, on_date: str, target: str, code: str, taken: int
    ) -> str | None:
        """Why ``code`` may not join the team for ``target``: the rules of
        verify/eligibility.py and verify/draw_rules.py, in the recorded words."""
        for other, teams in self.teams.items():
            if other != division and code in teams.get(target, {}).get("members", []):
                return f"on division {other}'s team for this target"
        roster = self.m["rosters"][division]
        inspector = next((i for i in roster["inspectors"] if i["code"] == code), None)
        if inspector is None:
            return "not on the roster"
        if inspector["status"] not in roster["eligible_statuses"]:
            return f"status is {inspector['status']}"
        until = inspector["certificate_valid_until"] or ""
        if not until or until < on_date:
            return f"enforcement certificate expired on {inspector['certificate_valid_until']}"
        if item not in inspector["qualifications"]:
            return f"not qualified for item {item}"
        if code in roster["recusals"].get(target, []):
            return "recused: declared conflict of interest with this target"
        cap = roster["max_assignments_per_draw"]
        if cap is not None and taken >= cap:
            return f"over capacity: {taken} assignments in this draw (cap {cap})"
        return None

    def order_for(self, division: str, target: str) -> list[str]:
        codes = [i["code"] for i in self.m["rosters"][division]["inspectors"]]
        if division == self.m["opened"]["division"]:
            return order(codes, f"{self.seed}/inspectors/{target}")
        return order(codes, f"{self.seed}/partner-inspectors/{division}/{target}")

    def assign(self, division: str, facts: dict[str, Any], item: str, size: int) -> None:
        assignments: dict[str, int] = {}
        teams = {}
        for recorded in facts["teams"]:
            target = recorded["target"]
            members: list[str] = []
            skips = []
            walked = 0
            for code in self.order_for(division, target):
                if len(members) == size:
                    break
                walked += 1
                reason = self.why(
                    division, item, facts["on_date"], target, code, assignments.get(code, 0)
                )
                if reason is None:
                    members.append(code)
                else:
                    skips.append({"inspector": code, "reason": reason})
            for code in members:
                assignments[code] = assignments.get(code, 0) + 1
            mine = {"target": target, "members": members, "skips": skips, "walked": walked}
            check(
                mine == recorded,
                f"处室 {division}，检查对象 {target}：轮选得出检查组 {members}"
                f"（跳过 {skips}），记录为 {recorded['members']}"
                f"（跳过 {recorded['skips']}）",
            )
            teams[target] = dict(recorded)
        self.teams[division] = teams

    def substitute(self, division: str, facts: dict[str, Any], item: str, on_date: str) -> None:
        target = facts["target"]
        team = self.teams[division][target]
        check(facts["replaced"] in team["members"], f"{facts['replaced']} 不在 {target} 的检查组中")
        walked, skips, found = team["walked"], [], None
        for code in self.order_for(division, target)[team["walked"] :]:
            walked += 1
            reason = self.why(division, item, on_date, target, code, 0)
            if reason is None and code not in team["members"]:
                found = code
                break
            skips.append({"inspector": code, "reason": reason or "already on the team"})
        mine = {"substitute": found, "skips": skips, "walked": walked}
        theirs = {k: facts[k] for k in mine}
        check(
            mine == theirs,
            f"处室 {division}，检查对象 {target}：替换得出 {mine}，记录为 {theirs}",
        )
        team["members"] = [found if c == facts["replaced"] else c for c in team["members"]]
        team["walked"] = walked

    def replay(self) -> int:
        """Every walk in the order of the ledger's positions; how many teams were checked."""
        m = self.m
        lead = m["opened"]["division"]
        facts_by_type: dict[str, list[dict[str, Any]]] = {}
        for name, value in m.items():
            if name in STEP_FACTS:
                facts_by_type[name] = value if isinstance(value, list) else [value]
        seen: dict[str, int] = {}
        checked = 0
        for step in sorted(m["steps"], key=lambda s: s["position"]):
            name = step["type"].split(".", 1)[1]
            n = seen.get(name, 0)
            seen[name] = n + 1
            if name not in facts_by_type:
                continue
            facts = facts_by_type[name][n]
            if name == "partner_accepted":
                self.partners[facts["division"]] = facts
            elif name == "inspectors_assigned":
                self.assign(lead, facts, m["opened"]["items"][0], m["opened"]["team_size"])
                checked += len(facts["teams"])
            elif name == "partner_inspectors_assigned":
                p = self.partners[facts["division"]]
                self.assign(facts["division"], facts, p["items"][0], p["team_size"])
                checked += len(facts["teams"])
            elif name == "inspector_substituted":
                on_date = m["inspectors_assigned"]["on_date"]
                self.substitute(lead, facts, m["opened"]["items"][0], on_date)
            elif name == "partner_inspector_substituted":
                division = facts["division"]
                on_date = next(
                    a["on_date"]
                    for a in m["partner_inspectors_assigned"]
                    if a["division"] == division
                )
                self.substitute(division, facts, self.partners[division]["items"][0], on_date)
        return checked


STEP_FACTS = {
    "inspectors_assigned",
    "inspector_substituted",
    "partner_accepted",
    "partner_inspectors_assigned",
    "partner_inspector_substituted",
}


def reproduce(record: dict[str, Any]) -> list[str]:
    """Every check in order; the lines to print. Raises Differs at the first difference."""
    m, population = record["manifest"], record["population"]
    lines = [f"账本 {m['ledger']} 的抽取 {m['draw']}，当前环节 {m['step']}"]
    if "population_frozen" not in m:
        return [*lines, "尚未冻结总体：无可重现"]
    check_population(m, population)
    lines.append(f"总体：{len(population)} 个检查对象，摘要 {m['population_frozen']['digest']}")
    if "seed_revealed" not in m or "targets_selected" not in m:
        check_table(m)
    if "seed_revealed" not in m:
        return lines
    seed = check_seed(m)
    lines.append(f"种子：{seed}")
    if "targets_selected" not in m:
        return lines
    selected = check_selection(m, seed)  # first: a change that alters the outcome is named
    check_table(m)
    lines.append(f"抽中对象：重现了 {len(selected)} 个检查对象")
    check_rosters(m)
    teams = Walks(m, seed).replay()
    if teams:
        lines.append(f"检查组：重现了 {teams} 次检查组轮选（含替换）")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("用法：reproduce_draw.py record.json", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            record = json.load(f)
        record["manifest"]["eligible"]  # noqa: B018 - a record of format v2
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"不是抽取记录（{type(e).__name__}: {e}）", file=sys.stderr)
        return 2
    try:
        for line in reproduce(record):
            print(line)
    except Differs as e:
        print(f"不一致：{e}")
        return 1
    except (KeyError, TypeError, ValueError) as e:
        print(f"不一致：记录不完整或格式有误（{type(e).__name__}: {e}）")
        return 1
    print("通过：记录重现了该次抽取")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
