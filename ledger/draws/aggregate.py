"""A draw: the six steps of DESIGN.md's draw protocol, each one a signed event.

open (commitment to a secret nonce and to the entropy sources: a beacon round and/or ceremony
commitments) → population frozen (count, digest, exclusions at a ledger position) → seed
revealed (beacon value, ceremony contributions, nonce) → targets selected → inspectors assigned →
substitutions. Each step checks that the previous one happened and that it has not happened
already; nothing is ever re-drawn with a new seed. Before its teams are assigned, a draw can be
ended only by ``draw.abandoned`` (a reason, by the division head); it takes no step after that.

A joint inspection (联合检查) rides on the lead division's draw: the lead invites other divisions
or units; each accepts (naming its own items and team size) or declines; an accepting partner
assigns its own teams for the lead's selected targets and substitutes within them, each act an
event of the same draw. A draw of a monthly plan that is unfinished at the month's end rolls over
into the next month (``draw.rolled_over``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from verify.draw_rules import substituted
from verify.workdays import CHINA

from ..aggregates import LedgerAggregate
from ..errors import BadInput, Conflict, NotFound

ALGORITHM = "drawledger/draw/v1: consistent-sampler 1.0.10 without replacement, SHA-256"
STEPS = ("opened", "frozen", "revealed", "selected", "assigned")
# What the draw rules (verify/draw_rules.py) read from the opening, besides the year and seed.
RULE_PARAMS = ("criteria", "stratify_by", "counts", "weighted", "team_size", "items")


class Draw(LedgerAggregate):
    TOPIC = "draw"
    STEPS = STEPS

    if TYPE_CHECKING:
        division: str
        plan: str | None
        items: list[str]
        criteria: dict[str, Any]
        stratify_by: str | None
        counts: dict[str, int]
        weighted: bool
        team_size: int
        policy_version: str
        commitment: str
        entropy_sources: dict[str, Any] | None
        abandoned: dict[str, Any] | None
        frozen_at: datetime
        step: str
        position: int
        year: int
        seed: str
        teams: dict[str, dict[str, Any]]
        on_date: str
        partners: dict[str, dict[str, Any]]
        month: str | None

    class Created(LedgerAggregate.Created):
        TOPIC = "draw.opened"
        division: str
        plan: str | None
        items: list[str]
        criteria: dict[str, Any]
        stratify_by: str | None
        counts: dict[str, int]
        weighted: bool
        team_size: int
        policy_version: str
        algorithm: str
        commitment: str
        entropy_sources: dict[str, Any]

        def apply(self, draw: Draw) -> None:
            for name in ("division", "plan", "policy_version", "commitment", *RULE_PARAMS):
                setattr(draw, name, getattr(self, name))
            # Draws opened before entropy sources existed have none (typed entropy, seed v1).
            draw.entropy_sources = self.__dict__.get("entropy_sources")
            draw.abandoned = None
            draw.step = "opened"
            draw.teams = {}
            draw.partners = {}
            draw.month = None

    class PopulationFrozen(LedgerAggregate.Event):
        TOPIC = "draw.population_frozen"
        position: int
        year: int
        count: int
        digest: str  # the ids (verify.draws.population_digest)
        table_digest: str  # ids, strata, weights; absent in freezes recorded before it existed
        strata: dict[str, int]
        exclusions: list[dict[str, str]]
        # The rosters the walks read (verify.draw_rules.roster_digests); absent in freezes
        # recorded before they existed ("roster not committed")
        roster_digest: str
        partner_roster_digests: dict[str, str]
        # The targets a registry change in the window before the freeze took out or left with
        # other odds, the inspectors it put on the walks or took off, the interests declared
        # in its targets, and the window
        # (verify/recent_changes.py); absent in earlier freezes
        recent_change_days: int
        changed_since: str
        changed_out: list[dict[str, Any]]
        changed_odds: list[dict[str, Any]]
        roster_changed: list[dict[str, Any]]
        interests_declared: list[dict[str, Any]]

        def apply(self, draw: Draw) -> None:
            draw.step, draw.position, draw.year = "frozen", self.position, self.year
            draw.frozen_at = self.timestamp

    class SeedRevealed(LedgerAggregate.Event):
        """The seed, from the committed sources (verify/entropy.py). Draws opened without
        sources recorded ``entropy_as_entered`` and ``entropy`` instead of ``beacon`` and
        ``contributions`` (seed v1)."""

        TOPIC = "draw.seed_revealed"
        beacon: dict[str, str] | None
        contributions: dict[str, str]
        nonce: str
        seed: str

        def apply(self, draw: Draw) -> None:
            draw.step, draw.seed = "revealed", self.seed

    class TargetsSelected(LedgerAggregate.Event):
        TOPIC = "draw.targets_selected"
        strata: list[dict[str, Any]]

        def apply(self, draw: Draw) -> None:
            draw.step = "selected"

    class InspectorsAssigned(LedgerAggregate.Event):
        TOPIC = "draw.inspectors_assigned"
        on_date: str
        teams: list[dict[str, Any]]

        def apply(self, draw: Draw) -> None:
            draw.step = "assigned"
            draw.on_date = self.on_date
            draw.teams = {t["target"]: dict(t) for t in self.teams}

    class InspectorSubstituted(LedgerAggregate.Event):
        TOPIC = "draw.inspector_substituted"
        target: str
        replaced: str
        reason: str
        substitute: str
        skips: list[dict[str, str]]
        walked: int

        def apply(self, draw: Draw) -> None:
            _replace(draw.teams[self.target], self)

    class PartnerInvited(LedgerAggregate.Event):
        TOPIC = "draw.partner_invited"
        division: str
        note: str

        def apply(self, draw: Draw) -> None:
            draw.partners[self.division] = {"division": self.division, "status": "invited"}

    class PartnerAccepted(LedgerAggregate.Event):
        TOPIC = "draw.partner_accepted"
        division: str
        items: list[str]
        team_size: int

        def apply(self, draw: Draw) -> None:
            draw.partners[self.division].update(
                status="accepted", items=list(self.items), team_size=self.team_size
            )

    class PartnerDeclined(LedgerAggregate.Event):
        TOPIC = "draw.partner_declined"
        division: str
        reason: str

        def apply(self, draw: Draw) -> None:
            draw.partners[self.division]["status"] = "declined"

    class PartnerInspectorsAssigned(LedgerAggregate.Event):
        TOPIC = "draw.partner_inspectors_assigned"
        division: str
        position: int  # the roster is the one frozen with the population
        on_date: str
        teams: list[dict[str, Any]]

        def apply(self, draw: Draw) -> None:
            draw.partners[self.division].update(
                status="assigned",
                on_date=self.on_date,
                teams={t["target"]: dict(t) for t in self.teams},
            )

    class PartnerInspectorSubstituted(InspectorSubstituted):
        TOPIC = "draw.partner_inspector_substituted"
        division: str

        def apply(self, draw: Draw) -> None:
            _replace(draw.partners[self.division]["teams"][self.target], self)

    class Abandoned(LedgerAggregate.Event):
        TOPIC = "draw.abandoned"
        reason: str
        step: str
        overdue: bool  # not revealed by the draw's reveal_by

        def apply(self, draw: Draw) -> None:
            draw.abandoned = {"reason": self.reason, "step": self.step, "overdue": self.overdue}

    class RolledOver(LedgerAggregate.Event):
        TOPIC = "draw.rolled_over"
        plan: str
        from_month: str
        to_month: str
        step: str

        def apply(self, draw: Draw) -> None:
            draw.month = self.to_month

    @classmethod
    def open(cls, draw: UUID, spec: dict[str, Any], commitment: str, actor: dict[str, Any]) -> Draw:
        return cls._create(
            cls.Created,
            id=draw,
            actor=actor,
            algorithm=ALGORITHM,
            commitment=commitment,
            **spec,
        )

    def params(self) -> dict[str, Any]:
        """What the draw rules read: the opening parameters, the freeze year, the seed."""
        params = {name: getattr(self, name) for name in RULE_PARAMS}
        params["year"] = getattr(self, "year", None)
        params["seed"] = getattr(self, "seed", None)
        return params

    def check_step(self, expected: str, doing: str) -> None:
        if self.abandoned is not None:
            raise Conflict(
                f"cannot {doing}: the draw was abandoned at step '{self.abandoned['step']}' "
                f"({self.abandoned['reason']})"
            )
        super().check_step(expected, doing)

    def abandon(self, reason: str, overdue: bool, actor: dict[str, Any]) -> None:
        """End the draw before its teams are assigned; refused once they are, or twice."""
        if self.abandoned is not None:
            raise Conflict(f"the draw was abandoned already ({self.abandoned['reason']})")
        if STEPS.index(self.step) >= STEPS.index("assigned"):
            raise Conflict(
                "cannot abandon the draw: its teams are assigned; a member who cannot go is "
                "substituted (step 6), nothing is re-drawn"
            )
        if not reason.strip():
            raise BadInput("reason: abandoning a draw states why (it is published)")
        self.trigger_event(
            self.Abandoned, reason=reason, step=self.step, overdue=overdue, actor=actor
        )

    def freeze(self, facts: dict[str, Any], actor: dict[str, Any]) -> None:
        self.check_step("opened", "freeze the population")
        self.trigger_event(self.PopulationFrozen, actor=actor, **facts)

    def reveal(self, facts: dict[str, Any], actor: dict[str, Any]) -> None:
        self.check_step("frozen", "reveal the seed")
        self.trigger_event(self.SeedRevealed, actor=actor, **facts)

    def select(self, strata: list[dict[str, Any]], actor: dict[str, Any]) -> None:
        self.check_step("revealed", "select targets")
        self.trigger_event(self.TargetsSelected, strata=strata, actor=actor)

    def assign(self, on_date: str, teams: list[dict[str, Any]], actor: dict[str, Any]) -> None:
        self.check_step("selected", "assign inspectors")
        self.trigger_event(self.InspectorsAssigned, on_date=on_date, teams=teams, actor=actor)

    def substitute(self, facts: dict[str, Any], actor: dict[str, Any]) -> None:
        self.check_step("assigned", "substitute an inspector")
        self.trigger_event(self.InspectorSubstituted, actor=actor, **facts)

    # -- joint inspections ------------------------------------------------------------------

    def teams_by_division(self) -> dict[str, list[dict[str, Any]]]:
        """The teams drawn so far: the lead's and each assigned partner's, by division."""
        teams = {self.division: list(self.teams.values())}
        for division, partner in self.partners.items():
            teams[division] = list(partner.get("teams", {}).values())
        return teams

    def partner(self, division: str) -> dict[str, Any]:
        found = self.partners.get(division)
        if found is None:
            raise Conflict(
                f"division {division} was not invited to this draw; only a division the lead "
                f"division ({self.division}) invited takes part in its joint inspection"
            )
        return found

    def check_partner(self, division: str, expected: str, doing: str) -> dict[str, Any]:
        partner = self.partner(division)
        if partner["status"] != expected:
            why = {
                "invited": "it has not accepted the invitation",
                "accepted": "it has not assigned its inspectors",
                "declined": "it declined the invitation",
                "assigned": "it has assigned its inspectors already",
            }[partner["status"]]
            if expected == "invited":
                why = f"it has {partner['status']} already; an invitation is answered once"
            raise Conflict(f"division {division} cannot {doing}: {why}")
        return partner

    def invite(self, division: str, note: str, actor: dict[str, Any]) -> None:
        if division == self.division:
            raise BadInput(f"division: {division} leads this draw; it invites other divisions")
        if division in self.partners:
            status = self.partners[division]["status"]
            raise Conflict(f"division {division} was invited to this draw already ({status})")
        self.trigger_event(self.PartnerInvited, division=division, note=note, actor=actor)

    def accept(
        self, division: str, items: list[str], team_size: int, actor: dict[str, Any]
    ) -> None:
        self.check_partner(division, "invited", "accept")
        self.trigger_event(
            self.PartnerAccepted, division=division, items=items, team_size=team_size, actor=actor
        )

    def decline(self, division: str, reason: str, actor: dict[str, Any]) -> None:
        self.check_partner(division, "invited", "decline")
        self.trigger_event(self.PartnerDeclined, division=division, reason=reason, actor=actor)

    def check_selected(self, doing: str) -> None:
        """Partners draw for the lead's selected targets: only once they are selected."""
        if self.abandoned is not None:
            raise Conflict(f"cannot {doing}: the draw was abandoned ({self.abandoned['reason']})")
        if STEPS.index(self.step) < STEPS.index("selected"):
            raise Conflict(
                f"cannot {doing}: the lead division has not selected the targets yet (the draw "
                f"is at step '{self.step}'); partners assign inspectors for selected targets"
            )

    def assign_partner(
        self, division: str, on_date: str, teams: list[dict[str, Any]], actor: dict[str, Any]
    ) -> None:
        self.check_selected("assign a partner's inspectors")
        self.check_partner(division, "accepted", "assign its inspectors")
        self.trigger_event(
            self.PartnerInspectorsAssigned,
            division=division,
            position=self.position,
            on_date=on_date,
            teams=teams,
            actor=actor,
        )

    def substitute_partner(self, facts: dict[str, Any], actor: dict[str, Any]) -> None:
        self.check_partner(facts["division"], "assigned", "substitute an inspector")
        self.trigger_event(self.PartnerInspectorSubstituted, actor=actor, **facts)

    def roll_over(self, facts: dict[str, str], actor: dict[str, Any]) -> None:
        """Move the draw to the next month; MonthlyRollover decides that it was unfinished at
        the month's end (its teams may have been assigned since, late)."""
        if self.month is not None and self.month >= facts["to_month"]:
            raise Conflict(f"the draw rolled over into {self.month} already")
        self.trigger_event(self.RolledOver, actor=actor, **facts)


def _replace(team: dict[str, Any], event: Any) -> None:
    """A substitution: the substitute takes the replaced member's place; the walk went on."""
    team["members"] = substituted(team["members"], event.replaced, event.substitute)
    team["walked"] = event.walked


def draw_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise NotFound(f"{text!r} is not a draw id") from None


NON_RANDOM_GROUNDS = ("complaint", "report", "legally_mandated", "higher_authority", "other")
GROUND_LABELS = dict(
    zip(NON_RANDOM_GROUNDS, ("投诉", "举报", "法律法规规定", "上级交办", "其他"), strict=True)
)


class DirectedInspection(LedgerAggregate):
    """An inspection not drawn at random (complaint, tip-off, legal mandate): recorded the same
    way as a draw — who decided, on which ground and legal basis, which targets — but with no
    seed, because nothing was random."""

    TOPIC = "directed"

    if TYPE_CHECKING:
        division: str
        items: list[str]
        targets: list[str]
        on_date: str

    class Created(LedgerAggregate.Created):
        TOPIC = "directed.recorded"
        division: str
        items: list[str]
        targets: list[str]
        ground: str
        reason: str
        legal_basis: str
        on_date: str  # the day it was decided (China time); absent from records before it

        def apply(self, record: DirectedInspection) -> None:
            record.division, record.targets = self.division, list(self.targets)
            record.items = list(self.items)
            record.on_date = getattr(self, "on_date", None) or (
                self.timestamp.astimezone(CHINA).date().isoformat()
            )

    @classmethod
    def record(cls, facts: dict[str, Any], actor: dict[str, Any]) -> DirectedInspection:
        return cls._create(cls.Created, id=uuid4(), actor=actor, **facts)
