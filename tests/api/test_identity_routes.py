"""Borrowed identities through the API (issue 11, part 2): the admin's account under a roster
inspector's code, an unbound inspector account recording a result, a binding to another unit's
inspector, a clerk binding: each a 403 problem naming the rule, nothing recorded."""

from __future__ import annotations

from ledger.error_texts import BOUND as BOUND_INSPECTOR_RULE
from ledger.error_texts import SHARED as SHARED_CODE_RULE
from ledger.registry.identities import bound_official

from .test_inspection_routes import _opened, world  # noqa: F401 - the fixture


def _headers(world, code: str) -> dict[str, str]:  # noqa: F811
    token = world["registry"].issue_token(code, None)
    return {"Authorization": f"Bearer {token}"}


def test_the_admin_cannot_create_an_account_under_a_roster_inspectors_code(world):  # noqa: F811
    client = world["client"]
    admin = _headers(world, "bgs-admin")
    body = {"code": "insp-015", "name": "随便谁", "division": "szc", "roles": ["inspector"]}
    response = client.post("/officials", json=body, headers=admin)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert SHARED_CODE_RULE in response.json()["detail"]
    assert client.get("/officials/insp-015", headers=admin).status_code == 404


def test_an_unbound_inspector_account_cannot_record_a_result(world):  # noqa: F811
    client = world["client"]
    inspection = _opened(world)
    response = client.post(
        f"/inspections/{inspection}/result",
        json={"category": "no_problem", "recorded_by": world["team"]["members"][0]},
        headers=_headers(world, "szjczd-inspector"),
    )
    assert response.status_code == 403, response.text
    assert BOUND_INSPECTOR_RULE in response.json()["detail"]
    state = client.get(f"/inspections/{inspection}", headers=world["clerk"]).json()
    assert state["step"] == "carried_out"


def test_a_binding_to_another_units_inspector_or_by_a_clerk_is_refused(world):  # noqa: F811
    client = world["client"]
    admin = _headers(world, "bgs-admin")
    member = world["team"]["members"][0]
    unit = client.get(f"/inspectors/{member}", headers=admin).json()["unit"]
    # The member's own account is deactivated: the inspector is free to be bound again.
    holder = bound_official(world["registry"].app, member)
    left = client.post(f"/officials/{holder}/deactivate", json={"reason": "停用"}, headers=admin)
    assert left.status_code == 200, left.text
    other = "ggc" if unit != "ggc" else "szc"
    body = {"code": "other-insp", "name": "他处检查员", "division": other, "roles": ["inspector"]}
    assert client.post("/officials", json=body, headers=admin).status_code == 201
    binding = {"inspector": member, "reason": "借用执法身份"}

    by_clerk = client.post("/officials/other-insp/inspector", json=binding, headers=world["clerk"])
    assert by_clerk.status_code == 403, by_clerk.text
    by_admin = client.post("/officials/other-insp/inspector", json=binding, headers=admin)
    assert by_admin.status_code == 403, by_admin.text
    assert "工作人员只能绑定本单位的执法人员" in by_admin.json()["detail"]
    assert bound_official(world["registry"].app, member) is None
