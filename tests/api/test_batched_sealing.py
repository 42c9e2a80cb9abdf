"""Batched sealing as a client sees it: a write says its ledger position, the client waits for
the checkpoint that covers it and proves its event's inclusion; a crash loses no event to the
seal; a failing sealer shows on /health."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.application import LedgerApp
from ledger.registry.service import Registry
from ledger.setup import create_ledger
from verify.events import decode_record
from verify.merkle import leaf_hash, verify_inclusion
from verify.note import parse_checkpoint, verify_note

START_SECONDS = 60  # a bound on the service's start-up, never a measured time


def _admin(app: LedgerApp) -> str:
    registry = Registry(app)
    registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, by=None)
    spec = {"code": "admin", "name": "周敏", "division": "bgs", "roles": ["admin"]}
    registry.register_official(spec, by=None)
    return str(registry.issue_token("admin", by=None))


def _division(n: int) -> dict[str, str]:
    return {"code": f"d{n}", "name": f"第{n}科", "kind": "business_division"}


def _check_inclusion(proof: dict[str, Any], record: bytes, note: str, key: Any) -> None:
    """Check an inclusion proof as a witness would: with verify/ alone."""
    checkpoint = parse_checkpoint(verify_note(note, [key])[0].text)
    assert proof["tree_size"] == checkpoint.size
    hashes = [base64.b64decode(h) for h in proof["proof"]]
    verify_inclusion(leaf_hash(record), proof["index"], checkpoint.size, hashes, checkpoint.root)


@pytest.fixture
def service(new_ledger):  # type: ignore[no-untyped-def]
    """A ledger sealed in rounds (every 50 ms), with an admin's token."""
    app = new_ledger(seal_interval=0.05)
    app.create_ledger()
    app.set_default_policy()
    token = _admin(app)
    return app, {"Authorization": f"Bearer {token}"}


def test_concurrent_writes_say_their_position_and_one_wait_covers_them_all(service):
    app, auth = service
    with TestClient(create_app(app)) as client:  # the lifespan runs the sealing task

        def add(n: int) -> tuple[int, str]:
            response = client.post("/divisions", json=_division(n), headers=auth)
            assert response.status_code == 201, response.text
            return int(response.headers["Ledger-Position"]), response.json()["code"]

        with ThreadPoolExecutor(8) as pool:
            written = list(pool.map(add, range(16)))
        last = max(position for position, _ in written)
        response = client.get(f"/checkpoint?wait_for={last}&timeout=30")
        assert response.status_code == 200, response.text
        size = parse_checkpoint(verify_note(response.text, [app.signer.verifier])[0].text).size

        records = {n.id: n.state for n in app.notifications()}
        for position, code in written:
            # The position a write answers names that write's own event ...
            envelope = decode_record(records[position]).envelope
            assert (envelope["type"], envelope["payload"]["code"]) == ("division.created", code)
            # ... and the checkpoint waited for proves it is in the log.
            proof = client.get(f"/proofs/inclusion?position={position}&size={size}").json()
            _check_inclusion(proof, records[position], response.text, app.signer.verifier)


def test_waiting_for_a_position_not_yet_recorded_is_404_and_an_unsealed_one_is_503(new_ledger):
    app = new_ledger(seal_interval=60)
    app.create_ledger()
    client = TestClient(create_app(app))  # no lifespan: no sealing task runs
    assert client.get("/checkpoint?wait_for=5").status_code == 404
    response = client.get("/checkpoint?wait_for=1&timeout=0.05")
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert "位置 1 已存储，但尚无检查点覆盖它" in response.json()["detail"]
    assert client.get("/checkpoint?wait_for=1&timeout=31").status_code == 422
    app.seal()
    assert client.get("/checkpoint?wait_for=1&timeout=0.05").status_code == 200


def test_shutting_the_service_down_seals_the_tail(new_ledger):
    app = new_ledger(seal_interval=60)
    app.create_ledger()
    app.set_default_policy()
    token = _admin(app)
    with TestClient(create_app(app)) as client:
        assert app.wait_sealed(app.recorder.max_notification_id(), 30) is not None
        response = client.post(
            "/divisions", json=_division(1), headers={"Authorization": f"Bearer {token}"}
        )
        position = int(response.headers["Ledger-Position"])
        assert client.get("/health").json()["sealed_position"] < position
    assert app.sealer.latest().last_notification_id == position


def test_a_failing_sealer_shows_on_health_and_the_next_round_retries(new_ledger, monkeypatch):
    app = new_ledger(seal_interval=60)
    app.create_ledger()
    client = TestClient(create_app(app))
    real_seal = app.sealer.seal
    monkeypatch.setattr(app.sealer, "seal", lambda: (_ for _ in ()).throw(OSError("disk full")))
    app.sealing.run_round()
    health = client.get("/health").json()
    assert health["status"] == "degraded" and health["sealer_error"] == "OSError: disk full"
    assert health["sealed"] == 0

    monkeypatch.setattr(app.sealer, "seal", real_seal)
    app.sealing.run_round()
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["sealer_error"] is None
    assert health["sealed"] == 1 and health["sealed_position"] == 1


def test_proofs_take_a_leaf_index_or_a_ledger_position_but_not_both(new_ledger):
    app = new_ledger(seal_interval=0)
    app.create_ledger()
    client = TestClient(create_app(app))
    assert client.get("/proofs/inclusion?position=1").json()["index"] == 0
    assert client.get("/proofs/inclusion?index=0&position=1").status_code == 422
    assert client.get("/proofs/inclusion").status_code == 422
    assert client.get("/proofs/inclusion?position=9").status_code == 404


# --- a crash right after an acknowledged command ----------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(base: str, path: str) -> Any:
    with urllib.request.urlopen(base + path, timeout=40) as response:  # noqa: S310 - loopback
        body = response.read()
        kind = response.headers.get("content-type", "")
        return json.loads(body) if "json" in kind else body.decode("utf-8")


def _start(data: Path, port: int) -> subprocess.Popen[bytes]:
    log = (data.parent / f"serve-{port}.log").open("wb")  # outside the private directory
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--data", str(data), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            if _get(base, "/health")["sealer_last_round"] is not None:  # its first round ran
                return process
        except (urllib.error.URLError, ConnectionError):
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise AssertionError((data.parent / f"serve-{port}.log").read_text(errors="replace"))


def test_an_event_acknowledged_just_before_a_kill_9_is_sealed_by_the_next_start(tmp_path):
    from ledger.config import CONFIG_FILE, DEFAULT_DATABASE, Settings
    from ledger.datadir import secure
    from ledger.keyfile import create_key

    data = tmp_path / "data"
    secure(data)  # the service refuses a data directory others can read
    settings = Settings(data, "drawledger.test/crash", DEFAULT_DATABASE, data / "keys" / "k.key")
    create_key(settings.key_file, settings.origin)
    settings.write()
    config = data / CONFIG_FILE  # a round a minute: only start and shutdown seal here
    config.write_text(
        config.read_text(encoding="utf-8").replace("seal_interval = 1.0", "seal_interval = 60.0"),
        encoding="utf-8",
    )
    app = create_ledger(data)
    token = _admin(app)
    app.seal()
    app.close()

    process = _start(data, _free_port())
    port = int(process.args[-1])  # type: ignore[index]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/divisions",
        data=json.dumps(_division(1)).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=40) as response:  # noqa: S310 - loopback
        assert response.status == 201
        position = int(response.headers["Ledger-Position"])
    os.kill(process.pid, signal.SIGKILL)  # no shutdown, no last round
    process.wait()

    crashed = LedgerApp.open(data, embedded_sealing=False)
    try:
        assert crashed.recorder.max_notification_id() == position  # acknowledged: stored
        assert crashed.sealer.latest().last_notification_id < position  # and not sealed
        record = next(crashed.notifications(start=position)).state
    finally:
        crashed.close()

    restarted = _start(data, _free_port())
    base = f"http://127.0.0.1:{restarted.args[-1]}"  # type: ignore[index]
    try:
        note = _get(base, f"/checkpoint?wait_for={position}&timeout=30")
        key = settings_key(data)
        size = parse_checkpoint(verify_note(note, [key])[0].text).size
        proof = _get(base, f"/proofs/inclusion?position={position}&size={size}")
        _check_inclusion(proof, record, note, key)
    finally:
        restarted.send_signal(signal.SIGINT)
        restarted.wait(timeout=START_SECONDS)
    # the operator is told what the start found, in Chinese: how many, where
    said = (data.parent / f"serve-{restarted.args[-1]}.log").read_text(encoding="utf-8")  # type: ignore[index]
    assert f"启动时发现 1 个已记录、尚未封存的事件（账本位置 {position} 至 {position}" in said, said


def settings_key(data: Path) -> Any:
    from ledger.config import Settings
    from ledger.keyfile import load_key

    return load_key(Settings.load(data).key_file).verifier
