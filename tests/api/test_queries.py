"""Registry queries over HTTP: an official with a token searches, reads histories, replays."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.registry.service import Registry
from tests.projections.world import VECTOR_CODES, build_world, change_things, credit_code


@pytest.fixture
def world(ledger):  # type: ignore[no-untyped-def]
    return build_world(Registry(ledger))


@pytest.fixture
def client(world, ledger):  # type: ignore[no-untyped-def]
    app = create_app(ledger)
    with TestClient(app, headers={"Authorization": f"Bearer {world.token}"}) as c:
        yield c
    app.state.read_models.close()


def test_without_a_token_every_query_is_a_401_problem(client):
    for path in ["/targets", f"/targets/{VECTOR_CODES[0]}", "/inspectors/insp-01/history"]:
        response = client.get(path, headers={"Authorization": ""})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_revoked_token_is_refused(client, world):
    world.registry.revoke_token("clerk-szc", world.token.split(".")[2], "遗失", None)
    assert client.get("/targets").status_code == 403


def test_a_clerk_pages_through_the_target_registry(client, world):
    rows = [
        {"code": credit_code(i), "name": f"取水户{i}", "district": "武进区", "division": "szc"}
        for i in range(30)
    ]
    world.registry.import_targets(rows, "clerk-szc", "import")
    first = client.get("/targets", params={"district": "武进区", "limit": 20}).json()
    second = client.get("/targets", params={"district": "武进区", "limit": 20, "offset": 20}).json()
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (31, 20, 0, 20)
    assert len(second["items"]) == 11
    codes = [t["code"] for t in first["items"] + second["items"]]
    assert len(set(codes)) == 31


def test_a_large_total_is_null_with_its_bound_unless_the_exact_total_is_asked_for(
    client, monkeypatch
):
    from projections import queries

    monkeypatch.setattr(queries, "COUNTED_UP_TO", 2)
    bounded = client.get("/targets", params={"limit": 2}).json()
    exact = client.get("/targets", params={"limit": 2, "total": "exact"}).json()
    assert (bounded["total"], bounded["more_than"]) == (None, 2)
    assert exact["total"] > 2 and exact["more_than"] is None
    assert exact["items"] == bounded["items"]
    refused = client.get("/targets", params={"total": "about"})
    assert refused.status_code == 422 and "total 'about'" in refused.json()["detail"]


def test_a_page_too_large_or_a_bad_filter_is_a_422_problem(client):
    response = client.get("/targets", params={"limit": 501})
    assert response.status_code == 422
    assert "limit" in response.json()["detail"] and "500" in response.json()["detail"]
    assert client.get("/inspectors", params={"status": "asleep"}).status_code == 422


def test_an_entry_its_history_and_its_state_as_of_a_position(client, world):
    change_things(world)
    code = VECTOR_CODES[1]
    current = client.get(f"/targets/{code}").json()
    assert current["district"] == "新北区"
    history = client.get(f"/targets/{code}/history").json()["events"]
    positions = [e["position"] for e in history]
    assert positions == sorted(positions) and len(positions) == 3
    before = client.get(f"/targets/{code}", params={"as_of": positions[1] - 1}).json()
    assert (before["district"], before["as_of"], before["position"]) == (
        "武进区",
        positions[1] - 1,
        positions[0],
    )
    by_id = client.get(f"/targets/{world.targets[code]}").json()
    assert by_id == current


@pytest.mark.parametrize(
    ("path", "key", "expected"),
    [
        ("/inspectors?qualification=hdjs", "code", ["insp-01"]),
        ("/items?division=ggc", "code", ["hdjs"]),
        ("/officials?role=plan_aggregator", "code", ["agg"]),
        ("/divisions?kind=service_centre", "code", ["fwzx"]),
        ("/targets?kind=project", "name", ["新运河护岸工程"]),
    ],
)
def test_each_registry_is_searchable(client, path, key, expected):
    response = client.get(path)
    assert response.status_code == 200
    assert [e[key] for e in response.json()["items"]] == expected


@pytest.mark.parametrize(
    ("kind", "code"),
    [("inspectors", "insp-02"), ("items", "qsxk"), ("officials", "agg"), ("divisions", "szc")],
)
def test_each_entry_has_a_current_state_a_history_and_a_past(client, kind, code):
    current = client.get(f"/{kind}/{code}").json()
    history = client.get(f"/{kind}/{code}/history").json()["events"]
    assert history[-1]["position"] == current["position"]
    first = client.get(f"/{kind}/{code}", params={"as_of": history[0]["position"]}).json()
    assert first["version"] == 1


def test_an_official_is_served_without_token_hashes(client):
    official = client.get("/officials/clerk-szc").json()
    assert len(official["token_ids"]) == 1
    history = client.get("/officials/clerk-szc/history").json()["events"]
    assert all("token_hash" not in e["payload"] for e in history)


def test_unknown_entries_and_positions_are_problems(client, ledger):
    response = client.get("/inspectors/insp-99")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "insp-99" in response.json()["detail"]
    assert client.get("/targets/91350100M000100Y43x/history").status_code == 404
    assert client.get("/item-lists/7").status_code == 404
    head = ledger.recorder.max_notification_id()
    assert client.get("/items/qsxk", params={"as_of": head + 1}).status_code == 422
    assert client.get("/items/qsxk", params={"as_of": 1}).status_code == 404


def test_published_item_lists_are_listed_newest_first(client, world):
    world.registry.publish_item_list("agg")
    world.registry.publish_item_list("agg")
    lists = client.get("/item-lists").json()
    assert [entry["number"] for entry in lists["items"]] == [2, 1]
    assert client.get("/item-lists/1").json()["items"][0]["code"] == "hdjs"


def test_what_another_process_recorded_is_visible_at_the_next_query(client, new_ledger):
    other = Registry(new_ledger())  # e.g. 'drawledger import' run beside the server
    other.register_target(
        {"code": credit_code(77), "name": "另一进程登记", "district": "溧阳市", "division": "szc"},
        "clerk-szc",
    )
    found = client.get("/targets", params={"q": "另一进程"}).json()
    assert [t["code"] for t in found["items"]] == [credit_code(77)]
