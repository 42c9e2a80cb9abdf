"""The documented answers only a race or a rarer path gives, got for real on the demo bureau:

- 409 when another command changed the same record while this one was deciding: the command is
  overtaken deterministically — at its save, after it has read and decided, the same request (or
  another command on the same record) is sent from another thread and recorded first; the first
  then finds its record's version taken (``ledger/application.py``: "another command changed the
  same record at the same time"), and nothing of it is recorded. A new policy version, a division's
  contact, an official's roles, the next item list, and an import (the registry's own check:
  "another command recorded some of the same targets at the same time").
- 409 for a draw of a plan that is not uploaded yet (draws follow uploaded plans), 404 for a draw
  of a plan that does not exist.
- 201 for a publication's correction once what the ledger derives for it has changed.

Each answer is checked by ``conftest.py`` too (documented, problem+json, in Chinese).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from threading import Thread
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from ledger.aggregates import id_for
from ledger.application import LedgerApp
from ledger.inspections.aggregate import Inspection
from ledger.publications.service import Publishing
from ledger.registry import bulk
from ledger.registry.service import Registry
from ledger.registry.targets import Target
from tests.ledger.workflow import CEREMONY

from .test_hostile_parameters import served_bureau
from .test_import_support import TARGET_HEADERS_EN, csv_bytes, target_row

RACED = "另一命令同时修改了同一记录；请重新读取后重试"


@pytest.fixture
def bureau(demo_ledger):  # type: ignore[no-untyped-def]
    with served_bureau(demo_ledger, admin=True) as (client, ledger, summary, tokens):
        yield (
            client,
            ledger,
            {r: {"Authorization": f"Bearer {t}"} for r, t in tokens.items()},
            summary,
        )


def overtaken(monkeypatch: pytest.MonkeyPatch, other: Callable[[], Any]) -> list[Any]:
    """At the next save of the ledger, before it is stored, ``other()`` runs to its end in
    another thread (its own saves pass through); returns what it returned, once it has run."""
    save = LedgerApp.save
    ran: list[Any] = []

    def meanwhile(self: LedgerApp, *objs: Any, **kwargs: Any) -> Any:
        if not ran:
            ran.append(None)
            thread = Thread(target=lambda: ran.append(other()))
            thread.start()
            thread.join(timeout=120)
            assert not thread.is_alive(), "the overtaking command did not finish"
        return save(self, *objs, **kwargs)

    monkeypatch.setattr(LedgerApp, "save", meanwhile)
    return ran


def _head(ledger: LedgerApp) -> int:
    return ledger.recorder.max_notification_id() or 0


def _raced(client: TestClient, monkeypatch: pytest.MonkeyPatch, url: str, **request: Any) -> None:
    """The same command sent twice, the second overtaking the first at its save: the second is
    recorded, the first is a 409 in Chinese and records nothing."""
    ran = overtaken(monkeypatch, lambda: client.post(url, **request))
    first = client.post(url, **request)
    assert len(ran) == 2, (ran, first.text)
    assert ran[1].status_code in (200, 201), ran[1].text
    assert first.status_code == 409, first.text
    body = first.json()
    assert body["code"] == "conflict" and body["detail"] == RACED, body


@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"])
def test_a_policy_version_set_twice_at_once_is_recorded_once_and_the_other_is_409(
    bureau, monkeypatch
):
    client, ledger, who, _ = bureau
    document = copy.deepcopy(ledger.policy_in_force())
    document["version"] = "raced/2"
    before = _head(ledger)
    _raced(client, monkeypatch, "/policy", json={"document": document}, headers=who["admin"])
    versions = client.get("/policy/versions", headers=who["admin"]).json()["versions"]
    assert [v["version"] for v in versions].count("raced/2") == 1
    assert _head(ledger) == before + 1


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_division_contact_and_an_official_s_roles_changed_at_once(bureau, monkeypatch):
    client, ledger, who, _ = bureau
    before = _head(ledger)
    body = {"contact": "fuzz-clerk", "reason": "工作调整"}
    _raced(client, monkeypatch, "/divisions/szc/contact", json=body, headers=who["admin"])
    body = {"roles": ["clerk", "inspector"], "division": "szc", "reason": "兼任执法人员"}
    _raced(client, monkeypatch, "/officials/fuzz-clerk/roles", json=body, headers=who["admin"])
    assert _head(ledger) == before + 2  # one of each pair


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_the_next_item_list_published_twice_at_once_is_published_once(bureau, monkeypatch):
    client, ledger, who, _ = bureau
    before = client.get("/public/item-list").json()["number"]
    _raced(client, monkeypatch, "/item-lists", headers=who["plan_aggregator"])
    assert client.get("/public/item-list").json()["number"] == before + 1


@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"])
def test_an_import_overtaken_by_a_registration_of_one_of_its_rows_is_409_recording_nothing(
    bureau, monkeypatch
):
    client, ledger, who, _ = bureau
    rows = [target_row(n, division="szc", items="qsxk") for n in range(9001, 9006)]
    header = TARGET_HEADERS_EN
    row = dict(zip(header, rows[2], strict=True))
    registration = {k: row[k] for k in ("code", "name", "district", "division")}
    registration["items"] = ["qsxk"]
    authorised = bulk.authorised
    ran: list[Any] = []

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        # After the import has read its rows' entries and before it records them, another
        # request registers one of them.
        if not ran:
            ran.append(None)
            other = Thread(
                target=lambda: ran.append(
                    client.post("/targets", json=registration, headers=who["clerk"])
                )
            )
            other.start()
            other.join(timeout=120)
        return authorised(*args, **kwargs)

    monkeypatch.setattr(bulk, "authorised", meanwhile)
    before = _head(ledger)
    response = client.post(
        "/imports/targets",
        files={"file": ("targets.csv", csv_bytes(header, rows))},
        headers=who["clerk"],
    )
    assert len(ran) == 2 and ran[1].status_code == 201, ran[-1].text
    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert "另一命令同时记录了部分相同的检查对象；本次导入未记录任何内容" in detail, detail
    assert _head(ledger) == before + 1  # the registration only


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_draw_of_a_plan_not_uploaded_is_409_and_of_no_plan_404(bureau):
    client, ledger, who, _ = bureau
    plan = client.post(
        "/plans",
        json={"division": "szc", "kind": "monthly", "period": "2026-12", "items": ["qsxk"]},
        headers=who["clerk"],
    )
    assert plan.status_code == 201, plan.text
    before = _head(ledger)
    body = {
        "plan": plan.json()["id"],
        "division": "szc",
        "items": ["qsxk"],
        "counts": {"all": 1},
        "team_size": 2,
        "ceremony": CEREMONY,
    }
    response = client.post("/draws", json=body, headers=who["clerk"])
    assert response.status_code == 409, response.text
    assert "只有已上传的计划才能抽取" in response.json()["detail"]
    nowhere = {**body, "plan": "00000000-0000-4000-8000-000000000000"}
    response = client.post("/draws", json=nowhere, headers=who["clerk"])
    assert response.status_code == 404 and response.json()["code"] == "not_found", response.text
    assert _head(ledger) == before


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_publication_is_corrected_once_what_it_shows_has_changed(bureau):
    client, ledger, who, summary = bureau
    publication = UUID(summary.results.corrected_publication)
    publishing = Publishing(ledger)
    shown = publishing.get(publication)
    inspection = ledger.get(UUID(shown.inspection), Inspection)
    target = ledger.get(id_for("target", inspection.target), Target)
    division = target.division
    registry = Registry(ledger)
    clerk = f"fuzz-clerk-{division}"
    spec = {"code": clerk, "name": "测试经办", "division": division, "roles": "clerk"}
    registry.register_official(spec, summary.admin)
    headers = {"Authorization": f"Bearer {registry.issue_token(clerk, summary.admin)}"}
    fix = {"changes": {"name": "更名后的公司"}, "reason": "名称变更", "source": "营业执照"}
    renamed = client.post(f"/targets/{target.id}/corrections", json=fix, headers=headers)
    assert renamed.status_code == 200, renamed.text
    url = f"/publications/{publication}/corrections"
    response = client.post(url, json={"reason": "检查对象已更名"}, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["content_digest"] != shown.content_digest
    again = client.post(url, json={"reason": "再次更正"}, headers=headers)
    assert again.status_code == 409  # nothing has changed since
