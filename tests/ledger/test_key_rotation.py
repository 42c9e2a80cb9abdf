"""Key rotation and revocation, end to end on a data directory: the verifier follows the key
history from the first key (pinned with --key) and rejects what a key signed outside its
validity."""

from __future__ import annotations

import json

import pytest

from api.cli import main as cli_main
from ledger.application import LedgerApp
from ledger.config import Settings
from ledger.export import export_bundle
from ledger.key_rotation import end_overlap, revoke, rotate
from ledger.keyfile import load_key, load_key_history
from ledger.registry.service import Registry
from ledger.setup import create_data_dir
from ledger.storage import persistence_env
from verify.__main__ import main as verify_main
from verify.note import parse_note, verify_note

ORIGIN = "drawledger.test/rotation"


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "ledger"
    create_data_dir(path, ORIGIN)
    return path


def _record(data, n=1, signer=None):
    """``n`` divisions (an act the operator records on its own), by the data directory's key
    (or another signer's process)."""
    if signer is None:
        app = LedgerApp.open(data)
    else:
        settings = Settings.load(data)
        app = LedgerApp(
            persistence_env(settings.database, data),
            signer,
            ORIGIN,
            verifiers=load_key_history(data),
        )
    try:
        for _ in range(n):
            count = len(list(app.notifications(topics=["division.created"])))
            spec = {"code": f"d{count + 1}", "name": f"处室{count + 1}", "kind": "other_unit"}
            Registry(app).add_division(spec, by=None)
        app.seal()
    finally:
        app.close()


def _verify(data, tmp_path, capsys, *extra):
    app = LedgerApp.open(data)
    try:
        export_bundle(app, tmp_path / "b.jsonl")
    finally:
        app.close()
    first = (data / "keys" / "ledger.pub").read_text().strip()
    status = verify_main([str(tmp_path / "b.jsonl"), "--key", first, "--json", *extra])
    return status, json.loads(capsys.readouterr().out)


def _failures(report, step):
    return [f for s in report["steps"] if s["step"] == step for f in s["failures"]]


def test_a_rotated_ledger_verifies_from_its_first_key_and_overlap_checkpoints_carry_both(
    data, tmp_path, capsys
):
    first = load_key(data / "keys" / "ledger.key")
    _record(data, 2)
    old, new, position, _ = rotate(data, "yearly rotation")
    assert str(old) == str(first.verifier)
    _record(data, 3)  # signed by the new key, checkpoints co-signed by the old one

    app = LedgerApp.open(data)
    try:
        assert str(app.signer.verifier) == str(new)
        notes = [c.note for c in app.sealer.checkpoints()]
    finally:
        app.close()
    # The checkpoint covering the rotation, and every one after it, carries both signatures
    # (one checkpoint per command here: the rotation's, then _record's).
    assert len(parse_note(notes[-3]).signatures) == 1
    for note in notes[-2:]:
        assert [s.key_id for s in parse_note(note).signatures] in (
            [old.key_id, new.key_id],
            [new.key_id, old.key_id],
        )
    # A witness who knows only the old key can still check the latest checkpoint.
    assert verify_note(notes[-1], [old])[1] == [ORIGIN]

    status, report = _verify(data, tmp_path, capsys)
    assert status == 0, [s for s in report["steps"] if not s["ok"]]
    assert new.key_id.hex() in report["anchor"] and old.key_id.hex() in report["anchor"]

    assert end_overlap(data)
    _record(data)
    app = LedgerApp.open(data)
    try:
        assert len(parse_note(app.sealer.latest().note).signatures) == 1
    finally:
        app.close()
    assert _verify(data, tmp_path, capsys)[0] == 0


def test_an_event_signed_by_the_old_key_after_the_switch_is_rejected(data, tmp_path, capsys):
    first = load_key(data / "keys" / "ledger.key")
    rotate(data, "the old key may have leaked")
    _record(data)  # the new key signs: the old one is retired here
    _record(data, signer=first)  # whoever kept the old key writes into the store

    status, report = _verify(data, tmp_path, capsys)

    assert status == 1
    [failure] = _failures(report, 3)
    assert "在其有效期之外签名：已于叶子" in failure["message"]


def test_a_revoked_key_is_not_trusted_from_the_position_the_revocation_names(
    data, tmp_path, capsys
):
    first = load_key(data / "keys" / "ledger.key")
    rotate(data, "rotation")
    _record(data, signer=first)  # a process still running with the old key, after the rotation
    app = LedgerApp.open(data)
    try:
        suspect = app.recorder.max_notification_id()
    finally:
        app.close()
    _record(data)  # the new key signs
    assert _verify(data, tmp_path, capsys)[0] == 0  # within the old key's validity, so far

    index = revoke(data, str(first.verifier), suspect, "that process was not ours")

    status, report = _verify(data, tmp_path, capsys)
    assert status == 1
    [failure] = _failures(report, 3)
    assert failure["event"] == index
    assert "起吊销" in failure["message"]


def test_the_key_in_use_cannot_be_revoked_and_bad_input_is_one_line(data, capsys):
    key = (data / "keys" / "ledger.pub").read_text().strip()
    args = ["keys", "revoke", key, "--from", "1", "--data", str(data), "--reason", "stolen"]
    assert cli_main(args) == 1
    err = capsys.readouterr().err
    assert "请先轮换，再吊销" in err and err.count("\n") == 1

    assert cli_main(["keys", "rotate", "--data", str(data), "--reason", "yearly"]) == 0
    assert "已在账本位置" in capsys.readouterr().out
    args[4] = "999"
    assert cli_main(args) == 1
    assert "日志的位置为 1 到" in capsys.readouterr().err
    assert cli_main(["keys", "list", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("在用：") and "此前：" + key in out


def test_a_witness_that_knows_the_old_key_follows_the_overlap_and_then_needs_the_new_key(
    data, tmp_path
):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ledger.witnesses import Witnesses
    from verify.keys import ALG_COSIGNATURE_V1, SignerKey
    from witness.auditor import COSIGNED, REFUSED, Witness
    from witness.ledger_api import LedgerClient
    from witness.state import State

    from ..witness.conftest import transport_of

    witness_key = SignerKey.generate("auditor.example/w", alg=ALG_COSIGNATURE_V1)
    first = load_key(data / "keys" / "ledger.key")

    def round_on(witness: Witness) -> str:
        app = LedgerApp.open(data)
        try:
            witness.client = LedgerClient(transport_of(TestClient(create_app(app))))
            return witness.round().status
        finally:
            app.close()

    app = LedgerApp.open(data)
    Witnesses(app).add(str(witness_key.verifier), None, "the audit office")
    app.seal()
    app.close()
    witness = Witness(None, witness_key, [first.verifier], State(tmp_path / "w"))  # type: ignore[arg-type]
    assert round_on(witness) == COSIGNED

    _, new, _, _ = rotate(data, "yearly")
    _record(data, 2)
    assert round_on(witness) == COSIGNED  # the old key still co-signs every checkpoint

    end_overlap(data)
    _record(data)
    assert round_on(witness) == REFUSED  # only the new key signs now
    witness.log_keys.append(new)  # what --log-key NEW.pub does
    assert round_on(witness) == COSIGNED


# -- persons' references across a rotation (ledger/person_refs.py) -----------------------------


def _person_row(data, tmp_path):
    """The demo's one individual as an export writes it: header and row, re-importable."""
    out = tmp_path / "targets.csv"
    assert cli_main(["export-registry", "targets", "--data", str(data), "--out", str(out)]) == 0
    header, *rows = out.read_text(encoding="utf-8").splitlines()
    [person] = [row for row in rows if ",个人," in row]
    one = tmp_path / "person.csv"
    one.write_text(f"{header}\n{person}\n", encoding="utf-8")
    return one


def _import_person(data, one, capsys):
    args = ["import", "targets", str(one), "--data", str(data)]
    assert cli_main([*args, "--on-request-of", "hhc-clerk", "--request-ref", "r"]) == 0
    return capsys.readouterr().out


@pytest.fixture
def bureau(tmp_path, capsys):
    data = tmp_path / "bureau"
    args = ["demo", "--data", str(data), "--targets", "40", "--registry-only"]
    assert cli_main(args) == 0
    capsys.readouterr()
    return data


def test_a_person_re_imported_after_a_rotation_is_the_same_target_not_a_second(
    bureau, tmp_path, capsys
):
    # The reference's key was the signing key in use: after a rotation the same person got
    # another reference, and re-importing the registry registered them a second time.
    one = _person_row(bureau, tmp_path)
    assert cli_main(["keys", "rotate", "--data", str(bureau), "--reason", "年度轮换"]) == 0
    said = _import_person(bureau, one, capsys)
    assert "记录 0 行" in said and "未变 1 行" in said, said
    app = LedgerApp.open(bureau)
    try:
        assert len(list(app.notifications(topics=["target.registered"]))) == 40
    finally:
        app.close()


def test_a_data_directory_older_than_the_file_keeps_its_references(bureau, tmp_path, capsys):
    # Made before keys/person-ref.key existed: the file is made from the ledger's first key
    # (the key in use, never rotated; after a rotation, keys/ledger.key, which it keeps).
    from ledger import person_refs

    one = _person_row(bureau, tmp_path)
    made = (bureau / person_refs.FILE).read_text()
    (bureau / person_refs.FILE).unlink()
    assert "未变 1 行" in _import_person(bureau, one, capsys)
    assert (bureau / person_refs.FILE).read_text() == made
    assert oct((bureau / person_refs.FILE).stat().st_mode & 0o777) == oct(0o600)

    (bureau / person_refs.FILE).unlink()  # and rotated before this code: from keys/ledger.key
    assert cli_main(["keys", "rotate", "--data", str(bureau), "--reason", "年度轮换"]) == 0
    (bureau / person_refs.FILE).unlink()
    assert "未变 1 行" in _import_person(bureau, one, capsys)
    assert (bureau / person_refs.FILE).read_text() == made


def test_without_the_file_or_the_first_key_no_new_references_are_made(bureau, tmp_path, capsys):
    from ledger import person_refs

    one = _person_row(bureau, tmp_path)
    assert cli_main(["keys", "rotate", "--data", str(bureau), "--reason", "年度轮换"]) == 0
    assert cli_main(["keys", "end-overlap", "--data", str(bureau)]) == 0
    (bureau / person_refs.FILE).unlink()
    (bureau / "keys" / "ledger.key").unlink()  # the first key lost as well
    args = ["import", "targets", str(one), "--data", str(bureau)]
    assert cli_main([*args, "--on-request-of", "hhc-clerk", "--request-ref", "r"]) == 1
    err = capsys.readouterr().err
    assert "person-ref.key" in err and "原文" not in err, err
    app = LedgerApp.open(bureau)
    try:
        assert len(list(app.notifications(topics=["target.registered"]))) == 40
    finally:
        app.close()


@pytest.mark.parametrize(
    ("content", "mode", "says"),
    [("00" * 31, 0o600, "格式有误"), ("ab" * 32, 0o644, "可被他人读取")],
)
def test_a_references_key_file_malformed_or_open_to_others_is_refused(
    bureau, tmp_path, capsys, content, mode, says
):
    from ledger import person_refs

    one = _person_row(bureau, tmp_path)
    path = bureau / person_refs.FILE
    path.write_text(content + "\n")
    path.chmod(mode)
    args = ["import", "targets", str(one), "--data", str(bureau)]
    assert cli_main([*args, "--on-request-of", "hhc-clerk", "--request-ref", "r"]) == 1
    assert says in capsys.readouterr().err


def test_a_rotation_killed_after_recording_is_told_on_restart_and_finished_by_rotating_again(
    data, tmp_path, capsys
):
    """``keys rotate`` killed (SIGKILL) between recording ``ledger.key_rotated`` and switching
    the settings: ``serve`` refuses to start, saying so in Chinese and how to finish; ``keys
    rotate`` run again finishes it with the key recorded (no second rotation, no new key), and
    the ledger verifies with what is signed after it."""
    import signal
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    _record(data)
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        import ledger.key_rotation as rotation
        rotation._write = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
        from api.cli import main
        sys.exit(main(["keys", "rotate", "--data", {str(data)!r}, "--reason", "yearly"]))
        """
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL
    [made] = sorted((data / "keys").glob("ledger-*.key"))
    assert Settings.load(data).key_file.name == "ledger.key"  # the settings were not switched

    serve = [sys.executable, "-m", "api.cli", "serve", "--data", str(data), "--port", "8168"]
    try:  # refused before it listens: bounded, a service that starts is a failure here
        refused = subprocess.run(serve, cwd=root, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("serve started on a ledger whose key rotation was cut short")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    err = refused.stderr
    assert "上一次 'drawledger keys rotate' 在记录后中断" in err and made.name in err, err
    assert "drawledger keys rotate --data" in err

    # an earlier rotation's key file, cut short by a kill before it recorded anything
    orphan = data / "keys" / "ledger-20000101T000000Z.key"
    orphan.write_text("drawledger")
    orphan.chmod(0o600)
    capsys.readouterr()
    assert cli_main(["keys", "rotate", "--data", str(data), "--reason", "again"]) == 0
    assert "现已完成" in capsys.readouterr().out
    assert sorted((data / "keys").glob("ledger-*.key")) == [orphan, made]  # no new key
    settings = Settings.load(data)
    assert settings.key_file == made and settings.overlap_key.name == "ledger.key"
    app = LedgerApp.open(data)
    try:
        rotations = list(app.notifications(topics=["ledger.key_rotated"]))
        assert len(rotations) == 1  # finished, not rotated twice
    finally:
        app.close()
    _record(data)  # signed by the new key
    status, report = _verify(data, tmp_path, capsys)
    assert status == 0, report
