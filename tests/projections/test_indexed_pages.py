"""Finding a target by its credit code and paging deep into the registry without reading it
all: keyset pages (``after``) cover every target once, in the same order as offset pages, and
the database answers both from the page index (its query plan shows no full scan or sort)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from ledger.errors import BadInput
from projections import queries

from .test_search import many  # noqa: F401 - the fixture
from .world import VECTOR_CODES, view


def test_keyset_pages_cover_every_target_once_in_the_order_of_offset_pages(many, read_models):  # noqa: F811
    engine = read_models.engine
    by_offset = []
    for offset in range(0, 65, 10):
        by_offset += view(queries.search_targets(engine, limit=10, offset=offset)["items"])
    by_keyset, after, pages = [], None, 0
    while True:
        page = queries.search_targets(engine, limit=10, after=after)
        by_keyset += view(page["items"])
        pages += 1
        after = page["next"]
        if after is None:
            break
    assert by_keyset == by_offset and len(by_keyset) == 65 and pages == 7
    assert page["total"] == 65


def test_after_takes_a_code_as_well_as_an_id_and_keeps_the_filters(many, read_models):  # noqa: F811
    engine = read_models.engine
    district = queries.search_targets(engine, district="武进区", limit=500)["items"]
    third = district[2]
    by_code = queries.search_targets(engine, district="武进区", after=third["code"], limit=500)
    by_id = queries.search_targets(engine, district="武进区", after=third["id"], limit=500)
    assert view(by_code["items"]) == view(by_id["items"]) == view(district[3:])
    assert by_code["next"] is None  # a short page has no next


def test_after_naming_no_target_or_combined_with_offset_is_refused(many, read_models):  # noqa: F811
    engine = read_models.engine
    with pytest.raises(BadInput, match="no target with that id or code"):
        queries.search_targets(engine, after="91320400MA00000000")
    with pytest.raises(BadInput, match="after and offset cannot be combined"):
        queries.search_targets(engine, after=VECTOR_CODES[0], offset=10)


def test_a_whole_credit_code_finds_that_target_only(many, read_models):  # noqa: F811
    engine = read_models.engine
    found = queries.search_targets(engine, q=VECTOR_CODES[1].lower())  # normalised as typed
    assert view(found["items"]) == [VECTOR_CODES[1]] and found["total"] == 1
    # part of a code is still searched as text in names and codes
    assert VECTOR_CODES[1] in view(queries.search_targets(engine, q=VECTOR_CODES[1][:12])["items"])


def _plan(conn, sql: str, **params: str) -> str:  # type: ignore[no-untyped-def]
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql), params).all()
        return "\n".join(str(r[-1]) for r in rows)
    rows = conn.execute(text("EXPLAIN " + sql), params).all()
    return "\n".join(str(r[0]) for r in rows)


def test_pages_and_code_lookups_are_answered_from_indexes(many, read_models):  # noqa: F811
    """The queries queries.py sends, as the database plans them: a page walks the page index
    (no sort of the table), a keyset page seeks into it, a code lookup uses the code index."""
    engine = read_models.engine
    with engine.connect() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:  # a tiny table is scanned whatever the indexes: ask for the plan as if it were big
            conn.execute(text("SET enable_seqscan = off"))
            conn.execute(text("SET enable_bitmapscan = off"))
        code = 'code COLLATE "C"' if pg else "code"
        page = _plan(conn, f"SELECT * FROM rm_targets ORDER BY {code}, id LIMIT 50")
        keyset = _plan(
            conn,
            f"SELECT * FROM rm_targets WHERE ({code}, id) > (:c, :i) ORDER BY {code}, id LIMIT 50",
            c=VECTOR_CODES[0],
            i="0",
        )
        lookup = _plan(conn, "SELECT * FROM rm_targets WHERE code = :c", c=VECTOR_CODES[0])
    index = "ix_rm_targets_page_c" if pg else "ix_rm_targets_page"
    for plan in (page, keyset):
        assert index in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
    assert "ix_rm_targets_code" in lookup or "ix_rm_targets_page" in lookup, lookup
    if not pg:
        assert "SEARCH" in keyset, keyset  # a seek into the index, not a walk from its start


def test_a_page_counts_its_matches_only_up_to_a_bound_and_says_so(many, read_models, monkeypatch):  # noqa: F811
    """Beyond ``COUNTED_UP_TO`` matches a page's total is null and ``more_than`` says the bound
    (never a guessed number); under it, and when the exact total is asked for, it is exact."""
    engine = read_models.engine
    monkeypatch.setattr(queries, "COUNTED_UP_TO", 20)
    page = queries.search_targets(engine, limit=10)
    assert (page["total"], page["more_than"], len(page["items"])) == (None, 20, 10)
    exact = queries.search_targets(engine, limit=10, total="exact")
    assert (exact["total"], exact["more_than"]) == (65, None)
    assert view(exact["items"]) == view(page["items"])
    few = queries.search_targets(engine, q="天宁区取水户")  # 15 match: counted to the end
    assert (few["total"], few["more_than"]) == (15, None)
    monkeypatch.setattr(queries, "COUNTED_UP_TO", 65)  # exactly the bound: still exact
    assert queries.search_targets(engine)["total"] == 65
    monkeypatch.setattr(queries, "COUNTED_UP_TO", 64)
    assert queries.search_targets(engine)["total"] is None
    assert queries.search_inspectors(engine, total="exact")["more_than"] is None


def test_an_unknown_kind_of_total_is_refused(many, read_models):  # noqa: F811
    with pytest.raises(BadInput, match="total 'rough': must be one of exact"):
        queries.search_targets(read_models.engine, total="rough")


def test_the_bounded_count_reads_at_most_one_entry_beyond_the_bound(many, read_models):  # noqa: F811
    """The count a page sends: its rows come from a subquery limited to ``COUNTED_UP_TO + 1``,
    so it stops there however many targets the registry holds."""
    engine = read_models.engine
    sent: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        queries.search_targets(engine, district="武进区")
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    statement, parameters = next((s, p) for s, p in sent if "count(" in s.lower())
    assert "LIMIT" in statement.upper(), statement
    bound = queries.COUNTED_UP_TO + 1
    values = parameters.values() if isinstance(parameters, dict) else parameters
    assert bound in list(values), (statement, parameters)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["district", "division", "status", "credit_class", "kind"])
def test_a_page_filtered_by_a_field_walks_that_fields_page_index_without_a_sort(
    many,  # noqa: F811
    read_models,
    field,
):
    """A filtered page (and the keyset page after an entry) comes out of the index on (field,
    code, id) in page order: no sort of every match, however many there are."""
    engine = read_models.engine
    with engine.connect() as conn:
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.execute(text("SET enable_seqscan = off"))
            conn.execute(text("SET enable_bitmapscan = off"))
        code = 'code COLLATE "C"' if pg else "code"
        page = _plan(
            conn, f"SELECT * FROM rm_targets WHERE {field} = :v ORDER BY {code}, id LIMIT 50", v="x"
        )
        keyset = _plan(
            conn,
            f"SELECT * FROM rm_targets WHERE {field} = :v AND ({code}, id) > (:c, :i) "
            f"ORDER BY {code}, id LIMIT 50",
            v="x",
            c=VECTOR_CODES[0],
            i="0",
        )
    index = f"ix_rm_targets_{field}_page" + ("_c" if pg else "")
    for plan in (page, keyset):
        assert index in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_a_page_by_item_is_the_same_whichever_form_the_item_is_read_in(
    many,  # noqa: F811
    read_models,
    monkeypatch,
):
    """An item held by more than ``ITEM_SORTED_UP_TO`` targets is read by probing each target
    along the page index, a smaller one from the item's index: the pages and totals agree."""
    engine = read_models.engine
    sent: list[str] = []

    def keep(_conn, _cursor, statement, *_):  # type: ignore[no-untyped-def]
        sent.append(statement.upper())

    pages = {}
    for bound in (10_000, 5):
        monkeypatch.setattr(queries, "ITEM_SORTED_UP_TO", bound)
        event.listen(engine, "before_cursor_execute", keep)
        try:
            pages[bound] = [
                queries.search_targets(engine, item="qsxk", limit=10, offset=offset)
                for offset in (0, 10, 60)
            ]
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        page_sql = [s for s in sent if "ORDER BY" in s]
        assert all(("EXISTS" in s) == (bound == 5) for s in page_sql), page_sql
        sent.clear()
    assert pages[10_000] == pages[5]
    assert pages[5][0]["total"] > 5 and len(pages[5][0]["items"]) == 10
