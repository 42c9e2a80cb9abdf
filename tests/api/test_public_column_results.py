"""Published results in the public column: the list page, 双公示, and the JSON and RSS feeds."""

from __future__ import annotations

import html
import re
from datetime import date
from email.utils import parsedate_to_datetime
from uuid import UUID
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.public_column import feeds, routes
from ledger.draws.service import Draws
from ledger.inspections.evidence import EvidenceStore
from ledger.inspections.service import Inspections
from ledger.publications.service import Publishing
from ledger.registry.identities import bound_official

from ..ledger.test_draws import run_draw

TODAY = date(2026, 11, 25)
CLERK = "szc-clerk"


def _confirmed(inspections, draw, team, category):
    inspection = inspections.notify(
        {"source": str(draw), "target": team["target"], "notified_on": "2026-11-05"}, CLERK
    )
    inspections.carry_out(
        inspection, {"on": "2026-11-10", "method": "现场检查", "present": team["members"]}, CLERK
    )
    inspections.record_result(
        inspection,
        {"category": category, "recorded_by": team["members"][0]},
        bound_official(inspections.app, team["members"][0]),
    )
    inspections.record_confirmation(inspection, {"on": "2026-11-10"}, CLERK)
    return inspection


@pytest.fixture
def bureau(demo_ledger, tmp_path):
    """Four drawn targets inspected: no problem; a problem corrected (its publication then
    corrected); a case filed and a penalty (also in 双公示); a publication withdrawn."""
    ledger, _ = demo_ledger(targets=200, inspectors=24, today=TODAY)
    draw, teams = run_draw(Draws(ledger, today=date(2026, 11, 1)))
    inspections = Inspections(ledger, EvidenceStore(tmp_path / "evidence"), today=lambda: TODAY)
    publishing = Publishing(ledger, today=lambda: TODAY)
    fine, fixed, penalised, withdrawn = teams[:4]

    publishing.publish(_confirmed(inspections, draw, fine, "no_problem"), "results", CLERK)

    inspection = _confirmed(inspections, draw, fixed, "problem_corrected")
    order = {"kind": "order_to_correct", "on": "2026-11-10", "correct_by": "2026-11-20"}
    inspections.follow_up(inspection, order, CLERK)
    corrected = publishing.publish(inspection, "results", CLERK)
    inspections.follow_up(inspection, {"kind": "corrected", "on": "2026-11-20"}, CLERK)
    publishing.correct(corrected, "整改完成，更新后续处理", CLERK)

    inspection = _confirmed(inspections, draw, penalised, "problem_pending")
    case = {"kind": "case_filed", "on": "2026-11-11", "case_number": "常水立〔2026〕12号"}
    inspections.follow_up(inspection, case, CLERK)
    penalty = {
        "kind": "penalty_decided",
        "on": "2026-11-16",
        "decision_number": "常水罚〔2026〕7号",
        "penalty": "罚款人民币二万元",
    }
    inspections.follow_up(inspection, penalty, CLERK)
    publishing.publish(inspection, "results", CLERK)
    publishing.publish(inspection, "double_publicity", CLERK)

    gone = publishing.publish(
        _confirmed(inspections, draw, withdrawn, "no_problem"), "results", CLERK
    )
    publishing.withdraw(gone, "对象已注销，撤回公示", CLERK)
    return ledger, {"fine": fine, "fixed": fixed, "penalised": penalised, "withdrawn": withdrawn}


@pytest.fixture
def visitor(bureau):
    return TestClient(create_app(bureau[0]))


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr class="publication".*?</tr>', page, flags=re.S)


def test_the_results_page_lists_every_publication_with_its_facts_and_status(visitor, bureau):
    _, teams = bureau
    page = visitor.get("/column/results").text
    rows = _rows(page)
    assert len(rows) == 5
    assert "共 5 条" in page
    (fine,) = [r for r in rows if teams["fine"]["target"] in r]
    for fact in ("取水许可监督检查", "水政处", "2026-11-10", "未发现问题", "已公示"):
        assert fact in fine
    (fixed,) = [r for r in rows if teams["fixed"]["target"] in r]
    assert 'data-status="corrected"' in fixed and "已更正" in fixed
    (gone,) = [r for r in rows if teams["withdrawn"]["target"] in r]
    assert 'data-status="withdrawn"' in gone and "已撤回" in gone
    for team in teams.values():
        for inspector in team["members"]:
            assert inspector not in page


def test_the_double_publicity_column_shows_only_penalties_with_case_and_decision(visitor, bureau):
    _, teams = bureau
    page = visitor.get("/column/results", params={"channel": "double_publicity"}).text
    (row,) = _rows(page)
    assert teams["penalised"]["target"] in row
    for fact in ("常水立〔2026〕12号", "常水罚〔2026〕7号", "罚款人民币二万元"):
        assert fact in row
    assert "<h1>双公示</h1>" in page


def test_results_can_be_searched_by_credit_code_and_paged(visitor, bureau, monkeypatch):
    _, teams = bureau
    code = teams["penalised"]["target"]
    found = _rows(visitor.get("/column/results", params={"q": code}).text)
    assert len(found) == 2 and all(code in row for row in found)

    monkeypatch.setattr(routes, "RESULTS_PER_PAGE", 2)
    first = visitor.get("/column/results").text
    assert "第 1 / 3 页" in first and len(_rows(first)) == 2
    assert 'rel="next" href="/column/results?page=2"' in first
    last = visitor.get("/column/results", params={"page": 3}).text
    assert len(_rows(last)) == 1 and 'rel="prev" href="/column/results?page=2"' in last
    seen = _rows(first) + _rows(visitor.get("/column/results?page=2").text) + _rows(last)
    assert len({re.search(r'data-id="([^"]+)"', r).group(1) for r in seen}) == 5


def test_a_page_number_below_one_or_an_unknown_channel_is_a_422_naming_the_field(visitor):
    # a page of the column: its refusal is a page too (tests/api/test_column_refusals.py)
    for page in (0, 10**20, "1e20"):
        refused = visitor.get("/column/results", params={"page": page})
        assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/")
        assert f"page（'{page}'）" in html.unescape(refused.text)
    bad = visitor.get("/column/results", params={"channel": "gossip"})
    assert bad.status_code == 422 and "channel 'gossip'" in html.unescape(bad.text)


def test_the_json_feed_carries_each_publication_and_pages_on(visitor, bureau):
    feed = visitor.get("/column/feed.json").json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "信用常州 常州市双随机检查公示专栏"
    assert len(feed["items"]) == 5
    keys = {
        "id", "position", "channel", "status", "target_code", "target_name", "items",
        "division", "division_name", "inspected_on", "category", "follow_up", "published_at",
        "deadline", "on_time", "content_digest", "supersedes",
    }  # fmt: skip
    for item in feed["items"]:
        assert keys <= set(item["_publication"])
        assert item["id"] == item["_publication"]["id"]
    corrected = [i["_publication"] for i in feed["items"] if i["_publication"]["supersedes"]]
    assert [c["status"] for c in corrected] == ["corrected"]
    assert "next_url" not in feed

    first = visitor.get("/column/feed.json", params={"limit": 2}).json()
    second = visitor.get(first["next_url"]).json()
    assert [i["id"] for i in first["items"] + second["items"]] == [
        i["id"] for i in feed["items"][:4]
    ]
    penalties = visitor.get("/column/feed.json", params={"channel": "double_publicity"}).json()
    assert [i["_publication"]["channel"] for i in penalties["items"]] == ["double_publicity"]


def test_the_rss_feed_is_rss_2_with_one_item_per_publication(visitor, bureau):
    _, teams = bureau
    response = visitor.get("/column/feed.rss")
    assert response.headers["content-type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "信用常州 常州市双随机检查公示专栏"
    items = channel.findall("item")
    assert len(items) == 5
    json_items = visitor.get("/column/feed.json").json()["items"]
    for item, same in zip(items, json_items, strict=True):
        publication = same["_publication"]
        guid = item.findtext("guid")
        assert (
            guid == f"{publication['id']}/{publication['status']}/{publication['content_digest']}"
        )
        assert publication["target_code"] in item.findtext("description")
        assert parsedate_to_datetime(item.findtext("pubDate")).tzinfo is not None
        assert item.findtext("link").startswith("http://testserver/column/results?q=")
    assert any("常水罚〔2026〕7号" in i.findtext("description") for i in items)
    assert any(
        teams["withdrawn"]["target"] in i.findtext("title") or "已撤回" in i.findtext("title")
        for i in items
    )


def test_feeds_carry_free_text_as_plain_text_and_times_in_china_time(visitor):
    row = dict(visitor.get("/column/feed.json").json()["items"][0]["_publication"])
    row["target_name"] = "<b>粗体</b> & 公司"
    row["content"] = {"penalty": "<i>x</i>"}
    row["channel"] = "double_publicity"
    row["published_at"] = "2026-11-25T17:30:00+00:00"
    body = feeds.rss([row], title_text="专栏", home="http://testserver/column")
    item = ET.fromstring(body).find("channel/item")
    description = item.findtext("description")
    assert "<" not in description and "&lt;b&gt;粗体&lt;/b&gt; &amp; 公司" in description
    assert html.unescape(description) == feeds.summary(row)  # a reader shows the text itself
    assert item.findtext("pubDate").endswith("+0800")
    assert "26 Nov 2026 01:30:00" in item.findtext("pubDate")
    entry = feeds.json_feed([row], title_text="专栏", home="h", feed_url="f", next_url=None)
    assert entry["items"][0]["content_text"] == feeds.summary(row)
    assert entry["items"][0]["date_published"] == "2026-11-26T01:30:00+08:00"


def test_the_rss_stays_well_formed_xml_even_with_a_control_character_recorded_earlier(visitor):
    row = dict(visitor.get("/column/feed.json").json()["items"][0]["_publication"])
    row["target_name"] = "旧公司\x00\x1b\x07"
    body = feeds.rss([row], title_text="专栏", home="http://testserver/column")
    item = ET.fromstring(body).find("channel/item")
    assert "旧公司\ufffd\ufffd\ufffd" in item.findtext("title")


def test_results_beyond_the_bounded_count_say_more_than_and_still_page_on(
    visitor, bureau, monkeypatch
):
    """With more publications than ``COUNTED_UP_TO`` the page says 超过 … 条 (not a count it did
    not make), has no last page number, and its next links still reach every publication."""
    from projections import queries

    monkeypatch.setattr(queries, "COUNTED_UP_TO", 3)
    monkeypatch.setattr(routes, "RESULTS_PER_PAGE", 2)
    first = visitor.get("/column/results").text
    assert "超过 3 条，第 1 页" in first and "共 " not in first.split('id="total"')[1][:40]
    seen, page, url = [], first, "/column/results"
    while True:
        seen += _rows(page)
        following = re.search(r'rel="next" href="([^"]+)"', page)
        if following is None:
            break
        url = html.unescape(following.group(1))
        page = visitor.get(url).text
    assert len({re.search(r'data-id="([^"]+)"', r).group(1) for r in seen}) == 5
    assert url == "/column/results?page=3"  # the last page (1 row) links no further
    first_feed = visitor.get("/column/feed.json", params={"limit": 2}).json()
    ids, feed = [], first_feed
    while True:
        ids += [i["id"] for i in feed["items"]]
        if "next_url" not in feed:
            break
        feed = visitor.get(feed["next_url"]).json()
    assert len(set(ids)) == 5


def _edit_published_row(visitor, **values) -> None:  # type: ignore[no-untyped-def]
    """As the operator with the read models' database: change the rows the column lists."""
    from sqlalchemy import update

    from projections.tables import publications

    engine = visitor.app.state.read_models.engine
    with engine.begin() as conn:
        conn.execute(update(publications).where(*values.pop("where")).values(**values))


@pytest.mark.parametrize("edit", ["result", "label", "withdrawal", "deletion"])
def test_a_published_row_edited_in_the_read_models_is_refused_not_shown(visitor, bureau, edit):
    """The operator edits readmodels.sqlite so that the column shows a penalised company's
    result as 'no problem' or a withdrawn publication as published, or deletes the penalised
    company's publications: the column served the edited list as the bureau's publication. Now
    each row it shows is checked against the publication's events in the log, and the whole
    list's count against the publications the log records; the page is refused, in Chinese,
    rather than served."""
    from projections.tables import publications as p

    visitor.get("/column/results")  # the read models caught up
    penalised = bureau[1]["penalised"]["target"]
    if edit == "result":
        _edit_published_row(
            visitor, where=[p.c.target_code == penalised], category="no_problem",
            category_label="未发现问题",
        )  # fmt: skip
    elif edit == "label":  # only the words the page and the feeds show
        _edit_published_row(
            visitor, where=[p.c.target_code == penalised], category_label="未发现问题"
        )
    elif edit == "withdrawal":
        _edit_published_row(visitor, where=[p.c.status == "withdrawn"], status="published")
    else:  # the penalised company's publications gone from the list
        from sqlalchemy import delete

        with visitor.app.state.read_models.engine.begin() as conn:
            conn.execute(delete(p).where(p.c.target_code == penalised))
    refused = visitor.get("/column/results")
    assert refused.status_code == 500
    assert "<title>读模型与日志不一致" in refused.text
    assert "读模型与账本日志不一致：请系统管理员重建读模型" in refused.text
    assert "未发现问题" not in refused.text  # nothing of the edited rows is shown
    assert visitor.get("/column/feed.json").status_code == 500
    assert visitor.get("/column/results", params={"q": "nobody-matches-this"}).status_code == 200


def test_a_withdrawal_recorded_after_the_catch_up_is_not_taken_for_an_edited_row(
    visitor, bureau, monkeypatch
):
    """A publication withdrawn between the read models' catch-up and the check of the page's
    rows is in the log and not yet in its row: the row must not be refused as edited (a 500
    telling the administrator to rebuild, on the public column); caught up once more, the
    page shows the withdrawal."""
    from projections import inspections as inspections_projection
    from projections import queries

    ledger, teams = bureau
    assert visitor.get("/column/results").status_code == 200
    read_models = visitor.app.state.read_models
    [row] = queries.search_publications(
        read_models.engine, channel="results", q=teams["fine"]["target"], limit=5, offset=0
    )["items"]
    monkeypatch.setattr(ledger, "after_save", [])  # the read models are not told of it
    withdrawn = UUID(str(row["id"]))
    Publishing(ledger, today=lambda: TODAY).withdraw(withdrawn, "撤回重发（测试）", CLERK)
    # a row this process has not checked yet (checked rows are remembered by their content)
    monkeypatch.setattr(inspections_projection, "_CHECKED", set())
    caught_up = read_models.current
    calls: list[int] = []

    def late() -> None:  # the first catch-up ran just before the withdrawal was recorded
        calls.append(1)
        if len(calls) > 1:
            caught_up()

    monkeypatch.setattr(read_models, "current", late)
    page = visitor.get("/column/results")
    assert page.status_code == 200, page.text[:300]
    (fine,) = [r for r in _rows(page.text) if teams["fine"]["target"] in r]
    assert 'data-status="withdrawn"' in fine
