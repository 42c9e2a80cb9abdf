"""The service's life: its read models are released when it shuts down."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app


def test_the_read_model_connections_are_closed_when_the_service_shuts_down(ledger):
    app = create_app(ledger)
    closed: list[bool] = []
    close = app.state.read_models.close
    app.state.read_models.close = lambda: (closed.append(True), close())
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert closed == []
    assert closed == [True]
