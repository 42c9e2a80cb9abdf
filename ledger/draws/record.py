"""The public record of a draw: everything needed to reproduce it, and nothing more.

One JSON document, ``{"manifest": …, "population": […]}``, served by ``GET /draws/{id}/record``
and by the column (``/column/draws/{id}/record.json``) and written by ``drawledger draw-record``
(``record.json``, with ``manifest.json`` and ``population.txt`` beside it). The manifest holds
each recorded step's facts, every step's ledger position and event digest with the path of its
inclusion proof, and what the walks read (``reproduction.py``): per target its stratum and
weight, the excluded with their reasons, the weights' policy, the rosters as frozen. An outsider
reproduces the draw from it with the column's script (``/column/static/reproduce_draw.py``,
standard library only; the column's guide, ``/column/guide``, says how). What the public may
not see is left out (docs/COLUMN.md): who acted (officials' codes) and why a member was
substituted (it may describe a person).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from verify.draw_rules import frozen_population

from ..catalogue import event_types
from ..errors import NotFound
from ..whole_files import write_whole
from .recent_changes import legacy_window, recent_changes
from .reproduction import reproduction
from .service import Draws

FORMAT = "drawledger/draw-record/v2"
GUIDE = "/column/guide"
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
# Facts of a step kept out of the public record: a substitution's reason may describe a
# person's family or health (the record says who replaced whom, not why).
_PRIVATE = {"inspector_substituted": ("reason",), "partner_inspector_substituted": ("reason",)}
_DRAW_TYPES = [name for name in event_types() if name.startswith("draw.")]


def proof_path(position: int) -> str:
    """Where the inclusion proof of the event at a ledger position is served."""
    return f"/proofs/inclusion?position={position}"


def draw_record(draws: Draws, draw_id: UUID) -> tuple[dict[str, Any], list[str]]:
    """The manifest and the population's sorted ids; NotFound for an unknown draw."""
    events = draws.app.records_of(draw_id)
    if not events:
        raise NotFound(f"no draw with id {draw_id}")
    steps: dict[str, Any] = {}
    for event in events:
        name = event.type.split(".", 1)[1]
        hidden = _PRIVATE.get(name, ())
        facts = {k: v for k, v in event.envelope["payload"].items() if k not in hidden}
        steps.setdefault(name, []).append({"time": event.envelope["time"], **facts})
    if "recorded" in steps and "opened" not in steps:
        return _directed_record(draws, draw_id, events[0].envelope), []
    draw = draws.get(draw_id)
    population: list[str] = []
    extra: dict[str, Any] = {}
    if "population_frozen" in steps:
        state = draws.registry_at(draw.position)
        params = draw.params()
        population = frozen_population(params, state).ids
        extra = {**reproduction(draw, state), **_changed_out(draws, params, state, steps)}
    manifest = {
        "format": FORMAT,
        "draw": str(draw_id),
        "ledger": draws.app.origin,
        "step": draw.step,
        **{name: (facts if name in _REPEATED else facts[0]) for name, facts in steps.items()},
        # A joint inspection: each invited division's answer and, once assigned, its own teams.
        "partners": [
            {**p, "teams": list(p["teams"].values())} if "teams" in p else dict(p)
            for p in draw.partners.values()
        ],
        **extra,
        "steps": _positions(draws, draw_id, events),
        "how_to_reproduce": GUIDE,
    }
    return manifest, population


def _changed_out(
    draws: Draws, params: dict[str, Any], state: Any, steps: dict[str, Any]
) -> dict[str, Any]:
    """The record's ``changed_out``, ``changed_odds``, ``roster_changed`` and
    ``interests_declared`` with their window: as the freeze recorded them, or, for a freeze
    recorded before freezes listed them, computed from the log over 30 days (the count of
    events the freeze folded is their last position where positions have no gaps)."""
    frozen = steps["population_frozen"][0]
    names = (
        "recent_change_days",
        "changed_since",
        "changed_out",
        "changed_odds",
        "roster_changed",
        "interests_declared",
    )
    if "interests_declared" in frozen:
        return {name: frozen[name] for name in names}
    recent = legacy_window(frozen["time"])
    since = recent["changed_since"]
    return {**recent, **recent_changes(draws.app, params, state, frozen["position"], since)}


def _directed_record(draws: Draws, record_id: UUID, envelope: dict[str, Any]) -> dict[str, Any]:
    """A directed (non-random) inspection's record: who decided, on which ground and legal
    basis, which targets. Nothing was drawn, so there is no population and nothing to replay."""
    facts = {"time": envelope["time"], "actor": envelope["actor"], **envelope["payload"]}
    return {
        "draw": str(record_id),
        "ledger": draws.app.origin,
        "random": False,
        "recorded": facts,
    }


def _positions(draws: Draws, draw_id: UUID, events: list[Any]) -> list[dict[str, Any]]:
    """Each recorded step in log order: type, ledger position, event digest, proof path."""
    found = [
        n
        for n in draws.app.notifications(topics=_DRAW_TYPES)
        if UUID(str(n.originator_id)) == draw_id
    ]
    position = {n.originator_version: n.id for n in found}
    return [
        {
            "type": event.type,
            "position": position[event.envelope["version"]],
            "digest": event.digest.hex(),
            "time": event.envelope["time"],
            "proof": proof_path(position[event.envelope["version"]]),
        }
        for event in events
    ]


def record_json(manifest: dict[str, Any], population: list[str]) -> str:
    """The record as one JSON document: the bytes the CLI writes to ``record.json``."""
    record = {"manifest": manifest, "population": population}
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def write_draw_record(draws: Draws, draw_id: UUID, out: Path) -> tuple[Path, Path]:
    """``record.json`` (the whole record, as the API serves it), and beside it
    ``manifest.json`` and ``population.txt`` (``LC_ALL=C sort -u | sha256sum`` of it prints
    the population digest)."""
    manifest, population = draw_record(draws, draw_id)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    population_path = out / "population.txt"
    write_whole(out / "record.json", record_json(manifest, population))
    write_whole(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    write_whole(population_path, "".join(f"{i}\n" for i in population))
    return manifest_path, population_path
