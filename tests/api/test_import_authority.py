"""Imports played by an insider: one division's clerk uploads a file that would take over or
rewrite another division's targets, inspectors or items (issue 11). Each is one 403 for the
file, naming the rule and the entry's owner, with nothing recorded. And imports and
registrations under races: a registration whose key exists is a 409, never an update; an import
is recorded whole or not at all. SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier, Thread
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.errors import Conflict
from ledger.registry import bulk
from ledger.registry.inspectors import Inspector, inspector_id
from ledger.registry.items import Item, item_id
from ledger.registry.targets import Target, target_id

from .test_import_support import (
    TARGET_HEADERS_EN,
    bureau,
    count_events,
    credit_code,
    csv_bytes,
    target_row,
)

INSPECTOR_HEADERS = [
    "code", "name", "certificate_number", "certificate_valid_until", "unit", "division",
    "qualifications",
]  # fmt: skip
ITEM_HEADERS = [
    "code", "name", "law", "article", "division", "executing_units", "object_type",
]  # fmt: skip


@pytest.fixture
def registry(ledger):
    registry = bureau(ledger)
    registry.register_official(
        {"code": "agg-szc", "name": "水政处汇总员", "division": "szc", "roles": "plan_aggregator"},
        None,
    )
    return registry


@pytest.fixture
def client(registry):
    return TestClient(create_app(registry.app))


def _token(registry, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {registry.issue_token(who, None)}"}


def _upload(client, kind: str, data: bytes, headers: dict[str, str]):
    return client.post(f"/imports/{kind}", files={"file": (f"{kind}.csv", data)}, headers=headers)


def _seed(client, registry, kind: str, headers: list[str], rows: list[list[str]]) -> None:
    """gqc's clerk records its own entries."""
    response = _upload(client, kind, csv_bytes(headers, rows), _token(registry, "clerk-gqc"))
    assert response.status_code == 200 and response.json()["recorded"] == len(rows)


def _refused_whole(response, owner: str) -> str:
    assert response.status_code == 403, response.text
    detail = response.json()["detail"]
    assert "未记录任何内容" in detail
    assert f"处室 {owner}" in detail and "谁审批谁监管" in detail
    return detail


def test_a_one_row_csv_cannot_rename_and_take_over_another_divisions_company(registry, client):
    _seed(client, registry, "targets", TARGET_HEADERS_EN, [target_row(1)])
    hhc = _token(registry, "clerk-hhc")
    before = count_events(registry.app)
    takeover = target_row(1, division="hhc", name="被河湖处改名的公司")

    response = _upload(client, "targets", csv_bytes(TARGET_HEADERS_EN, [takeover]), hhc)

    detail = _refused_whole(response, "gqc")
    assert f"第 2 ({credit_code(1)}) 行" in detail and "将处室 gqc 的记录移至处室 hhc" in detail
    assert count_events(registry.app) == before
    company = registry.app.get(target_id("enterprise", credit_code(1)), Target)
    assert (company.division, company.name) == ("gqc", "常州市第1水利工程有限公司")


def test_renaming_another_divisions_company_without_moving_it_is_refused_too(registry, client):
    _seed(client, registry, "targets", TARGET_HEADERS_EN, [target_row(1)])
    # The row keeps the owner's division: the check is against the entry, not the row.
    renamed = target_row(1, name="被改名的公司")
    response = _upload(
        client, "targets", csv_bytes(TARGET_HEADERS_EN, [renamed]), _token(registry, "clerk-hhc")
    )
    _refused_whole(response, "gqc")
    assert registry.app.get(target_id("enterprise", credit_code(1)), Target).name == (
        "常州市第1水利工程有限公司"
    )


def _inspector(code: str, division: str, **changes: str) -> list[str]:
    row = {
        "code": code,
        "name": "李明",
        "certificate_number": "苏执-3204-10001",
        "certificate_valid_until": "2099-12-31",
        "unit": "szy",
        "division": division,
        "qualifications": "hdjs" if division == "gqc" else "hhgl",
        **changes,
    }
    return [row[h] for h in INSPECTOR_HEADERS]


def test_another_divisions_inspector_cannot_be_moved_or_rewritten_by_import(registry, client):
    _seed(client, registry, "inspectors", INSPECTOR_HEADERS, [_inspector("insp-010", "gqc")])
    hhc = _token(registry, "clerk-hhc")
    before = count_events(registry.app)
    moved = _inspector("insp-010", "hhc")
    _refused_whole(_upload(client, "inspectors", csv_bytes(INSPECTOR_HEADERS, [moved]), hhc), "gqc")
    suspended = _inspector("insp-010", "gqc", name="王五")
    _refused_whole(
        _upload(client, "inspectors", csv_bytes(INSPECTOR_HEADERS, [suspended]), hhc), "gqc"
    )
    assert count_events(registry.app) == before
    assert registry.app.get(inspector_id("insp-010"), Inspector).division == "gqc"


def test_the_aggregator_keeping_the_whole_roster_may_move_an_inspector(registry, client):
    _seed(client, registry, "inspectors", INSPECTOR_HEADERS, [_inspector("insp-010", "gqc")])
    moved = _inspector("insp-010", "hhc")
    response = _upload(
        client, "inspectors", csv_bytes(INSPECTOR_HEADERS, [moved]), _token(registry, "agg-szc")
    )
    assert response.status_code == 200, response.text
    assert response.json()["updated"] == 1
    assert registry.app.get(inspector_id("insp-010"), Inspector).division == "hhc"


def test_another_divisions_item_cannot_have_its_legal_basis_rewritten(registry, client):
    rewritten = ["hdjs", "河道管理范围内建设项目检查", "随便什么法", "第一条", "gqc", "gqc", "x"]
    response = _upload(
        client, "items", csv_bytes(ITEM_HEADERS, [rewritten]), _token(registry, "clerk-hhc")
    )
    _refused_whole(response, "gqc")
    assert (
        registry.app.get(item_id("hdjs"), Item).legal_basis["law"] == "中华人民共和国河道管理条例"
    )


def test_a_file_with_many_foreign_rows_is_one_refusal_naming_them(registry, client):
    rows = [target_row(n, division="gqc") for n in range(1, 16)]
    response = _upload(
        client, "targets", csv_bytes(TARGET_HEADERS_EN, rows), _token(registry, "clerk-hhc")
    )
    detail = _refused_whole(response, "gqc")
    assert detail.count("谁审批谁监管") == 1 and "行及另外 5 行" in detail
    assert "problems" not in response.json()


# -- races ---------------------------------------------------------------------------------------


def _target(n: int) -> dict[str, object]:
    return {
        "code": credit_code(n),
        "name": f"常州市第{n}水利工程有限公司",
        "district": "新北区",
        "division": "gqc",
        "items": ["hdjs"],
    }


def test_eight_parallel_registrations_of_one_code_give_one_201_and_seven_409s(registry, client):
    clerk = _token(registry, "clerk-gqc")
    body = _target(1)
    start = Barrier(8)

    def register(n: int) -> int:
        start.wait()
        sent = {**body, "name": f"第{n}个名称"}
        return client.post("/targets", json=sent, headers=clerk).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(register, range(8)))

    assert statuses == [201] + [409] * 7
    assert count_events(registry.app, "target.registered") == 1
    assert count_events(registry.app, "target.updated") == 0


def test_an_import_overtaken_by_another_command_records_nothing_and_says_so(registry, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH", 10)
    rows = [_target(n) for n in range(1, 31)]
    overtaken: list[object] = []
    authorised = bulk.authorised

    def meanwhile(*args: Any, **kwargs: Any) -> None:
        # After the import has read the entries of its first batch and before it saves them,
        # another command (another thread, as in the service) registers one of its rows.
        if not overtaken:
            overtaken.append("the other command")  # its own registration passes through here
            other = Thread(target=registry.register_target, args=(rows[5], "clerk-gqc"))
            other.start()
            other.join()
        authorised(*args, **kwargs)

    monkeypatch.setattr(bulk, "authorised", meanwhile)
    with pytest.raises(Conflict, match="nothing of this import was recorded"):
        registry.import_targets(rows, "clerk-gqc", "big.csv")
    assert overtaken
    assert count_events(registry.app, "target.registered") == 1  # the other command's only


def test_two_overlapping_imports_in_parallel_are_each_recorded_whole_or_not_at_all(registry):
    def rows(first: int) -> list[dict[str, object]]:
        return [_target(n) for n in range(first, first + 300)]

    start = Barrier(2)

    def run(first: int) -> tuple[int, str]:
        start.wait()
        try:
            report = registry.import_targets(rows(first), "clerk-gqc", f"from-{first}.csv")
        except Conflict as e:
            return first, str(e)
        return first, f"{report.recorded}+{report.unchanged}"

    with ThreadPoolExecutor(2) as pool:
        outcomes = dict(pool.map(run, [1, 151]))

    recorded = set()
    for first, outcome in outcomes.items():
        if "nothing of this import was recorded" in outcome:
            continue
        new, unchanged = map(int, outcome.split("+"))
        assert new + unchanged == 300
        recorded |= set(range(first, first + 300))
    assert recorded  # at least one of them went through
    assert count_events(registry.app, "target.registered") == len(recorded)
