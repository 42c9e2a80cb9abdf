"""The public column (公示专栏) as a visitor reads it: pages rendered from a real ledger."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.public_column.pages import exclusion_reason
from ledger.actors import SYSTEM
from ledger.draws.service import Draws
from ledger.plans.service import Plans
from ledger.registry.layouts import TARGET_STATUS_LABELS
from tests.ledger.workflow import reveal, with_ceremony
from verify.events import decode_record
from verify.merkle import leaf_hash, verify_inclusion
from verify.sampler import seed_hash, ticket_number, trim

CLERK = "szc-clerk"


@pytest.fixture
def bureau(demo_ledger):
    """The demo bureau with one uploaded plan, one plan still in draft and a planned draw."""
    ledger, _ = demo_ledger(targets=200, inspectors=24)
    plans = Plans(ledger)
    uploaded = plans.draft(
        {
            "division": "szc",
            "kind": "monthly",
            "period": "2099-03",
            "items": ["qsxk"],
            "counts": {"all": 4},
            "schedule": "<script>alert('x')</script> 三月上旬",
        },
        CLERK,
    )
    plans.review(uploaded, True, "", "jld-leader-1")
    plans.submit(uploaded, CLERK)
    plans.consolidate(uploaded, "szc-aggregator")
    plans.upload(uploaded, "szc-aggregator")
    plans.draft(
        {"division": "szc", "kind": "monthly", "period": "2099-04", "items": ["qsxk"]}, CLERK
    )
    draws = Draws(ledger)
    draw = draws.open(
        with_ceremony(
            {
                "division": "szc",
                "items": ["qsxk"],
                "counts": {"all": 4},
                "team_size": 2,
                "plan": str(uploaded),
            }
        ),
        CLERK,
    )
    draws.freeze(draw, CLERK)
    reveal(draws, draw, CLERK)
    draws.select(draw, CLERK)
    return ledger, draw


@pytest.fixture
def visitor(bureau):
    ledger, _ = bureau
    return TestClient(create_app(ledger))


def _record(visitor, draw):
    return visitor.get(f"/draws/{draw}/record").json()


def test_the_front_page_names_the_column_and_shows_the_current_signed_checkpoint(visitor):
    assert visitor.get("/", follow_redirects=False).headers["location"] == "/column"
    page = visitor.get("/column")
    assert page.status_code == 200
    assert "信用常州 常州市双随机检查公示专栏" in page.text
    note = visitor.get("/checkpoint").text
    assert note.startswith("drawledger.test/ledger\n")
    assert html.escape(note) in page.text
    for section in ("/column/items", "/column/plans", "/column/draws"):
        assert f'href="{section}"' in page.text


def test_a_new_policy_version_renames_the_column_on_the_next_page(visitor, bureau):
    ledger, _ = bureau
    assert "信用常州 常州市双随机检查公示专栏" in visitor.get("/column/draws").text
    policy = ledger.policy_in_force()
    policy["version"] = "changzhou-water-2018/2"
    policy["publication"] = {**policy["publication"], "column": "常州市水利局双随机抽查公示"}
    ledger.set_policy(policy, SYSTEM)
    page = visitor.get("/column/draws").text
    assert "常州市水利局双随机抽查公示" in page
    assert "信用常州" not in page


def test_the_item_list_page_shows_the_published_list_with_its_digest(visitor):
    published = visitor.get("/public/item-list").json()
    page = visitor.get("/column/items").text
    assert published["digest"] in page
    for item in published["items"]:
        assert html.escape(item["name"]) in page
        assert html.escape(item["legal_basis"]["law"]) in page
    assert "常州市水资源服务中心" in page  # an executing unit, by name


def test_only_uploaded_plans_are_listed_and_their_text_is_escaped(visitor):
    page = visitor.get("/column/plans").text
    assert "2099-03" in page
    assert "2099-04" not in page  # still a draft
    assert "水政处" in page and "取水许可监督检查" in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 三月上旬" in page
    assert "<script>alert" not in page


def test_the_draw_list_links_each_draw_with_its_step_and_shows_new_draws(visitor, bureau):
    ledger, draw = bureau
    page = visitor.get("/column/draws").text
    assert f'href="/column/draws/{draw}"' in page
    assert "检查对象已抽取" in page
    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 1}, "team_size": 2}
    later = Draws(ledger).open(with_ceremony(spec), CLERK)
    page = visitor.get("/column/draws").text
    assert page.index(f'href="/column/draws/{later}"') < page.index(f'href="/column/draws/{draw}"')
    assert "已开启（已承诺随机数）" in page


def test_a_draw_page_shows_every_published_fact_of_the_record(visitor, bureau):
    _, draw = bureau
    manifest = _record(visitor, draw)["manifest"]
    page = visitor.get(f"/column/draws/{draw}").text
    revealed = manifest["seed_revealed"]
    frozen = manifest["population_frozen"]
    stratum = manifest["targets_selected"]["strata"][0]
    for fact in (
        manifest["opened"]["commitment"],
        manifest["opened"]["policy_version"],
        manifest["opened"]["plan"],
        *revealed["contributions"].values(),
        revealed["nonce"],
        revealed["seed"],
        frozen["digest"],
        stratum["threshold"],
    ):
        assert fact in page
    assert f'<td id="population-count">{frozen["count"]}</td>' in page
    assert frozen["exclusions"], "the demo bureau has targets out of business in scope"
    for excluded in frozen["exclusions"]:
        assert excluded["target"] in page
        assert exclusion_reason(excluded["reason"]) in page  # in Chinese, the status by label
    names = dict(re.findall(r"<td>([^<]*)</td><td class=\"mono\">([0-9A-Z]{18})</td>", page))
    for selected in stratum["selected"]:
        assert selected["target"] in page and selected["ticket"] in page
        assert selected["target"] in names.values()
    assert html.escape(visitor.get("/checkpoint").text) in page


def test_the_check_data_on_a_draw_page_is_the_record_and_reproduces_its_tickets(visitor, bureau):
    _, draw = bureau
    record = _record(visitor, draw)
    manifest = record["manifest"]
    page = visitor.get(f"/column/draws/{draw}").text
    embedded = re.search(r'<script type="application/json" id="check-data">(.*?)</script>', page)
    assert embedded is not None
    data = json.loads(embedded.group(1))
    assert data["seed"] == manifest["seed_revealed"]["seed"]
    assert sorted(data["population"]) == record["population"]
    assert set(data["population"].values()) == {"all"}
    assert data["excluded"] == {
        e["target"]: exclusion_reason(e["reason"])
        for e in manifest["population_frozen"]["exclusions"]
    }
    hashed = seed_hash(data["seed"] + "/targets")
    for target, ticket in data["selected"].items():
        assert trim(ticket_number(target, hashed), data["digits"]) == ticket
        assert ticket <= data["thresholds"]["all"]


def test_the_population_download_hashes_to_the_frozen_digest(visitor, bureau):
    _, draw = bureau
    digest = _record(visitor, draw)["manifest"]["population_frozen"]["digest"]
    text = visitor.get(f"/column/draws/{draw}/population.txt").content
    assert hashlib.sha256(text).hexdigest() == digest


def test_a_draw_page_follows_the_draw_step_by_step_and_an_unknown_draw_is_404(visitor, bureau):
    ledger, _ = bureau
    draws = Draws(ledger)
    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 1}, "team_size": 2}
    draw = draws.open(with_ceremony(spec), CLERK)
    page = visitor.get(f"/column/draws/{draw}").text
    assert "抽取完成后即可查询" in page
    assert 'id="check-data"' not in page
    assert "尚未冻结" in page
    frozen = draws.freeze(draw, CLERK)
    page = visitor.get(f"/column/draws/{draw}").text
    assert "尚未冻结" not in page
    assert frozen["digest"] in page
    assert "尚未揭示" in page
    missing = visitor.get("/column/draws/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404


def test_a_stratified_draw_page_gives_each_id_its_stratum_and_each_stratum_its_threshold(
    visitor, bureau
):
    ledger, _ = bureau
    draws = Draws(ledger)
    counts = {"A": 2, "B": 1, "C": 1, "D": 1}
    spec = {"division": "szc", "items": ["qsxk"], "counts": counts, "team_size": 2}
    draw = draws.open(with_ceremony({**spec, "stratify_by": "credit_class"}), CLERK)
    frozen = draws.freeze(draw, CLERK)
    reveal(draws, draw, CLERK)
    strata = draws.select(draw, CLERK)
    page = visitor.get(f"/column/draws/{draw}").text
    embedded = re.search(r'<script type="application/json" id="check-data">(.*?)</script>', page)
    assert embedded is not None
    data = json.loads(embedded.group(1))
    sizes = {s: list(data["population"].values()).count(s) for s in frozen["strata"]}
    assert sizes == frozen["strata"]
    for stratum in strata:
        assert data["thresholds"][stratum["stratum"]] == stratum["threshold"]
        assert f'阈值 <code class="threshold">{stratum["threshold"]}</code>' in page
        for chosen in stratum["selected"]:
            assert data["population"][chosen["target"]] == stratum["stratum"]


def test_an_abandoned_draw_is_shown_with_its_reason_and_its_step(visitor, bureau):
    ledger, _ = bureau
    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 1}, "team_size": 2}
    draws = Draws(ledger)
    draw = draws.open(with_ceremony(spec), CLERK)
    draws.abandon(draw, "检查事项选择错误，重新开启", "szc-head")
    page = visitor.get(f"/column/draws/{draw}").text
    assert '<span id="abandon-reason">检查事项选择错误，重新开启</span>' in page
    assert "本次抽取于“已开启（已承诺随机数）”步骤由处室负责人终止" in page
    assert _record(visitor, draw)["manifest"]["abandoned"]["reason"] == "检查事项选择错误，重新开启"


def test_exclusion_reasons_are_shown_in_chinese_with_the_registrys_labels(visitor, bureau):
    _, draw = bureau
    page = visitor.get(f"/column/draws/{draw}").text
    reasons = re.findall(r'<td title="记录原文：[^"]*">([^<]*)</td>', page)
    assert reasons and all(re.search("[a-z]", reason) is None for reason in reasons), reasons
    labels = set(TARGET_STATUS_LABELS.values())
    assert all(any(f"状态为“{label}”" in r for label in labels) for r in reasons), reasons
    assert exclusion_reason("status is moved (eligible: in_business)") == (
        "状态为“已迁出”，可抽取的状态为“在营”"
    )
    cap = "drawn 2 times in 2026, the policy's cap is 2 a year"
    assert exclusion_reason(cap) == "2026 年已被抽中 2 次，达到规则规定的每年 2 次上限"


def test_every_time_on_the_pages_is_china_time_date_first(visitor, bureau):
    _, draw = bureau
    manifest = _record(visitor, draw)["manifest"]
    opened_utc = datetime.fromisoformat(manifest["opened"]["time"].replace("Z", "+00:00"))
    local = opened_utc.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    for path in ("/column/draws", f"/column/draws/{draw}", "/column/plans"):
        page = visitor.get(path).text
        assert local in page, path
        assert "UTC" not in page and not re.search(r"\d{2}:\d{2}:\d{2}", page), path
    items = visitor.get("/column/items").text
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}</span>（北京时间）", items)


def test_draws_are_grouped_by_month_and_plan_and_plans_link_their_draws(visitor, bureau):
    _, draw = bureau
    manifest = _record(visitor, draw)["manifest"]
    plan = manifest["opened"]["plan"]
    draws_page = visitor.get("/column/draws").text
    assert f'<a href="/column/plans#plan-{plan}">水政处 2099-03 月度计划</a>' in draws_page
    plans_page = visitor.get("/column/plans").text
    assert f'id="plan-{plan}"' in plans_page
    assert f'href="/column/draws/{draw}"' in plans_page
    draw_page = visitor.get(f"/column/draws/{draw}").text
    assert f'href="/column/plans#plan-{plan}"' in draw_page


def test_each_step_of_a_draw_links_its_inclusion_proof_by_ledger_position(visitor, bureau):
    ledger, draw = bureau
    page = visitor.get(f"/column/draws/{draw}").text
    steps = re.findall(
        r'<a class="proof" href="/proofs/inclusion\?position=(\d+)">\d+</a></td>\s*'
        r"<td><code>([0-9a-f]{64})</code>",
        page,
    )
    assert len(steps) == 4  # opened, frozen, revealed, selected
    checkpoint = visitor.get("/checkpoint").text.splitlines()
    root = base64.b64decode(checkpoint[2])
    for position, digest in steps:
        proof = visitor.get("/proofs/inclusion", params={"position": position}).json()
        stored = ledger.recorder.select_notifications(start=int(position), limit=1)[0]
        leaf = decode_record(stored.state)
        assert leaf.digest.hex() == digest
        assert stored.originator_id == draw
        path = [base64.b64decode(h) for h in proof["proof"]]
        assert proof["tree_size"] == int(checkpoint[1])
        verify_inclusion(  # raises ProofError unless the step is in the signed tree
            leaf_hash(stored.state), proof["index"], proof["tree_size"], path, root
        )


def test_the_reproduction_guide_is_served_on_the_column_in_chinese(visitor, bureau):
    _, draw = bureau
    guide = visitor.get("/column/guide")
    assert guide.status_code == 200
    for words in (
        "复现指南",
        "consistent-sampler",
        "LC_ALL=C sort -u population.txt | sha256sum",
        "/proofs/inclusion?position=",
    ):
        assert words in guide.text
    page = visitor.get(f"/column/draws/{draw}").text
    assert 'href="/column/guide"' in page
    assert "docs/DRAWS.md" not in page
