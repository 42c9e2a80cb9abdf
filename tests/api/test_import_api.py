"""POST /imports/{registry}: a clerk uploads a registry file with their token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

from .test_import_support import (
    TARGET_HEADERS_EN,
    TARGET_HEADERS_ZH,
    bad_credit_code,
    bureau,
    count_events,
    csv_bytes,
    target_row,
    xlsx_bytes,
)


@pytest.fixture
def registry(ledger):
    """The bureau's registry on a new ledger (SQLite, then PostgreSQL)."""
    return bureau(ledger)


@pytest.fixture
def client(registry):
    return TestClient(create_app(registry.app))


@pytest.fixture
def clerk(registry):
    """The Authorization header of 工管处's clerk."""
    return {"Authorization": f"Bearer {registry.issue_token('clerk-gqc', None)}"}


def _upload(client, kind, data, headers, name="targets.csv", **params):
    return client.post(
        f"/imports/{kind}", files={"file": (name, data)}, headers=headers, params=params
    )


def test_a_clerk_uploads_targets_and_gets_the_report(client, clerk, registry):
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1), target_row(2)], "utf-8-sig")
    response = _upload(client, "targets", data, clerk)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["recorded"], body["updated"], body["unchanged"], body["problems"]) == (2, 0, 0, [])

    again = _upload(client, "targets", data, clerk).json()
    assert (again["recorded"], again["unchanged"]) == (0, 2)


def test_an_excel_upload_with_english_headers(client, clerk):
    data = xlsx_bytes(TARGET_HEADERS_EN, [target_row(1)])
    response = _upload(client, "targets", data, clerk, name="targets.xlsx")
    assert response.status_code == 200, response.text
    assert response.json()["recorded"] == 1


def test_bad_rows_are_a_422_naming_row_and_column_and_nothing_is_recorded(client, clerk, registry):
    rows = [target_row(1), target_row(2, code=bad_credit_code(2)), target_row(3, district="")]
    before = count_events(registry.app)

    response = _upload(client, "targets", csv_bytes(TARGET_HEADERS_ZH, rows), clerk)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert "有 2 行有误" in body["detail"] and "未记录任何内容" in body["detail"]
    assert [(p["row"], p["column"], p["value"]) for p in body["problems"]] == [
        (3, "统一社会信用代码", bad_credit_code(2)),
        (4, "所属区", None),
    ]
    assert count_events(registry.app) == before


def test_skip_invalid_records_the_good_rows_and_reports_the_bad(client, clerk, registry):
    rows = [target_row(1), target_row(2, code=bad_credit_code(2))]
    response = _upload(
        client, "targets", csv_bytes(TARGET_HEADERS_ZH, rows), clerk, skip_invalid="true"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["recorded"], body["skipped"], len(body["problems"])) == (1, 1, 1)
    assert count_events(registry.app, "target.registered") == 1


def test_a_file_with_an_unknown_header_is_a_422_naming_it(client, clerk):
    data = csv_bytes([*TARGET_HEADERS_ZH, "备注"], [target_row(1) + ["x"]])
    response = _upload(client, "targets", data, clerk)
    assert response.status_code == 422
    assert "header（'备注'）：不是检查对象名录格式中的列" in response.json()["detail"]
    assert response.json()["problems"][0]["value"] == "备注"


def test_a_revoked_token_is_refused_and_no_token_is_401(client, registry):
    token = registry.issue_token("clerk-gqc", None)
    token_id = token.split(".")[2]
    registry.revoke_token("clerk-gqc", token_id, "laptop lost", None)
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1)])

    refused = _upload(client, "targets", data, {"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403
    assert "吊销" in refused.json()["detail"]
    assert _upload(client, "targets", data, {}).status_code == 401
    assert count_events(registry.app, "target.registered") == 0
