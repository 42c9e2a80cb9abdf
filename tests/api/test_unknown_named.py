"""A 404 for something unknown names it as the caller wrote it (issue 11, "Bad input"): an
inspector, official, item or division asked for by a code that names nothing is answered with
that code, never with the internal UUID the ledger derives from it (which the caller never
wrote and cannot check); nothing is recorded."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.demo.changzhou import ADMIN, AGGREGATOR
from ledger.registry.service import Registry

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
REASON = {"reason": "核对"}


@pytest.fixture
def bureau(demo_ledger):  # type: ignore[no-untyped-def]
    ledger, _ = demo_ledger(targets=20, inspectors=12, today=date(2026, 11, 25))
    return ledger


def _bearer(ledger, code: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {Registry(ledger).issue_token(code, None)}"}


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_an_unknown_code_is_a_404_naming_what_the_caller_wrote(bureau):
    client = TestClient(create_app(bureau))
    admin, aggregator = _bearer(bureau, ADMIN), _bearer(bureau, AGGREGATOR)
    asked = [
        ("/inspectors/INSP-9X/corrections", {**REASON, "changes": {"name": "某"}}, aggregator),
        ("/inspectors/INSP-9X/conflicts", {**REASON, "target_id": "x"}, aggregator),
        ("/inspectors/INSP-9X/conflicts/x/withdraw", REASON, aggregator),
        ("/items/无此事项/withdraw", REASON, aggregator),
        ("/officials/Nobody-1/roles", {**REASON, "roles": ["clerk"], "division": "szc"}, admin),
        ("/officials/Nobody-1/deactivate", REASON, admin),
        ("/officials/Nobody-1/tokens", None, admin),
        ("/officials/Nobody-1/inspector", {**REASON, "inspector": "insp-001"}, admin),
        ("/divisions/NOSUCH/contact", {**REASON, "contact": None}, admin),
    ]
    before = client.get("/policy").headers["Ledger-As-Of"]
    for path, body, headers in asked:
        answer = client.post(path, json=body, headers=headers)
        written = path.split("/")[2]
        assert answer.status_code == 404, (path, answer.status_code, answer.text[:300])
        assert written in answer.text, (path, answer.text[:300])
        assert not UUID_TEXT.search(answer.text), (path, answer.text[:300])
    assert client.get("/policy").headers["Ledger-As-Of"] == before  # nothing recorded


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_record_asked_for_by_its_id_is_still_named_by_that_id(bureau):
    client = TestClient(create_app(bureau))
    unknown = "00000000-0000-4000-8000-000000000000"
    answer = client.get(f"/inspections/{unknown}", headers=_bearer(bureau, "bgs-auditor"))
    assert answer.status_code == 404 and unknown in answer.text
