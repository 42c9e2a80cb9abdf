"""Tokens with a life, as the CLI, the API and the staff pages meet them: ``token issue
--days --label``, ``token list`` (a token without an expiry marked to reissue), an expired
token refused by the API as a revoked one is (403, problem+json naming the day in Chinese) and
a session of the legal pages ended by it, the login form saying why. On SQLite and, through
DRAWLEDGER_DATABASE, on PostgreSQL (the ``data`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.registry import tokens

from .test_cli_registry import _official, _registry, data  # noqa: F401  (data: the fixture)

OWN = "http://testserver"


def _issue(directory: str, official: str, capsys, *extra: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    args = ["token", "issue", "--data", directory, "--official", official, *extra]
    assert drawledger(args) == 0
    out, err = capsys.readouterr()
    return out.strip(), err


def test_the_cli_issues_a_token_with_a_life_and_a_label_and_lists_it(data, capsys):  # noqa: F811
    assert _official(data, "clerk-1", "gqc", "clerk") == 0
    token, said = _issue(data, "clerk-1", capsys, "--days", "30", "--label", "办公室电脑")
    expires = _registry(data).official("clerk-1").token_expires[token.split(".")[2]]
    day = tokens.china_day(expires or "")
    assert f"有效期至 {day}" in said
    assert drawledger(["token", "list", "--data", data]) == 0
    out, _ = capsys.readouterr()
    [line] = [line for line in out.splitlines() if line.startswith("clerk-1\t")]
    assert f"\t{token.split('.')[2]}\t办公室电脑\t" in line and f"有效期至 {day}" in line
    assert "无有效期" not in out
    args = ["token", "issue", "--data", data, "--official", "clerk-1", "--days", "400"]
    assert drawledger(args) == 1
    assert "--days 400：令牌有效期须为 1 至 365 天" in capsys.readouterr().err


def test_an_expired_token_is_refused_by_the_api_and_ends_a_page_session(data, capsys, monkeypatch):  # noqa: F811
    assert _official(data, "legal-1", "szc", "legal_office") == 0
    capsys.readouterr()
    token, _ = _issue(data, "legal-1", capsys, "--days", "1")
    app = LedgerApp.open(Path(data))
    service = create_app(app)
    try:
        with TestClient(service, follow_redirects=False) as client:
            bearer = {"Authorization": f"Bearer {token}"}
            assert client.get("/officials", headers=bearer).status_code == 200
            login = client.post("/legal/login", data={"token": token}, headers={"Origin": OWN})
            assert login.status_code == 303 and client.get("/legal").status_code == 200

            later = datetime.now(UTC) + timedelta(days=1, minutes=1)
            monkeypatch.setattr(tokens, "clock", lambda: later)
            refused = client.get("/officials", headers=bearer)
            assert refused.status_code == 403
            assert refused.headers["content-type"] == "application/problem+json"
            expires = _registry(data).official("legal-1").token_expires[token.split(".")[2]]
            assert (
                f"已于 {tokens.china_day(expires or '')}（北京时间）过期"
                in refused.json()["detail"]
            )

            page = client.get("/legal")
            assert page.status_code == 303
            assert page.headers["location"] == "/legal/login?next=%2Flegal&ended=expired"
            form = client.get(page.headers["location"])
            assert "您的令牌已过期" in form.text
            again = client.post("/legal/login", data={"token": token}, headers={"Origin": OWN})
            assert again.status_code == 403 and "过期" in again.text
            words = client.get(
                "/legal/login?ended=请把令牌发到某某邮箱"
            )  # no words of a link's own
            assert "某某" not in words.text
    finally:
        service.state.read_models.close()
        app.close()


def test_the_staff_pages_tell_an_official_their_token_ends_soon_or_never(data, capsys):  # noqa: F811
    """A token ending within two weeks is announced on every page of the legal office and the
    registry office, with its day in China time; a longer one is not; one without an expiry
    (issued before tokens had a life) is announced to be reissued."""
    from types import SimpleNamespace

    from api.page_session import NOTICE_DAYS, token_notice

    assert _official(data, "legal-2", "szc", "legal_office") == 0
    assert _official(data, "clerk-2", "szc", "clerk") == 0
    capsys.readouterr()
    short, _ = _issue(data, "legal-2", capsys, "--days", str(NOTICE_DAYS - 4))
    long, _ = _issue(data, "clerk-2", capsys, "--days", "90")
    app = LedgerApp.open(Path(data))
    service = create_app(app)
    try:
        with TestClient(service, follow_redirects=False) as client:
            client.post("/legal/login", data={"token": short}, headers={"Origin": OWN})
            page = client.get("/legal").text
            expires = _registry(data).official("legal-2").token_expires[short.split(".")[2]]
            assert f"将于北京时间 {tokens.china_day(expires or '')} 到期" in page
            assert f"（还有 {NOTICE_DAYS - 5} 天）" in page and 'id="token-notice"' in page
        with TestClient(service, follow_redirects=False) as client:
            client.post("/office/login", data={"token": long}, headers={"Origin": OWN})
            page = client.get("/office")
            assert page.status_code == 200 and 'id="token-notice"' not in page.text
    finally:
        service.state.read_models.close()
        app.close()
    old = SimpleNamespace(token_expires={})  # as the official of a token without an expiry
    assert "没有有效期" in token_notice(old, "0ld70ken")  # type: ignore[arg-type]
