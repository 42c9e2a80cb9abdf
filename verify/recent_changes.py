"""What registry changes shortly before a draw's freeze did to the draw: the targets they took
out of its population (``changed_out``) or left in it with other odds (``changed_odds``:
another stratum, another weight), the inspectors they put on the lead's walks or took off
(``roster_changed``) and the interests declared in its targets (``interests_declared``) — the
steering a clerk with a friend's company in the registry would try.

One rule for the ledger, which records the lists in the signed freeze, and for the verifier,
which recomputes them from the bundle's log (step 9) and reports any difference: an entry left
out, one added, one altered. A target is in ``changed_out`` when, as the log left it just
before one of its changes (``target.updated``, ``target.status_changed``) recorded in the
window, it was in the draw's scope (``eligibility.matches``) in a status the freeze's policy
lets be drawn, and at the freeze it is not. The window is the ``recent_change_days`` of the
policy in force at the freeze (``[draws] recent_change_days``, 30 when the policy says nothing)
ending at the freeze: a change recorded after ``since`` (the freeze's time less those days)
among the events the freeze folded. Each listed target names every change of the window, with
its type, ledger position, time and the fields it changed; who made it is in the target's
trail. A change before the window is not listed (the trail keeps it); nor is a target that is
drawable again at the freeze (it is in the population). ``changed_odds`` lists, in a
stratified or weighted draw, each target drawable before its first change of the window and at
the freeze, in another stratum or with another weight than before it. ``roster_changed`` lists
each inspector the walks may take at the freeze (a status the policy draws, qualified for the
draw's first item) but not as they stood before one of their changes of the window
(``inspector.registered``, ``inspector.updated``), or the other way round.
``interests_declared`` lists each ``inspector.conflict_declared`` of the window that stands at
the freeze in a target the draw may draw.

A freeze that lists nothing (recorded before freezes listed, or re-signed without the lists by
a key holder) is not a failure: the verifier notes the targets the log gives over 30 days.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .aggregate_ids import packed
from .eligibility import (
    eligible_inspector_statuses,
    matches,
    status_reason,
    stratum_of,
    weight_of,
)
from .registry_state import InspectorState, RegistryState, TargetState

DEFAULT_DAYS = 30  # the window when the policy names none (and before it could)
TOPICS = ("target.updated", "target.status_changed")
INSPECTOR_TOPICS = ("inspector.registered", "inspector.updated")
INTEREST = "inspector.conflict_declared"
WATCHED = frozenset((*TOPICS, *INSPECTOR_TOPICS, INTEREST))
_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"  # the envelope's one form of time


def recent_change_days(policy: dict[str, Any] | None) -> int:
    """The window, in days, of the policy in force at a freeze."""
    return int((policy or {}).get("draws", {}).get("recent_change_days", DEFAULT_DAYS))


def window_start(time: str, days: int) -> str:
    """``time`` (an envelope's) less ``days`` days, in the envelope's form."""
    moment = datetime.strptime(time, _TIME).replace(tzinfo=UTC) - timedelta(days=days)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class RecentChanges:
    """One draw's window: fed each change in log order with the record as it stood just before
    it (``see`` a target's, ``see_inspector`` an inspector's; ``see_interest`` an interest
    declared), then asked which targets the changes took out (``listed``), which they left in
    another stratum or with another weight (``moved``), which inspectors they put on the walks
    or took off (``roster_changed``) and which interests stand (``interests``). ``params``: the
    draw's opening (``criteria``, ``stratify_by``, ``weighted``, ``items``)."""

    def __init__(self, params: dict[str, Any], policy: dict[str, Any] | None, since: str):
        self.criteria = params["criteria"]
        self.stratify_by, self.weighted = params.get("stratify_by"), bool(params.get("weighted"))
        self.policy = policy or {}
        self.since = since
        self._seen: dict[Any, tuple[bool, list[dict[str, Any]]]] = {}  # by aggregate
        # where each target was drawn before its first change of the window, if drawable then
        self._odds: dict[Any, tuple[str, int] | None] = {}
        self.item = params["items"][0]  # the item the lead's walks read qualifications for
        self._walkers: dict[Any, tuple[set[bool], list[dict[str, Any]]]] = {}  # by aggregate
        self._interests: list[tuple[Any, Any, dict[str, Any]]] = []  # (inspector, target, at)

    @property
    def has_odds(self) -> bool:
        """Whether a change can move a drawable target's odds: a stratified or weighted draw."""
        return self.stratify_by is not None or self.weighted

    def odds(self, target: TargetState) -> tuple[str, int]:
        """The stratum a drawable target is drawn in and its weight (1 in an unweighted draw)."""
        weight = weight_of(target, self.policy) if self.weighted else 1
        return stratum_of(target, self.stratify_by), weight

    def drawable(self, target: TargetState | None) -> bool:
        return (
            target is not None
            and matches(target, self.criteria)
            and not status_reason(target, self.policy)
        )

    def in_window(self, envelope: dict[str, Any]) -> bool:
        """Whether an event is a registry change the window lists (times of one form compare
        as text)."""
        return envelope["type"] in WATCHED and envelope["time"] > self.since

    def walkable(self, inspector: InspectorState | None) -> bool:
        """Whether the lead's walks may take an inspector: in a status the policy draws,
        qualified for the draw's item (the certificate is judged on the day of the walk)."""
        return (
            inspector is not None
            and inspector.status in eligible_inspector_statuses(self.policy)
            and self.item in inspector.qualifications
        )

    def see_inspector(
        self, aggregate: Any, position: int, envelope: dict[str, Any], before: Any
    ) -> None:
        """An inspector's change of the window; ``before``: the inspector just before (None
        before its registration)."""
        was, changes = self._walkers.setdefault(aggregate, (set(), []))
        was.add(self.walkable(before))
        changes.append(_change(position, envelope))

    def roster_changed(self, at_freeze: Callable[[Any], Any]) -> list[dict[str, Any]]:
        """The inspectors the changes of the window put on the lead's walks or took off (the
        pool stacked before the freeze): those the walks could take at the freeze but not as
        they stood before one of the changes (a registration included), or the other way
        round; sorted by code: ``{"inspector", "walkable": at the freeze, "changes": […]}``."""
        found = []
        for aggregate, (was, changes) in self._walkers.items():
            now = at_freeze(aggregate)
            walkable = self.walkable(now)
            if now is not None and (not walkable) in was:
                found.append({"inspector": now.code, "walkable": walkable, "changes": changes})
        return sorted(found, key=lambda t: t["inspector"])

    def see_interest(self, aggregate: Any, position: int, envelope: dict[str, Any]) -> None:
        """An interest an inspector declared in the window (``inspector.conflict_declared``)."""
        at = {"position": position, "time": envelope["time"]}
        self._interests.append((aggregate, envelope["payload"]["target"], at))

    def interests(
        self, target_at: Callable[[Any], TargetState | None], inspector_at: Callable[[Any], Any]
    ) -> list[dict[str, Any]]:
        """The interests declared in the window that stand at the freeze, in targets the draw
        may draw: the walks skip those inspectors for those targets (recused), so an interest
        declared to keep an inspector off a company is one; in log order: ``{"inspector",
        "target", "position", "time"}``."""
        found = []
        for aggregate, target, at in self._interests:
            company, inspector = target_at(target), inspector_at(aggregate)
            if inspector is not None and target in inspector.conflicts and self.drawable(company):
                assert company is not None  # drawable
                found.append({"inspector": inspector.code, "target": company.key, **at})
        return found

    def see(
        self, aggregate: Any, position: int, envelope: dict[str, Any], before: TargetState | None
    ) -> None:
        """A change of the window at ledger ``position``; ``before``: its target just before."""
        drawable = self.drawable(before)
        if aggregate not in self._seen:
            self._odds[aggregate] = self.odds(before) if drawable and before else None
        was, changes = self._seen.get(aggregate, (False, []))
        self._seen[aggregate] = (was or drawable, [*changes, _change(position, envelope)])

    def listed(self, at_freeze: Callable[[Any], TargetState | None]) -> list[dict[str, Any]]:
        """The targets taken out, sorted by target (``at_freeze``: a target by the aggregate
        ``see`` was given, as the freeze folded it): ``{"target", "changes": […]}``."""
        found = []
        for aggregate, (was, changes) in self._seen.items():
            now = at_freeze(aggregate)
            if was and now is not None and not self.drawable(now):
                found.append({"target": now.key, "changes": changes})
        return sorted(found, key=lambda t: t["target"])

    def moved(self, at_freeze: Callable[[Any], TargetState | None]) -> list[dict[str, Any]]:
        """The targets drawable before their first change of the window and at the freeze in
        another stratum or with another weight, sorted by target: ``{"target", "stratum":
        [before, at the freeze], "weight": [before, at the freeze], "changes": […]}`` — a
        company moved from a small stratum to a large one, or its credit class changed so that
        it weighs less, is drawn with lower odds."""
        found = []
        for aggregate, before in self._odds.items():
            now = at_freeze(aggregate)
            if before is None or now is None or not self.drawable(now):
                continue
            after = self.odds(now)
            if after != before:
                stratum, weight = ([b, a] for b, a in zip(before, after, strict=True))
                changes = self._seen[aggregate][1]
                found.append(
                    {"target": now.key, "stratum": stratum, "weight": weight, "changes": changes}
                )
        return sorted(found, key=lambda t: t["target"])


def _change(position: int, envelope: dict[str, Any]) -> dict[str, Any]:
    payload, kind = envelope["payload"], envelope["type"]
    changed = ["registered"] if kind.endswith(".registered") else ["status"]
    changed = sorted(payload["changes"]) if "changes" in payload else changed
    return {
        "type": envelope["type"],
        "position": position,
        "time": envelope["time"],
        "changed": changed,
    }


def window_problems(frozen: dict[str, Any], time: str, policy: dict[str, Any] | None) -> list[str]:
    """How a freeze's recorded window (``recent_change_days``, ``changed_since``) departs from
    the policy in force at it; ``time``: the freeze's."""
    days = recent_change_days(policy)
    out = []
    if frozen.get("recent_change_days") != days:
        out.append(
            f"changed_out 的时间窗：记录为 {frozen.get('recent_change_days')!r} 天，"
            f"冻结时有效的规则为 {days} 天"
        )
    since = frozen.get("changed_since")
    if not isinstance(since, str) or since > window_start(time, days):
        out.append(f"changed_out 的时间窗：自 {since!r} 起，短于冻结（{time}）前的 {days} 天")
    return out


_EFFECT = {
    "changed_out": "退出了抽取",
    "changed_odds": "改变了所在的层或权重",
    "roster_changed": "进入或退出了检查组的轮选",
    "interests_declared": "在冻结前申报了利害关系（轮选时回避）",
}
_KEY = {"roster_changed": "inspector", "interests_declared": "position"}  # else "target"


def list_problems(name: str, recorded: Any, expected: list[dict[str, Any]]) -> list[str]:
    """Each difference between a freeze's list ``name`` (``changed_out``, ``changed_odds``)
    and the one the log gives: a target left out, one listed that the log does not give, a
    target's entry (its changes, its strata or weights) differing."""
    key = _KEY.get(name, "target")
    if not isinstance(recorded, list) or not all(
        isinstance(t, dict) and isinstance(t.get(key), str | int) for t in recorded
    ):
        return [f"{name} 不是列表：{str(recorded)[:80]}"]
    given = {t[key]: t for t in recorded}
    wanted = {t[key]: t for t in expected}
    out = []
    for target in sorted(wanted.keys() - given.keys()):
        positions = "、".join(
            str(c["position"]) for c in wanted[target].get("changes", [wanted[target]])
        )
        out.append(
            f"{name} 漏列了 {target}：位置 {positions} 的登记变更使其在冻结前{_EFFECT[name]}"
        )
    for target in sorted(given.keys() - wanted.keys()):
        out.append(f"{name} 多列了 {target}：日志中没有这样的近期变更")
    for target in sorted(given.keys() & wanted.keys()):
        if given[target] != wanted[target]:
            out.append(f"{name} 中 {target}：记录为 {given[target]}，日志得出 {wanted[target]}")
    if len(given) != len(recorded):
        out.append(f"{name} 重复列出了同一项")
    return out


def inspector_of(state: RegistryState, aggregate: Any, packing: bool = False) -> Any:
    """The inspector ``aggregate`` (packed as ``state`` keeps it, with ``packing``) as
    ``state`` holds it, or None."""
    if packing and state.packed_ids:
        aggregate = packed(aggregate)
    code = state.inspector_codes.get(aggregate)
    return None if code is None else state.inspectors.get(code)


def unlisted(out: list[dict[str, Any]], odds: list[dict[str, Any]]) -> list[str]:
    """The notes for a freeze that lists no recent changes: what the log gives over 30 days."""
    named = [(t, _EFFECT["changed_out"]) for t in out] + [
        (t, _EFFECT["changed_odds"]) for t in odds
    ]
    return [
        f"冻结未列出近期登记变更；日志显示冻结前 {DEFAULT_DAYS} 天内的变更（位置 "
        f"{'、'.join(str(c['position']) for c in t['changes'])}）使 {t['target']} {effect}"
        for t, effect in named
    ]


class Watches:
    """Step 9's side (``draw_replay``): every freeze that recorded ``changed_out`` watched
    through the one fold of the log, each change fed with its target as the fold held it just
    before, then compared when the fold reaches the freeze."""

    def __init__(
        self, positions: Sequence[int] | None = None, notes: list[tuple[int, str]] | None = None
    ) -> None:
        self.positions = positions  # ledger position of each leaf (None: leaf + 1)
        # what a freeze that lists nothing (recorded before freezes listed, or a key holder
        # who dropped the lists) would have listed over 30 days: notes, not failures
        self.notes = notes if notes is not None else []
        self._open: dict[int, tuple[int, dict[str, Any], RecentChanges]] = {}  # by freeze leaf
        self._policies: list[tuple[int, Any]] = []  # (leaf, document) of each policy.set

    def policy_set(self, index: int, envelope: dict[str, Any] | None) -> None:
        """The first pass's event at leaf ``index``: the policy versions, in log order."""
        if envelope is not None and envelope["type"] == "policy.set":
            self._policies.append((index, envelope["payload"]["document"]))

    def watch(self, at: int, frozen: dict[str, Any], opened: Any) -> None:
        """The freeze recorded at leaf ``at`` (its envelope) of the draw ``opened`` (its opening's
        payload, None if none), under the policy in force at it."""
        payload = frozen["payload"]
        count = payload["position"]
        policy = next((d for leaf, d in reversed(self._policies) if leaf < count), None)
        if not isinstance(opened, dict):
            return  # a freeze of a draw never opened: reported as such
        since = payload.get("changed_since")
        if "changed_out" not in payload:  # lists nothing: what 30 days give, as notes
            since = window_start(frozen["time"], DEFAULT_DAYS)
        elif not isinstance(since, str) or len(since) != len(frozen["time"]):
            since = window_start(frozen["time"], recent_change_days(policy))
        self._open[at] = (count, frozen, RecentChanges(opened, policy, since))

    def see(self, index: int, envelope: dict[str, Any], state: RegistryState) -> None:
        """The event at leaf ``index``, before ``state`` (the fold) takes it."""
        kind = envelope["type"]
        if kind not in WATCHED:
            return
        for count, _, rule in self._open.values():
            if index < count and rule.in_window(envelope):
                aggregate = envelope["aggregate"]
                key = packed(aggregate) if state.packed_ids else aggregate
                position = self.positions[index] if self.positions else index + 1
                if kind in TOPICS:
                    rule.see(aggregate, position, envelope, state.targets.get(key))
                elif kind == INTEREST:
                    rule.see_interest(aggregate, position, envelope)
                else:
                    rule.see_inspector(aggregate, position, envelope, inspector_of(state, key))

    def problems(self, at: int, state: RegistryState) -> list[str]:
        """The freeze at leaf ``at`` against ``state`` (the registry it froze)."""
        if at not in self._open:
            return []
        _, frozen, rule = self._open.pop(at)
        targets = state.targets

        def at_freeze(aggregate: str) -> TargetState | None:
            return targets.get(packed(aggregate) if state.packed_ids else aggregate)

        payload = frozen["payload"]
        if "changed_out" not in payload:
            self.notes += [(at, n) for n in unlisted(rule.listed(at_freeze), rule.moved(at_freeze))]
            return []

        def inspector_at(aggregate: str) -> Any:
            return inspector_of(state, aggregate, packing=True)

        out = window_problems(payload, frozen["time"], rule.policy)
        expected = {
            "changed_out": rule.listed(at_freeze),
            "changed_odds": rule.moved(at_freeze),
            "roster_changed": rule.roster_changed(inspector_at),
            "interests_declared": rule.interests(at_freeze, inspector_at),
        }
        for name, found in expected.items():  # freezes record all four since they list any
            if name not in payload:
                out.append(f"冻结列出了 changed_out，却没有列出 {name}")
            else:
                out += list_problems(name, payload[name], found)
        return out
