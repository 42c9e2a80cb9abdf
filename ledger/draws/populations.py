"""Each frozen draw's population as its selection reads it, kept beside the log so that a dispute
file of the draw does not fold the registry again, nor decode and encode its rows one by one
(issue 12, Performance).

A draw's population table (every eligible target with its stratum and weight) and the rosters
its team walks may walk over are fixed at the freeze: the signed ``draw.population_frozen``
event commits to them (``count``, ``digest``, ``strata``, ``table_digest``, ``roster_digest``,
``partner_roster_digests``). The freeze keeps them here, in the ``frozen_population_table``
table of the event store: the table as the very bytes its signed ``table_digest`` hashes (one
line ``id TAB stratum TAB weight LF`` per target, sorted by id: ``verify.draws.
population_table_digest``), compressed, and the rosters. Whoever reads a kept one checks it
against the signed freeze before using it (``matches``): one SHA-256 of the bytes against
``table_digest``, the line and stratum counts, each roster's digest. A row edited by an operator
with the data directory no longer matches and is ignored (the reader folds the registry again,
as without the store, and keeps the right one, ``population_keeping.py``). The table is a
cache, not part of the log: rows are replaced, never exported, and deleting them costs one fold
of the registry per draw.

Rows kept before this form (``frozen_population``: the rows as JSON) are read once, converted
and checked like any other (``population_keeping.keep_recorded`` does it for every draw in the
background when the service starts).
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from verify.draw_rules import partner_rosters
from verify.draws import roster_digest
from verify.registry_state import RegistryState

from ..application import LedgerApp
from ..storage import for_driver, is_postgres, schema_transaction

TABLE = "frozen_population_table"
LEGACY_TABLE = "frozen_population"  # the rows as JSON, kept before the table's bytes were
log = logging.getLogger(__name__)


def table_bytes(rows: Iterable[tuple[str, str, int]]) -> bytes:
    """The population table's lines as ``table_digest`` hashes them, sorted by id."""
    return "".join(f"{i}\t{s}\t{w}\n" for i, s, w in sorted(rows)).encode("utf-8")


@dataclass(frozen=True)
class FrozenPopulation:
    """One draw's population table (``table_bytes``) and its rosters: the whole roster (the
    lead division's walks walk over it) and, per division or unit some inspector belongs to,
    the codes a joint partner of that name walks over. ``rows``: the table's rows when they
    were at hand (a fold), else read from the bytes when asked for."""

    draw: str
    table: bytes
    roster: list[str]
    partner_rosters: dict[str, list[str]]
    rows: list[tuple[str, str, int]] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_rows(
        cls,
        draw: str,
        rows: Iterable[tuple[str, str, int]],
        roster: list[str],
        partners: dict[str, list[str]],
    ) -> FrozenPopulation:
        ordered = sorted(rows)
        return cls(draw, table_bytes(ordered), roster, partners, ordered)

    @property
    def eligible(self) -> list[tuple[str, str, int]]:
        """The table's rows (target, stratum, weight). Read from the bytes, which is
        unambiguous for a table that ``matches`` its freeze (three fields a line); ValueError
        for a line that is not three fields with a whole-number weight."""
        if self.rows is not None:
            return self.rows
        rows = []
        for line in self.table.decode("utf-8").split("\n")[:-1]:
            target, stratum, weight = line.split("\t")
            rows.append((target, stratum, int(weight)))
        return rows


def kept_population(
    draw: str, rows: list[tuple[str, str, int]], state: RegistryState
) -> FrozenPopulation:
    """The population of ``draw`` as frozen over ``state``: its table and the rosters
    (``verify.draw_rules.roster``, for the lead and for every possible joint partner)."""
    return FrozenPopulation.from_rows(draw, rows, sorted(state.inspectors), partner_rosters(state))


def matches(population: FrozenPopulation, facts: dict[str, Any]) -> bool:
    """Whether a population is the one its signed freeze (``facts``, its payload) committed to:
    its table's bytes hash to ``table_digest``, hold ``count`` lines of three fields and each
    stratum's count, and every roster hashes to its digest. False too when the freeze committed
    to too little to tell (no table or roster digest: freezes recorded before they did)."""
    if "table_digest" not in facts or "roster_digest" not in facts:
        return False
    table = population.table
    if hashlib.sha256(table).hexdigest() != facts["table_digest"]:
        return False
    count = facts.get("count")
    strata = facts.get("strata") or {}
    if table.count(b"\n") != count or table.count(b"\t") != 2 * count:
        return False
    if sum(table.count(b"\t" + s.encode("utf-8") + b"\t") for s in strata) != count or any(
        table.count(b"\t" + s.encode("utf-8") + b"\t") != n for s, n in strata.items()
    ):
        return False
    rosters = {"": population.roster, **{f"/{d}": c for d, c in population.partner_rosters.items()}}
    committed = {
        "": facts["roster_digest"],
        **{f"/{d}": c for d, c in (facts.get("partner_roster_digests") or {}).items()},
    }
    return rosters.keys() == committed.keys() and all(
        len(set(codes)) == len(codes) and roster_digest(codes) == committed[name]
        for name, codes in rosters.items()
    )


class FrozenPopulations:
    """The ``frozen_population_table`` table of one ledger's event store."""

    def __init__(self, app: LedgerApp) -> None:
        recorder: Any = app.recorder  # the SQLite or PostgreSQL recorder: its datastore
        self.recorder = recorder
        self._pg = is_postgres(app.recorder)
        blob = "BYTEA" if self._pg else "BLOB"
        with schema_transaction(recorder) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (draw TEXT PRIMARY KEY, body {blob} NOT NULL, "
                f"rosters {blob} NOT NULL)"
            )

    def save(self, population: FrozenPopulation) -> None:
        """Keep ``population`` (replacing what was kept for its draw). A failure is logged and
        costs a fold later, nothing else: the store is a cache."""
        rosters = {"roster": population.roster, "partner_rosters": population.partner_rosters}
        data = (
            population.draw,
            zlib.compress(population.table, 1),
            json.dumps(rosters, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        )
        statement = (
            f"INSERT INTO {TABLE} (draw, body, rosters) VALUES (?, ?, ?) "
            "ON CONFLICT (draw) DO UPDATE SET body = excluded.body, rosters = excluded.rosters"
        )
        try:
            with self.recorder.datastore.transaction(commit=True) as c:
                c.execute(for_driver(statement, self._pg), data)
        except Exception as e:  # a cache: a failure costs a fold later, nothing else
            log.warning(
                "抽取 %s 的冻结名单未能保存：%s (a population not kept)", population.draw, e
            )

    def get(self, draw: str) -> FrozenPopulation | None:
        """What was kept for ``draw``, unchecked (the caller checks it, ``matches``); None if
        nothing was, or if it cannot be read."""
        statement = f"SELECT body, rosters FROM {TABLE} WHERE draw = ?"
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(for_driver(statement, self._pg), (draw,))
            row = c.fetchone()
        if row is None:
            return None
        try:
            rosters = json.loads(bytes(row["rosters"]))
            return FrozenPopulation(
                draw,
                zlib.decompress(bytes(row["body"])),
                [str(c) for c in rosters["roster"]],
                {
                    str(d): [str(c) for c in codes]
                    for d, codes in rosters["partner_rosters"].items()
                },
            )
        except (zlib.error, ValueError, TypeError, KeyError, AttributeError) as e:
            log.warning(
                "抽取 %s 保存的冻结名单无法读取：%s (a kept population unreadable)", draw, e
            )
            return None

    def kept_before(self, draw: str) -> FrozenPopulation | None:
        """What was kept for ``draw`` in the form kept before (the rows as JSON), converted and
        unchecked; None if nothing was, or if it cannot be read."""
        statement = f"SELECT body FROM {LEGACY_TABLE} WHERE draw = ?"
        try:
            with self.recorder.datastore.transaction(commit=False) as c:
                c.execute(for_driver(statement, self._pg), (draw,))
                row = c.fetchone()
        except Exception:  # noqa: BLE001 - no such table: nothing was kept in that form
            return None
        if row is None:
            return None
        try:
            body = json.loads(zlib.decompress(bytes(row["body"])))
            return FrozenPopulation.from_rows(
                draw,
                [(str(t), str(s), int(w)) for t, s, w in body["eligible"]],
                [str(c) for c in body["roster"]],
                {str(d): [str(c) for c in codes] for d, codes in body["partner_rosters"].items()},
            )
        except (zlib.error, ValueError, TypeError, KeyError, AttributeError) as e:
            log.warning(
                "抽取 %s 保存的冻结名单无法读取：%s (a kept population unreadable)", draw, e
            )
            return None
