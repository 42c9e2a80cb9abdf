"""The published item list, as anyone reads it: no token, no personal data, a digest to check."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.application import LedgerApp
from ledger.demo.bureau import build_demo
from ledger.registry.items import list_digest
from ledger.registry.service import Registry
from ledger.storage import persistence_env
from verify.events import decode_record
from verify.keys import SignerKey

ITEM = {
    "code": "qsxk",
    "name": "取水许可监督检查",
    "law": "《中华人民共和国水法》",
    "article": "第四十八条",
    "division": "szc",
    "executing_units": ["szyfwzx"],
    "object_type": "取水单位和个人",
    "checklist": ["取水许可证是否在有效期内"],
    "item_class": "key",
}


@pytest.fixture
def app(tmp_path) -> Any:  # type: ignore[no-untyped-def]
    signer = SignerKey.generate("drawledger.test/public")
    app = LedgerApp(persistence_env("sqlite:///ledger.sqlite", tmp_path), signer, signer.name)
    app.create_ledger()
    app.set_default_policy()
    yield app
    app.close()


@pytest.fixture
def registry(app: LedgerApp) -> Registry:
    registry = Registry(app)
    for code, name in [("szc", "水政处"), ("ggc", "工管处"), ("szyfwzx", "常州市水资源服务中心")]:
        registry.add_division({"code": code, "name": name}, by=None)
    for code, division, role in [
        ("szc-clerk", "szc", "clerk"),
        ("ggc-clerk", "ggc", "clerk"),
        ("szc-aggregator", "szc", "plan_aggregator"),
    ]:
        data = {"code": code, "name": "王芳", "division": division, "roles": [role]}
        registry.register_official(data, by=None)
    registry.register_item(ITEM, by="szc-clerk")
    hdjs = {
        **ITEM,
        "code": "hdjs",
        "name": "河道管理范围内建设项目监督检查",
        "law": "《中华人民共和国河道管理条例》",
        "article": "第十一条",
        "division": "ggc",
    }
    registry.register_item(hdjs, by="ggc-clerk")
    return registry


def test_before_any_publication_the_list_is_a_404_problem(app):
    response = TestClient(create_app(app)).get("/public/item-list")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "尚未公布抽查事项清单" in response.json()["detail"]


def test_the_published_list_is_served_without_a_token_and_its_digest_checks_out(app, registry):
    number, digest = registry.publish_item_list(by="szc-aggregator")
    response = TestClient(create_app(app)).get("/public/item-list")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["number"], body["digest"]) == (number, digest)
    assert list_digest(body["items"]) == digest
    qsxk = next(i for i in body["items"] if i["code"] == "qsxk")
    assert qsxk["legal_basis"] == {
        "law": "《中华人民共和国水法》",
        "article": "第四十八条",
        "text": None,
    }
    assert (qsxk["division"], qsxk["executing_units"], qsxk["item_class"]) == (
        "szc",
        ["szyfwzx"],
        "key",
    )
    assert qsxk["method"] == ["on_site"]
    assert body["divisions"] == {
        "ggc": "工管处",
        "szc": "水政处",
        "szyfwzx": "常州市水资源服务中心",
    }
    [published] = app.recorder.select_notifications(start=body["position"], limit=1)
    assert decode_record(published.state).envelope["payload"]["digest"] == digest
    assert "王芳" not in response.text  # the publishing official is not named to the public


def test_the_latest_publication_is_served(app, registry):
    registry.publish_item_list(by="szc-aggregator")
    registry.withdraw_item("hdjs", "并入其他事项", by="ggc-clerk")
    registry.publish_item_list(by="szc-aggregator")

    body = TestClient(create_app(app)).get("/public/item-list").json()
    assert body["number"] == 2
    assert [i["code"] for i in body["items"]] == ["qsxk"]


def test_the_demo_list_names_no_person(app):
    build_demo(app, targets=40, inspectors=8, today=date(2026, 6, 1))
    response = TestClient(create_app(app)).get("/public/item-list")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 8

    people = [
        decode_record(n.state).envelope["payload"]["name"]
        for n in app.notifications(topics=["official.registered", "inspector.registered"])
    ]
    assert people and not [name for name in people if name in response.text]
