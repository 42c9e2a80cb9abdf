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
)


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
