"""The targets a registry change shortly before a draw's freeze took out of its population: the
steering a clerk with a friend's company in the registry would try (its district, kind, credit
class, items, division or status changed just before the draw, so that it is no longer drawn).

The draw record lists them (``changed_out``) with each change's type, ledger position, time and
the fields it changed; who made it is in the target's trail (docs/TRAIL.md), as the record names
no official. A target is listed when, as its own events left it just before its first change in
the ``RECENT_DAYS`` days before the freeze, it was in the draw's scope
(``verify.eligibility.matches``) in a status the freeze's policy lets be drawn, and it is not in
the frozen population. A change made earlier than that is not listed here (the target's trail
still shows it); nor is one that left the target in the population.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from verify.eligibility import matches, status_reason
from verify.registry_state import RegistryState

from ..application import LedgerApp
from ..as_of import first_after
from ..mapper import parse_time

RECENT_DAYS = 30
TOPICS = ["target.updated", "target.status_changed"]


def changed_out(
    app: LedgerApp,
    criteria: dict[str, Any],
    registry: RegistryState,
    frozen: tuple[int, str],
) -> list[dict[str, Any]]:
    """The targets recently changed out of a draw over ``criteria`` that froze ``registry``
    (``frozen``: its ledger position and the freeze's time), sorted by target: ``{"target",
    "changes": [{"type", "position", "time", "changed"}]}``."""
    position, time = frozen
    policy = registry.policy or {}
    since = parse_time(time) - timedelta(days=RECENT_DAYS)
    changes: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for at, event in app.records(
        topics=TOPICS, start=first_after(app, since, position), stop=position
    ):
        changes.setdefault(event.envelope["aggregate"], []).append((at, event.envelope))

    def drawable(state: RegistryState) -> bool:
        targets = list(state.targets.values())  # the one target its own events leave
        return (
            len(targets) == 1
            and matches(targets[0], criteria)
            and not status_reason(targets[0], policy)
        )

    found = []
    for aggregate, made in changes.items():
        now = registry.targets.get(aggregate)
        if now is None or (matches(now, criteria) and not status_reason(now, policy)):
            continue  # drawable at the freeze (or not a target the freeze knows): not out
        first, last = made[0][1]["version"], made[-1][1]["version"]
        state, before = RegistryState(), []
        for envelope in (e.envelope for e in app.records_of(UUID(aggregate))):
            if envelope["version"] > last:
                break
            if envelope["version"] >= first:  # as it stood before each recent change
                before.append(drawable(state))
            state.apply(envelope)
        targets = list(state.targets.values())
        if any(before) and len(targets) == 1 and not drawable(state):
            found.append({"target": targets[0].key, "changes": [_change(at, e) for at, e in made]})
    return sorted(found, key=lambda t: t["target"])


def _change(position: int, envelope: dict[str, Any]) -> dict[str, Any]:
    payload = envelope["payload"]
    changed = sorted(payload["changes"]) if "changes" in payload else ["status"]
    return {
        "type": envelope["type"],
        "position": position,
        "time": envelope["time"],
        "changed": changed,
    }
