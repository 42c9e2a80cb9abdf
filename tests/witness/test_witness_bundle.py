"""Cosignatures in the bundle and the verifier's requirement of them; the attacker's tries:
a forged cosignature, a removed witness's later one, an export nobody witnessed."""

from __future__ import annotations

import json

import pytest

from ledger.errors import Forbidden
from ledger.export import export_bundle
from ledger.witnesses import Witnesses
from verify.__main__ import main as verify_main
from verify.keys import ALG_COSIGNATURE_V1, SignerKey
from verify.note import Signature, cosign, parse_note

from ..tamper.bundle_edits import EditableBundle
from .conftest import grow


def _verify(path, ledger, *extra, capsys):
    status = verify_main([str(path), "--key", str(ledger.signer.verifier), "--json", *extra])
    report = json.loads(capsys.readouterr().out)
    return status, report


def _step12(report):
    return next(s for s in report["steps"] if s["step"] == 12)


def test_a_witnessed_export_verifies_and_an_unwitnessed_one_names_its_events(
    served, make_witness, witness_key, tmp_path, capsys
):
    ledger, client = served
    witness = make_witness(client, ledger)
    assert witness.round().ok
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)
    wanted = ["--witness", str(witness_key.verifier), "--min-cosignatures", "1"]

    status, report = _verify(out, ledger, *wanted, capsys=capsys)
    assert status == 0, _step12(report)
    assert "auditor.example/w1" in _step12(report)["detail"]

    grow(ledger, 2)  # sealed, exported, never shown to the witness
    export_bundle(ledger, out)
    status, report = _verify(out, ledger, *wanted, capsys=capsys)
    assert status == 1
    [failure] = _step12(report)["failures"]
    assert failure["event"] == 3
    assert "事件 3 至 4 没有被带有所给见证方 1 个有效联署签名的检查点覆盖" in (failure["message"])
    assert "auditor.example/w1" in failure["message"]
    # Without --witness nothing is required: the same bundle verifies.
    assert _verify(out, ledger, capsys=capsys)[0] == 0

    assert witness.round().ok
    export_bundle(ledger, out)
    assert _verify(out, ledger, *wanted, capsys=capsys)[0] == 0


def test_two_cosignatures_are_required_when_asked_and_one_is_missing(
    served, make_witness, witness_key, tmp_path, capsys
):
    ledger, client = served
    second = SignerKey.generate("auditor.example/w2", alg=ALG_COSIGNATURE_V1)
    Witnesses(ledger).add(str(second.verifier), None, "the second")
    assert make_witness(client, ledger).round().ok
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)
    keys = ["--witness", str(witness_key.verifier), "--witness", str(second.verifier)]

    status, report = _verify(out, ledger, *keys, "--min-cosignatures", "2", capsys=capsys)

    assert status == 1
    [failure] = _step12(report)["failures"]
    assert "auditor.example/w2" in failure["message"] and "从未计入" in failure["message"]
    assert "w1+" not in failure["message"]  # the one that cosigned is not named missing
    assert _verify(out, ledger, *keys, "--min-cosignatures", "1", capsys=capsys)[0] == 0


def _forge(line_of: Signature) -> str:
    blob = bytearray(line_of.signature)
    blob[-1] ^= 0x01
    return Signature(line_of.name, line_of.key_id, bytes(blob)).to_line()


def test_a_forged_cosignature_is_refused_by_the_ledger(served, witness_key):
    ledger, client = served
    text = parse_note(client.get("/checkpoint").text).text
    size = ledger.sealer.latest().size
    forged = _forge(cosign(text, witness_key, 1_790_000_000))

    response = client.post(f"/checkpoints/{size}/cosignatures", json={"line": forged})

    assert response.status_code == 422
    assert "验证不通过" in response.json()["detail"]
    assert ledger.sealer.cosignature_lines() == {}


def test_a_forged_cosignature_in_the_bundle_fails_the_verifier(
    served, make_witness, witness_key, tmp_path, capsys
):
    ledger, client = served
    assert make_witness(client, ledger).round().ok
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)
    bundle = EditableBundle.from_bytes(out.read_bytes())
    note = parse_note(bundle.checkpoints[-1])
    real = note.signatures[-1]
    bundle.checkpoints[-1] = note.text + "\n" + note.signatures[0].to_line() + _forge(real)
    out.write_bytes(bundle.to_bytes())

    for extra in ([], ["--witness", str(witness_key.verifier)]):
        status, report = _verify(out, ledger, *extra, capsys=capsys)
        assert status == 1
        messages = [f["message"] for f in _step12(report)["failures"]]
        assert any("未通过验证，系伪造或被改动" in m for m in messages), messages


def test_a_removed_witness_is_refused_by_the_ledger_and_not_counted_by_the_verifier(
    served, make_witness, witness_key, tmp_path, capsys
):
    ledger, client = served
    witness = make_witness(client, ledger, clock=lambda: 1_000_000_000.0)
    assert witness.round().ok  # cosigned checkpoint of size 3, at a time long ago
    Witnesses(ledger).remove(str(witness_key.verifier), None, "its key was lost")
    grow(ledger)

    outcome = witness.round()
    assert not outcome.ok and "403" in outcome.message
    with pytest.raises(Forbidden):
        Witnesses(ledger).accept_cosignature(
            ledger.sealer.latest().size,
            cosign(
                parse_note(ledger.sealer.latest().note).text, witness_key, 2_000_000_000
            ).to_line(),
        )

    # The operator slips the removed witness's later cosignatures into the bundle: on the latest
    # checkpoint, and on the one it cosigned before, dated after its removal.
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)
    bundle = EditableBundle.from_bytes(out.read_bytes())
    for n in (len(bundle.checkpoints) - 1, 2):
        note = parse_note(bundle.checkpoints[n])
        late = cosign(note.text, witness_key, 2_000_000_000).to_line()
        bundle.checkpoints[n] = note.text + "\n" + note.signatures[0].to_line() + late
    out.write_bytes(bundle.to_bytes())

    status, report = _verify(out, ledger, "--witness", str(witness_key.verifier), capsys=capsys)
    assert status == 1
    [failure] = _step12(report)["failures"]
    assert "从未计入" in failure["message"]
    assert (
        "不早于其在叶子" in failure["message"] or "移除，在该检查点的树之内" in (failure["message"])
    )


def test_more_cosignatures_asked_than_witnesses_given_is_unusable(served, tmp_path, capsys):
    ledger, _ = served
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)
    assert verify_main([str(out), "--min-cosignatures", "1"]) == 2
    assert "请至少给出同样多的 --witness 公钥" in capsys.readouterr().err


def test_the_bundle_cosignature_is_the_witness_line_as_posted(served, make_witness, tmp_path):
    ledger, client = served
    assert make_witness(client, ledger).round().ok
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)
    last = json.loads(out.read_bytes().split(b"\n")[-3])["checkpoint"]
    assert last == client.get("/checkpoint").text
    sig = parse_note(last).signatures[-1]
    assert len(sig.key_id + sig.signature) == 4 + 8 + 64  # key id, timestamp, signature
