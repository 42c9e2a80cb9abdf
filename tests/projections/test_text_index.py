"""Text inside targets' names and codes is found through a trigram index (SQLite FTS5, PostgreSQL
pg_trgm) with exactly the answers of reading every target; a text too short for trigrams is
refused; the item filter counts from the item's index; offset pages of the registry are bounded
(``after=`` pages deeper)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from ledger.errors import BadInput
from projections import queries, target_text
from projections.tables import TARGET_TEXT

from .test_search import many  # noqa: F401 - the fixture
from .world import VECTOR_CODES, view

TEXTS = [
    "天宁区取水户",
    "取水户0",
    "区取水户07",
    "自来水",
    "MA1MB3",
    "ma1mb3",
    "100%",
    "取水户_",
    "32040",
]


def _all(engine: Engine) -> list[dict[str, Any]]:
    return queries.search_targets(engine, limit=500)["items"]


def _expected(engine: Engine, q: str) -> list[str]:
    """The oracle: every target read, the text tested in Python (case-insensitive)."""
    low = q.lower()
    return [
        row["code"]
        for row in _all(engine)
        if low in (row["name"] or "").lower() or low in row["code"].lower()
    ]


def _sent(engine: Engine, call: Any) -> list[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []

    def keep(_conn, _cursor, statement, parameters, *_):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return statements


@pytest.mark.parametrize("sorted_up_to", [5_000, 3])
def test_text_found_through_the_index_is_what_reading_every_target_finds(
    many,  # noqa: F811
    read_models,
    monkeypatch,
    sorted_up_to,
):
    """Whether the hits are few (read from the index and sorted) or many (the page index walked,
    each target tested), pages and totals are the oracle's."""
    engine = read_models.engine
    monkeypatch.setattr(target_text, "TEXT_SORTED_UP_TO", sorted_up_to)
    for q in TEXTS:
        expected = _expected(engine, q)
        found = queries.search_targets(engine, q=q, limit=500)
        assert view(found["items"]) == expected and found["total"] == len(expected), q
        exact = queries.search_targets(engine, q=q, limit=500, total="exact")
        assert exact["total"] == len(expected), q
    # pages of a common text: keyset pages cover its matches once, in order
    expected = _expected(engine, "取水户")
    assert len(expected) == 60
    seen, after = [], None
    while True:
        page = queries.search_targets(engine, q="取水户", limit=7, after=after)
        seen += view(page["items"])
        assert page["total"] == 60
        if (after := page["next"]) is None:
            break
    assert seen == expected


def test_the_index_follows_a_renamed_target_and_a_rebuild(many, world, registry, read_models):  # noqa: F811
    """A clerk renames a target: the old name finds it no more, the new one does — the index
    is kept with the row, not beside it; a rebuild of the targets refills it."""
    engine = read_models.engine
    target = world.targets[VECTOR_CODES[0]]
    assert view(queries.search_targets(engine, q="自来水")["items"]) == [VECTOR_CODES[0]]
    registry.update_target(target, {"name": "常州市清源供水有限公司"}, "更名", "api", "clerk-szc")
    assert queries.search_targets(engine, q="自来水")["total"] == 0
    assert view(queries.search_targets(engine, q="清源供水")["items"]) == [VECTOR_CODES[0]]
    before = {q: queries.search_targets(engine, q=q, limit=500) for q in TEXTS}
    read_models.runner.rebuild(["targets"])
    assert {q: queries.search_targets(engine, q=q, limit=500) for q in TEXTS} == before
    if engine.dialect.name == "sqlite":  # one index entry per target, none left over
        with engine.connect() as conn:
            entries = conn.exec_driver_sql(f"SELECT count(*) FROM {TARGET_TEXT}").scalar_one()
        assert entries == len(_all(engine))


def test_a_rare_text_reads_the_index_not_every_target(many, read_models):  # noqa: F811
    """The plans of what a search for one target's name sends: the trigram index, and no walk
    of the registry (SQLite: no SCAN of rm_targets; PostgreSQL, told to avoid sequential scans
    where it can: the GIN index)."""
    engine = read_models.engine
    sent = _sent(engine, lambda: queries.search_targets(engine, q="区取水户07"))
    with engine.connect() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.execute(text("SET enable_seqscan = off"))
        plans = []
        for statement, parameters in sent:
            if "rm_targets" not in statement or "sqlite_master" in statement:
                continue
            rows = conn.exec_driver_sql(
                ("EXPLAIN " if pg else "EXPLAIN QUERY PLAN ") + statement, parameters
            )
            plans.append("\n".join(str(r[-1]) for r in rows))
    together = "\n".join(plans)
    if pg:
        assert "ix_rm_targets_name_trgm" in together, together
    else:
        assert f"SCAN {TARGET_TEXT} VIRTUAL TABLE" in together, together
        assert not re.search(r"SCAN rm_targets\b(?!_text)", together), together


def test_a_text_under_three_characters_is_refused_naming_the_rule(many, read_models):  # noqa: F811
    engine = read_models.engine
    for q in ("取水", "天", " 天宁 ", "ab"):
        with pytest.raises(BadInput, match="at least 3 characters"):
            queries.search_targets(engine, q=q)
    assert queries.search_targets(engine, q="   ")["total"] == 65  # blank: no text filter
    # no name holds a control character (and the SQLite text index cannot take a NUL)
    for q in ("取水户\x00", "\x1b[31m取水户"):
        with pytest.raises(BadInput, match="control character"):
            queries.search_targets(engine, q=q)
    # a whole credit code is a lookup, however it is typed; the small registries still scan
    assert queries.search_targets(engine, q=VECTOR_CODES[1].lower())["total"] == 1
    assert view(queries.search_divisions(engine, q="水")["items"])


def test_a_page_by_item_counts_from_the_items_index(many, world, read_models):  # noqa: F811
    """The count of an item's holders reads the item's index (item, target_id) alone, up to
    the bound; with other filters it joins the targets; the totals are the exact ones."""
    engine = read_models.engine
    sent = _sent(engine, lambda: queries.search_targets(engine, item="qsxk"))
    counts = [s for s, _ in sent if "count(" in s.lower() and "LIMIT" in s.upper()]
    holders = [s for s in counts if "rm_target_items" in s and "rm_targets " not in s]
    assert holders, counts
    with engine.connect() as conn:
        pg = conn.dialect.name == "postgresql"
        if not pg:
            statement, parameters = next((s, p) for s, p in sent if s == holders[-1])
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = "\n".join(str(r[-1]) for r in rows)
            assert "COVERING INDEX ix_rm_target_items_item" in plan, plan
            assert not re.search(r"rm_targets\b", plan), plan
    every = [r for r in _all(engine) if "qsxk" in r["items"]]
    page = queries.search_targets(engine, item="qsxk", limit=500)
    assert page["total"] == len(every) and view(page["items"]) == view(every)
    wujin = [r for r in every if r["district"] == "武进区"]
    page = queries.search_targets(engine, item="qsxk", district="武进区")
    assert page["total"] == len(wujin) and view(page["items"]) == view(wujin)
    page = queries.search_targets(engine, item="qsxk", q="取水户1")
    assert page["total"] == len([r for r in every if "取水户1" in (r["name"] or "")])
    assert queries.search_targets(engine, item="nothing-held")["total"] == 0


def test_a_page_by_item_beyond_the_bound_says_more_than(many, read_models, monkeypatch):  # noqa: F811
    engine = read_models.engine
    monkeypatch.setattr(queries, "COUNTED_UP_TO", 20)
    page = queries.search_targets(engine, item="qsxk")
    assert (page["total"], page["more_than"]) == (None, 20)
    exact = queries.search_targets(engine, item="qsxk", total="exact")
    assert exact["total"] > 20 and exact["more_than"] is None


def test_an_offset_deeper_than_the_bound_is_refused_naming_after(many, read_models, monkeypatch):  # noqa: F811
    engine = read_models.engine
    monkeypatch.setattr(queries, "MAX_OFFSET", 20)
    assert len(queries.search_targets(engine, limit=10, offset=20)["items"]) == 10
    with pytest.raises(BadInput, match=r"offset 21: at most 20 .*after="):
        queries.search_targets(engine, limit=10, offset=21)
    # the small registries (no after=) are not bounded
    assert queries.search_inspectors(engine, offset=21)["items"] == []
