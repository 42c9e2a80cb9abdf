"""An inspection through the API: the clerk notifies, the drawn inspectors record, the clerk
publishes; the staff views say what is awaiting confirmation and what is due."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.draws.service import Draws
from ledger.inspections.evidence import EvidenceStore
from ledger.registry.identities import bound_official
from ledger.registry.service import Registry

from ..ledger.test_draws import run_draw

TODAY = date(2026, 11, 25)


@pytest.fixture
def world(demo_ledger, tmp_path):
    ledger, _ = demo_ledger(targets=200, inspectors=24, today=TODAY)
    draw, teams = run_draw(Draws(ledger, today=date(2026, 11, 1)))
    app = create_app(ledger)
    app.state.inspections.today = lambda: TODAY
    app.state.inspections.evidence = EvidenceStore(tmp_path / "evidence")
    app.state.publishing.today = lambda: TODAY
    registry = Registry(ledger)
    team = teams[0]
    inspector = bound_official(ledger, team["members"][0])  # the demo's account of the member
    return {
        "client": TestClient(app),
        "registry": registry,
        "draw": str(draw),
        "team": team,
        "clerk": {"Authorization": f"Bearer {registry.issue_token('szc-clerk', None)}"},
        "inspector": {"Authorization": f"Bearer {registry.issue_token(inspector, None)}"},
    }


def _opened(world):
    client, team = world["client"], world["team"]
    response = client.post(
        "/inspections",
        json={"source": world["draw"], "target": team["target"], "notified_on": "2026-11-20"},
        headers=world["clerk"],
    )
    assert response.status_code == 201, response.text
    inspection = response.json()["id"]
    response = client.post(
        f"/inspections/{inspection}/carried-out",
        json={"on": "2026-11-24", "method": "现场检查", "present": team["members"]},
        headers=world["inspector"],
    )
    assert response.status_code == 200, response.text
    return inspection


def test_an_inspection_goes_from_notice_to_publication_and_the_staff_views_follow(world):
    client = world["client"]
    inspection = _opened(world)
    response = client.post(
        f"/inspections/{inspection}/result",
        json={"category": "no_problem", "findings": "取水计量设施完好"},
        headers=world["inspector"],
    )
    assert response.status_code == 200, response.text
    waiting = client.get("/staff/awaiting-confirmation", headers=world["clerk"]).json()
    assert [row["id"] for row in waiting["items"]] == [inspection]

    client.post(
        f"/inspections/{inspection}/confirmation", json={"on": "2026-11-24"}, headers=world["clerk"]
    )
    due = client.get("/staff/publications-due", headers=world["clerk"]).json()
    assert due["today"] == "2026-11-25"
    (row,) = due["due"]
    # Confirmed Tue 24 Nov 2026: seven working days later is Thu 3 Dec; 6 left on the 25th.
    assert (row["id"], row["deadline"], row["working_days_left"]) == (inspection, "2026-12-03", 6)
    assert due["overdue"] == []

    published = client.post(
        "/publications", json={"inspection": inspection}, headers=world["clerk"]
    )
    assert published.status_code == 201, published.text
    assert client.get("/staff/publications-due", headers=world["clerk"]).json()["due"] == []
    state = client.get(f"/inspections/{inspection}", headers=world["clerk"]).json()
    assert (state["step"], state["category"]) == ("confirmation_recorded", "no_problem")


def test_bad_steps_are_problems_that_name_the_rule(world):
    client = world["client"]
    inspection = _opened(world)
    early = client.post("/publications", json={"inspection": inspection}, headers=world["clerk"])
    assert early.status_code == 409
    assert "须经被检查方确认" in early.json()["detail"]
    by_clerk = client.post(
        f"/inspections/{inspection}/result", json={"category": "no_problem"}, headers=world["clerk"]
    )
    assert by_clerk.status_code == 403, by_clerk.text
    unknown = client.post(
        f"/inspections/{inspection}/result", json={"category": "ok"}, headers=world["inspector"]
    )
    assert unknown.status_code == 422
    assert "category" in unknown.text
    state = client.get(f"/inspections/{inspection}", headers=world["clerk"]).json()
    assert state["step"] == "carried_out"


def test_an_evidence_file_whose_digest_does_not_match_is_refused(world):
    client = world["client"]
    inspection = _opened(world)
    photo = b"%PDF-1.7 inspection record" * 40
    wrong = client.post(
        f"/inspections/{inspection}/evidence",
        files={"file": ("记录.pdf", photo, "application/pdf")},
        data={"sha256": hashlib.sha256(photo + b"x").hexdigest()},
        headers=world["inspector"],
    )
    assert wrong.status_code == 422
    assert "而非申报的" in wrong.json()["detail"]
    right = client.post(
        f"/inspections/{inspection}/evidence",
        files={"file": ("记录.pdf", photo, "application/pdf")},
        data={"sha256": hashlib.sha256(photo).hexdigest()},
        headers=world["inspector"],
    )
    assert right.status_code == 201, right.text
    assert right.json() == {
        "sha256": hashlib.sha256(photo).hexdigest(),
        "size": len(photo),
        "recorded": True,
    }
