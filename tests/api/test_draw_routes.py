"""A draw through the API, and its published record reproduced with consistent-sampler."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from consistent_sampler import sampler
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from ledger.demo.bureau import build_demo
from tests.ledger.workflow import CEREMONY, CONTRIBUTIONS, reveal, with_ceremony


@pytest.fixture
def client(demo_ledger):
    ledger, summary = demo_ledger(targets=200, inspectors=24)
    token = _token(ledger, "szc-clerk")
    client = TestClient(create_app(ledger))
    client.headers["Authorization"] = f"Bearer {token}"
    assert summary.admin_token
    return client


def _clients(ledger):
    """A function giving a client of one service that acts as the named official."""
    app = create_app(ledger)

    def as_(official):
        c = TestClient(app)
        c.headers["Authorization"] = f"Bearer {_token(ledger, official)}"
        return c

    return as_


def _token(app, official):
    from ledger.registry.service import Registry

    return Registry(app).issue_token(official, None)


def test_a_clerk_runs_a_draw_step_by_step_and_anyone_reproduces_the_selection(client):
    opened = client.post(
        "/draws",
        json={
            "ceremony": CEREMONY,
            "division": "szc",
            "items": ["qsxk"],
            "counts": {"all": 4},
            "team_size": 2,
        },
    )
    assert opened.status_code == 201, opened.text
    draw = opened.json()["id"]
    frozen = client.post(f"/draws/{draw}/freeze").json()
    seed = client.post(f"/draws/{draw}/reveal", json={"contributions": CONTRIBUTIONS}).json()[
        "seed"
    ]
    selected = client.post(f"/draws/{draw}/select").json()[0]["selected"]
    teams = client.post(f"/draws/{draw}/assign").json()
    assert [t["target"] for t in teams] == [s["target"] for s in selected]

    record = client.get(f"/draws/{draw}/record", headers={"Authorization": ""}).json()
    population = record["population"]
    lines = "".join(f"{i}\n" for i in sorted(set(population))).encode()
    assert hashlib.sha256(lines).hexdigest() == frozen["digest"]
    expected = list(sampler(population, seed=f"{seed}/targets", take=4, digits=18, output="tuple"))
    assert [(s["ticket"], s["target"]) for s in selected] == [(t, i) for t, i, _ in expected]


def test_a_step_out_of_order_is_a_409_problem(client):
    draw = client.post(
        "/draws",
        json={
            "ceremony": CEREMONY,
            "division": "szc",
            "items": ["qsxk"],
            "counts": {"all": 1},
            "team_size": 2,
        },
    ).json()["id"]
    response = client.post(f"/draws/{draw}/select")
    assert response.status_code == 409
    assert "此步骤须为“已公开随机种子”" in response.json()["detail"]


def test_draw_record_command_writes_the_manifest_and_population(tmp_path, capsys):
    data = tmp_path / "bureau"
    assert drawledger(["demo", "--data", str(data), "--targets", "120", "--inspectors", "20"]) == 0
    from ledger.application import LedgerApp
    from ledger.draws.service import Draws

    app = LedgerApp.open(data)
    draws = Draws(app)
    draw = draws.open(
        with_ceremony({"division": "szc", "items": ["qsxk"], "counts": {"all": 2}, "team_size": 2}),
        "szc-clerk",
    )
    draws.freeze(draw, "szc-clerk")
    reveal(draws, draw, "szc-clerk")
    draws.select(draw, "szc-clerk")
    out = tmp_path / "record"
    assert drawledger(["draw-record", str(draw), "--data", str(data), "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    population = (out / "population.txt").read_bytes()
    assert hashlib.sha256(population).hexdigest() == manifest["population_frozen"]["digest"]
    assert manifest["targets_selected"]["strata"][0]["count"] == 2


def test_a_plan_goes_through_its_workflow_over_http(ledger):
    build_demo(ledger, targets=40, inspectors=10)
    as_ = _clients(ledger)
    clerk, leader, aggregator = as_("szc-clerk"), as_("jld-leader-1"), as_("szc-aggregator")
    body = {
        "division": "szc",
        "kind": "monthly",
        "period": "2099-03",
        "items": ["qsxk"],
        "counts": {"all": 3},
    }
    created = clerk.post("/plans", json=body)
    assert created.status_code == 201, created.text
    plan = created.json()["id"]
    assert created.json()["deadlines"] == {"report_by": "2099-02-20", "upload_by": "2099-02-25"}
    assert (
        leader.post(f"/plans/{plan}/review", json={"approved": True}).json()["status"] == "reviewed"
    )
    assert clerk.post(f"/plans/{plan}/submit").json() == {"late": False}
    assert aggregator.post(f"/plans/{plan}/consolidate").status_code == 200
    assert aggregator.post(f"/plans/{plan}/upload").json() == {"late": False}
    refused = clerk.post(f"/plans/{plan}/upload")
    assert refused.status_code in (403, 409)


def test_a_joint_inspection_over_http_and_its_refusals(ledger):
    build_demo(ledger, targets=200, inspectors=40)
    as_ = _clients(ledger)
    lead, partner, other = as_("szc-clerk"), as_("szyc-head"), as_("nsc-clerk")
    draw = lead.post(
        "/draws",
        json={
            "ceremony": CEREMONY,
            "division": "szc",
            "items": ["qsxk"],
            "counts": {"all": 3},
            "team_size": 2,
        },
    ).json()["id"]
    assert lead.post(f"/draws/{draw}/partners", json={"division": "szyc"}).status_code == 201
    assert lead.post(f"/draws/{draw}/partners", json={"division": "nsc"}).status_code == 201
    accepted = partner.post(
        f"/draws/{draw}/partners/szyc/accept", json={"items": ["jsyy"], "team_size": 2}
    )
    assert accepted.json() == {"division": "szyc", "status": "accepted"}
    early = partner.post(f"/draws/{draw}/partners/szyc/assign")
    assert early.status_code == 409 and "尚未抽取检查对象" in early.json()["detail"]
    declined = other.post(f"/draws/{draw}/partners/nsc/decline", json={"reason": "人员不足"})
    assert declined.status_code == 200
    foreign = other.post(
        f"/draws/{draw}/partners/szyc/accept", json={"items": ["jsyy"], "team_size": 2}
    )
    assert foreign.status_code == 403

    lead.post(f"/draws/{draw}/freeze")
    lead.post(f"/draws/{draw}/reveal", json={"contributions": CONTRIBUTIONS})
    lead.post(f"/draws/{draw}/select")
    teams = partner.post(f"/draws/{draw}/partners/szyc/assign").json()
    assert len(teams) == 3 and all(len(t["members"]) == 2 for t in teams)
    refused = other.post(f"/draws/{draw}/partners/nsc/assign")
    assert refused.status_code == 409 and "已谢绝邀请" in refused.json()["detail"]
    record = lead.get(f"/draws/{draw}/record").json()["manifest"]
    assert {p["division"]: p["status"] for p in record["partners"]} == {
        "szyc": "assigned",
        "nsc": "declined",
    }


def test_the_outside_script_checks_the_seed_of_a_record_revealed_but_not_yet_drawn(
    client, tmp_path
):
    """The column's outside script (docs/DRAWS.md) on a record from the API, after the reveal:
    the population and the seed are checked, nothing else is claimed."""
    draw = client.post(
        "/draws",
        json={"ceremony": CEREMONY, "division": "szc", "items": ["qsxk"], "counts": {"all": 2}},
    ).json()["id"]
    client.post(f"/draws/{draw}/freeze")
    client.post(f"/draws/{draw}/reveal", json={"contributions": CONTRIBUTIONS})
    response = client.get(f"/draws/{draw}/record")
    (tmp_path / "record.json").write_bytes(response.content)
    script = Path(__file__).parents[2] / "api/public_column/static/reproduce_draw.py"
    done = subprocess.run(
        [sys.executable, "-I", str(script), "record.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"种子：{response.json()['manifest']['seed_revealed']['seed']}" in done.stdout
    assert "selection" not in done.stdout


def test_a_directed_inspection_of_another_divisions_company_is_a_403_naming_the_owner(ledger):
    from verify.events import decode_record
    from verify.registry_state import fold

    build_demo(ledger, targets=40, inspectors=12)
    state = fold(decode_record(n.state).envelope for n in ledger.notifications())
    szc_company = next(t.key for t in state.targets.values() if t.division == "szc")
    ggc = _clients(ledger)("ggc-clerk")
    body = {
        "division": "ggc",
        "items": ["qsxk"],
        "targets": [szc_company],
        "ground": "complaint",
        "reason": "投诉",
        "legal_basis": "《中华人民共和国水法》第四十八条",
    }

    refused = ggc.post("/draws/non-random", json=body)
    assert refused.status_code == 403, refused.text
    assert "抽查事项 qsxk 属于处室 szc" in refused.json()["detail"]
    unlisted = ggc.post("/draws/non-random", json={**body, "items": ["no-such-item"]})
    assert unlisted.status_code == 422, unlisted.text
    assert "no-such-item" in unlisted.json()["detail"]
    assert not list(ledger.notifications(topics=["directed.recorded"]))
