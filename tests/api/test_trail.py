"""The responsibility trail (issue 12, part 1), told as the legal office reads it: a demo bureau
year, then one drawn company's trail lists its draw, inspection, result and publication, each
act with who did it, in which role and division, its ledger position and digest, and an
inclusion proof that verifies against the signed checkpoint with the verifier's own Merkle code.
Then the insiders: each role tries to read another division's trail."""

from __future__ import annotations

import base64
from datetime import date
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.demo.bureau import build_demo
from ledger.publications.aggregate import Publication
from ledger.registry.authority import read_charge
from ledger.registry.officials import Official, official_id
from ledger.registry.service import Registry
from verify.events import decode_record
from verify.merkle import leaf_hash, verify_inclusion
from verify.note import parse_checkpoint, verify_note


@pytest.fixture(scope="module")
def year(tmp_path_factory):  # type: ignore[no-untyped-def]
    """One demo bureau year on SQLite (the trail's PostgreSQL rows: tests/projections)."""
    from ledger.application import LedgerApp
    from ledger.storage import persistence_env
    from verify.keys import SignerKey

    signer = SignerKey.generate("drawledger.test/ledger")
    env = persistence_env("sqlite:///ledger.sqlite", tmp_path_factory.mktemp("trail"))
    app = LedgerApp(env, signer, signer.name, embedded_sealing=True, seal_interval=0)
    app.create_ledger()
    app.set_default_policy()
    summary = build_demo(
        app, targets=120, inspectors=20, today=date(2026, 11, 25), plans_and_draws=True
    )
    client = TestClient(create_app(app))
    registry = Registry(app)
    tokens: dict[str, str] = {}

    def bearer(code: str) -> dict[str, str]:
        if code not in tokens:
            tokens[code] = registry.issue_token(code, None)
        return {"Authorization": f"Bearer {tokens[code]}"}

    yield app, summary, client, bearer
    app.close()


def _records(app) -> dict[int, bytes]:  # type: ignore[no-untyped-def]
    return {n.id: n.state for n in app.notifications()}


def test_the_trail_of_a_drawn_company_tells_who_did_what_under_which_rule(year):
    app, summary, client, bearer = year
    publication = app.get(UUID(summary.results.corrected_publication), Publication)
    code = publication.content["target"]["key"]
    answer = client.get(f"/trail/targets/{code}?proofs=true&limit=500", headers=bearer("szc-legal"))
    assert answer.status_code == 200, answer.text
    trail = answer.json()
    acts = trail["items"]
    assert trail["total"] == len(acts) and trail["divisions"] == "all"
    types = [a["type"] for a in acts]
    for step in (
        "target.registered",
        "draw.targets_selected",
        "inspection.notified",
        "inspection.result_recorded",
        "publication.published",
        "publication.corrected",
    ):
        assert step in types, (step, types)
    positions = [a["position"] for a in acts]
    assert positions == sorted(positions)
    selected = next(a for a in acts if a["type"] == "draw.targets_selected")
    notified = next(a for a in acts if a["type"] == "inspection.notified")
    # The notice names the draw the target was drawn in; the result names neither: its
    # inspection's notice does, so it is in the target's trail all the same.
    assert notified["payload"]["source"] == selected["record"]["id"]
    result = next(a for a in acts if a["type"] == "inspection.result_recorded")
    assert "target" not in result["payload"] and result["touches"]["target"] == [code]
    assert result["touches"]["draw"] == [selected["record"]["id"]]
    published = next(a for a in acts if a["type"] == "publication.published")
    assert published["actor"] == {"official": "szc-clerk", "role": "clerk", "department": "szc"}
    assert published["policy_version"] == app.policy_in_force()["version"]
    # ... and under the legal basis of each of its items as it stood then.
    for item, basis in result["legal_basis"].items():
        entry = client.get(f"/items/{item}", headers=bearer("szc-legal")).json()
        assert basis == entry["legal_basis"] and basis
    assert set(result["legal_basis"]) == set(result["touches"]["item"]) != set()

    records = _records(app)
    checkpoint = parse_checkpoint(trail["checkpoint"]["note"].split("\n\n")[0] + "\n")
    verify_note(trail["checkpoint"]["note"], [app.signer.verifier])
    for act in acts:
        assert act["signed_record"].encode() == records[act["position"]]  # the signed record itself
        stored = decode_record(records[act["position"]])
        assert act["digest"] == stored.digest.hex()
        assert act["actor"] == stored.envelope["actor"]
        assert act["type"] == stored.type and act["time"] == stored.envelope["time"]
        proof = act["proof"]
        path = [base64.b64decode(p) for p in proof["path"]]
        verify_inclusion(
            leaf_hash(records[act["position"]]),
            proof["leaf_index"],
            checkpoint.size,
            path,
            checkpoint.root,
        )


def test_a_proof_for_another_event_does_not_verify(year):
    """A clerk who swapped an act's record for another cannot reuse its proof."""
    from verify.errors import ProofError

    app, summary, client, bearer = year
    draw = summary.year.draws[0]
    acts = client.get(f"/trail/draws/{draw}?proofs=true", headers=bearer("bgs-auditor")).json()
    checkpoint = parse_checkpoint(acts["checkpoint"]["note"].split("\n\n")[0] + "\n")
    first, second = acts["items"][0], acts["items"][1]
    records = _records(app)
    with pytest.raises(ProofError):
        verify_inclusion(
            leaf_hash(records[second["position"]]),
            first["proof"]["leaf_index"],
            checkpoint.size,
            [base64.b64decode(p) for p in first["proof"]["path"]],
            checkpoint.root,
        )


def test_the_acts_of_an_official_are_all_of_them_not_their_entry_history(year):
    app, _, client, bearer = year
    history = client.get("/officials/szc-clerk/history", headers=bearer("szc-legal")).json()
    acts = client.get("/trail/officials/szc-clerk?limit=1", headers=bearer("szc-legal")).json()
    performed = sum(
        1
        for n in app.notifications()
        if decode_record(n.state).envelope["actor"]["official"] == "szc-clerk"
    )
    assert acts["total"] == performed > len(history["events"])
    assert acts["items"][0]["actor"]["official"] == "szc-clerk"


def test_as_of_a_position_answers_with_the_acts_up_to_it(year):
    app, summary, client, bearer = year
    draw = summary.year.draws[0]
    full = client.get(f"/trail/draws/{draw}?limit=500", headers=bearer("bgs-auditor")).json()
    middle = full["items"][2]["position"]
    then = client.get(
        f"/trail/draws/{draw}?as_of={middle}&limit=500", headers=bearer("bgs-auditor")
    ).json()
    assert then["as_of"] == middle
    assert [a["position"] for a in then["items"]] == [
        a["position"] for a in full["items"] if a["position"] <= middle
    ]
    head = app.recorder.max_notification_id()
    beyond = client.get(f"/trail/draws/{draw}?as_of={head + 1}", headers=bearer("bgs-auditor"))
    assert beyond.status_code == 422 and "超出其末尾" in beyond.text
    before = client.get(f"/trail/draws/{draw}?as_of=0", headers=bearer("bgs-auditor"))
    assert before.status_code == 422


def test_acts_in_a_division_and_under_a_policy_version(year):
    app, _, client, bearer = year
    version = app.policy_in_force()["version"]
    hhc = client.get("/trail?division=hhc&limit=500", headers=bearer("bgs-auditor")).json()
    assert hhc["total"] > 0
    assert all("hhc" in a["touches"]["division"] for a in hhc["items"])
    params = {"policy_version": version, "limit": 1}
    under = client.get("/trail", params=params, headers=bearer("bgs-auditor")).json()
    assert under["items"][0]["policy_version"] == version
    # The version set first governs every act before the next version came into force.
    first = next(n for n in app.notifications(topics=["policy.set"]))
    second = [n.id for n in app.notifications(topics=["policy.set"])][1]
    default = decode_record(first.state).envelope["payload"]["version"]
    params = {"policy_version": default, "limit": 500}
    before = client.get("/trail", params=params, headers=bearer("bgs-auditor")).json()
    assert [a["position"] for a in before["items"]] == list(range(first.id, second))
    assert {a["policy_version"] for a in before["items"]} == {default}
    unknown = client.get("/trail?policy_version=nope", headers=bearer("bgs-auditor"))
    assert unknown.status_code == 404 and "没有设定过制度版本 'nope'" in unknown.text


def test_unknown_entities_and_kinds_are_clear_errors(year):
    _, _, client, bearer = year
    missing = client.get("/trail/targets/91320000000000000X", headers=bearer("szc-legal"))
    assert missing.status_code == 404 and "没有涉及检查对象" in missing.text
    kind = client.get("/trail/companies/x", headers=bearer("szc-legal"))
    assert kind.status_code == 422
    anonymous = client.get("/trail")
    assert anonymous.status_code == 401


# -- roles: every official reads their own division's trail; auditors and legal every one ------


def _only_target(app, division: str = "hhc") -> str:  # type: ignore[no-untyped-def]
    for n in app.notifications(topics=["target.registered"]):
        envelope = decode_record(n.state).envelope
        if envelope["payload"]["division"] == division:
            return str(envelope["payload"]["code"])
    raise AssertionError(f"the demo registers {division} targets")


@pytest.mark.parametrize(
    "code",
    ["szc-clerk", "szc-head", "szc-aggregator", "jld-leader-1", "szjczd-inspector", "bgs-admin"],
)
def test_an_official_may_not_read_another_divisions_trail(year, code):
    app, summary, client, bearer = year
    own = client.get("/trail?limit=1", headers=bearer(code))
    assert own.status_code == 200, own.text
    official = app.get(official_id(code), Official)
    home = own.json()["divisions"]  # their own; a leader in charge, every one in their charge
    assert home == [official.division, *read_charge(app, official)]
    assert len(home) == (4 if code == "jld-leader-1" else 1)
    # jld-leader-1 leads szc, ggc and hhc (the demo's [leaders]): another division is nsc.
    other = "nsc" if code == "jld-leader-1" else "hhc"
    refused = client.get(f"/trail?division={other}", headers=bearer(code))
    assert refused.status_code == 403 and f"处室 {other}" in refused.text
    target = _only_target(app, other)
    foreign = client.get(f"/trail/targets/{target}", headers=bearer(code))
    assert foreign.status_code == 403, foreign.text
    assert "只能查阅本处室" in foreign.text  # (a leader: 本处室及其分管处室的行为记录)
    # Acts of another division's official: only those in the reader's divisions, if any (a
    # leader in charge: their own and those in their charge).
    mine = set(home)
    theirs = client.get(f"/trail/officials/{other}-clerk?limit=500", headers=bearer(code))
    if theirs.status_code == 200:
        assert set(theirs.json()["divisions"]) == mine
        assert all(mine & set(a["touches"]["division"]) for a in theirs.json()["items"])
    else:
        assert theirs.status_code == 403


@pytest.mark.parametrize("code", ["bgs-auditor", "szc-legal"])
def test_auditors_and_the_legal_office_read_every_divisions_trail(year, code):
    app, _, client, bearer = year
    target = _only_target(app)
    assert client.get(f"/trail/targets/{target}", headers=bearer(code)).status_code == 200
    every = client.get("/trail?limit=1", headers=bearer(code)).json()
    assert every["divisions"] == "all"
    assert every["total"] == app.recorder.max_notification_id()
    assert client.get("/trail?division=hhc", headers=bearer(code)).status_code == 200


def test_a_clerk_reads_their_own_divisions_part_of_a_joint_draw(year):
    """hhc joined szc's joint draw: the hhc clerk sees hhc's acts on it, not szc's alone."""
    _, summary, client, bearer = year
    joint = summary.year.joint_draw
    answer = client.get(f"/trail/draws/{joint}?limit=500", headers=bearer("hhc-clerk"))
    assert answer.status_code == 200, answer.text
    acts = answer.json()["items"]
    assert all("hhc" in a["touches"]["division"] for a in acts)
    everything = client.get(f"/trail/draws/{joint}?limit=500", headers=bearer("szc-legal")).json()
    assert answer.json()["total"] < everything["total"]


# -- lists of records, and the directed record --------------------------------------------------


def test_a_directed_record_is_readable_and_in_the_draw_list(year):
    app, summary, client, bearer = year
    directed = summary.year.directed[0]
    record = client.get(f"/draws/{directed}/record")
    assert record.status_code == 200, record.text
    manifest = record.json()["manifest"]
    assert manifest["random"] is False and record.json()["population"] == []
    recorded = manifest["recorded"]
    assert recorded["ground"] and recorded["reason"] and recorded["legal_basis"]
    assert recorded["actor"]["official"] == "szc-clerk"
    listed = client.get("/draws?random=false", headers=bearer("szc-legal")).json()
    assert [r["id"] for r in listed["items"]] == list(summary.year.directed)
    trail = client.get(f"/trail/directed/{directed}", headers=bearer("szc-legal")).json()
    types = [a["type"] for a in trail["items"]]
    assert types[0] == "directed.recorded" and "inspection.result_recorded" in types


def test_the_lists_filter_by_division_year_status_and_target(year):
    app, summary, client, bearer = year
    legal = bearer("szc-legal")
    plans = client.get("/plans?limit=500", headers=legal).json()
    assert {p["id"] for p in plans["items"]} == set(summary.year.plans)
    assert {p["year"] for p in plans["items"]} == {2026}
    draws = client.get("/draws?random=true&limit=500", headers=legal).json()
    assert {d["id"] for d in draws["items"]} == set(summary.year.draws)
    assert client.get("/plans?year=2025", headers=legal).json()["total"] == 0
    publication = app.get(UUID(summary.results.corrected_publication), Publication)
    code = publication.content["target"]["key"]
    corrected = client.get("/publications?status=corrected", headers=legal).json()
    assert [p["id"] for p in corrected["items"]] == [summary.results.corrected_publication]
    inspected = client.get(f"/inspections?target={code}", headers=legal).json()
    assert inspected["total"] >= 1
    assert all(i["kind"] == "inspection" for i in inspected["items"])
    hhc = client.get("/inspections?division=hhc&limit=500", headers=legal).json()
    assert hhc["total"] >= 1 and {i["division"] for i in hhc["items"]} == {"hhc"}
    # As the ledger stood before the correction, the publication was still "published".
    correction = next(n.id for n in app.notifications(topics=["publication.corrected"]))
    then = client.get(
        f"/publications?status=published&as_of={correction - 1}&limit=500", headers=legal
    ).json()
    assert summary.results.corrected_publication in {p["id"] for p in then["items"]}
    assert then["as_of"] == correction - 1


def test_a_clerk_lists_only_their_own_divisions_records(year):
    _, _, client, bearer = year
    own = client.get("/inspections?limit=500", headers=bearer("hhc-clerk")).json()
    assert own["total"] >= 1 and {i["division"] for i in own["items"]} == {"hhc"}
    refused = client.get("/inspections?division=szc", headers=bearer("hhc-clerk"))
    assert refused.status_code == 403


@pytest.mark.store_tampered
def test_a_trail_row_edited_behind_the_services_back_is_a_500_naming_it(year):
    """The operator blames szc-head for a clerk's act in the read database: asked for proofs,
    the service compares the row with the signed record and refuses to vouch for it."""
    app, summary, client, bearer = year
    draw = summary.year.draws[0]
    act = client.get(f"/trail/draws/{draw}", headers=bearer("szc-legal")).json()["items"][0]
    _blame_the_head(client, act["position"])
    try:
        refused = client.get(f"/trail/draws/{draw}?proofs=true", headers=bearer("szc-legal"))
        assert refused.status_code == 500
        assert refused.json()["code"] == "read_model_mismatch"
        assert f"账本位置 {act['position']} 处读模型与账本日志不一致" in refused.json()["detail"]
    finally:
        client.app.state.read_models.runner.rebuild(["trail"])
    again = client.get(f"/trail/draws/{draw}?proofs=true", headers=bearer("szc-legal"))
    assert again.json()["items"][0]["actor"] == act["actor"]


@pytest.mark.store_tampered
def test_the_legal_offices_trail_page_refuses_an_act_edited_behind_the_services_back(year):
    """The same blame shifted in the read database: the legal office's trail page (no proofs
    asked) compares each act it shows with the log's signed record and refuses to show the
    page, in Chinese, rather than name szc-head for the clerk's act."""
    app, summary, client, bearer = year
    draw = summary.year.draws[0]
    act = client.get(f"/trail/draws/{draw}", headers=bearer("szc-legal")).json()["items"][0]
    assert act["actor"]["official"] != "szc-head"
    page = client.get(f"/legal/trail/draws/{draw}", headers=bearer("szc-legal"))
    assert page.status_code == 200
    _blame_the_head(client, act["position"])
    try:
        html = {**bearer("szc-legal"), "Accept": "text/html"}
        refused = client.get(f"/legal/trail/draws/{draw}", headers=html)
        assert refused.status_code == 500
        assert "读模型与账本日志不一致" in refused.text and "szc-head" not in refused.text
    finally:
        client.app.state.read_models.runner.rebuild(["trail"])
    assert client.get(f"/legal/trail/draws/{draw}", headers=bearer("szc-legal")).status_code == 200


def _blame_the_head(client: TestClient, position: int) -> None:
    """The operator, in the read database: the act at ``position`` made szc-head's."""
    from sqlalchemy import update

    from projections.tables import trail_acts

    with client.app.state.read_models.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(
            update(trail_acts).where(trail_acts.c.position == position).values(official="szc-head")
        )


def test_a_target_is_found_under_the_key_it_is_drawn_under_and_as_typed(year):
    """A project is drawn, inspected and published as ``project:NUMBER``: its registration is in
    that trail too; a credit code typed in lower case finds the same acts."""
    from urllib.parse import quote

    app, summary, client, bearer = year
    legal = bearer("szc-legal")
    project = next(
        decode_record(n.state).envelope["payload"]
        for n in app.notifications(topics=["target.registered"])
        if decode_record(n.state).envelope["payload"]["kind"] == "project"
    )
    key = f"project:{project['code']}"
    trail = client.get(f"/trail/targets/{quote(key)}", headers=legal).json()
    assert trail["items"][0]["type"] == "target.registered"
    assert trail["items"][0]["touches"]["target"] == [key]
    publication = app.get(UUID(summary.results.corrected_publication), Publication)
    code = publication.content["target"]["key"]
    upper = client.get(f"/trail/targets/{code}", headers=legal).json()
    lower = client.get(f"/trail/targets/{code.lower()}", headers=legal).json()
    assert lower["items"] == upper["items"] and upper["total"] > 1


@pytest.mark.parametrize(
    "path",
    ["/trail?division=szc", "/trail/officials/szc-clerk", "/plans", "/draws", "/inspections",
     "/publications"],
)  # fmt: skip
def test_a_trail_or_record_list_beyond_the_bounded_count_says_more_than(year, monkeypatch, path):
    """Every list counts its matches only up to ``COUNTED_UP_TO`` (a page of a trail of millions
    of acts does not count them all): beyond it ``total`` is null and ``more_than`` the bound;
    ``total=exact`` counts them all, the pages are the same either way, and an unknown kind of
    total is refused naming the parameter."""
    from projections import queries

    _, _, client, bearer = year
    auditor = bearer("bgs-auditor")
    join = "&" if "?" in path else "?"
    exact = client.get(f"{path}{join}total=exact&limit=500", headers=auditor).json()
    assert exact["total"] == len(exact["items"]) >= 2 and exact["more_than"] is None
    counted = client.get(f"{path}{join}limit=500", headers=auditor).json()
    assert counted == exact
    monkeypatch.setattr(queries, "COUNTED_UP_TO", exact["total"] - 1)
    bounded = client.get(f"{path}{join}limit=500", headers=auditor).json()
    assert (bounded["total"], bounded["more_than"]) == (None, exact["total"] - 1)
    assert bounded["items"] == exact["items"]
    assert client.get(f"{path}{join}total=exact&limit=500", headers=auditor).json() == exact
    monkeypatch.setattr(queries, "COUNTED_UP_TO", exact["total"])  # exactly the bound: exact
    assert client.get(f"{path}{join}limit=500", headers=auditor).json()["total"] == exact["total"]
    refused = client.get(f"{path}{join}total=about", headers=auditor)
    assert refused.status_code in (400, 422) and "total 'about'" in refused.text
