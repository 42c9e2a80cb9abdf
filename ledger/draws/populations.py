"""Each frozen draw's population as its selection reads it, kept beside the log so that a dispute
file of the draw does not fold the registry again (issue 12, Performance).

A draw's population table (every eligible target with its stratum and weight) and the rosters
its team walks may walk over are fixed at the freeze: the signed ``draw.population_frozen``
event commits to them (``count``, ``digest``, ``strata``, ``table_digest``, ``roster_digest``,
``partner_roster_digests``). The freeze keeps them here, in the ``frozen_population`` table of
the event store, compressed. Whoever reads a kept one checks it against those signed digests
before using it (``projections/dispute.py``): a row edited by an operator with the data
directory no longer matches and is ignored (the reader folds the registry again, as without the
store, and keeps the right one). The table is a cache, not part of the log: rows are replaced,
never exported, and deleting them costs one fold of the registry per draw.
"""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass
from typing import Any

from verify.draw_rules import partner_rosters
from verify.registry_state import RegistryState

from ..application import LedgerApp
from ..storage import for_driver, is_postgres

TABLE = "frozen_population"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrozenPopulation:
    """One draw's population table ((target, stratum, weight), sorted) and its rosters: the
    whole roster (the lead division's walks walk over it) and, per division or unit some
    inspector belongs to, the codes a joint partner of that name walks over."""

    draw: str
    eligible: list[tuple[str, str, int]]
    roster: list[str]
    partner_rosters: dict[str, list[str]]


def kept_population(
    draw: str, rows: list[tuple[str, str, int]], state: RegistryState
) -> FrozenPopulation:
    """The population of ``draw`` as frozen over ``state``: its table rows and the rosters
    (``verify.draw_rules.roster``, for the lead and for every possible joint partner)."""
    return FrozenPopulation(draw, sorted(rows), sorted(state.inspectors), partner_rosters(state))


class FrozenPopulations:
    """The ``frozen_population`` table of one ledger's event store."""

    def __init__(self, app: LedgerApp) -> None:
        recorder: Any = app.recorder  # the SQLite or PostgreSQL recorder: its datastore
        self.recorder = recorder
        self._pg = is_postgres(app.recorder)
        blob = "BYTEA" if self._pg else "BLOB"
        with recorder.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (draw TEXT PRIMARY KEY, body {blob} NOT NULL)"
            )

    def save(self, population: FrozenPopulation) -> None:
        """Keep ``population`` (replacing what was kept for its draw). A failure is logged and
        costs a fold later, nothing else: the store is a cache."""
        body = {
            "eligible": population.eligible,
            "roster": population.roster,
            "partner_rosters": population.partner_rosters,
        }
        data = zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 1)
        statement = (
            f"INSERT INTO {TABLE} (draw, body) VALUES (?, ?) "
            "ON CONFLICT (draw) DO UPDATE SET body = excluded.body"
        )
        try:
            with self.recorder.datastore.transaction(commit=True) as c:
                c.execute(for_driver(statement, self._pg), (population.draw, data))
        except Exception as e:  # a cache: a failure costs a fold later, nothing else
            log.warning("the frozen population of draw %s was not kept: %s", population.draw, e)

    def get(self, draw: str) -> FrozenPopulation | None:
        """What was kept for ``draw``, unchecked (the caller checks it against the signed
        freeze); None if nothing was, or if it cannot be read."""
        statement = f"SELECT body FROM {TABLE} WHERE draw = ?"
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(for_driver(statement, self._pg), (draw,))
            row = c.fetchone()
        if row is None:
            return None
        try:
            body = json.loads(zlib.decompress(bytes(row["body"])))
            return FrozenPopulation(
                draw,
                [(str(t), str(s), int(w)) for t, s, w in body["eligible"]],
                [str(c) for c in body["roster"]],
                {str(d): [str(c) for c in codes] for d, codes in body["partner_rosters"].items()},
            )
        except (zlib.error, ValueError, TypeError, KeyError, AttributeError) as e:
            log.warning("the kept frozen population of draw %s is unreadable: %s", draw, e)
            return None
