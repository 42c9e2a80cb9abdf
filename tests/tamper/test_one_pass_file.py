"""``python -m verify`` reads a bundle file once (``verify.bundle_tail.open_bundle``): its header
and tail first (the checkpoints and the end line), then one pass that is both the structural scan
and step 3, with step 2's choice of keys under ``--key`` settled when the pass ends.

Everything the two-pass reading (``scan_bundle``, then the record pass) refuses or reports, the
one pass must too: the same report for tampered bundles, the same refusal for cut, spliced or
reordered files, and a refusal for a file changed between the tail read and the pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import verify.bundle_tail
from verify.bundle import BundleError, scan_bundle
from verify.bundle_tail import open_bundle
from verify.checks import verify_bundle
from verify.events import decode_record, encode_record
from verify.keys import SignerKey

from .bundle_edits import EditableBundle, failures_by_step, messages, resealed


def _outcome(read: Any) -> Any:
    try:
        result = read()
    except BundleError as e:
        return str(e)
    return result if isinstance(result, bool) else result.to_json()


def _both(path: Path, pinned: list[str], *, one_pass: bool = True) -> tuple[Any, Any]:
    """The report (or refusal) of the one pass, and of the scan then the record pass; with
    ``one_pass``, checks that the file was opened for one pass (not scanned at once, as a
    file whose tail is not the exporter's is)."""
    assert (_outcome(lambda: open_bundle(path).pending) is True) is one_pass
    one = _outcome(lambda: verify_bundle(open_bundle(path), pinned_keys=pinned))
    two = _outcome(lambda: verify_bundle(scan_bundle(path), pinned_keys=pinned))
    return one, two


def _resigned(bundle: EditableBundle, position: int, signer: SignerKey, **changes: Any) -> None:
    envelope = {**decode_record(bundle.events[position].record).envelope, **changes}
    bundle.events[position].record = encode_record(envelope, signer)[0]


def _appended(bundle: EditableBundle, signer: SignerKey, type_: str, payload: dict) -> None:
    """An event of a new aggregate at the end of the log, signed by ``signer``."""
    last = bundle.events[-1]
    envelope = {
        **decode_record(last.record).envelope,
        "type": type_,
        "aggregate": f"forged-{len(bundle.events)}",
        "version": 1,
        "prev": None,
        "payload": payload,
    }
    record = encode_record(envelope, signer)[0]
    bundle.events.append(type(last)(last.notification_id + 1, record))


def test_an_untouched_bundle_reads_the_same_in_one_pass_with_and_without_key(
    bundle_path, ledger_key
):
    for pinned in ([str(ledger_key.verifier)], []):
        one, two = _both(bundle_path, pinned)
        assert one == two
    assert one["intact"]


def test_events_signed_by_a_header_key_nobody_pinned_fail_as_unknown_in_one_pass(
    bundle_path, ledger_key
):
    """An insider adds their own key to the header and signs two events with it: with --key,
    the pass checked them with that key (a rotation might have named it), but no rotation
    does, so they fail as signed by an unknown key, exactly as when step 2 knew it first."""
    insider = SignerKey.generate("insider")
    bundle = EditableBundle.from_bytes(bundle_path.read_bytes())
    bundle.header["keys"].append(str(insider.verifier))
    _resigned(bundle, 5, insider)
    _resigned(bundle, 9, insider)
    bundle_path.write_bytes(bundle.to_bytes())

    one, two = _both(bundle_path, [str(ledger_key.verifier)])

    assert one == two
    step3 = [f for s in one["steps"] if s["step"] == 3 for f in s["failures"]]
    assert [f["event"] for f in step3] == [5, 9]
    assert all(f"unknown key id {insider.key_id.hex()}" in f["message"] for f in step3)
    assert insider.key_id.hex() not in one["steps"][1]["detail"]  # not a candidate (step 2)


def test_a_rotation_by_an_unpinned_key_trusts_nothing_in_one_pass(bundle_path, ledger_key):
    """A rotation event signed by a key nobody pinned names a second key the header lists,
    which then signs: the named key is a candidate (step 2), but the rotation fails as signed
    by an unknown key and what the named key signed as never trusted — as in two passes."""
    rogue, successor = SignerKey.generate("rogue"), SignerKey.generate("successor")
    bundle = EditableBundle.from_bytes(bundle_path.read_bytes())
    bundle.header["keys"] += [str(rogue.verifier), str(successor.verifier)]
    _appended(bundle, rogue, "ledger.key_rotated", {"verifier_key": str(successor.verifier)})
    _appended(bundle, successor, "note.created", {"text": "from the successor"})
    bundle_path.write_bytes(bundle.to_bytes())
    rotation, after = len(bundle.events) - 2, len(bundle.events) - 1

    one, two = _both(bundle_path, [str(ledger_key.verifier)])

    assert one == two
    assert successor.key_id.hex() in one["steps"][1]["detail"]
    assert rogue.key_id.hex() not in one["steps"][1]["detail"]
    step3 = {
        f["event"]: f["message"] for s in one["steps"] if s["step"] == 3 for f in s["failures"]
    }
    assert set(step3) == {rotation, after}
    assert f"unknown key id {rogue.key_id.hex()}" in step3[rotation]
    assert "从未受信任" in step3[after]
    assert not one["intact"]


def test_reordered_checkpoints_fail_step_6_in_one_pass(bundle_path, run_verify, ledger_key):
    """Issue 11: step 6 checks the checkpoints in the bundle's order — the order the tail
    read gives the one pass (which keeps roots by size) must be the file's."""
    bundle = EditableBundle.from_bytes(bundle_path.read_bytes())
    resealed(bundle, ledger_key, {})
    bundle.checkpoints[-1], bundle.checkpoints[-2] = bundle.checkpoints[-2], bundle.checkpoints[-1]
    bundle_path.write_bytes(bundle.to_bytes())

    one, two = _both(bundle_path, [str(ledger_key.verifier)])
    status, report = run_verify(bundle_path)

    assert one == two == json.loads(json.dumps(report))
    assert status == 1
    assert set(failures_by_step(report)) == {6, 7}
    assert "检查点的大小不得缩小" in messages(report, 6)


def test_a_checkpoint_line_changed_after_the_tail_was_read_is_refused(bundle_path, ledger_key):
    """The operator swaps two checkpoint lines between the tail read and the pass: the pass
    finds other checkpoints than those whose roots it kept, and refuses the file."""
    opened = open_bundle(bundle_path)
    assert opened.pending
    lines = bundle_path.read_bytes().split(b"\n")
    lines[-3], lines[-4] = lines[-4], lines[-3]  # the last two checkpoint lines
    bundle_path.write_bytes(b"\n".join(lines))
    with pytest.raises(BundleError, match="文件在核验过程中被改动"):
        verify_bundle(opened, pinned_keys=[str(ledger_key.verifier)])


def test_a_header_changed_after_it_was_read_is_refused(bundle_path, ledger_key):
    opened = open_bundle(bundle_path)
    assert opened.pending
    data = bundle_path.read_bytes()
    bundle_path.write_bytes(data.replace(b'"exported_at":"', b'"exported_at":"1', 1))
    with pytest.raises(BundleError, match="文件在核验过程中被改动"):
        verify_bundle(opened, pinned_keys=[str(ledger_key.verifier)])


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def _write(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


@pytest.mark.parametrize("copied", [False, True])
def test_a_checkpoint_line_among_the_events_is_refused_as_the_scan_refuses(
    bundle_path, ledger_key, copied
):
    """A checkpoint line moved among the events (the tail then holds one checkpoint too few:
    scanned at once), or copied there (the tail as the exporter wrote it: read in one pass)."""
    lines = _lines(bundle_path)
    first_checkpoint = next(i for i, line in enumerate(lines) if line.startswith(b'{"checkp'))
    moved = lines[first_checkpoint] if copied else lines.pop(first_checkpoint)
    lines.insert(10, moved)  # among the events
    _write(bundle_path, lines)

    one, two = _both(bundle_path, [str(ledger_key.verifier)], one_pass=copied)

    assert one == two
    assert one == "第 12 行：检查点之后出现事件"


@pytest.mark.parametrize("claimed", [0, 2, 33, 35, 10_000])
def test_an_end_line_miscounting_the_checkpoints_is_refused_as_the_scan_refuses(
    bundle_path, ledger_key, claimed
):
    """The end line claims another number of checkpoints than the 34 the file holds (fewer:
    the tail read takes only the last ones; more: it would reach the events)."""
    lines = _lines(bundle_path)
    end = json.loads(lines[-1])
    assert end["end"]["checkpoints"] == 34
    end["end"]["checkpoints"] = claimed
    lines[-1] = json.dumps(end, separators=(",", ":")).encode()
    _write(bundle_path, lines)

    one, two = _both(bundle_path, [str(ledger_key.verifier)], one_pass=claimed < 34)

    assert one == two
    assert isinstance(one, str) and "导出包被截断或拼接" in one


def test_a_file_cut_anywhere_in_its_tail_is_refused_as_the_scan_refuses(bundle_path, ledger_key):
    data = bundle_path.read_bytes()
    tail = data.index(b'{"checkpoint"')
    cuts = sorted({*range(tail - 50, len(data), 41), *range(0, len(data), 997), len(data) - 1})
    for cut in cuts:
        bundle_path.write_bytes(data[:cut])
        one, two = _both(bundle_path, [str(ledger_key.verifier)], one_pass=False)
        assert isinstance(one, str), cut  # refused: a cut bundle is never verified
        assert one == two, cut


def test_a_tail_read_in_small_blocks_gives_the_same_report(bundle_path, ledger_key, monkeypatch):
    """The tail is read backwards a block at a time until its checkpoint lines are in hand."""
    pinned = [str(ledger_key.verifier)]
    expected = verify_bundle(scan_bundle(bundle_path), pinned_keys=pinned).to_json()
    monkeypatch.setattr(verify.bundle_tail, "TAIL_BLOCK", 50)
    opened = open_bundle(bundle_path)
    assert opened.pending and len(opened.checkpoints) == 34
    assert verify_bundle(opened, pinned_keys=pinned).to_json() == expected


def test_a_first_pass_left_unfinished_is_made_again_in_full(bundle_path, ledger_key):
    """A consumer that stops reading early leaves the bundle unscanned: the next pass scans
    it from the start, and the report is the two-pass one."""
    pinned = [str(ledger_key.verifier)]
    opened = open_bundle(bundle_path)
    records = opened.iter_records()
    next(records), next(records)
    records.close()
    assert opened.pending
    report = verify_bundle(opened, pinned_keys=pinned).to_json()
    assert report == verify_bundle(scan_bundle(bundle_path), pinned_keys=pinned).to_json()
    assert not opened.pending and opened.count == 34


def test_the_command_refuses_what_the_pass_finds_as_unusable_input(bundle_path, capsys):
    """A structural fault the one pass finds (here a signature that is not canonical base64,
    in the middle of the file) is exit 2 and one line, as when the scan found it first."""
    from verify.__main__ import main

    lines = _lines(bundle_path)
    assert b'","envelope":{' in lines[8]
    lines[8] = lines[8].replace(b'","envelope":', b'A","envelope":')  # '=' no longer last
    _write(bundle_path, lines)
    assert main([str(bundle_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("输入无法使用：第 9 行：") and err.count("\n") == 1
