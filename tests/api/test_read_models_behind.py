"""The service answers at once however far its read models are behind the log: /health says
how far, a registry read far behind is a 503 with Retry-After naming both positions (never an
answer that silently misses events), and once the follower has caught up the same read answers
with the new entries."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.registry.service import Registry
from tests.projections.world import build_world, credit_code


@pytest.fixture
def world(ledger):  # type: ignore[no-untyped-def]
    return build_world(Registry(ledger))


def _health(client: TestClient) -> dict:  # type: ignore[type-arg]
    return client.get("/health").json()["read_models"]  # type: ignore[no-any-return]


def test_reads_far_behind_say_so_and_answer_once_caught_up(world, ledger):  # type: ignore[no-untyped-def]
    app = create_app(ledger)
    rm = app.state.read_models
    rm.follower.lag = 5
    rows = [
        {"code": credit_code(i), "name": f"取水户{i}", "district": "武进区", "division": "szc"}
        for i in range(12)
    ]
    with TestClient(app, headers={"Authorization": f"Bearer {world.token}"}) as client:
        assert _health(client)["behind"] == 0
        before = client.get("/targets").json()["total"]
        with rm.runner._lock:  # the follower is held mid-way: it cannot apply anything
            # 12 events, which wake the follower
            world.registry.import_targets(rows, "clerk-szc", "import")
            state = _health(client)
            assert (
                state["behind"] >= 12
                and state["ledger_position"] == ledger.recorder.max_notification_id()
            )
            refused = client.get("/targets")
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            assert int(refused.headers["retry-after"]) >= 1
            body = refused.json()
            assert body["read_models_position"] == state["position"]
            assert body["ledger_position"] == state["ledger_position"]
            assert body["code"] == "read_models_behind" and "正在追赶账本" in body["detail"]
        deadline = time.monotonic() + 30
        while _health(client)["behind"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _health(client)["behind"] == 0
        assert client.get("/targets").json()["total"] == before + 12
    rm.close()


def test_a_small_lag_is_caught_up_by_the_read_itself(world, ledger):  # type: ignore[no-untyped-def]
    """A command's effect is visible to the next read (a few events behind: no 503)."""
    app = create_app(ledger)
    with TestClient(app, headers={"Authorization": f"Bearer {world.token}"}) as client:
        assert app.state.read_models.follower.running
        world.registry.import_targets(
            [
                {
                    "code": credit_code(99),
                    "name": "取水户99",
                    "district": "武进区",
                    "division": "szc",
                }
            ],
            "clerk-szc",
            "import",
        )
        found = client.get("/targets", params={"q": credit_code(99)})
        assert found.status_code == 200 and found.json()["total"] == 1
    app.state.read_models.close()
    assert not app.state.read_models.follower.running
