"""How a failure reads: the human report and ``--json`` name the step and the event position."""

from __future__ import annotations

import json

from verify.__main__ import main
from verify.report import UNANCHORED

from .bundle_edits import EditableBundle, with_payload_keeping_signature


def _tamper_one_payload(bundle_path, position: int) -> None:
    bundle = EditableBundle.from_bytes(bundle_path.read_bytes())
    bundle.events[position].record = with_payload_keeping_signature(
        bundle.events[position].record, text="edited"
    )
    bundle_path.write_bytes(bundle.to_bytes())


def test_the_json_report_of_a_tampered_bundle_names_the_failing_step_and_event(bundle_path, capsys):
    _tamper_one_payload(bundle_path, 12)

    status = main([str(bundle_path), "--json"])
    out, err = capsys.readouterr()

    assert status == 1  # a failure, anchored or not
    assert err == ""
    report = json.loads(out)
    assert report["ok"] is False
    step3 = next(s for s in report["steps"] if s["step"] == 3)
    assert step3["ok"] is False
    assert step3["name"] == "event records: form, digest, signature"
    assert [f["event"] for f in step3["failures"]] == [12]


def test_the_printed_report_marks_the_failing_step_and_the_event_position(
    bundle_path, capsys, ledger_key
):
    _tamper_one_payload(bundle_path, 12)

    status = main([str(bundle_path), "--key", str(ledger_key.verifier)])
    out, _ = capsys.readouterr()

    assert status == 1
    lines = out.splitlines()
    assert (
        "OK   (1) read bundle: 34 events, 34 checkpoints, origin 'drawledger.test/tamper'" in lines
    )
    step3 = lines.index(
        "FAIL (3) event records: form, digest, signature: 33 of 34 records check out"
    )
    assert (
        lines[step3 + 1]
        .strip()
        .startswith("position 13 (leaf 12): signature by drawledger.test/tamper")
    )
    assert lines[-1] == "FAIL: the bundle does not verify"


def test_the_printed_report_of_the_untouched_bundle_is_all_ok(bundle_path, capsys, ledger_key):
    status = main([str(bundle_path), "--key", str(ledger_key.verifier)])
    out, err = capsys.readouterr()

    assert status == 0
    assert err == ""
    lines = out.splitlines()
    steps = [line.split(")")[0] + ")" for line in lines if line.startswith(("OK   (", "FAIL ("))]
    assert steps == [f"OK   ({n})" for n in range(1, 13)]
    assert any(line.startswith("OK   authority: ") for line in lines)
    assert lines[-4:] == [
        f"key: {ledger_key.name}+{ledger_key.key_id.hex()}, pinned with --key",
        "the ledger is intact",
        "the rules were kept",
        "OK: the bundle verifies",
    ]


def test_without_an_anchor_the_first_and_last_lines_say_it_proves_only_consistency(
    bundle_path, capsys
):
    status = main([str(bundle_path)])
    out, err = capsys.readouterr()

    assert status == 3  # nothing failed, but nothing anchors the key either
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == UNANCHORED
    assert lines[-2:] == ["NOT VERIFIED: the bundle is internally consistent only", UNANCHORED]
    assert "proves only that the bundle is internally consistent" in UNANCHORED
    assert "OK: the bundle verifies" not in out


def test_without_an_anchor_a_failure_still_fails_and_says_it_is_unanchored(bundle_path, capsys):
    _tamper_one_payload(bundle_path, 12)

    status = main([str(bundle_path)])
    lines = capsys.readouterr().out.splitlines()

    assert status == 1
    assert lines[0] == UNANCHORED
    assert lines[-2:] == ["FAIL: the bundle does not verify", UNANCHORED]


def test_the_json_report_says_unanchored_and_is_not_ok(bundle_path, capsys):
    status = main([str(bundle_path), "--json"])
    report = json.loads(capsys.readouterr().out)

    assert status == 3
    assert report["ok"] is False
    assert (report["intact"], report["rules_kept"], report["anchored"]) == (True, True, False)
    assert report["anchor"] == UNANCHORED


def test_a_kept_checkpoint_anchors_the_key_that_signed_it(bundle_path, capsys, sealed_history):
    kept = bundle_path.parent / "kept.checkpoint"
    kept.write_text(sealed_history.latest_checkpoint, encoding="utf-8")

    status = main([str(bundle_path), "--json", "--trusted-checkpoint", str(kept)])
    report = json.loads(capsys.readouterr().out)

    assert status == 0
    assert report["anchored"] is True
    assert "signed the --trusted-checkpoint you kept" in report["anchor"]
