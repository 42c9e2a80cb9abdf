"""Reading another division's records, played by an insider (issue 11, part 3: "auditor and
legal_office read across divisions (trails, records, findings)"). ggc's clerk is refused szc's
list of inspections and the trail of each (403, ``trail.read``), and rightly so; the same
clerk asking for one of those inspections by its id must be refused too, or the list's refusal
means nothing: the record holds the checklist answers and the result (category) of an inspection
that the company has not yet confirmed and the column has not published."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.registry.service import Registry


@pytest.fixture
def year(demo_ledger):
    ledger, _ = demo_ledger(targets=200, inspectors=24, today=date(2026, 11, 25),
                            plans_and_draws=True)  # fmt: skip
    return ledger


def _bearer(ledger, code: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {Registry(ledger).issue_token(code, None)}"}


def _szc_inspections(client, ledger) -> list[str]:  # type: ignore[no-untyped-def]
    answer = client.get(
        "/inspections",
        params={"division": "szc", "limit": 500},
        headers=_bearer(ledger, "bgs-auditor"),
    )
    assert answer.status_code == 200
    ids = [item["id"] for item in answer.json()["items"]]
    assert ids, "the demo year has szc inspections"
    return ids


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_the_list_and_the_trail_of_another_divisions_inspections_are_refused(year):
    client = TestClient(create_app(year))
    ids = _szc_inspections(client, year)
    clerk = _bearer(year, "ggc-clerk")
    listed = client.get("/inspections", params={"division": "szc"}, headers=clerk)
    assert listed.status_code == 403 and "trail.read" in listed.text
    trail = client.get(f"/trail/inspections/{ids[0]}", headers=clerk)
    assert trail.status_code == 403


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_another_divisions_clerk_cannot_read_its_inspection_by_id(year):
    client = TestClient(create_app(year))
    clerk = _bearer(year, "ggc-clerk")
    for inspection in _szc_inspections(client, year):
        answer = client.get(f"/inspections/{inspection}", headers=clerk)
        assert answer.status_code == 403, answer.text[:200]
