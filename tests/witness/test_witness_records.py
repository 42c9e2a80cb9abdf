"""Witnesses are added and removed by signed events, by the roles the policy names; the
deprecated TOML setting is migrated into the log once; the CLI's doors."""

from __future__ import annotations

import stat

import pytest

from api.cli import main as cli_main
from ledger.actors import SYSTEM
from ledger.application import LedgerApp
from ledger.config import Settings
from ledger.errors import BadInput, Conflict, Forbidden
from ledger.registry.service import Registry
from ledger.setup import create_data_dir
from ledger.witness import MIGRATED
from ledger.witnesses import Witnesses
from verify.keys import ALG_COSIGNATURE_V1, SignerKey


def test_only_the_roles_the_policy_names_manage_witnesses(ledger, witness_key):
    registry = Registry(ledger)
    registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, None)
    for code, role in (("bgs-admin", "admin"), ("bgs-legal", "legal_office")):
        official = {"code": code, "name": code, "division": "bgs", "roles": [role]}
        registry.register_official(official, None)
    witnesses = Witnesses(ledger)

    with pytest.raises(Forbidden, match="admin"):
        witnesses.add(str(witness_key.verifier), "bgs-legal", "not theirs to add")
    witnesses.add(str(witness_key.verifier), "bgs-admin", "the audit office")

    policy = {**ledger.policy_in_force(), "version": "v-legal"}
    policy["authority"] = {"manage_witnesses": ["legal_office"]}
    ledger.set_policy(policy, SYSTEM)
    with pytest.raises(Forbidden, match="legal_office"):
        witnesses.remove(str(witness_key.verifier), "bgs-admin", "no longer admin's")
    witnesses.remove(str(witness_key.verifier), "bgs-legal", "its key was lost")
    assert witnesses.in_force() == []
    assert [e["type"] for e in witnesses.history()] == ["witness.added", "witness.removed"]


def test_a_removed_key_is_never_added_again_and_a_ledger_key_is_no_witness(ledger, witness_key):
    witnesses = Witnesses(ledger)
    witnesses.add(str(witness_key.verifier), None)
    with pytest.raises(Conflict, match="is a witness already"):
        witnesses.add(str(witness_key.verifier), None)
    with pytest.raises(BadInput, match="reason"):
        witnesses.remove(str(witness_key.verifier), None, "  ")
    witnesses.remove(str(witness_key.verifier), None, "retired")
    with pytest.raises(Conflict, match="never added again"):
        witnesses.add(str(witness_key.verifier), None)
    with pytest.raises(BadInput, match="cosignature/v1"):
        witnesses.add(str(ledger.signer.verifier), None)


def test_toml_witnesses_are_migrated_into_the_log_once_and_a_removal_sticks(tmp_path):
    data = tmp_path / "ledger"
    create_data_dir(data, "drawledger.test/migrate")
    witness = SignerKey.generate("auditor.example/old", alg=ALG_COSIGNATURE_V1)
    settings = Settings.load(data)
    toml = (data / "drawledger.toml").read_text()
    (data / "drawledger.toml").write_text(
        toml.replace("witnesses = []", f'witnesses = ["{witness.verifier}"]')
    )
    assert Settings.load(data).witnesses == (str(witness.verifier),)
    del settings

    app = LedgerApp.open(data)
    assert Witnesses(app).in_force() == [str(witness.verifier)]
    assert Witnesses(app).history()[0]["reason"] == MIGRATED
    Witnesses(app).remove(str(witness.verifier), None, "retired")
    app.close()

    app = LedgerApp.open(data)  # the TOML still lists it: it is not added back
    assert Witnesses(app).in_force() == []
    assert len(Witnesses(app).history()) == 2
    app.close()


def test_witness_key_is_written_0600_and_never_overwritten(tmp_path, capsys):
    out = tmp_path / "w.key"
    assert cli_main(["witness-key", "--name", "auditor.example/w", "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "见证方公钥：auditor.example/w+" in capsys.readouterr().out
    assert cli_main(["witness-key", "--name", "auditor.example/w", "--out", str(out)]) == 1
    assert "见证方密钥从不覆盖" in capsys.readouterr().err


def test_the_witness_refuses_a_readable_key_and_an_unknown_ledger_key(tmp_path, capsys):
    key = tmp_path / "w.key"
    cli_main(["witness-key", "--name", "auditor.example/w", "--out", str(key)])
    capsys.readouterr()
    args = ["witness", "--ledger", "http://127.0.0.1:9", "--key", str(key)]
    args += ["--state", str(tmp_path / "state"), "--once"]

    assert cli_main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "不知道账本公钥：请用 --log-key 给出" in err

    key.chmod(0o644)
    assert cli_main(args) == 1
    assert "可被他人读取" in capsys.readouterr().err


def test_the_witness_says_in_one_line_when_the_ledger_cannot_be_reached(tmp_path, capsys):
    key = tmp_path / "w.key"
    cli_main(["witness-key", "--name", "auditor.example/w", "--out", str(key)])
    ledger_key = SignerKey.generate("drawledger.test/x").verifier
    args = ["witness", "--ledger", "http://127.0.0.1:9", "--key", str(key), "--once"]
    args += ["--state", str(tmp_path / "state"), "--log-key", str(ledger_key)]
    capsys.readouterr()

    assert cli_main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("无法访问账本（unavailable）：账本没有应答：") and err.count("\n") == 1
    assert (tmp_path / "state" / "log.pub").read_text() == f"{ledger_key}\n"


def test_the_verifier_finds_a_witness_added_by_a_role_the_policy_does_not_name(witness_key):
    from verify.authority_replay import replay_authority

    operator = ("drawledger", "system", "drawledger")
    key_and_time = (str(witness_key.verifier), "2026-12-02T10:00:00.000000Z")
    report = replay_authority(
        [
            (
                0,
                "official.registered",
                "o1",
                (*operator, ("bgs-clerk", "bgs", ["clerk"]), None, None, None),
            ),
            (
                1,
                "official.registered",
                "o2",
                (*operator, ("bgs-admin", "bgs", ["admin"]), None, None, None),
            ),
            (2, "witness.added", "w1", ("bgs-clerk", "clerk", "bgs", key_and_time, *(None,) * 3)),
            (3, "witness.added", "w2", ("bgs-admin", "admin", "bgs", key_and_time, *(None,) * 3)),
        ]
    )

    [finding] = report.findings
    assert finding.position == 2
    assert "现行制度只允许 admin 管理见证方" in finding.message


def test_a_cosignature_of_a_checkpoint_from_before_the_witness_was_added_is_refused(
    ledger, witness_key
):
    from verify.note import cosign, parse_note

    before = ledger.sealer.latest()  # size 2: created, default policy
    Witnesses(ledger).add(str(witness_key.verifier), None)
    line = cosign(parse_note(before.note).text, witness_key, 1_790_000_000).to_line()

    with pytest.raises(Forbidden, match="added after the checkpoint of size 2"):
        Witnesses(ledger).accept_cosignature(before.size, line)
    assert ledger.sealer.cosignature_lines() == {}


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\n\xb1\xff\x00\x9c",  # not UTF-8
        b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\nabc",  # cut short
        b"\x00\x01garbage, not HTTP\r\n\r\n",  # not HTTP at all
        b"HTTP/1.0 503 Busy\r\nContent-Length: 1000\r\n\r\nabc",  # an error, cut short
    ],
    ids=["not-utf-8", "cut-short", "not-http", "error-cut-short"],
)
def test_the_witness_says_in_one_line_when_the_ledger_answers_garbage(tmp_path, capsys, answer):
    """Something answers at the ledger's address, but not its API: one line, exit 1, the state
    untouched — not a traceback that would end a witness running without --once."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    key = tmp_path / "w.key"
    cli_main(["witness-key", "--name", "auditor.example/w", "--out", str(key)])
    ledger_key = SignerKey.generate("drawledger.test/x").verifier
    args = ["witness", "--ledger", f"http://127.0.0.1:{port}", "--key", str(key), "--once"]
    args += ["--state", str(tmp_path / "state"), "--log-key", str(ledger_key)]
    capsys.readouterr()
    try:
        assert cli_main(args) == 1
    finally:
        server.close()
    err = capsys.readouterr().err
    assert err.startswith("无法访问账本（unavailable）：账本没有应答：") and err.count("\n") == 1, (
        err
    )
    assert not (tmp_path / "state" / "checkpoint").exists()
