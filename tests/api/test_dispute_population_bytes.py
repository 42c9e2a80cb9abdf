"""A dispute file's population file is written from the kept table's bytes, not its rows one by
one (``projections/dispute_populations.py``): the bytes are those ``json.dumps`` gives, and a
table whose fields JSON must escape is encoded by ``json.dumps`` itself."""

from __future__ import annotations

import json

import pytest

from ledger.draws.populations import FrozenPopulation, matches, table_bytes
from projections.dispute_populations import eligible_json, population_json
from verify.draws import population_digest, population_table_digest, roster_digest

ROWS = [
    ("91320400000000001X", "一般企业", 1),
    ("91320400000000002Y", "重点 监管", 3),
    ("91320400000000003A", "一般企业", 12),
    ("B", "", 2),
]


def _strata(rows: list[tuple[str, str, int]]) -> dict[str, int]:
    strata: dict[str, int] = {}
    for _, s, _ in rows:
        strata[s] = strata.get(s, 0) + 1
    return strata


def _dumped(draw: str, rows: list[tuple[str, str, int]], rosters: dict[str, list[str]]) -> bytes:
    eligible = [{"target": t, "stratum": s, "weight": w} for t, s, w in sorted(rows)]
    doc = {"draw": draw, "eligible": eligible, "rosters": rosters}
    return (json.dumps(doc, ensure_ascii=False) + "\n").encode("utf-8")


@pytest.mark.parametrize(
    "rows",
    [
        ROWS,
        [],
        [("A", 'say "hi"', 1)],  # a quote: escaped by json.dumps
        [("A\\B", "s", 1)],  # a backslash
        [("A", "s\tt", 1)],  # a tab inside a stratum's name
        [("A\x01", "s", 1)],  # a control character
    ],
)
def test_the_population_file_is_the_bytes_json_dumps_gives(rows):
    population = FrozenPopulation.from_rows("d-1", rows, ["ZF-1"], {})
    rosters = {"水利局": ["ZF-1"]}
    written = b"".join(population_json(population, _strata(rows), rosters))
    assert written == _dumped("d-1", rows, rosters)
    assert json.loads(written)["eligible"] == json.loads(_dumped("d-1", rows, rosters))["eligible"]


def test_a_table_naming_a_stratum_the_freeze_did_not_is_not_rewritten_by_bytes():
    assert eligible_json(table_bytes(ROWS), {"一般企业": 2, "": 1}) is None
    assert eligible_json(table_bytes(ROWS), _strata(ROWS)) is not None


def _facts(rows: list[tuple[str, str, int]], roster: list[str]) -> dict[str, object]:
    return {
        "count": len(rows),
        "digest": population_digest(t for t, _, _ in rows),
        "table_digest": population_table_digest(rows),
        "strata": _strata(rows),
        "roster_digest": roster_digest(roster),
        "partner_roster_digests": {},
    }


def test_a_kept_table_matches_only_the_freeze_it_was_kept_for():
    """``matches`` is what stands between an operator's edit of the kept bytes and a file: one
    SHA-256 against the signed ``table_digest``, then the counts, then the roster."""
    facts = _facts(ROWS, ["ZF-1"])
    assert matches(FrozenPopulation.from_rows("d", ROWS, ["ZF-1"], {}), facts)
    moved = [(ROWS[0][0], "重点 监管", 1), *ROWS[1:]]
    edits = [
        FrozenPopulation.from_rows("d", moved, ["ZF-1"], {}),
        FrozenPopulation.from_rows("d", ROWS[1:], ["ZF-1"], {}),
        FrozenPopulation("d", table_bytes(ROWS) + b"C\t\t1\n", ["ZF-1"], {}),
        FrozenPopulation("d", table_bytes(ROWS).replace(b"\n", b"\r\n"), ["ZF-1"], {}),
        FrozenPopulation.from_rows("d", ROWS, ["ZF-1", "ZF-2"], {}),
        FrozenPopulation.from_rows("d", ROWS, ["ZF-1"], {"水利局": ["ZF-1"]}),
    ]
    assert not any(matches(p, facts) for p in edits)
    # a freeze recorded before freezes committed to the table: nothing kept can be proved
    assert not matches(
        FrozenPopulation.from_rows("d", ROWS, ["ZF-1"], {}),
        {k: v for k, v in facts.items() if k != "table_digest"},
    )
