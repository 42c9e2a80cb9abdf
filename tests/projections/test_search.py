"""Searching and paging the registries, as a clerk preparing a plan would."""

from __future__ import annotations

import pytest

from ledger.errors import BadInput, NotFound
from projections import queries

from .world import VECTOR_CODES, change_things, credit_code, view

DISTRICTS = ["天宁区", "钟楼区", "新北区", "武进区"]


@pytest.fixture
def many(world, registry):  # type: ignore[no-untyped-def]
    """60 more water-intake enterprises across districts and credit classes."""
    rows = [
        {
            "code": credit_code(i),
            "name": f"{DISTRICTS[i % 4]}取水户{i:02d}",
            "district": DISTRICTS[i % 4],
            "division": "szc",
            "items": "qsxk",
            "credit_class": "ABCD"[i % 4] if i % 3 == 0 else "A",
        }
        for i in range(60)
    ]
    registry.import_targets(rows, "clerk-szc", "import")
    return rows


def test_pages_of_targets_are_ordered_by_code_and_cover_each_target_once(many, read_models):
    seen = []
    for offset in (0, 25, 50):
        page = queries.search_targets(read_models.engine, limit=25, offset=offset)
        assert (page["total"], page["limit"], page["offset"]) == (65, 25, offset)
        seen += view(page["items"])
    assert len(seen) == 65 and seen == sorted(seen)
    assert queries.search_targets(read_models.engine, offset=100)["items"] == []


def test_targets_are_found_by_text_in_their_name_or_code(many, read_models):
    engine = read_models.engine
    assert queries.search_targets(engine, q="天宁区取水户")["total"] == 15
    assert view(queries.search_targets(engine, q="自来水")["items"]) == [VECTOR_CODES[0]]
    assert view(queries.search_targets(engine, q="ma1mb3")["items"]) == [VECTOR_CODES[2]]
    assert queries.search_targets(engine, q="100%")["total"] == 0  # wildcards are literal


def test_targets_are_filtered_by_division_district_kind_status_class_and_item(
    many, world, read_models
):
    engine = read_models.engine
    change_things(world)  # closes VECTOR_CODES[2]; moves VECTOR_CODES[1] to 新北区 and tags hdjs
    assert queries.search_targets(engine, division="ggc")["total"] == 1
    assert queries.search_targets(engine, district="新北区")["total"] == 15 + 2
    assert view(queries.search_targets(engine, kind="project")["items"]) == ["CZ-HD-2018-07"]
    assert view(queries.search_targets(engine, status="closed")["items"]) == [VECTOR_CODES[2]]
    assert queries.search_targets(engine, credit_class="D")["total"] == 5
    tagged = queries.search_targets(engine, item="hdjs")
    assert sorted(view(tagged["items"])) == sorted(["CZ-HD-2018-07", VECTOR_CODES[1]])
    both = queries.search_targets(engine, district="武进区", credit_class="D")
    assert all(t["district"] == "武进区" and t["credit_class"] == "D" for t in both["items"])


def test_inspectors_items_officials_and_divisions_are_searchable(world, read_models):
    engine = read_models.engine
    assert view(queries.search_inspectors(engine, unit="fwzx")["items"]) == ["insp-02"]
    assert view(queries.search_inspectors(engine, qualification="hdjs")["items"]) == ["insp-01"]
    assert queries.search_inspectors(engine, division="szc", status="on_duty")["total"] == 2
    assert view(queries.search_inspectors(engine, agency_staff=True)["items"]) == ["insp-01"]
    assert view(queries.search_items(engine, division="ggc")["items"]) == ["hdjs"]
    assert view(queries.search_items(engine, item_class="key")["items"]) == ["qsxk"]
    assert view(queries.search_officials(engine, role="clerk")["items"]) == [
        "clerk-ggc",
        "clerk-szc",
    ]
    assert view(queries.search_officials(engine, division="ggc")["items"]) == ["clerk-ggc"]
    assert view(queries.search_divisions(engine, kind="detachment")["items"]) == ["zd"]
    assert view(queries.search_divisions(engine, q="水资源")["items"]) == ["fwzx"]


def test_a_bad_filter_or_page_says_what_is_allowed(world, read_models):
    engine = read_models.engine
    with pytest.raises(BadInput, match="in_business"):
        queries.search_targets(engine, status="bankrupt")
    with pytest.raises(BadInput, match="between 1 and 500"):
        queries.search_targets(engine, limit=501)
    with pytest.raises(BadInput, match="negative"):
        queries.search_inspectors(engine, offset=-1)
    with pytest.raises(BadInput, match="plan_aggregator"):
        queries.search_officials(engine, role="mayor")


def test_an_entry_is_found_by_its_id_or_its_code_and_an_unknown_one_is_not(world, read_models):
    engine = read_models.engine
    by_code = queries.get_entry(engine, "target", VECTOR_CODES[2].lower())
    by_id = queries.get_entry(engine, "target", str(world.targets[VECTOR_CODES[2]]))
    assert by_code == by_id
    assert queries.get_entry(engine, "target", "project:CZ-HD-2018-07")["name"] == "新运河护岸工程"
    with pytest.raises(NotFound, match="no inspector with id or code 'insp-99'"):
        queries.get_entry(engine, "inspector", "insp-99")
    with pytest.raises(NotFound):
        queries.get_entry(engine, "item", str(world.targets[VECTOR_CODES[0]]))
