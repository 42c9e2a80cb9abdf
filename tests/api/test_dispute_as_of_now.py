"""A dispute file asked for "as of now" a moment after the last act: the position is stored but
the sealing round that covers it (one an interval) has not run yet. The legal office, who cannot
seal the ledger, is not refused as if it had asked for a position the ledger lacks: the service
waits for the round and writes the file; only if no round comes in time is the answer a 503
with ``Retry-After`` that says so in Chinese. A position beyond the log stays a 422."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from ledger import sealing
from ledger.application import LedgerApp
from ledger.demo.changzhou import ADMIN
from ledger.registry.service import Registry

INTERVAL = 4.0  # seconds between sealing rounds: a new act stays unsealed until the next one
LEGAL = "szc-legal"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("as-of-now") / "ledger"
    assert drawledger(["demo", "--data", str(data), "--targets", "60"]) == 0
    app = LedgerApp.open(data, seal_interval=INTERVAL)
    registry = Registry(app)
    token = registry.issue_token(LEGAL, ADMIN)
    draw = next(app.records(topics=["draw.targets_selected"]))[1].envelope["aggregate"]
    service = create_app(app)
    with TestClient(service, follow_redirects=False) as client:  # the first round seals all
        yield {"app": app, "client": client, "registry": registry, "draw": draw, "token": token}
    service.state.read_models.close()
    app.close()


def _unsealed_act(served: dict[str, Any]) -> int:
    """Record one act just after a round (the next is ~INTERVAL away); its position."""
    app = served["app"]
    app.wait_sealed(app.recorder.max_notification_id(), 2 * INTERVAL)
    served["registry"].issue_token("bgs-auditor", ADMIN)
    head = int(app.recorder.max_notification_id())
    assert app.sealer.latest().last_notification_id < head  # stored, not yet sealed
    return head


def _ask(served: dict[str, Any], as_of: int) -> Any:
    body = {"subject": {"kind": "draw", "key": served["draw"]}, "as_of": as_of}
    headers = {"Authorization": f"Bearer {served['token']}"}
    return served["client"].post("/disputes", json=body, headers=headers)


def test_a_file_as_of_a_position_stored_a_moment_ago_waits_for_its_round(served):
    head = _unsealed_act(served)
    r = _ask(served, head)
    assert r.status_code == 200, r.text
    assert int(r.headers["Ledger-As-Of"]) == head
    assert served["app"].sealer.latest().last_notification_id >= head


def test_no_round_in_time_is_a_503_saying_so_in_chinese(served, monkeypatch):
    monkeypatch.setattr(sealing, "COVER_WAIT_LEAST", 0.1)
    monkeypatch.setattr(sealing, "COVER_WAIT_MOST", 0.1)
    head = _unsealed_act(served)
    r = _ask(served, head)
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == str(int(INTERVAL))
    problem = r.json()
    assert problem["code"] == "not_sealed_yet"
    assert f"位置 {head} 已存储，但尚无已签署的检查点覆盖它" in problem["detail"], problem
    assert "请稍后重试" in problem["detail"]


def test_a_position_beyond_the_log_is_still_bad_input(served):
    head = int(served["app"].recorder.max_notification_id())
    r = _ask(served, head + 5)
    assert r.status_code == 422, r.text
    assert f"账本只有位置 1 到 {head}" in r.json()["detail"]
