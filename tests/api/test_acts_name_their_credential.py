"""Each act names the credential it was done with: the actor's ``token`` is the id of the API
token of the official acting (from the CLI's ``--token-file``, an API bearer token), never its
secret or hash; the operator's acts name none. On SQLite and, through DRAWLEDGER_DATABASE, on
PostgreSQL (the ``data`` fixture)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from ledger.application import LedgerApp

from .test_cli_registry import _official, _registry, _token_file, data  # noqa: F401  (data: the fixture)


def _token_of(directory: str, official: str) -> str:
    return _registry(directory).issue_token(official, None)


def _last(app: LedgerApp, kind: str) -> dict:  # type: ignore[type-arg]
    *_, (_, record) = app.records(topics=[kind])
    return record.envelope  # type: ignore[no-any-return]


def test_the_cli_and_the_api_record_the_token_an_act_was_done_with(data, tmp_path, capsys):  # noqa: F811
    assert _official(data, "admin-1", "szc", "admin") == 0  # the operator: no token
    admin = _token_file(data, "admin-1", tmp_path)
    admin_token = Path(admin[1]).read_text().strip()
    admin_id = admin_token.split(".")[2]
    assert _official(data, "clerk-1", "gqc", "clerk", "--as", "admin-1", *admin) == 0
    app = LedgerApp.open(Path(data))
    service = create_app(app)
    try:
        registered = _last(app, "official.registered")
        assert registered["actor"]["token"] == admin_id
        assert admin_token.split(".")[3] not in str(registered)
        first = next(app.records(topics=["official.registered"]))[1].envelope
        assert "token" not in first["actor"]  # the operator's act

        with TestClient(service) as client:
            bearer = {"Authorization": f"Bearer {admin_token}"}
            body = {"days": 10, "label": "办公室电脑"}
            issued = client.post("/officials/clerk-1/tokens", json=body, headers=bearer)
            assert issued.status_code == 201, issued.text
            assert issued.json()["expires"].endswith("Z")
            event = _last(app, "official.token_issued")
            assert event["actor"]["token"] == admin_id
            assert event["payload"]["label"] == "办公室电脑"
            assert client.post("/officials/clerk-1/tokens", headers=bearer).status_code == 201
            too_long = client.post("/officials/clerk-1/tokens", json={"days": 400}, headers=bearer)
            assert too_long.status_code == 422

            # The trail: "acted with token X, issued by Y on D" (the operator issued the admin's).
            issue = _last(app, "official.token_issued")
            trail = client.get("/trail/officials/admin-1", headers=bearer).json()
            [act] = [a for a in trail["items"] if a["digest"] and a["type"] == issue["type"]][-1:]
            assert act["actor"]["token"] == admin_id
            credential = act["credential"]
            assert credential["token"] == admin_id and credential["issued_by"] == "drawledger"
            assert credential["expires"].endswith("Z")
            assert _official(data, "legal-1", "szc", "legal_office") == 0
            legal = {"Authorization": f"Bearer {_token_of(data, 'legal-1')}"}
            page = client.get(f"/legal/acts/{act['position']}", headers=legal)
            assert page.status_code == 200, page.text
            shown = page.text.split('id="credential">')[1].split("</td>")[0]
            assert f'访问令牌 <span class="mono">{admin_id}</span>' in shown
            assert "drawledger" in shown and "有效期至" in shown
            operator_act = next(app.records(topics=["official.registered"]))[0]
            page = client.get(f"/legal/acts/{operator_act}", headers=legal)
            assert "未写明" in page.text.split('id="credential">')[1].split("</td>")[0]
            on_request = next(app.records(topics=["item.registered"]))[0]
            probe = client.get(f"/legal/acts/{on_request}", headers=legal)
            assert probe.status_code == 200, probe.text[:300]
    finally:
        service.state.read_models.close()
        app.close()
