"""The Changzhou water bureau demo: what it records, who records it, and that it runs once."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.demo.bureau import build_demo
from ledger.demo.changzhou import BUSINESS
from ledger.draws.service import Draws
from ledger.errors import BadInput, Conflict
from ledger.export import export_bundle
from ledger.storage import persistence_env
from verify.bundle import read_bundle
from verify.checks import verify_bundle
from verify.events import decode_record
from verify.keys import SignerKey
from verify.uscc import organisation_code_warning, validate

TODAY = date(2026, 6, 1)


def envelopes(app: LedgerApp, *topics: str) -> list[dict[str, Any]]:
    return [decode_record(n.state).envelope for n in app.notifications(topics=list(topics))]


@pytest.fixture
def sqlite_ledger(tmp_path) -> Any:  # type: ignore[no-untyped-def]
    def make(name: str = "ledger") -> LedgerApp:
        signer = SignerKey.generate(f"drawledger.test/{name}")
        env = persistence_env(f"sqlite:///{name}.sqlite", tmp_path)
        app = LedgerApp(env, signer, signer.name, embedded_sealing=True)
        app.create_ledger()
        app.set_default_policy()
        apps.append(app)
        return app

    apps: list[LedgerApp] = []
    yield make
    for app in apps:
        app.close()


def test_the_demo_records_the_bureaus_registry_through_its_officials(ledger):
    summary = build_demo(ledger, targets=120, inspectors=15, today=TODAY)

    counts = Counter(n.topic for n in ledger.notifications())
    assert counts["division.created"] == summary.divisions == 9
    # 17 officials of the divisions, and one account for each of the 15 roster inspectors,
    # bound to them by the admin (official and inspector codes never coincide).
    assert counts["official.registered"] == summary.officials == 17 + 15
    assert counts["official.bound_to_inspector"] == 15
    assert counts["item.registered"] == summary.items == 8
    assert counts["target.registered"] == summary.targets == 120
    assert counts["target.status_changed"] == summary.status_changes == 3
    assert counts["target.updated"] == summary.corrections == 1
    assert counts["inspector.registered"] == summary.inspectors == 15
    assert counts["inspector.updated"] == summary.inspector_moves == 1
    assert counts["inspector.conflict_declared"] == summary.conflicts == 1
    assert counts["itemlist.published"] == summary.item_list_number == 1
    assert summary.ledger_size == ledger.recorder.max_notification_id()

    # The operator only created the office and its admin; every other act names its official.
    by_system = [e["type"] for e in envelopes(ledger) if e["actor"]["role"] == "system"]
    assert by_system == ["ledger.created", "policy.set", "division.created", "official.registered"]
    for event in envelopes(ledger, "target.registered"):
        division = event["payload"]["division"]
        assert event["actor"] == {
            "official": f"{division}-clerk",
            "role": "clerk",
            "department": division,
        }
    assert {e["actor"]["official"] for e in envelopes(ledger, "inspector.registered")} == {
        "szc-aggregator"
    }
    [published] = envelopes(ledger, "itemlist.published")
    assert published["actor"]["role"] == "plan_aggregator"


def test_the_demo_targets_have_valid_codes_and_realistic_details(sqlite_ledger):
    app = sqlite_ledger()
    summary = build_demo(app, targets=400, inspectors=10, today=TODAY)
    targets = [e["payload"] for e in envelopes(app, "target.registered")]

    coded = [t for t in targets if t["kind"] in ("enterprise", "public_body")]
    for t in coded:
        assert validate(t["code"]) == t["code"]
        assert organisation_code_warning(t["code"]) is None
        assert t["code"][2:8] in {
            "320400",
            "320402",
            "320404",
            "320411",
            "320412",
            "320413",
            "320481",
        }
    assert len({t["code"] for t in targets}) == len(targets)
    kinds = Counter(t["kind"] for t in targets)
    assert kinds["individual"] == summary.individuals == 1
    assert kinds["project"] == summary.projects > 0 and kinds["public_body"] > 0
    assert {t["district"] for t in targets} <= {
        "天宁区",
        "钟楼区",
        "新北区",
        "武进区",
        "金坛区",
        "溧阳市",
    }
    assert {t["division"] for t in targets} == set(BUSINESS)
    assert {t["credit_class"] for t in targets} == {"A", "B", "C", "D"}
    assert any(t["risk_flags"] for t in targets)
    water = [t for t in targets if t["items"] == ["qsxk"] and t["kind"] != "individual"]
    assert all(t["permit"]["number"].startswith("取水(常)字") for t in water)

    # An individual's identity and name stay off the log.
    [person] = [t for t in targets if t["kind"] == "individual"]
    assert person["name"] is None and person["code"].startswith("person-")
    assert set(person["person"]) == {"ref", "commitment"}


def test_the_demo_items_carry_their_legal_basis(sqlite_ledger):
    app = sqlite_ledger()
    build_demo(app, targets=20, inspectors=5, today=TODAY)
    items = {e["payload"]["code"]: e["payload"] for e in envelopes(app, "item.registered")}

    assert items["qsxk"]["legal_basis"]["law"].startswith("《中华人民共和国水法》")
    assert "第四十八条" in items["qsxk"]["legal_basis"]["article"]
    assert items["qsxk"]["executing_units"] == ["szjczd", "szyfwzx"]
    assert items["hdjs"]["division"] == "ggc"
    assert "第二十五条" in items["hdcs"]["legal_basis"]["article"]
    assert all(i["legal_basis"]["text"] is None for i in items.values())  # no invented quotes


def test_the_same_seed_gives_the_same_registry(sqlite_ledger):
    def content(app: LedgerApp) -> list[Any]:
        # A person's reference and commitment are keyed and salted per ledger: left out.
        return [
            {k: v for k, v in e["payload"].items() if k != "person"}
            | ({"code": None} if e["payload"].get("kind") == "individual" else {})
            for e in envelopes(app, "target.registered", "inspector.registered")
        ]

    first, second, other = sqlite_ledger("a"), sqlite_ledger("b"), sqlite_ledger("c")
    build_demo(first, targets=60, inspectors=8, today=TODAY)
    build_demo(second, targets=60, inspectors=8, today=TODAY)
    build_demo(other, targets=60, inspectors=8, today=TODAY, seed=7)
    assert content(first) == content(second)
    assert content(first) != content(other)


def test_running_the_demo_twice_is_refused_and_records_nothing(sqlite_ledger):
    app = sqlite_ledger()
    build_demo(app, targets=20, inspectors=5, today=TODAY)
    size = app.recorder.max_notification_id()
    with pytest.raises(Conflict, match="holds the demo registry already"):
        build_demo(app, targets=20, inspectors=5, today=TODAY)
    assert app.recorder.max_notification_id() == size


def test_the_admin_token_of_the_demo_works_with_the_api(sqlite_ledger):
    app = sqlite_ledger()
    summary = build_demo(app, targets=20, inspectors=5, today=TODAY)
    client = TestClient(create_app(app))
    headers = {"Authorization": f"Bearer {summary.admin_token}"}
    response = client.post(
        "/divisions", json={"code": "fb", "name": "防汛防旱办公室"}, headers=headers
    )
    assert response.status_code == 201, response.text


def test_the_full_size_demo_records_the_whole_registry_on_sqlite(sqlite_ledger):
    # How long it takes is a benchmark's business (docs/PERFORMANCE.md), never a test's.
    app = sqlite_ledger()
    summary = build_demo(app)

    assert (summary.targets, summary.inspectors) == (2000, 60)
    assert (summary.status_changes, summary.corrections, summary.conflicts) == (50, 20, 4)
    assert summary.inspector_moves == 6


def test_drawledger_demo_creates_a_ledger_prints_a_token_and_refuses_a_second_run(tmp_path, capsys):
    data = tmp_path / "demo"
    args = ["demo", "--data", str(data), "--targets", "120", "--inspectors", "20"]
    assert drawledger(args) == 0
    out = capsys.readouterr().out
    assert "检查对象 120 个" in out and "执法人员 20 名" in out
    assert "2026 年计划 14 个，抽取 11 次" in out
    token = out.split("（只显示这一次，账本只保存其哈希）：\n")[1].split()[0]
    assert token.startswith("dl1.")

    assert drawledger(args) == 1
    assert "中的账本已有" in capsys.readouterr().err  # a demo goes only into a new ledger
    bundle = tmp_path / "demo.bundle"
    assert drawledger(["export", "--data", str(data), "--out", str(bundle)]) == 0
    from verify.__main__ import main as verify

    assert verify([str(bundle), "--key", str(data / "keys" / "ledger.pub")]) == 0


def test_the_demo_year_records_plans_and_draws_through_their_workflows(ledger, tmp_path):
    summary = build_demo(ledger, targets=120, inspectors=20, today=TODAY, plans_and_draws=True)
    year = summary.year
    assert year is not None and summary.ledger_size == ledger.recorder.max_notification_id()

    counts = Counter(n.topic for n in ledger.notifications())
    assert counts["plan.drafted"] == len(year.plans) == 14  # two annual, twelve monthly
    assert counts["plan.uploaded"] == 13 and counts["plan.amended"] == 1  # December in review
    assert counts["draw.opened"] == counts["draw.inspectors_assigned"] == len(year.draws) == 11
    assert counts["draw.inspector_substituted"] == 1
    assert counts["draw.partner_invited"] == 2 and counts["draw.partner_declined"] == 1
    assert counts["draw.partner_inspectors_assigned"] == counts["draw.partner_accepted"] == 1
    assert counts["plan.rolled_over"] == counts["draw.rolled_over"] == 1
    assert counts["directed.recorded"] == len(year.directed) == 1

    late = [
        (e["type"], e["payload"]["deadline"])
        for e in envelopes(ledger, "plan.submitted", "plan.uploaded")
        if e["payload"]["late"]
    ]
    assert late == [
        ("plan.submitted", "2025-12-15"),  # 工管处's annual plan
        ("plan.submitted", "2026-04-20"),  # May's monthly plan
        ("plan.uploaded", "2026-08-25"),  # September's
    ]
    periods = {e["payload"]["period"] for e in envelopes(ledger, "plan.drafted")}
    assert all(p.startswith("2026") for p in periods)
    assigned = envelopes(ledger, "draw.inspectors_assigned", "draw.partner_inspectors_assigned")
    assert all(e["payload"]["on_date"].startswith("2026-") for e in assigned)

    draws = Draws(ledger)
    assert all(draws.get(UUID(d)).step == "assigned" for d in year.draws)
    assert draws.get(UUID(year.rolled_over_draw)).month == "2026-06"
    partners = {
        p["division"]: p["status"] for p in draws.get(UUID(year.joint_draw)).partners.values()
    }
    assert sorted(partners.values()) == ["assigned", "declined"]
    [recusal] = envelopes(ledger, "draw.inspector_substituted")
    assert recusal["aggregate"] == year.recusal_draw and recusal["payload"]["reason"].startswith(
        "回避"
    )
    assert all(
        e["actor"]["role"] != "system" for e in envelopes(ledger, "plan.drafted", "draw.opened")
    )

    export_bundle(ledger, tmp_path / "demo.jsonl")
    report = verify_bundle(
        read_bundle(tmp_path / "demo.jsonl"), pinned_keys=[str(ledger.signer.verifier)]
    )
    assert report.ok, report.to_json()
    assert report.authority.findings == []  # the demo keeps the rules of authority
    assert report.steps[8].detail == "11 次抽取"


@pytest.mark.parametrize(("targets", "inspectors"), [(12, 10), (0, 10), (60, 0)])
def test_a_demo_too_small_for_its_year_is_refused_before_anything_is_recorded(
    ledger, targets, inspectors
):
    before = ledger.recorder.max_notification_id()
    with pytest.raises(BadInput, match="at least"):
        build_demo(ledger, targets=targets, inspectors=inspectors, plans_and_draws=True)
    assert ledger.recorder.max_notification_id() == before


def test_a_small_registry_only_demo_leaves_conflicts_out_of_divisions_without_targets(ledger):
    summary = build_demo(ledger, targets=5, inspectors=30, today=date(2026, 11, 25))
    assert summary.targets == 5
