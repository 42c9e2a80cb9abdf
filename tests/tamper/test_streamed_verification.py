"""The verifier streams a bundle file (``verify.bundle.BundleFile``, ``verify/record_pass.py``):
its report is the one the bundle held in memory gives, steps 9-11 included when they read the
file again; and a file changed while it is verified (between two passes) is refused as
unusable, never verified half one way and half the other."""

from __future__ import annotations

import pytest

import verify.checks
from verify.bundle import BundleError, BundleFile, read_bundle, scan_bundle
from verify.bundle_lines import event_line, line_event
from verify.bundle_tail import open_bundle
from verify.checks import verify_bundle
from verify.merkle import CompactTree, leaf_hash

from .test_rule_audit import Demo, demo  # noqa: F401 - the demo year, its bundle


def _report(bundle, key: str) -> dict:  # type: ignore[no-untyped-def]
    return verify_bundle(bundle, pinned_keys=[key]).to_json()


def test_a_streamed_file_gives_the_report_of_the_bundle_in_memory(demo: Demo, monkeypatch):  # noqa: F811
    key = str(demo.signer.verifier)
    in_memory = _report(read_bundle(demo.bundle), key)
    monkeypatch.setattr(verify.checks, "DECODED_ONCE", 0)  # steps 9-11 read the file again
    streamed = _report(scan_bundle(demo.bundle), key)
    assert streamed == in_memory
    assert in_memory["ok"] and "次抽取" in in_memory["steps"][8]["detail"]


def test_a_file_changed_between_two_passes_is_refused(demo: Demo, tmp_path, monkeypatch):  # noqa: F811
    path = tmp_path / "demo.jsonl"
    path.write_bytes(demo.bundle.read_bytes())
    scanned = scan_bundle(path)
    # After the scan, event 5's record is swapped for event 6's (each line well formed).
    _swap_five_for_six(path)
    with pytest.raises(BundleError, match="文件在核验过程中被改动"):
        verify_bundle(scanned, pinned_keys=[str(demo.signer.verifier)])


# A file opened for one pass (open_bundle): the record pass's own Merkle tree, not a second hash
# of every record's text, guards the passes of steps 9-11 (BundleFile.iter_records(root_guard)).


def _swap_five_for_six(path) -> None:  # type: ignore[no-untyped-def]
    lines = path.read_bytes().split(b"\n")
    five, six = (line_event(lines[i]) for i in (6, 7))
    assert five is not None and six is not None and five[2] != six[2]
    lines[6] = event_line(five[0], five[1], six[2])[:-1]  # a real record, not the one scanned
    path.write_bytes(b"\n".join(lines))


def test_one_pass_then_steps_9_to_11_from_the_file_give_the_report_in_memory(
    demo: Demo,  # noqa: F811
    monkeypatch,
):
    key = str(demo.signer.verifier)
    in_memory = _report(read_bundle(demo.bundle), key)
    monkeypatch.setattr(verify.checks, "DECODED_ONCE", 0)  # steps 9-11 read the file again
    opened = open_bundle(demo.bundle)
    assert opened.pending
    assert _report(opened, key) == in_memory
    assert opened._root is not None and opened._digest is None  # guarded by the root


def test_a_record_changed_after_the_one_pass_is_refused_by_the_next(
    demo: Demo,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    """The operator swaps a record in the file as soon as the record pass has read it: the
    draw replay's pass reads other records than the pass checked, and the file is refused."""
    path = tmp_path / "demo.jsonl"
    path.write_bytes(demo.bundle.read_bytes())
    monkeypatch.setattr(verify.checks, "DECODED_ONCE", 0)
    record_pass = verify.checks._record_pass

    def then_tamper(*args, **kwargs):  # type: ignore[no-untyped-def]
        passed = record_pass(*args, **kwargs)
        _swap_five_for_six(path)
        return passed

    monkeypatch.setattr(verify.checks, "_record_pass", then_tamper)
    opened = open_bundle(path)
    assert opened.pending
    with pytest.raises(BundleError, match="文件在核验过程中被改动"):
        verify_bundle(opened, pinned_keys=[str(demo.signer.verifier)])


def test_the_root_guards_every_record_and_their_number(demo: Demo, tmp_path):  # noqa: F811
    """At the level of the file: a pass after a root-guarded first pass yields the same records
    and ends quietly; a swapped record, a record dropped (the end line kept), or a wrong root
    makes it fail when it ends."""
    path = tmp_path / "demo.jsonl"
    data = demo.bundle.read_bytes()
    path.write_bytes(data)

    def first_pass() -> tuple[BundleFile, list[bytes]]:
        opened = open_bundle(path)
        records = list(opened.iter_records(root_guard=True))
        tree = CompactTree()
        for record in records:
            tree.append(leaf_hash(record))
        opened.guard_by_root(tree.root())
        return opened, records

    opened, records = first_pass()
    assert list(opened.iter_records()) == records  # unchanged: the same records, no refusal

    _swap_five_for_six(path)
    with pytest.raises(BundleError, match="文件在核验过程中被改动"):
        list(opened.iter_records())

    path.write_bytes(data)
    opened, _ = first_pass()
    lines = data.split(b"\n")
    path.write_bytes(b"\n".join(lines[:6] + lines[7:]))  # event 5's line gone
    with pytest.raises(BundleError, match="文件在核验过程中被改动|无法再次读取"):
        list(opened.iter_records())

    path.write_bytes(data)
    opened = open_bundle(path)
    list(opened.iter_records(root_guard=True))
    opened.guard_by_root(bytes(32))  # not the records' root
    with pytest.raises(BundleError, match="文件在核验过程中被改动"):
        list(opened.iter_records())


def test_a_first_pass_left_without_its_root_is_scanned_again(demo: Demo, tmp_path):  # noqa: F811
    """A root-guarded first pass whose caller gave no root guards nothing: the next pass is the
    full scan again (which refuses a changed file as the scan does), never an unguarded read."""
    path = tmp_path / "demo.jsonl"
    path.write_bytes(demo.bundle.read_bytes())
    opened = open_bundle(path)
    records = list(opened.iter_records(root_guard=True))
    assert not opened.pending and opened._root is None and opened._digest is None
    assert list(opened.iter_records()) == records  # scanned again, now guarded by the digest
    assert opened._digest is not None
    with pytest.raises(ValueError, match="root_guard"):
        opened.guard_by_root(bytes(32))  # a digest-guarded file takes no root

    opened = open_bundle(path)
    list(opened.iter_records(root_guard=True))  # no root given
    lines = path.read_bytes().split(b"\n")
    lines.insert(3, lines[2])  # then an event line repeated: the scan refuses it
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(BundleError, match="第 4 行：应为事件 2，实为 1"):
        list(opened.iter_records())
