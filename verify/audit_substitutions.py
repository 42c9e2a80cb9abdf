"""The rule audit of substitutions (``verify/rule_audit.py``): no team of a draw substituted more
often than the policy allows (``[draws] substitutions_per_team``, 2 when the policy says nothing).

A substitution (``draw.inspector_substituted``, ``draw.partner_inspector_substituted``) replaces a
member of a drawn team — a recusal, an illness — by the next inspector of the team's seeded walk,
publicly and with a reason; no one chooses the newcomer. But whoever records them can substitute
again and again, each time with a plausible reason, and so walk down the seeded order until the
inspector they want comes up (docs/STEERING.md, "Repeated substitutions"). The ledger cannot
refuse a real chain of conflicts; the audit counts them: a team (a draw, the lead's or a joint
partner's teams, one target) substituted more often than the policy in force at a substitution
allows is a finding naming every substitution of the team.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from .audit_log import MAX_NAMED, AuditLog, EventRef, Family, RuleAudit

RULE = "substitutions"
DEFAULT_PER_TEAM = 2
SUBSTITUTIONS = ("draw.inspector_substituted", "draw.partner_inspector_substituted")


def substitutions_per_team(policy: dict[str, Any] | None) -> int:
    """How often one team may be substituted under ``policy`` (the policy in force)."""
    return int((policy or {}).get("draws", {}).get("substitutions_per_team", DEFAULT_PER_TEAM))


class Substitutions(Family):
    def __init__(self) -> None:
        # (draw, partner division or "" for the lead, target) -> its substitutions
        self.teams: dict[tuple[str, str, str], list[EventRef]] = defaultdict(list)
        self.over: dict[tuple[str, str, str], int] = {}  # team -> the allowance it went over

    def judge(
        self, ref: EventRef, payload: dict[str, Any], log: AuditLog, audit: RuleAudit
    ) -> None:
        if ref.type not in SUBSTITUTIONS:
            return
        audit.checked[RULE] += 1
        team = (ref.id, str(payload.get("division", "")), str(payload["target"]))
        self.teams[team].append(ref)
        allowed = substitutions_per_team(log.policy)
        if len(self.teams[team]) > allowed and team not in self.over:
            self.over[team] = allowed

    def finish(self, log: AuditLog, audit: RuleAudit, as_of: date) -> None:
        for team, allowed in self.over.items():
            draw, division, target = team
            refs = self.teams[team]
            whose = f"division {division}'s" if division else "the lead's"
            audit.find(
                RULE,
                f"draw {draw}: {whose} team for target {target} was substituted {len(refs)} "
                f"times; the policy allows {allowed}",
                *refs[:MAX_NAMED],
                kind="repeated_substitutions",
                draw=draw,
                team=f"协办处室 {division} 的" if division else "牵头处室的",
                target=target,
                count=len(refs),
                allowed=allowed,
            )
