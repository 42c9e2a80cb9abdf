"""Opening a bundle file for one pass: its header and its tail are read first — the checkpoint
lines after the last event and the end line — so that the record pass knows the tree sizes
whose roots it must keep before it reads the events (``BundleFile._first_pass``)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from .bundle import BundleError, BundleFile, _header, scan_bundle
from .errors import file_reason

TAIL_BLOCK = 1 << 16  # bytes read at a time from the file's end, backwards


def open_bundle(path: Path | str) -> BundleFile:
    """A bundle file to verify in one pass: only its header and its tail are read now — the
    checkpoint lines after the last event and the end line, which say the tree sizes whose
    roots the record pass must keep — and its first pass (``BundleFile._first_pass``) is
    ``scan_bundle``'s scan, which refuses what it refuses and checks that the file still holds
    what was read here. A file whose header or tail is not as the exporter writes them is
    scanned at once instead (``scan_bundle``): it raises the scan's own BundleError, or, if
    the scan accepts the file after all, the verifier reads it twice as before."""
    try:
        with open(path, "rb") as f:
            ahead = _read_ahead(f)
    except FileNotFoundError:
        raise BundleError(f"{path}：文件不存在") from None
    except OSError as e:
        raise BundleError(f"{path}：无法读取：{file_reason(e)}") from None
    if ahead is None:
        return scan_bundle(path)
    (origin, keys, exported_at, envelopes), checkpoints, count = ahead
    bundle = BundleFile(Path(path), origin, keys, exported_at, checkpoints, count)
    bundle.pending, bundle.envelopes = True, envelopes
    return bundle


def _read_ahead(f: Any) -> tuple[tuple[str, list[str], str, bool], list[str], int] | None:
    """The header, the checkpoints and the end line's event count of an open bundle file,
    or None unless the first line is a header and the last lines are checkpoint lines then
    an end line counting them, each LF-terminated (the scan decides what else is wrong)."""
    first = f.readline()
    if not first.endswith(b"\n"):
        return None
    try:
        header = _header(first[:-1])
    except BundleError:
        return None
    floor = len(first)  # where the lines after the header start
    start = f.seek(0, io.SEEK_END)
    tail = b""

    def whole_lines(want: int) -> list[bytes]:
        """The last ``want`` lines or more, read backwards a block at a time; fewer if the
        header or an event line (the exporter's spelling) is reached first."""
        nonlocal start, tail
        while start > floor and tail.count(b"\n") <= want and b'\n{"event":' not in tail:
            block = min(start - floor, max(TAIL_BLOCK, len(tail)))
            start -= block
            f.seek(start)
            tail = f.read(block) + tail
        pieces = tail[:-1].split(b"\n") if tail else []
        return pieces if start == floor else pieces[1:]  # the first piece may be cut

    lines = whole_lines(1)
    if not tail.endswith(b"\n") or not lines:
        return None
    end = _tail_object(lines[-1], "end")
    counts = end.get("end") if end is not None else None
    if not isinstance(counts, dict):
        return None
    events, sealed = counts.get("events"), counts.get("checkpoints")
    if type(events) is not int or type(sealed) is not int or sealed < 0:
        return None
    lines = whole_lines(sealed + 1)
    if len(lines) < sealed + 1:
        return None
    checkpoints = []
    for raw in lines[len(lines) - 1 - sealed : -1]:
        obj = _tail_object(raw, "checkpoint")
        if obj is None or "event" in obj or not isinstance(obj["checkpoint"], str):
            return None
        checkpoints.append(obj["checkpoint"])
    return header, checkpoints, events


def _tail_object(line: bytes, member: str) -> dict[str, Any] | None:
    """The line's JSON object if it is one with ``member``, else None."""
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return obj if isinstance(obj, dict) and member in obj else None
