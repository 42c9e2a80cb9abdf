"""Steps the plan and draw tests repeat: a plan through its workflow, a draw up to a step."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from ledger.demo.changzhou import AGGREGATOR
from ledger.draws.service import Draws
from ledger.plans.service import Plans
from verify.entropy import contribution_commitment

# A ceremony of two parties (the drawing division and the legal office): what each reveals after
# the freeze, and what each committed to when the draw opened.
CONTRIBUTIONS = {"szc": "16180339887498948482045868343656" * 2, "szc-legal": "27" * 32}
CEREMONY = [
    {"party": p, "commitment": contribution_commitment(c)} for p, c in CONTRIBUTIONS.items()
]


def with_ceremony(spec: dict[str, Any]) -> dict[str, Any]:
    """A draw spec that commits to the test ceremony."""
    return {"ceremony": CEREMONY, **spec}


def reveal(draws: Draws, draw: UUID, by: str) -> dict[str, Any]:
    """Reveal a draw opened ``with_ceremony``: both parties' contributions, no beacon."""
    return draws.reveal(draw, None, CONTRIBUTIONS, by)


def uploaded_plan(app: Any, spec: dict[str, Any], today: date) -> UUID:
    """Draft, review, submit, consolidate and upload a plan, each by the official for it."""
    plans = Plans(app, today=today)
    clerk = f"{spec['division']}-clerk"
    plan = plans.draft(spec, clerk)
    plans.review(plan, True, "同意", "jld-leader-1")
    plans.submit(plan, clerk)
    plans.consolidate(plan, AGGREGATOR)
    plans.upload(plan, AGGREGATOR)
    return plan


def draw_until(draws: Draws, spec: dict[str, Any], last: str = "assign") -> UUID:
    """Open a draw and run its steps up to ``last`` (freeze, reveal, select or assign)."""
    clerk = f"{spec['division']}-clerk"
    draw = draws.open(with_ceremony(spec), clerk)
    steps = {
        "freeze": lambda: draws.freeze(draw, clerk),
        "reveal": lambda: reveal(draws, draw, clerk),
        "select": lambda: draws.select(draw, clerk),
        "assign": lambda: draws.assign(draw, clerk),
    }
    for name, step in steps.items():
        step()
        if name == last:
            break
    return draw
