"""Request bodies are limited before anything reads them: an anonymous 300 MB upload is refused
with 413 without its bytes being read, and a streamed body is cut off at the limit."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.body_limit import MIB, BodyLimits
from ledger.registry.service import Registry

CHUNK = 64 * 1024


class _Upload:
    """An ASGI request whose body streams in chunks (chunked: no Content-Length unless given),
    counting how much of it the service pulled."""

    def __init__(
        self,
        total: int,
        content_type: str,
        content_length: int | None = None,
        token: str | None = None,
    ) -> None:
        self.total = total
        self.pulled = 0
        self.headers = [(b"content-type", content_type.encode())]
        if token is not None:
            self.headers.append((b"authorization", f"Bearer {token}".encode()))
        if content_length is not None:
            self.headers.append((b"content-length", str(content_length).encode()))
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        size = min(CHUNK, self.total - self.pulled)
        body = (PART_HEAD + b"x" * size)[:size] if self.pulled == 0 else b"x" * size
        self.pulled += size
        return {"type": "http.request", "body": body, "more_body": self.pulled < self.total}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def post(self, app: Any, path: str) -> tuple[int, dict[str, Any]]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": self.headers,
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }
        asyncio.run(app(scope, self.receive, self.send))
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
        return start["status"], json.loads(body)


FORM = "multipart/form-data; boundary=b0undary"
PART_HEAD = (  # a well-formed form with one file part, so that the form parser reads on
    b"--b0undary\r\n"
    b'Content-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
    b"Content-Type: image/jpeg\r\n\r\n"
)


def test_an_anonymous_300_mb_upload_is_refused_before_a_byte_of_it_is_read(ledger):
    upload = _Upload(300 * MIB, FORM, content_length=300 * MIB)
    status, body = upload.post(create_app(ledger), "/imports/targets")
    assert status == 413  # not 401: the body's size is judged before the token
    assert upload.pulled == 0
    assert body["limit"] == 65 * MIB
    assert "65 MiB" in body["detail"] and "上传文件" in body["detail"]
    assert ("content-type", "application/problem+json") in [
        (k.decode(), v.decode()) for k, v in upload.sent[0]["headers"]
    ]


def _token(ledger: Any, role: str = "inspector") -> str:
    registry = Registry(ledger)
    registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, by=None)
    spec = {"code": "zm", "name": "周敏", "division": "bgs", "roles": [role]}
    registry.register_official(spec, by=None)
    return str(registry.issue_token("zm", by=None))


@pytest.mark.parametrize("path", ["/imports/targets", "/inspections/x/evidence"])
def test_an_anonymous_chunked_upload_is_refused_before_a_byte_of_it_is_read(ledger, path):
    upload = _Upload(300 * MIB, FORM)  # chunked: no Content-Length to judge it by
    status, body = upload.post(create_app(ledger), path)
    assert status == 401
    assert upload.pulled == 0  # nothing read, so nothing spooled to disk either
    assert "Bearer" in body["detail"] and "在读取文件内容之前" in body["detail"]
    assert ("www-authenticate", "Bearer") in [
        (k.decode(), v.decode()) for k, v in upload.sent[0]["headers"]
    ]


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "dl1.em0.x.y",  # the token's shape, naming official zm, with an id never issued
        "dl1.bm9ib2R5.x.y",  # the token's shape, naming an official who does not exist
        "Bearer",  # "Authorization: Bearer Bearer"
    ],
)
def test_a_chunked_upload_with_a_refused_token_is_refused_before_it_is_read(ledger, token):
    _token(ledger)  # an official exists: the refused token is not just an empty registry
    upload = _Upload(300 * MIB, FORM, token=token)
    status, body = upload.post(create_app(ledger), "/imports/targets")
    assert status == 403, body
    assert upload.pulled == 0


def test_a_revoked_token_cannot_start_an_upload(ledger):
    token = _token(ledger)
    Registry(ledger).revoke_token("zm", token.split(".")[2], "遗失", by=None)
    upload = _Upload(300 * MIB, FORM, token=token)
    status, body = upload.post(create_app(ledger), "/imports/targets")
    assert status == 403 and "吊销" in body["detail"]
    assert upload.pulled == 0


def test_a_streamed_upload_without_a_length_is_cut_off_at_the_limit(ledger):
    app = create_app(ledger, BodyLimits(body=MIB, upload=2 * MIB))
    upload = _Upload(300 * MIB, FORM, token=_token(ledger))  # an official's: past the gate
    status, body = upload.post(app, "/inspections/x/evidence")
    assert status == 413
    assert 2 * MIB < upload.pulled <= 2 * MIB + CHUNK  # read to the limit, not one chunk on
    assert body["limit"] == 2 * MIB


def test_a_json_body_has_the_smaller_limit(ledger):
    with TestClient(create_app(ledger)) as client:
        big = {"name": "x" * (MIB + 1)}
        r = client.post("/divisions", json=big)
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["limit"] == MIB and "1 MiB" in r.json()["detail"]
        # Streamed without a length: the same.
        chunks = (json.dumps(big).encode()[i : i + CHUNK] for i in range(0, MIB + 20, CHUNK))
        r = client.post("/divisions", content=chunks, headers={"content-type": "application/json"})
        assert r.status_code == 413
        # Under the limit the request goes on to authentication as before.
        assert client.post("/divisions", json={"name": "x"}).status_code == 401


@pytest.mark.parametrize("mib", [0, 5000, 1.5, "1"])
def test_a_limit_outside_1_to_4096_mib_is_refused_at_load(tmp_path, mib):
    from ledger.config import Settings
    from ledger.errors import ConfigurationError

    (tmp_path / "drawledger.toml").write_text(
        f'[ledger]\norigin = "o"\n[service]\nbody_limit_mib = {json.dumps(mib)}\n'
    )
    with pytest.raises(ConfigurationError, match="body_limit_mib"):
        Settings.load(tmp_path)
