"""Text a registry entry or a request may hold: no control characters, no lone surrogates, not
invisible only. A clerk (or a script) cannot register a company whose name breaks a feed, a
spreadsheet or a terminal, over the API or through the registry itself."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.fields import InvalidFields, text_problem
from ledger.registry.service import Registry
from tests.projections.world import build_world, credit_code

BAD_NAMES = {
    "NUL": "取水公司\x00",
    "ESC": "取水公司\x1b[31m",
    "BEL": "\x07取水公司",
    "newline": "取水\n公司",
    "zero-width only": "\u200b\u200b",
    "BOM and word joiner only": "\ufeff\u2060",
    "lone surrogate": "取水\ud800公司",
}


@pytest.fixture
def clerk(ledger):  # type: ignore[no-untyped-def]
    world = build_world(Registry(ledger))
    app = create_app(ledger)
    with TestClient(app, headers={"Authorization": f"Bearer {world.token}"}) as client:
        yield world, client
    app.state.read_models.close()


def _target(name: str) -> dict[str, str]:
    return {"code": credit_code(900), "name": name, "district": "武进区", "division": "szc"}


@pytest.mark.parametrize("what", sorted(BAD_NAMES))
def test_a_company_named_with_a_bad_character_cannot_be_registered(clerk, ledger, what):
    world, client = clerk
    before = ledger.recorder.max_notification_id()
    response = client.post(
        "/targets",
        content=json.dumps(_target(BAD_NAMES[what])).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["problems"][0]["field"] == "name"
    assert "不可见" in problem["detail"] or "U+" in problem["detail"]
    with pytest.raises(InvalidFields) as refused:  # the registry itself: CLI and imports
        world.registry.register_target(_target(BAD_NAMES[what]), "clerk-szc")
    assert [p.field for p in refused.value.problems] == ["name"]
    assert ledger.recorder.max_notification_id() == before


def test_ordinary_chinese_text_and_inner_spaces_pass():
    for text in ("常州市某某水务有限公司", "Acme Water Co. Ltd", "（新北区）第 3 网格", "a\u200bb"):
        assert text_problem(text) is None
    assert text_problem("\u200b") == "is made only of invisible characters"
    assert text_problem("\x00") == "must not hold the control character U+0000"
