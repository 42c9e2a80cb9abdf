"""A frozen draw's population, from what was kept at its freeze when that matches the signed
freeze, else folded from the registry again and kept (``populations.py``); and the upkeep that
brings every frozen draw's kept population to that state ahead of any dispute file.

Draws frozen before the freeze kept its population in the current form (or before it kept one at
all) would cost the first dispute file of each a fold of the registry at the freeze, or a
conversion of the old row: ``keep_recorded`` does that work once, in the background when the
service starts (``api/app.py``), so that a file written later copies the kept bytes.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from uuid import UUID

from verify.draw_rules import population_table

from ..application import LedgerApp
from .populations import FrozenPopulation, FrozenPopulations, kept_population, matches
from .service import Draws

log = logging.getLogger(__name__)


def population_of(
    service: Draws, kept: FrozenPopulations, draw_id: str, facts: dict[str, Any]
) -> FrozenPopulation:
    """The population of ``draw_id`` as its signed freeze (``facts``, its payload) committed to
    it: the kept one if it ``matches`` (converted and kept again if it was of the form kept
    before), else the registry folded at the freeze again, and kept if that matches."""
    population = kept.get(draw_id)
    if population is not None and matches(population, facts):
        return population
    before = kept.kept_before(draw_id)
    if before is not None and matches(before, facts):
        kept.save(before)
        return before
    draw = service.get(UUID(draw_id))
    state = service.registry_at(draw.position)
    population = kept_population(draw_id, population_table(draw.params(), state), state)
    if matches(population, facts):
        kept.save(population)
    return population


def keep_recorded(app: LedgerApp) -> int:
    """Check (and where need be build) the kept population of every frozen draw in the log;
    returns how many draws it went through. Failures are logged, never raised: what is left
    undone costs the first dispute file of that draw the work instead."""
    done = 0
    try:
        service = Draws(app)
        kept = FrozenPopulations(app)
        for _, event in app.records(topics=["draw.population_frozen"]):
            try:
                population_of(service, kept, event.aggregate, event.envelope["payload"])
            except Exception as e:  # noqa: BLE001 - a cache: the dispute writer retries it
                log.warning(
                    "抽取 %s 的冻结名单未能保存：%s (a population not kept)", event.aggregate, e
                )
            done += 1
    except Exception as e:  # noqa: BLE001 - e.g. the service stopped meanwhile
        log.warning("已冻结抽取的名单未能全部保存：%s (populations not all kept)", e)
    return done


def keep_recorded_in_background(app: LedgerApp) -> threading.Thread:
    """``keep_recorded`` in a thread of its own (the service's start), started."""
    thread = threading.Thread(
        target=keep_recorded, args=(app,), name="drawledger-populations", daemon=True
    )
    thread.start()
    return thread
