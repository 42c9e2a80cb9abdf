"""The bundle file is read a line at a time; it must accept and refuse exactly what the
in-memory parser does, whatever byte the file is cut at."""

from __future__ import annotations

import pytest

from verify.bundle import (
    BundleError,
    checkpoint_line,
    end_line,
    event_line,
    header_line,
    parse_bundle,
    read_bundle,
    scan_bundle,
)
from verify.bundle_tail import open_bundle


def _bundle() -> bytes:
    lines = [header_line("example.org/ledger", ["k"], "2026-01-01T00:00:00Z")]
    lines += [event_line(i, i + 1, f"record {i}".encode()) for i in range(3)]
    lines += [checkpoint_line("example.org/ledger\n3\nAAAA\n\n— sig\n"), end_line(3, 1)]
    return b"".join(lines)


def _outcome(read):  # type: ignore[no-untyped-def]
    try:
        return read()
    except BundleError as e:
        return str(e)


def test_a_file_reads_as_the_same_bytes_parse(tmp_path):  # type: ignore[no-untyped-def]
    data = _bundle()
    path = tmp_path / "bundle.jsonl"
    path.write_bytes(data)
    bundle = read_bundle(path)
    assert bundle == parse_bundle(data)
    assert bundle.records == [b"record 0", b"record 1", b"record 2"]


@pytest.mark.parametrize("cut", range(0, len(_bundle()), 7))
def test_a_file_cut_anywhere_is_refused_as_the_bytes_are(tmp_path, cut):  # type: ignore[no-untyped-def]
    data = _bundle()[:cut]
    path = tmp_path / "bundle.jsonl"
    path.write_bytes(data)
    from_file = _outcome(lambda: read_bundle(path))
    assert isinstance(from_file, str)  # refused: a cut bundle is never read
    assert from_file == _outcome(lambda: parse_bundle(data))


def _write(tmp_path, records):  # type: ignore[no-untyped-def]
    lines = [header_line("example.org/ledger", ["k"], "2026-01-01T00:00:00Z")]
    lines += [event_line(i, i + 1, r) for i, r in enumerate(records)]
    lines += [checkpoint_line("example.org/ledger\n1\nAAAA\n\n— sig\n")]
    lines += [end_line(len(records), 1)]
    path = tmp_path / "bundle.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def test_the_scan_finds_every_key_rotation_at_each_alignment_and_nothing_else(tmp_path):  # type: ignore[no-untyped-def]
    """scan_bundle finds rotations in the base64 text without decoding every record: at each
    of the marker's three alignments it must find what read_bundle finds in the bytes."""
    marker = b'"type":"ledger.key_rotated"'
    records = [b"x" * skip + marker + b"y" * tail for skip in range(7) for tail in range(4)]
    records += [b"x" * skip + marker[:-1] + b"z" for skip in range(4)]  # near misses
    records += [b"record without it", b""]
    path = _write(tmp_path, records)
    scanned = scan_bundle(path)
    assert scanned.rotation_records() == read_bundle(path).rotation_records()
    assert len(scanned.rotation_records()) == 28
    assert list(scanned.iter_records()) == records
    assert scanned.record_bytes == sum(map(len, records))


@pytest.mark.parametrize(
    "text", ["QQ==", "QR==", "QUE=", "QUF=", "QUFB", "QUFB====", "Q===", "=QUF", "QU=B"]
)
def test_the_scan_accepts_only_canonical_base64_as_read_bundle_does(tmp_path, text):  # type: ignore[no-untyped-def]
    """The scan checks a record's base64 canonical from its last characters without decoding
    it; it must accept and refuse what the decoding parser does, with the same message."""
    lines = [header_line("example.org/ledger", ["k"], "2026-01-01T00:00:00Z")]
    lines += [b'{"event":0,"notification_id":1,"record":"' + text.encode() + b'"}\n']
    lines += [end_line(1, 0)]
    path = tmp_path / "bundle.jsonl"
    path.write_bytes(b"".join(lines))
    assert _outcome(lambda: scan_bundle(path).count) == _outcome(lambda: read_bundle(path).count)


@pytest.mark.parametrize(
    "text",
    [
        "QQ==",
        "QR==",
        "QUE=",
        "QUF=",
        "QUFB",
        "QUFB====",
        "Q===",
        "=QUF",
        "QU=B",
        "AAAA=",
        "",
        "QU B",
        "QUFB\\n",
        'QU"}',
        "QUFB\u00e9",
        "QUF-",
        "QUF_",
        "QUFBQQ==QUFB",
    ],
)
def test_the_one_pass_accepts_and_refuses_each_record_as_read_bundle_does(tmp_path, text):  # type: ignore[no-untyped-def]
    """The one pass (``open_bundle``, then reading the records) decodes an exporter-spelled
    line's record strictly instead of matching it: same records, same refusals."""
    lines = [header_line("example.org/ledger", ["k"], "2026-01-01T00:00:00Z")]
    lines += [b'{"event":0,"notification_id":1,"record":"' + text.encode() + b'"}\n']
    lines += [end_line(1, 0)]
    path = tmp_path / "bundle.jsonl"
    path.write_bytes(b"".join(lines))
    opened = open_bundle(path)
    assert opened.pending
    assert _outcome(lambda: list(opened.iter_records())) == _outcome(
        lambda: read_bundle(path).records
    )
