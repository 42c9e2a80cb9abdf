"""The ledger's HTTP API as a witness uses it: three requests, nothing else.

- ``GET /checkpoint``: the latest checkpoint note;
- ``GET /proofs/consistency?old=M&new=N``: the proof hashes (base64);
- ``POST /checkpoints/{N}/cosignatures`` with ``{"line": "— name base64"}``.

A ``Transport`` is ``(method, path with query, JSON body or None) -> (status, body text)``;
``http_transport`` speaks HTTP with the standard library, tests pass the service in-process.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

Transport = Callable[[str, str, dict[str, Any] | None], tuple[int, str]]
TIMEOUT = 30.0


class LedgerUnavailable(Exception):
    """The ledger did not answer, or answered something a witness cannot use."""


def http_transport(base_url: str, timeout: float = TIMEOUT) -> Transport:
    base = base_url.rstrip("/")

    def send(method: str, path: str, body: dict[str, Any] | None) -> tuple[int, str]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            try:
                return e.code, e.read().decode("utf-8", "replace")
            except (http.client.HTTPException, OSError) as cut:
                raise LedgerUnavailable(
                    f"{base}: 应答 {e.code} 未读完（{type(cut).__name__}）"
                ) from None
        except (urllib.error.URLError, OSError) as e:
            raise LedgerUnavailable(f"{base}: {getattr(e, 'reason', e)}") from None
        except (http.client.HTTPException, UnicodeDecodeError) as e:
            # not HTTP, cut short, not UTF-8: something answers there, not the ledger's API
            said = repr(str(e)[:80])  # its bytes quoted: no control character reaches a terminal
            raise LedgerUnavailable(f"{base}: 应答无法读取（{type(e).__name__}：{said}）") from None

    return send


class LedgerClient:
    def __init__(self, transport: Transport) -> None:
        self.send = transport

    def checkpoint(self) -> str:
        status, text = self.send("GET", "/checkpoint", None)
        if status != 200:
            raise LedgerUnavailable(f"GET /checkpoint 应答 {status}：{text[:200]}")
        return text

    def consistency(self, old: int, new: int) -> list[bytes]:
        status, text = self.send("GET", f"/proofs/consistency?old={old}&new={new}", None)
        if status != 200:
            raise LedgerUnavailable(f"GET /proofs/consistency 应答 {status}：{text[:200]}")
        try:
            return [base64.b64decode(h, validate=True) for h in json.loads(text)["proof"]]
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            raise LedgerUnavailable(f"一致性证明不是哈希列表：{e}") from None

    def post_cosignature(self, size: int, line: str) -> tuple[int, str]:
        return self.send("POST", f"/checkpoints/{size}/cosignatures", {"line": line})
