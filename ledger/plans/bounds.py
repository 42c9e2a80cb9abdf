"""A plan bounds its draws: the rule of verify/plan_bounds.py, applied before a draw opens."""

from __future__ import annotations

from typing import Any

from verify.plan_bounds import TOPICS, PlanBook, population_of

from ..application import LedgerApp
from ..errors import Conflict


def plan_book(app: LedgerApp) -> PlanBook:
    """The plans and draws as the log records them, folded in log order."""
    book = PlanBook()
    for position, event in app.records(topics=list(TOPICS)):
        book.apply(position - 1, event.envelope)
    return book


def check_plan_bound(app: LedgerApp, spec: dict[str, Any]) -> None:
    """Conflict if a draw of ``spec`` (naming an uploaded plan) would draw its plan over its
    counts, or would draw again a population of the plan that an earlier draw (not abandoned)
    drew."""
    book = plan_book(app)
    plan = spec["plan"]
    earlier = book.same_population(plan, population_of(spec))
    if earlier:
        raise Conflict(
            f"plan {plan}: draw {earlier[0].draw} drew this population already; a population "
            "is drawn again only after the earlier draw was abandoned with a reason "
            "(POST /draws/{id}/abandon)"
        )
    over = book.over(plan, spec["counts"])
    if over:
        raise Conflict(
            f"plan {plan} bounds its draws: {'; '.join(over)} (its counts plus what rolled "
            "over into it, minus draws not abandoned before their reveal)"
        )


def check_withdrawal(app: LedgerApp, plan: str) -> None:
    """Conflict if a draw of ``plan`` revealed its seed: its outcome is known, and withdrawing
    the plan to draw again under another is the re-draw the plan's bound stops."""
    revealed = plan_book(app).revealed(plan)
    if revealed:
        raise Conflict(
            f"plan {plan} cannot be withdrawn: its draw {revealed[0]} revealed its seed, so its "
            "outcome is known; drawing again under another plan is what a plan's bound stops"
        )
