"""Joint inspections (联合检查, "one visit, several checks"): the partner side of a draw.

The lead division draws the targets; it invites divisions or units that inspect the same kind of
premises. Each invited one, through its own clerk or head, accepts (naming listed items it owns,
or executes as a unit such as the supervision detachment, and its team size) or declines. An
accepting partner then assigns its own teams for the lead's selected targets, from its own roster
and qualified for its own item, as verifiably as the lead: the order comes from the draw's
revealed seed with the partner's own domain (``<seed>/partner-inspectors/<division>/<target>``)
over the registry frozen with the population, every skip logged — including whoever is already
on another division's team for that target; a later recusal or absence is a substitution in that
same order.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from verify.draw_rules import assignment, taken_by
from verify.draws import DrawError
from verify.inspection_rules import drawn_team_problem

from ..errors import BadInput, Conflict
from ..fields import Fields
from ..registry.divisions import Division, division_id
from .service import Draws, check_own_items


class JointInspections:
    def __init__(self, draws: Draws) -> None:
        self.draws = draws
        self.app = draws.app

    def invite(self, draw_id: UUID, division: str, note: str, by: str | None) -> None:
        """The lead division invites ``division`` to inspect the draw's targets with it."""
        draw = self.draws.get(draw_id)
        actor = self.draws.actor(by, draw.division)
        # NotFound names an unknown division as the caller wrote it
        self.app.get(division_id(division), Division, named=division)
        draw.invite(division, note.strip(), actor)
        self.app.save(draw)

    def accept(self, draw_id: UUID, division: str, data: dict[str, Any], by: str | None) -> None:
        """The invited division accepts, naming items it owns or executes and its team size."""
        f = Fields(data)
        items = f.codes("items")
        if not items:
            f.problem("items", "a partner names at least one of its own listed items")
        team_size = f.integer("team_size", required=True, low=2, high=20) or 0
        f.done()  # refuses a missing or out-of-range team size: 0 never reaches the event
        if problem := drawn_team_problem(team_size, self.app.policy_in_force()):
            raise BadInput(f"team_size: {problem}")
        draw = self.draws.get(draw_id)
        actor = self.draws.actor(by, division)
        check_own_items(self.app, division, items, "a partner inspects")
        draw.accept(division, items, team_size, actor)
        self.app.save(draw)

    def decline(self, draw_id: UUID, division: str, reason: str, by: str | None) -> None:
        if not reason.strip():
            raise BadInput("reason: a division that declines says why")
        draw = self.draws.get(draw_id)
        actor = self.draws.actor(by, division)
        draw.decline(division, reason.strip(), actor)
        self.app.save(draw)

    def assign(self, draw_id: UUID, division: str, by: str | None) -> list[dict[str, Any]]:
        """The partner's teams for the lead's selected targets (its own roster and items)."""
        draw = self.draws.get(draw_id)
        actor = self.draws.actor(by, division)
        draw.check_selected("assign a partner's inspectors")
        partner = draw.check_partner(division, "accepted", "assign its inspectors")
        state = self.draws.registry_at(draw.position)
        selected = self.draws.selected_targets(draw_id)
        on_date = self.draws.today().isoformat()
        taken = taken_by(draw.teams_by_division(), division)
        try:
            teams = assignment(draw.params(), state, selected, on_date, partner, taken)
        except DrawError as e:
            raise Conflict(f"division {division} cannot form its teams: {e}") from None
        draw.assign_partner(division, on_date, teams, actor)
        self.app.save(draw)
        return teams

    def substitute(
        self,
        draw_id: UUID,
        division: str,
        target: str,
        inspector: str,
        reason: str,
        by: str | None,
    ) -> str:
        """Replace a member of the partner's team by the next eligible one in its order."""
        draw = self.draws.get(draw_id)
        actor = self.draws.actor(by, division)
        partner = draw.check_partner(division, "assigned", "substitute an inspector")
        facts = self.draws.substitution(
            draw, partner["teams"], target, inspector, reason, partner["on_date"], partner
        )
        draw.substitute_partner({"division": division, **facts}, actor)
        self.app.save(draw)
        return str(facts["substitute"])
