"""A draw's ``changed_out``, ``changed_odds`` and ``roster_changed`` read from the ledger: the
targets a registry change shortly before the freeze took out of its population, or left in it
with lower or higher odds (another stratum, another weight), and the inspectors it put on the
walks or took off — the steering a clerk with a friend's company in the registry would try.
The freeze records all three, with their window, in its signed event; a draw record of a
freeze recorded before then computes them here over 30 days.

The rule is the verifier's (``verify.recent_changes``), which step 9 recomputes from a bundle
and compares with the freeze's list, so the two cannot drift. This module only finds the
window's changes in the log and folds each changed target's (inspector's) own events, to give
the rule the record as it stood just before each change.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from verify.recent_changes import (
    DEFAULT_DAYS,
    INTEREST,
    TOPICS,
    WATCHED,
    RecentChanges,
    inspector_of,
    recent_change_days,
    window_start,
)
from verify.registry_state import RegistryState

from ..application import LedgerApp
from ..as_of import first_after
from ..mapper import parse_time

# How far before the window the log is read: its times may step back a little (ledger/clock.py
# warns); the rule itself decides by each event's time.
_MARGIN = timedelta(days=1)


def window(policy: dict[str, Any] | None, time: str) -> dict[str, Any]:
    """The window a freeze at ``time`` records under the policy in force:
    ``{"recent_change_days", "changed_since"}``."""
    days = recent_change_days(policy)
    return {"recent_change_days": days, "changed_since": window_start(time, days)}


def legacy_window(time: str) -> dict[str, Any]:
    """The window of a freeze recorded before freezes listed ``changed_out``."""
    return {"recent_change_days": DEFAULT_DAYS, "changed_since": window_start(time, DEFAULT_DAYS)}


def recent_changes(
    app: LedgerApp,
    params: dict[str, Any],
    registry: RegistryState,
    stop: int,
    since: str,
) -> dict[str, list[dict[str, Any]]]:
    """What the changes recorded after ``since`` did to a draw (``params``: its opening's
    criteria, strata, weights) that froze ``registry`` (the log up to ledger position
    ``stop``): ``changed_out``, the targets they took out, ``changed_odds``, those they left in
    another stratum or with another weight, each sorted by target, ``roster_changed``, the
    inspectors they put on the lead's walks or took off, sorted by code, and
    ``interests_declared``, the interests declared in drawable targets that stand at the
    freeze, in log order."""
    rule = RecentChanges(params, registry.policy, since)
    start = first_after(app, parse_time(since) - _MARGIN, stop)
    made: dict[str, dict[int, int]] = {}  # aggregate -> version -> ledger position
    for at, event in app.records(topics=sorted(WATCHED), start=start, stop=stop):
        envelope = event.envelope
        if rule.in_window(envelope) and envelope["type"] == INTEREST:
            rule.see_interest(envelope["aggregate"], at, envelope)  # nothing to fold
        elif rule.in_window(envelope):
            made.setdefault(envelope["aggregate"], {})[envelope["version"]] = at
    for aggregate, positions in made.items():
        if rule.drawable(registry.targets.get(aggregate)) and not rule.has_odds:
            continue  # drawable at the freeze, with the same odds whatever came before
        state, last = RegistryState(), max(positions)
        for envelope in (e.envelope for e in app.records_of(UUID(aggregate))):
            if envelope["version"] > last:
                break
            if envelope["version"] in positions:
                at = positions[envelope["version"]]
                if envelope["type"] in TOPICS:
                    rule.see(aggregate, at, envelope, state.targets.get(aggregate))
                else:
                    rule.see_inspector(aggregate, at, envelope, inspector_of(state, aggregate))
            state.apply(envelope)
    at_freeze = registry.targets.get

    def inspector_at(aggregate: str) -> Any:
        return inspector_of(registry, aggregate)

    return {
        "changed_out": rule.listed(at_freeze),
        "changed_odds": rule.moved(at_freeze),
        "roster_changed": rule.roster_changed(inspector_at),
        "interests_declared": rule.interests(at_freeze, inspector_at),
    }
