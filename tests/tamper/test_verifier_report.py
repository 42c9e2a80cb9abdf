"""How a failure reads: the human report and ``--json`` name the step and the event position."""

from __future__ import annotations

import json

from verify.__main__ import main

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

    assert status == 1
    assert err == ""
    report = json.loads(out)
    assert report["ok"] is False
    step3 = next(s for s in report["steps"] if s["step"] == 3)
    assert step3["ok"] is False
    assert step3["name"] == "event records: form, digest, signature"
    assert [f["event"] for f in step3["failures"]] == [12]


def test_the_printed_report_marks_the_failing_step_and_the_event_position(bundle_path, capsys):
    _tamper_one_payload(bundle_path, 12)

    status = main([str(bundle_path)])
    out, _ = capsys.readouterr()

    assert status == 1
    lines = out.splitlines()
    assert (
        "OK   (1) read bundle: 34 events, 34 checkpoints, origin 'drawledger.test/tamper'" in lines
    )
    step3 = lines.index(
        "FAIL (3) event records: form, digest, signature: 33 of 34 records check out"
    )
    assert lines[step3 + 1].strip().startswith("event 12: signature by drawledger.test/tamper")
    assert lines[-1] == "FAIL: the bundle does not verify"


def test_the_printed_report_of_the_untouched_bundle_is_all_ok(bundle_path, capsys):
    status = main([str(bundle_path)])
    out, err = capsys.readouterr()

    assert status == 0
    assert err == ""
    lines = out.splitlines()
    steps = [line.split(")")[0] + ")" for line in lines[:-1]]
    assert steps == [f"OK   ({n})" for n in range(1, 12)]
    assert lines[-1] == "OK: the bundle verifies"
