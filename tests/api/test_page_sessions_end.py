"""Staff page sessions that end (等保 2.0: automatic logout): a session of /legal or /office
ends 30 minutes after its last request and 12 hours after its login, whatever is done in
between; the cookie cannot be made or altered without the service's key. The attacker replays
an idle cookie, keeps one alive past the absolute limit, forges its times, brings back a
cookie of before the upgrade (the bare token) or one of the other pages. No session state is
kept by the service (sessions are store-independent: SQLite only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import session_cookie
from api.app import create_app
from api.legal.session import COOKIE
from api.office.routes import OFFICE
from ledger.application import LedgerApp

from .test_cli_registry import _official, _registry, data  # noqa: F401  (data: the fixture)

OWN = "http://testserver"
START = 1_800_000_000  # the clock of these tests, in Unix seconds


@pytest.fixture
def pages(data, monkeypatch) -> Any:  # noqa: F811
    """The service of a small bureau with a legal officer's token, and a clock the test moves."""
    assert _official(data, "legal-1", "szc", "legal_office") == 0
    token = _registry(data).issue_token("legal-1", None)
    clock = {"now": START}
    monkeypatch.setattr(session_cookie, "now", lambda: clock["now"])
    app = LedgerApp.open(Path(data))
    service = create_app(app)
    try:
        with TestClient(service, follow_redirects=False) as client:
            yield {"client": client, "token": token, "clock": clock, "app": app}
    finally:
        service.state.read_models.close()
        app.close()


def _login(pages: Any) -> TestClient:
    client = TestClient(pages["client"].app, follow_redirects=False)
    r = client.post("/legal/login", data={"token": pages["token"]}, headers={"Origin": OWN})
    assert r.status_code == 303, r.text
    return client


def _cookie(client: TestClient) -> str:
    return next(c.value for c in client.cookies.jar if c.name == COOKIE)


def _ended(client: TestClient, why: str) -> None:
    r = client.get("/legal")
    assert r.status_code == 303
    assert r.headers["location"] == f"/legal/login?next=%2Flegal&ended={why}"
    assert "Max-Age=0" in r.headers["set-cookie"]  # the stale cookie is cleared
    assert session_cookie.VERSION not in r.headers["set-cookie"]


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_used_session_lasts_and_an_idle_one_ends_saying_so(pages):
    client = _login(pages)
    assert _cookie(client).startswith("s1.")
    pages["clock"]["now"] += 29 * 60
    r = client.get("/legal")
    assert r.status_code == 200 and f"{COOKIE}=s1." in r.headers["set-cookie"]  # refreshed
    pages["clock"]["now"] += 29 * 60  # 58 minutes after the login, 29 after the last click
    assert client.get("/legal").status_code == 200
    idle = _cookie(client)
    pages["clock"]["now"] += 30 * 60
    _ended(client, "idle")
    form = client.get("/legal/login?ended=idle")
    assert "登录已超时，请重新登录" in form.text
    replayed = TestClient(pages["client"].app, follow_redirects=False)  # an idle cookie replayed
    replayed.cookies.set(COOKIE, idle, path="/legal")
    _ended(replayed, "idle")


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_session_kept_alive_ends_twelve_hours_after_its_login(pages):
    client = _login(pages)
    for _ in range(12 * 60 // 25):  # a click every 25 minutes for 11 h 40 min
        pages["clock"]["now"] += 25 * 60
        assert client.get("/legal").status_code == 200
    pages["clock"]["now"] += 19 * 60
    assert client.get("/legal").status_code == 200  # 11 h 59 min
    pages["clock"]["now"] += 60  # 12 hours after the login
    _ended(client, "timeout")


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_cookie_with_forged_times_or_of_before_the_upgrade_is_no_session(pages):
    client = _login(pages)
    version, began, seen, mac, token = _cookie(client).split(".", 4)
    pages["clock"]["now"] += 31 * 60
    for forged in (
        f"{version}.{began}.{pages['clock']['now']}.{mac}.{token}",  # seen moved on
        f"{version}.{pages['clock']['now']}.{pages['clock']['now']}.{mac}.{token}",
        f"{version}.{began}.{seen}.{'0' * 64}.{token}",
        token,  # the cookie of before sessions ended: the bare token
    ):
        other = TestClient(pages["client"].app, follow_redirects=False)
        other.cookies.set(COOKIE, forged, path="/legal")
        _ended(other, "refused")
    office = TestClient(pages["client"].app, follow_redirects=False)  # another page's cookie
    office.cookies.set(OFFICE.cookie, _cookie(client), path="/office")
    r = office.get("/office")
    assert r.status_code == 303 and "ended=refused" in r.headers["location"]


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_logging_out_clears_the_cookie_and_no_refresh_brings_it_back(pages):
    from api.legal.session import csrf_for

    client = _login(pages)
    out = client.post(
        "/legal/logout", data={"csrf": csrf_for(pages["token"])}, headers={"Origin": OWN}
    )
    assert out.status_code == 303
    [line] = [v for k, v in out.headers.multi_items() if k == "set-cookie"]
    assert "Max-Age=0" in line
