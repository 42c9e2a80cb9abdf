"""Login failures limited (等保 2.0, 登录失败处理): an address that has had ``FAILURES`` tokens
refused within ``WINDOW`` is answered 429 (Retry-After, in Chinese) on the login forms, the
API and uploads for ``LOCKOUT`` — even with a good token — while another address logs in as
usual. The attacker guesses tokens at the login form and the API. In memory, per process
(store-independent: SQLite only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import login_throttle
from api.app import create_app
from api.login_throttle import FAILURES, LOCKOUT, WINDOW, LoginThrottle
from ledger.application import LedgerApp

from .test_cli_registry import _official, _registry, data  # noqa: F401  (data: the fixture)

OWN = "http://testserver"
GUESSER, COLLEAGUE = ("10.0.0.9", 40000), ("10.0.0.10", 40000)


@pytest.fixture
def service(data) -> Any:  # noqa: F811
    """The service of a small bureau, a legal officer's token, and the throttle's clock."""
    assert _official(data, "legal-1", "szc", "legal_office") == 0
    token = _registry(data).issue_token("legal-1", None)
    clock = {"now": 1000.0}
    app = LedgerApp.open(Path(data))
    served = create_app(app)
    served.state.login_throttle = LoginThrottle(clock=lambda: clock["now"])
    try:
        with TestClient(served):
            yield {"app": served, "token": token, "clock": clock}
    finally:
        served.state.read_models.close()
        app.close()


def _client(service: Any, address: tuple[str, int]) -> TestClient:
    return TestClient(service["app"], follow_redirects=False, client=address)


def _login(client: TestClient, token: str) -> Any:
    return client.post("/legal/login", data={"token": token}, headers={"Origin": OWN})


def _guess(client: TestClient, n: int) -> None:
    for i in range(n):
        assert _login(client, f"dl1.bGVnYWwtMQ.{i:08x}.guessed").status_code == 403


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_guesser_is_held_back_everywhere_and_a_colleague_logs_in(service):
    guesser, colleague = _client(service, GUESSER), _client(service, COLLEAGUE)
    _guess(guesser, FAILURES)

    held = _login(guesser, service["token"])  # the right token now: still held back
    assert held.status_code == 429 and int(held.headers["retry-after"]) == LOCKOUT
    assert "登录失败" in held.text and "秒后再试" in held.text
    bearer = {"Authorization": f"Bearer {service['token']}"}
    api = guesser.get("/officials", headers=bearer)
    assert api.status_code == 429 and api.headers["content-type"] == "application/problem+json"
    assert api.headers["retry-after"] and "秒后再试" in api.json()["detail"]
    upload = guesser.post(
        "/imports/targets", headers=bearer, files={"file": ("t.csv", b"x", "text/csv")}
    )
    assert upload.status_code == 429  # refused before the body is read

    assert _login(colleague, service["token"]).status_code == 303  # not held back by it
    assert colleague.get("/officials", headers=bearer).status_code == 200

    service["clock"]["now"] += LOCKOUT
    assert _login(guesser, service["token"]).status_code == 303


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_refusals_count_within_the_window_and_bearer_guesses_count_too(service):
    guesser = _client(service, GUESSER)
    _guess(guesser, FAILURES - 1)
    service["clock"]["now"] += WINDOW + 1  # those are forgotten
    _guess(guesser, FAILURES - 1)
    assert _login(guesser, service["token"]).status_code == 303
    wrong = {"Authorization": "Bearer dl1.bGVnYWwtMQ.00000000.guessed"}
    assert guesser.get("/officials", headers=wrong).status_code == 403  # the 10th in the window
    assert guesser.get("/officials", headers=wrong).status_code == 429


def test_the_addresses_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(login_throttle, "MAX_ADDRESSES", 100)
    throttle = LoginThrottle(clock=lambda: 0.0)
    for n in range(1000):
        throttle.failed(f"10.1.{n // 256}.{n % 256}")
    assert len(throttle._seen) == 100


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_genuine_token_refused_as_expired_is_not_counted(service, data, monkeypatch):  # noqa: F811
    """A forgotten script retrying its expired token does not hold back its office's address."""
    from datetime import UTC, datetime, timedelta

    from ledger.registry import tokens

    expired = _registry(data).issue_token("legal-1", None, days=1)
    later = datetime.now(UTC) + timedelta(days=2)
    monkeypatch.setattr(tokens, "clock", lambda: later)
    office = _client(service, GUESSER)
    for _ in range(FAILURES + 2):
        assert _login(office, expired).status_code == 403
    assert _login(office, service["token"]).status_code == 303
