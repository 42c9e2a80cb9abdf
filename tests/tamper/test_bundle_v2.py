"""A v2 bundle carries each event's envelope and signature as they are (docs/FORMAT.md §5,
``verify/bundle_lines.py``): an operator or clerk with a text editor edits those bytes directly.
Every edit below is refused — as unusable input when the line is not the exporter's, as a failed
step 3 naming the event when the line is but its envelope is not what was signed — and a v1
bundle of the same records still verifies exactly as the v2 one does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from verify.bundle import BUNDLE_V1, BundleError, read_bundle, scan_bundle
from verify.bundle_lines import event_line, line_event, record_line
from verify.checks import verify_bundle
from verify.events import canonical, decode_record

from .bundle_edits import messages, positions

EVENT = 8  # the line of leaf 7 (line 1 is the header)


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def _write(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"\n".join(lines))


def _leaves(report: dict[str, Any], step: int) -> list[int | None]:
    return positions(report, step)


def _messages(report: dict[str, Any], step: int) -> str:
    return messages(report, step)


def _unusable(path: Path, expected: str) -> None:
    """Exit 2 by ``python -m verify`` (the one pass), and BundleError from the full read and
    from the scan."""
    from verify.__main__ import main

    with pytest.raises(BundleError, match=expected):
        read_bundle(path)
    with pytest.raises(BundleError, match=expected):
        scan_bundle(path)
    assert main([str(path)]) == 2


def test_the_exporter_writes_v2_lines_that_are_json_and_hold_the_stored_records(bundle_path):
    lines = _lines(bundle_path)
    assert json.loads(lines[0])["bundle"] == "drawledger/bundle/v2"
    events = [line_event(line) for line in lines[1:] if line.startswith(b'{"event":')]
    assert events and all(e is not None for e in events)
    for line in lines[1:]:
        if line.startswith(b'{"event":'):
            obj = json.loads(line)  # each line is still one JSON object
            assert list(obj) == ["event", "notification_id", "signature", "envelope"]
            record = line_event(line)[2]  # type: ignore[index]
            assert canonical(obj["envelope"]) == record.partition(b"\n")[0]
            assert decode_record(record).envelope == obj["envelope"]


def test_a_v1_bundle_of_the_same_records_verifies_as_the_v2_one(bundle_path, run_verify, tmp_path):
    lines = _lines(bundle_path)
    header = json.loads(lines[0])
    v1 = [json.dumps({**header, "bundle": BUNDLE_V1}, separators=(",", ":")).encode()]
    for line in lines[1:]:
        event = line_event(line)
        v1.append(line if event is None else record_line(*event)[:-1])
    old = tmp_path / "v1.bundle"
    _write(old, v1)
    assert old.stat().st_size > bundle_path.stat().st_size
    status_v2, report_v2 = run_verify(bundle_path)
    status_v1, report_v1 = run_verify(old)
    assert status_v1 == status_v2 == 0
    assert report_v1["steps"] == report_v2["steps"]
    assert read_bundle(old).records == read_bundle(bundle_path).records
    keys = read_bundle(old).keys
    assert verify_bundle(scan_bundle(old), pinned_keys=keys).ok  # the passes after a scan


def test_an_envelope_edited_in_its_line_fails_step_3_at_that_event(bundle_path, run_verify):
    lines = _lines(bundle_path)
    envelope = json.loads(lines[EVENT])["envelope"]
    edited = {**envelope, "time": envelope["time"][:-10] + "59.999999Z"}
    assert edited != envelope
    lines[EVENT] = lines[EVENT].replace(canonical(envelope), canonical(edited))
    _write(bundle_path, lines)
    status, report = run_verify(bundle_path)
    assert status == 1
    assert "does not verify" in _messages(report, 3)
    assert _leaves(report, 3) == [EVENT - 1]


@pytest.mark.parametrize(
    "spelling",
    [
        (b'","envelope":{', b'","envelope":{ '),  # whitespace inside the envelope
        (b'","envelope":{', b'","envelope":{\t'),
        (b',"payload":', b', "payload":'),
    ],
)
def test_whitespace_inside_the_envelope_fails_step_3_as_not_canonical(
    bundle_path, run_verify, spelling
):
    lines = _lines(bundle_path)
    assert spelling[0] in lines[EVENT]
    lines[EVENT] = lines[EVENT].replace(*spelling, 1)
    _write(bundle_path, lines)
    status, report = run_verify(bundle_path)
    assert status == 1
    assert _leaves(report, 3) == [EVENT - 1]
    assert "canonical" in _messages(report, 3)


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ((b'"envelope":{', b'"envelope": {'), "完全一致"),  # before the envelope
        ((b'{"event":', b'{"event": '), "完全一致"),  # in the line's head
        ((b'"signature":"', b'"signature": "'), "完全一致"),
        ((b"}\n", b"} \n"), "完全一致"),  # after the envelope
    ],
)
def test_whitespace_outside_the_envelope_is_unusable_input(
    bundle_path, run_verify, spelling, expected
):
    lines = _lines(bundle_path)
    line = lines[EVENT] + b"\n"
    assert spelling[0] in line
    lines[EVENT] = line.replace(*spelling, 1)[:-1]
    _write(bundle_path, lines)
    _unusable(bundle_path, expected)


def test_a_second_envelope_member_is_refused(bundle_path, run_verify):
    lines = _lines(bundle_path)
    original = list(lines)
    other = canonical(json.loads(lines[EVENT + 1])["envelope"])  # a real, signed envelope
    # After the signed one: the bytes sliced as the envelope are no longer those signed.
    lines[EVENT] = lines[EVENT][:-1] + b',"envelope":' + other + b"}"
    _write(bundle_path, lines)
    status, report = run_verify(bundle_path)
    assert status == 1 and _leaves(report, 3) == [EVENT - 1]
    assert "envelope is not JSON: Extra data" in _messages(report, 3)
    # Before it, the signed one last: what follows '"envelope":' up to the line's last '}' is
    # the envelope, and it is not the one signed either.
    lines = list(original)
    head, _, envelope = lines[EVENT].partition(b'","envelope":')
    lines[EVENT] = head + b'","envelope":' + other + b',"envelope":' + envelope
    _write(bundle_path, lines)
    status, report = run_verify(bundle_path)
    assert status == 1 and _leaves(report, 3) == [EVENT - 1]
    assert "envelope is not JSON: Extra data" in _messages(report, 3)


def test_a_second_signature_or_another_member_is_unusable_input(bundle_path):
    lines = _lines(bundle_path)
    head, _, rest = lines[EVENT].partition(b',"envelope":')
    signature = json.loads(lines[EVENT])["signature"]
    for extra in (b',"signature":"' + signature.encode() + b'"', b',"record":"AAAA"', b',"x":1'):
        edited = list(lines)
        edited[EVENT] = head + extra + b',"envelope":' + rest
        _write(bundle_path, edited)
        _unusable(bundle_path, "完全一致")


def test_a_v2_line_in_a_v1_bundle_and_a_base64_envelope_in_a_v2_bundle_are_unusable(
    bundle_path,
):
    lines = _lines(bundle_path)
    original = list(lines)
    header = json.loads(lines[0])
    lines[0] = json.dumps({**header, "bundle": BUNDLE_V1}, separators=(",", ":")).encode()
    _write(bundle_path, lines)
    _unusable(bundle_path, "drawledger/bundle/v1 导出包中出现携带信封原文的事件行")
    # v2 header, one record in base64 although it is an envelope and its signature.
    lines = list(original)
    event = line_event(lines[EVENT])
    assert event is not None
    lines[EVENT] = record_line(*event)[:-1]
    _write(bundle_path, lines)
    _unusable(bundle_path, "必须按信封和签名原样携带")


def test_a_truncated_line_is_refused(bundle_path, run_verify):
    lines = _lines(bundle_path)
    original = list(lines)
    lines[EVENT] = lines[EVENT][:150]  # cut inside the envelope, the next lines kept
    _write(bundle_path, lines)
    _unusable(bundle_path, "第 9 行")
    # Cut after an inner '}' and closed again: the line is well formed up to its envelope,
    # which is not the one signed (nor JSON): step 3 fails there.
    lines = list(original)
    cut = lines[EVENT].index(b"}", lines[EVENT].index(b'"envelope":'))
    lines[EVENT] = lines[EVENT][: cut + 1] + b"}"
    _write(bundle_path, lines)
    status, report = run_verify(bundle_path)
    assert status == 1 and _leaves(report, 3) == [EVENT - 1]
    # The file cut in the middle of an event line.
    bundle_path.write_bytes(b"\n".join(original[:EVENT]) + b"\n" + original[EVENT][:100])
    _unusable(bundle_path, "被截断")


def test_the_exporter_writes_a_record_that_is_not_an_envelope_in_base64():
    for record in (
        b"no line feed",
        b'{"a":1}\nnot base64!',
        b'{"a":1\nAAAA',  # not JSON
        b'{"a":NaN}\nAAAA',  # not JSON by RFC 8259
        b'{"a":"\xff"}\nAAAA',  # not UTF-8
        b"[1]\nAAAA",  # not an object
    ):
        line = event_line(3, 9, record)
        assert line.startswith(b'{"event":3,"notification_id":9,"record":"'), record
        assert line_event(line) == (3, 9, record)
    line = event_line(3, 9, b'{"a":1}\nAAAA')
    assert line == b'{"event":3,"notification_id":9,"signature":"AAAA","envelope":{"a":1}}\n'
    assert line_event(line) == (3, 9, b'{"a":1}\nAAAA')
