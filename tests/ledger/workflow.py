"""Steps the plan and draw tests repeat: a plan through its workflow, a draw up to a step."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from ledger.demo.changzhou import AGGREGATOR
from ledger.draws.service import Draws
from ledger.plans.service import Plans

ENTROPY = "16180 33988 74989 48482 04586"


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
    draw = draws.open(spec, clerk)
    steps = {
        "freeze": lambda: draws.freeze(draw, clerk),
        "reveal": lambda: draws.reveal(draw, ENTROPY, clerk),
        "select": lambda: draws.select(draw, clerk),
        "assign": lambda: draws.assign(draw, clerk),
    }
    for name, step in steps.items():
        step()
        if name == last:
            break
    return draw
