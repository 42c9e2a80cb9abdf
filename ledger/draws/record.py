"""The publishable record of a draw: a manifest and the frozen population list.

Anyone can reproduce the selection from these two files with only
``pip install consistent-sampler`` (docs/DRAWS.md), and check that the population list is the one
the draw committed to: ``LC_ALL=C sort -u population.txt | sha256sum`` prints the digest in the
manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from verify.draw_rules import frozen_population

from ..errors import NotFound
from .service import Draws

# Steps a draw may record more than once: listed whole, in log order.
_REPEATED = {
    "inspector_substituted",
    "partner_invited",
    "partner_accepted",
    "partner_declined",
    "partner_inspectors_assigned",
    "partner_inspector_substituted",
    "rolled_over",
}


def draw_record(draws: Draws, draw_id: UUID) -> tuple[dict[str, Any], list[str]]:
    """The manifest (every recorded step's facts) and the population's sorted ids; for a
    directed (non-random) record, what was recorded and no population."""
    steps: dict[str, Any] = {}
    positions: dict[str, int] = {}
    for event in draws.app.records_of(draw_id):
        steps.setdefault(event.type.split(".", 1)[1], []).append(
            {
                "time": event.envelope["time"],
                "actor": event.envelope["actor"],
                **event.envelope["payload"],
            }
        )
        positions[event.type] = event.version
    if not steps:
        raise NotFound(f"no draw with id {draw_id}")
    if "recorded" in steps and "opened" not in steps:
        return _directed_record(draws, draw_id, steps["recorded"][0]), []
    draw = draws.get(draw_id)
    population: list[str] = []
    if "population_frozen" in steps:
        state = draws.registry_at(draw.position)
        population = frozen_population(draw.params(), state).ids
    manifest = {
        "draw": str(draw_id),
        "ledger": draws.app.origin,
        "step": draw.step,
        **{name: (facts if name in _REPEATED else facts[0]) for name, facts in steps.items()},
        # A joint inspection: each invited division's answer and, once assigned, its own teams.
        "partners": [
            {**p, "teams": list(p["teams"].values())} if "teams" in p else dict(p)
            for p in draw.partners.values()
        ],
        "how_to_reproduce": "docs/DRAWS.md",
    }
    return manifest, population


def _directed_record(draws: Draws, record_id: UUID, facts: dict[str, Any]) -> dict[str, Any]:
    """A directed (non-random) inspection's record: who decided, on which ground and legal
    basis, which targets. Nothing was drawn, so there is no population and nothing to replay."""
    return {
        "draw": str(record_id),
        "ledger": draws.app.origin,
        "random": False,
        "recorded": facts,
    }


def write_draw_record(draws: Draws, draw_id: UUID, out: Path) -> tuple[Path, Path]:
    manifest, population = draw_record(draws, draw_id)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    population_path = out / "population.txt"
    manifest_path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    population_path.write_text("".join(f"{i}\n" for i in population), encoding="utf-8")
    return manifest_path, population_path
