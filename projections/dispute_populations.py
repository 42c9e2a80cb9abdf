"""``draws/<draw id>.json`` of a dispute file: each frozen draw's population as its selection read
it, and the roster each division's team walks walked over (``verify/dispute_draws.py`` checks
them against the signed freeze).

The population comes from what the freeze kept (``ledger/draws/populations.py``), used only when
its bytes hash to the freeze's signed ``table_digest`` (and its counts and rosters match),
else the registry folded again (``ledger/draws/population_keeping.py``). Its rows go into the
file without being decoded: the kept lines ``id TAB stratum TAB weight LF`` become the JSON rows
``{"target": …, "stratum": …, "weight": …}`` by a few byte replacements over the whole table
(``eligible_json``) — the same bytes ``json.dumps`` gives, at the speed of a copy — unless a
field holds a character JSON must escape, then ``json.dumps`` writes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger.application import LedgerApp
from ledger.draws.population_keeping import population_of
from ledger.draws.populations import FrozenPopulation, FrozenPopulations
from ledger.draws.service import Draws
from verify.dispute_draws import population_file

# what json.dumps(ensure_ascii=False) escapes inside a string ('"', '\\' and control
# characters) but the table's own separators (tab, line feed)
_ESCAPED = bytes([*(c for c in range(0x20) if c not in (9, 10)), ord('"'), ord("\\")])


def write_populations(app: LedgerApp, frozen: dict[str, dict[str, Any]], out: Path) -> None:
    """Each frozen draw's population file in ``out``. ``frozen``: the signed freeze (envelope)
    of each draw, as the file holds it."""
    if not frozen:
        return
    service = Draws(app)
    kept = FrozenPopulations(app)
    for draw_id, freeze in frozen.items():
        draw = service.get(UUID(draw_id))
        payload = freeze["payload"]
        population = population_of(service, kept, draw_id, payload)
        walked = {draw.division: population.roster} if draw.teams else {}
        for division, partner in draw.partners.items():
            if partner.get("teams"):
                walked[division] = population.partner_rosters.get(partner["division"], [])
        path = population_file(out, draw_id)
        path.parent.mkdir(exist_ok=True)
        with path.open("wb") as f:
            for part in population_json(population, payload.get("strata") or {}, walked):
                f.write(part)


def population_json(
    population: FrozenPopulation, strata: dict[str, int], rosters: dict[str, list[str]]
) -> list[bytes | memoryview]:
    """The parts of ``draws/<id>.json``: ``{"draw", "eligible": [{"target", "stratum",
    "weight"}, …], "rosters"}``, as ``json.dumps(doc, ensure_ascii=False)`` writes it."""
    eligible = eligible_json(population.table, strata)
    if eligible is None:
        rows = [{"target": t, "stratum": s, "weight": w} for t, s, w in population.eligible]
        eligible = [json.dumps(rows, ensure_ascii=False).encode("utf-8")]
    return [
        b'{"draw": ' + json.dumps(population.draw).encode("utf-8") + b', "eligible": ',
        *eligible,
        b', "rosters": ' + json.dumps(rosters, ensure_ascii=False).encode("utf-8") + b"}\n",
    ]


def eligible_json(table: bytes, strata: dict[str, int]) -> list[bytes | memoryview] | None:
    """The JSON array of a population table's rows (``table``: lines ``id TAB stratum TAB
    weight LF``; ``strata``: every stratum it names), in parts, by byte replacement: each
    stratum field with the tabs around it, then each line's end (no part is joined: the parts
    are written as they are). None if a field holds a character JSON escapes or a line's
    stratum is not among ``strata`` (then the caller encodes the rows)."""
    if not table:
        return [b"[]"]
    names = [s.encode("utf-8") for s in strata]
    if any(len(n.translate(None, _ESCAPED + b"\t\n")) != len(n) for n in names):
        return None
    if len(table.translate(None, _ESCAPED)) != len(table):
        return None
    body = table
    for name in names:
        body = body.replace(b"\t" + name + b"\t", b'", "stratum": "' + name + b'", "weight": ')
    if b"\t" in body:
        return None
    body = body.replace(b"\n", b'}, {"target": "')
    return [b'[{"target": "', memoryview(body)[: -len(b', {"target": "')], b"]"]
