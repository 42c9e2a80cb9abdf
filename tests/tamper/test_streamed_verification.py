"""The verifier streams a bundle file (``verify.bundle.BundleFile``, ``verify/record_pass.py``):
its report is the one the bundle held in memory gives, steps 9-11 included when they read the
file again; and a file changed while it is verified (between two passes) is refused as
unusable, never verified half one way and half the other."""

from __future__ import annotations

import base64
import json

import pytest

import verify.checks
from verify.bundle import BundleError, read_bundle, scan_bundle
from verify.checks import verify_bundle

from .test_rule_audit import Demo, demo  # noqa: F401 - the demo year, its bundle


def _report(bundle, key: str) -> dict:  # type: ignore[no-untyped-def]
    return verify_bundle(bundle, pinned_keys=[key]).to_json()


def test_a_streamed_file_gives_the_report_of_the_bundle_in_memory(demo: Demo, monkeypatch):  # noqa: F811
    key = str(demo.signer.verifier)
    in_memory = _report(read_bundle(demo.bundle), key)
    monkeypatch.setattr(verify.checks, "DECODED_ONCE", 0)  # steps 9-11 read the file again
    streamed = _report(scan_bundle(demo.bundle), key)
    assert streamed == in_memory
    assert in_memory["ok"] and "draws" in json.dumps(in_memory["steps"][8])


def test_a_file_changed_between_two_passes_is_refused(demo: Demo, tmp_path, monkeypatch):  # noqa: F811
    path = tmp_path / "demo.jsonl"
    path.write_bytes(demo.bundle.read_bytes())
    scanned = scan_bundle(path)
    # After the scan, event 5's record is swapped for event 6's (each line well formed).
    lines = path.read_bytes().split(b"\n")
    five, six = (json.loads(lines[i]) for i in (6, 7))
    five["record"] = six["record"]
    lines[6] = json.dumps(five, separators=(",", ":")).encode()
    path.write_bytes(b"\n".join(lines))
    assert base64.b64decode(five["record"])  # a real record, only not the one scanned
    with pytest.raises(BundleError, match="changed while it was being verified"):
        verify_bundle(scanned, pinned_keys=[str(demo.signer.verifier)])
