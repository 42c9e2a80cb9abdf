"""The draw service: one method per step of the draw protocol (DESIGN.md).

The rules come from ``verify`` (eligibility, sampling, entropy sources and seed derivation, plan
bounds), applied to the registry folded from the log itself, so the verifier re-derives every
step from an exported bundle. The secret nonce lives outside the log, sealed (``nonces.py``),
from opening until the reveal. Times are the events' own clock (``eventsourcing``'s), so the
order the service enforces is the order the verifier reads from the events' times.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing import domain

from verify.authority_rules import directed_refusal
from verify.draw_rules import (
    assignment,
    frozen_population,
    population_table,
    roster_digests,
    selection,
    substitution,
    taken_by,
)
from verify.draws import (
    DrawError,
    nonce_commitment,
    population_digest,
    population_table_digest,
)
from verify.eligibility import STRATIFY_BY
from verify.entropy import check_order, check_reveal, check_sources, derive_seed_v2
from verify.inspection_rules import drawn_team_problem
from verify.registry_state import RegistryState

from ..application import LedgerApp
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..fields import Fields, check_code
from ..mapper import format_time
from ..plans.aggregate import Plan
from ..plans.bounds import check_plan_bound
from ..registry.authority import acting
from ..registry.items import Item, item_id
from ..registry.states import RegistryStates
from .aggregate import NON_RANDOM_GROUNDS, DirectedInspection, Draw
from .nonces import NonceVault
from .populations import FrozenPopulations, kept_population
from .recent_changes import recent_changes, window

# How long after the beacon round (or, without one, after the opening) a draw may be revealed;
# later, it can only be abandoned (recorded as overdue).
REVEAL_WITHIN = timedelta(days=7)


def now() -> datetime:
    """The events' clock (what ``time`` in each envelope records)."""
    return domain.datetime_now_with_tzinfo()


def parse_draw(data: dict[str, Any]) -> dict[str, Any]:
    f = Fields(data)
    division = check_code(f, "division")
    items = f.codes("items")
    if not items:
        f.problem("items", "a draw names at least one listed inspection item")
    stratify_by = data.get("stratify_by")
    if stratify_by is not None and stratify_by not in STRATIFY_BY:
        f.problem("stratify_by", f"must be one of {', '.join(STRATIFY_BY)} or absent")
    counts = f.counts("counts")
    team_size = f.integer("team_size", required=True, low=2, high=20)
    criteria = {"division": division, "items": items}
    for name in ("districts", "grids", "kinds", "credit_classes"):
        if data.get(name):
            criteria[name] = [str(v) for v in data[name]]
    sources = parse_sources(data, f)
    spec = {
        "division": division,
        "plan": f.text("plan", required=False, max_len=64),
        "items": items,
        "criteria": criteria,
        "stratify_by": stratify_by,
        "counts": counts,
        "weighted": f.boolean("weighted"),
        "team_size": team_size,
        "entropy_sources": sources,
    }
    f.done()
    return spec


def parse_sources(data: dict[str, Any], f: Fields) -> dict[str, Any]:
    """The draw's ``entropy_sources``: ``beacon`` and/or ``ceremony`` as given, and
    ``reveal_by`` (default: ``REVEAL_WITHIN`` after the round's time, or after now)."""
    beacon, ceremony = data.get("beacon"), data.get("ceremony") or []
    reveal_by = data.get("reveal_by")
    if reveal_by is None:
        start = now()
        if isinstance(beacon, dict) and isinstance(beacon.get("scheduled_at"), str):
            with suppress(ValueError):  # check_sources names a bad time
                start = datetime.fromisoformat(beacon["scheduled_at"].replace("Z", "+00:00"))
        reveal_by = (start + REVEAL_WITHIN).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    sources = {"beacon": beacon, "ceremony": ceremony, "reveal_by": reveal_by}
    for problem in check_sources(sources):
        name, _, why = problem.partition(": ")
        field = name.split(".")[0].split(" ")[0]
        f.problem("beacon" if field == "entropy_sources" else field, why)
    return sources


class Draws:
    def __init__(self, app: LedgerApp, today: date | None = None) -> None:
        self.app = app
        self._today = today
        self.states = RegistryStates(app)
        self.nonces = NonceVault(app)

    def on(self, day: date) -> Draws:
        """The same service acting on another day (demos, tests), sharing its kept states."""
        other = copy.copy(self)
        other._today = day
        return other

    def reading(self, app: LedgerApp) -> Draws:
        """The same service reading ``app`` instead (the ledger as of a position,
        ``ledger/as_of.py``), sharing its kept registry states: the registry at a position is
        the same in every view of the log that holds that position."""
        other = copy.copy(self)
        other.app = app
        return other

    def today(self) -> date:
        """The date of the freeze's year and the teams' eligibility (fixed in tests and demos)."""
        return self._today or datetime.now(UTC).date()

    def actor(self, by: str | None, division: str) -> dict[str, Any]:
        return acting(self.app, by, "draw.run", division)

    def get(self, draw: UUID) -> Draw:
        record: Draw = self.app.get(draw, Draw)
        return record

    # (1): open -----------------------------------------------------------------------------------

    def open(self, data: dict[str, Any], by: str | None) -> UUID:
        spec = parse_draw(data)
        actor = self.actor(by, spec["division"])
        check_own_items(self.app, spec["division"], spec["items"], "a division draws")
        beacon = spec["entropy_sources"]["beacon"]
        opening = format_time(now())
        if beacon is not None and check_order(spec["entropy_sources"], opening, None):
            raise BadInput(
                f"beacon.scheduled_at: round {beacon['round']} of {beacon['source']} is "
                f"scheduled at {beacon['scheduled_at']}, not after now ({opening}); name a "
                "round to be published after the freeze"
            )
        policy = self.app.policy_in_force()
        if problem := drawn_team_problem(spec["team_size"], policy):
            raise BadInput(f"team_size: {problem}")
        if spec["plan"] is not None:
            self._check_plan(spec)
            check_plan_bound(self.app, spec)
        draw_id = uuid4()
        nonce = self.nonces.new(draw_id)
        spec = {**spec, "policy_version": policy["version"]}
        draw = Draw.open(draw_id, spec, nonce_commitment(nonce), actor)
        self.app.save(draw)
        return draw.id

    def abandon(self, draw_id: UUID, reason: str, by: str | None) -> dict[str, Any]:
        """End a draw before its teams are assigned (``draw.abandoned``, by the division
        head, with the reason the column publishes); marks it overdue if its reveal is late."""
        draw = self.get(draw_id)
        actor = acting(self.app, by, "draw.abandon", draw.division)
        overdue = draw.step in ("opened", "frozen") and self._overdue(draw)
        draw.abandon(reason.strip(), overdue, actor)
        self.app.save(draw)
        return {"draw": str(draw_id), "step": draw.step, **(draw.abandoned or {})}

    def _overdue(self, draw: Draw) -> bool:
        sources = draw.entropy_sources
        if sources is None:
            return False
        return now() > datetime.fromisoformat(sources["reveal_by"].replace("Z", "+00:00"))

    def record_non_random(self, data: dict[str, Any], by: str | None) -> UUID:
        """Record a complaint-driven or legally mandated inspection: not drawn, still traced."""
        f = Fields(data)
        division = check_code(f, "division")
        items = f.codes("items")
        ground = f.choice("ground", NON_RANDOM_GROUNDS)
        targets = sorted({str(t) for t in data.get("targets") or []})
        facts: dict[str, Any] = {
            "division": division,
            "items": items,
            "targets": targets,
            "ground": ground,
            "reason": f.text("reason", max_len=2000),
            "legal_basis": f.text("legal_basis", max_len=500),
            "on_date": self.today().isoformat(),
        }
        if not items:
            f.problem("items", "name the listed inspection item(s)")
        if not targets:
            f.problem("targets", "name at least one target (credit code or kind:code)")
        f.done()
        actor = self.actor(by, str(division))
        self._check_directed(str(division), items, targets)
        record = DirectedInspection.record(facts, actor)
        self.app.save(record)
        return record.id

    def _check_directed(self, division: str, items: list[str], targets: list[str]) -> None:
        """A directed inspection names listed items and registered targets (BadInput), and only
        the division's own, or an item it executes jointly and its owner's targets carrying it
        (Forbidden; ``authority_rules.directed_refusal``)."""
        listed: dict[str, tuple[str, Collection[str]] | None] = {}
        for code in items:
            if not self.app.recorder.select_events(item_id(code), limit=1):
                raise BadInput(f"items: no inspection item {code!r}: no inspection without one")
            item: Item = self.app.get(item_id(code), Item, named=code)
            if item.withdrawn:
                raise BadInput(f"items: item {code} is withdrawn from the list")
            listed[code] = (item.division, item.executing_units)
        registry = {t.key: t for t in self.registry_at(None).targets.values()}
        unknown = [t for t in targets if t not in registry]
        if unknown:
            raise BadInput(f"targets: not in the registry: {unknown}")
        named = {t: (registry[t].division, registry[t].items) for t in targets}
        refusal = directed_refusal(division, dict(listed), dict(named))
        if refusal is not None:
            raise Forbidden(
                f"division {division} may not record this directed inspection: {refusal}"
            )

    def _check_plan(self, spec: dict[str, Any]) -> None:
        """A planned draw follows an uploaded plan of its own division and its items."""
        try:
            plan: Plan = self.app.get(UUID(spec["plan"]), Plan)
        except ValueError:
            raise BadInput(f"plan: {spec['plan']!r} is not a plan id") from None
        if plan.division != spec["division"]:
            raise Forbidden(
                f"plan {spec['plan']} belongs to division {plan.division}; a division draws "
                "only for its own plans (谁审批谁监管)"
            )
        if plan.status != "uploaded":
            raise Conflict(f"plan {spec['plan']} is {plan.status}; draws follow uploaded plans")
        outside = sorted(set(spec["items"]) - set(plan.content["items"]))
        if outside:
            raise BadInput(f"items {outside} are not in plan {spec['plan']}")

    # (2): freeze the population ------------------------------------------------------------------

    def freeze(self, draw_id: UUID, by: str | None) -> dict[str, Any]:
        draw = self.get(draw_id)
        actor = self.actor(by, draw.division)
        draw.check_step("opened", "freeze the population")
        time = format_time(now())
        self._check_time(draw, time, None)
        state, last = self.states.head()
        year = self.today().year
        pop = frozen_population({**draw.params(), "year": year}, state)
        missing = sorted(set(draw.counts) - set(pop.strata))
        if missing and any(draw.counts[s] for s in missing):
            raise Conflict(
                f"strata {missing} have no eligible target; counts name {sorted(draw.counts)}"
            )
        for stratum, count in draw.counts.items():
            size = len(pop.strata.get(stratum, []))
            if count > size:
                raise Conflict(
                    f"stratum {stratum!r}: {count} targets asked, only {size} eligible "
                    f"({len(pop.exclusions)} excluded in scope)"
                )
        rows = population_table(draw.params(), state, pop)
        facts = {
            "position": state.position,
            "year": year,
            "count": len(pop.ids),
            "digest": population_digest(pop.ids),
            "table_digest": population_table_digest(rows),
            "strata": {s: len(keys) for s, keys in pop.strata.items()},
            "exclusions": [{"target": k, "reason": r} for k, r in pop.exclusions],
            **roster_digests(state),
        }
        # what registry changes just before now did to the draw (verify/recent_changes.py)
        recent = window(state.policy, time)
        since = recent["changed_since"]
        facts.update(recent, **recent_changes(self.app, draw.params(), state, last, since))
        draw.freeze(facts, actor)
        self.app.save(draw)
        # kept for the dispute file of the draw, which checks it against these signed digests
        FrozenPopulations(self.app).save(kept_population(str(draw_id), rows, state))
        return facts

    def registry_at(self, position: int | None) -> RegistryState:
        """The registry folded from the first ``position`` events of the log (all if None);
        kept states are shared: callers only read them."""
        return self.states.at(position)

    # (3): reveal the seed ------------------------------------------------------------------------

    def reveal(
        self,
        draw_id: UUID,
        beacon_value: str | None,
        contributions: dict[str, str],
        by: str | None,
    ) -> dict[str, Any]:
        """Record the committed entropy and the nonce, and derive the seed; refused unless the
        beacon value and every party's contribution match what the opening committed to, and
        the time is after the freeze and the beacon round and not after ``reveal_by``."""
        draw = self.get(draw_id)
        actor = self.actor(by, draw.division)
        draw.check_step("frozen", "reveal the seed")
        sources = draw.entropy_sources
        if sources is None:
            raise Conflict(
                "this draw was opened without entropy sources (a beacon round or ceremony "
                "commitments): its seed could be steered; abandon it and open a new draw"
            )
        self._check_time(draw, format_time(draw.frozen_at), format_time(now()))
        try:
            value = check_reveal(sources, beacon_value, contributions)
        except DrawError as e:
            raise BadInput(str(e)) from None
        nonce = self.nonces.get(draw_id)
        beacon = sources["beacon"]
        facts = {
            "beacon": None
            if beacon is None
            else {
                "source": beacon["source"],
                "round": beacon["round"],
                "value_as_entered": beacon_value or "",
                "value": value,
            },
            "contributions": dict(sorted(contributions.items())),
            "nonce": nonce.hex(),
            "seed": derive_seed_v2(nonce, value, contributions),
        }
        draw.reveal(facts, actor)
        self.app.save(draw)
        return facts

    def _check_time(self, draw: Draw, frozen_at: str | None, revealed_at: str | None) -> None:
        """The timing rule of verify/entropy.py, at the freeze or the reveal; an overdue draw
        is told to be abandoned (it is never silently re-opened)."""
        sources = draw.entropy_sources
        if sources is None:
            return
        if self._overdue(draw):
            raise Conflict(
                f"the draw was due to be revealed by {sources['reveal_by']}; it can only be "
                "abandoned now (POST /draws/{id}/abandon, by the division head, with a reason)"
            )
        problems = check_order(sources, frozen_at, revealed_at)
        if problems:
            raise Conflict("; ".join(problems))

    # (4): select targets -------------------------------------------------------------------------

    def select(self, draw_id: UUID, by: str | None) -> list[dict[str, Any]]:
        draw = self.get(draw_id)
        actor = self.actor(by, draw.division)
        draw.check_step("revealed", "select targets")
        state = self.registry_at(draw.position)
        strata = selection(draw.params(), state)
        draw.select(strata, actor)
        self.app.save(draw)
        return strata

    # (5): assign inspectors ----------------------------------------------------------------------

    def assign(self, draw_id: UUID, by: str | None) -> list[dict[str, Any]]:
        draw = self.get(draw_id)
        actor = self.actor(by, draw.division)
        draw.check_step("selected", "assign inspectors")
        state = self.registry_at(draw.position)
        selected = self.selected_targets(draw_id)
        on_date = self.today().isoformat()
        taken = taken_by(draw.teams_by_division(), draw.division)  # partners that drew first
        try:
            teams = assignment(draw.params(), state, selected, on_date, taken=taken)
        except DrawError as e:
            raise Conflict(f"the draw stops: {e}") from None
        draw.assign(on_date, teams, actor)
        self.app.save(draw)
        return teams

    def selected_targets(self, draw_id: UUID) -> list[str]:
        """The selected target ids in draw order, as the selection event recorded them."""
        for event in self.app.records_of(draw_id):
            if event.type == "draw.targets_selected":
                payload = event.envelope["payload"]
                return [s["target"] for stratum in payload["strata"] for s in stratum["selected"]]
        raise Conflict("no targets were selected")

    # (6): substitute -----------------------------------------------------------------------------

    def substitute(
        self, draw_id: UUID, target: str, inspector: str, reason: str, by: str | None
    ) -> str:
        draw = self.get(draw_id)
        actor = self.actor(by, draw.division)
        draw.check_step("assigned", "substitute an inspector")
        facts = self.substitution(draw, draw.teams, target, inspector, reason, draw.on_date)
        draw.substitute(facts, actor)
        self.app.save(draw)
        return str(facts["substitute"])

    def substitution(
        self,
        draw: Draw,
        teams: dict[str, dict[str, Any]],
        target: str,
        inspector: str,
        reason: str,
        on_date: str,
        partner: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The facts of a substitution in one of ``teams`` (the lead's or a partner's)."""
        team = teams.get(target)
        if team is None:
            raise NotFound(f"target {target} was not selected in this draw")
        if inspector not in team["members"]:
            raise Conflict(f"inspector {inspector} is not on the team for {target}")
        if not reason.strip():
            raise BadInput("reason: a substitution states why (recusal, absence, ...)")
        state = self.registry_at(draw.position)
        own = draw.division if partner is None else partner["division"]
        taken = taken_by(draw.teams_by_division(), own)
        try:
            substitute, skips, walked = substitution(
                draw.params(), state, team, inspector, on_date, partner, taken
            )
        except DrawError as e:
            raise Conflict(str(e)) from None
        return {
            "target": target,
            "replaced": inspector,
            "reason": reason,
            "substitute": substitute,
            "skips": [{"inspector": s.inspector, "reason": s.reason} for s in skips],
            "walked": walked,
        }


def check_own_items(app: LedgerApp, division: str, codes: list[str], who: str) -> None:
    """BadInput unless every item is listed, not withdrawn, and owned or executed by
    ``division`` (谁审批谁监管)."""
    for code in codes:
        try:
            item: Item = app.get(item_id(code), Item, named=code)
        except NotFound:
            raise BadInput(
                f"items: no inspection item {code!r}: no inspection without a listed item"
            ) from None
        if item.withdrawn:
            raise BadInput(f"items: item {code} is withdrawn from the list")
        if division != item.division and division not in item.executing_units:
            raise BadInput(
                f"items: item {code} belongs to division {item.division} (executed by "
                f"{', '.join(item.executing_units) or 'no unit'}); {who} only for items it "
                "owns or executes (谁审批谁监管)"
            )
