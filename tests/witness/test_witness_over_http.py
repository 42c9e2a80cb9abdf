"""The witness command against the service on loopback over real HTTP (uvicorn, one worker):
two rounds, the second after new events, then a verified export requiring its cosignature."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn

from api.app import create_app
from api.cli import main as cli_main
from ledger.export import export_bundle
from ledger.witnesses import Witnesses
from verify.__main__ import main as verify_main
from verify.keys import parse_signer_key

from .conftest import grow


@pytest.fixture
def service(ledger):
    server = uvicorn.Server(
        uvicorn.Config(create_app(ledger), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


def test_the_witness_command_cosigns_over_http_and_the_export_verifies(
    ledger, service, tmp_path, capsys
):
    key_file = tmp_path / "w.key"
    assert cli_main(["witness-key", "--name", "auditor.example/http", "--out", str(key_file)]) == 0
    witness = parse_signer_key(key_file.read_text().strip())
    Witnesses(ledger).add(str(witness.verifier), None, "over http")
    (tmp_path / "ledger.pub").write_text(f"{ledger.signer.verifier}\n")
    args = ["witness", "--ledger", service, "--key", str(key_file), "--once"]
    args += ["--state", str(tmp_path / "state")]

    assert cli_main([*args, "--log-key", str(tmp_path / "ledger.pub")]) == 0
    grow(ledger, 2)
    assert cli_main(args) == 0  # the ledger key is kept in the state now
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == ["已联署（cosigned）：大小 3：已联署", "已联署（cosigned）：大小 5：已联署"]

    bundle = tmp_path / "b.jsonl"
    export_bundle(ledger, bundle)
    status = verify_main(
        [str(bundle), "--key", str(ledger.signer.verifier), "--witness", str(witness.verifier)]
    )
    assert status == 0, capsys.readouterr().out
