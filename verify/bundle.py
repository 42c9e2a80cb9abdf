"""The export bundle: what an auditor receives (docs/FORMAT.md, "Bundle").

A bundle is UTF-8 JSON Lines, one object per LF-terminated line, in this order:

1. a header ``{"bundle": "drawledger/bundle/v1", "origin", "keys", "exported_at"}``;
2. one line per event, in log order: ``{"event": i, "notification_id": n, "record": base64}``
   where ``i`` counts from 0 (the event's Merkle leaf index) and ``record`` holds the stored bytes;
3. one line per checkpoint, oldest first: ``{"checkpoint": "<signed note text>"}``;
4. a trailer ``{"end": {"events": N, "checkpoints": M}}``.

Anything else (a missing file, another format, a line that is not JSON, a missing trailer or
counts that disagree) is *unusable input*: ``BundleError``, never a partial verification.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import VerifyError
from .keys import b64decode_strict

BUNDLE_FORMAT = "drawledger/bundle/v1"
_EVENT_LINE = re.compile(
    rb'\{"event":(0|[1-9][0-9]*),"notification_id":(0|[1-9][0-9]*),"record":"([A-Za-z0-9+/=]*)"\}'
)


class BundleError(VerifyError):
    """The input is not a complete, well-formed bundle (exit status 2)."""


_ROTATION = b'"type":"ledger.key_rotated"'


@dataclass
class Bundle:
    """A bundle held in memory (tests, the rule audit, the dispute check)."""

    origin: str
    keys: list[str]
    exported_at: str
    records: list[bytes] = field(default_factory=list)
    notification_ids: list[int] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def record_bytes(self) -> int:
        return sum(map(len, self.records))

    def add_event(self, notification_id: int, record: bytes) -> None:
        self.records.append(record)
        self.notification_ids.append(notification_id)

    def last_notification_id(self) -> int | None:
        return self.notification_ids[-1] if self.notification_ids else None

    def iter_records(self) -> Iterator[bytes]:
        return iter(self.records)

    def first_record(self) -> bytes | None:
        return self.records[0] if self.records else None

    def rotation_records(self) -> list[bytes]:
        """The records that may be key rotations (a byte match, read unchecked)."""
        return [r for r in self.records if _ROTATION in r]


@dataclass
class BundleFile:
    """A bundle on disk whose structure was checked (``scan_bundle``) and whose records are read
    again from the file, a line at a time, for each pass of the verifier: it keeps the header,
    the checkpoints and a few records, never the events, so that the verifier's memory does not
    grow with the bundle."""

    path: Path
    origin: str
    keys: list[str]
    exported_at: str
    checkpoints: list[str] = field(default_factory=list)
    count: int = 0
    record_bytes: int = 0
    _last: int | None = None
    _first: bytes | None = None
    _rotations: list[bytes] = field(default_factory=list)
    _digest: Any = field(default_factory=hashlib.sha256)  # over every record, as scanned
    # Each event's position (its store notification id), 8 bytes an event: what the report
    # names events by (docs/FORMAT.md, "Positions").
    notification_ids: array[int] = field(default_factory=lambda: array("q"))

    def add_event(self, notification_id: int, record: bytes) -> None:
        _digest_record(self._digest, record)
        self.notification_ids.append(notification_id)
        if self._first is None:
            self._first = record
        if _ROTATION in record:
            self._rotations.append(record)
        self.count += 1
        self.record_bytes += len(record)
        self._last = notification_id

    def last_notification_id(self) -> int | None:
        return self._last

    def first_record(self) -> bytes | None:
        return self._first

    def rotation_records(self) -> list[bytes]:
        return self._rotations

    def iter_records(self) -> Iterator[bytes]:
        """The records again, read from the file; BundleError if it no longer holds what
        ``scan_bundle`` checked (it changed while it was being verified): the records of
        each pass hash to what the scan hashed, checked when the pass ends, so that no result
        of a pass over other bytes than the others' is used."""
        count = 0
        digest = hashlib.sha256()
        try:
            with open(self.path, "rb") as f:
                lines = _whole_lines(f)
                next(lines, None)
                for lineno, raw in enumerate(lines, start=2):
                    if count == self.count:
                        break
                    fast = _EVENT_LINE.fullmatch(raw)
                    record = fast.group(3) if fast is not None else _record_of(raw, lineno)
                    text = record.decode() if isinstance(record, bytes) else record
                    # Strict base64 was checked by the scan; the digest proves the bytes the same.
                    decoded = base64.b64decode(text, validate=True)
                    _digest_record(digest, decoded)
                    yield decoded
                    count += 1
        except (OSError, ValueError) as e:
            raise BundleError(f"{self.path}: cannot read it again: {e}") from None
        if count != self.count or digest.digest() != self._digest.digest():
            raise BundleError(f"{self.path}: the file changed while it was being verified")


def _digest_record(digest: Any, record: bytes) -> None:
    digest.update(len(record).to_bytes(8, "big") + record)


def _record_of(raw: bytes, lineno: int) -> str:
    record = _parse_line(raw, lineno).get("record")
    if not isinstance(record, str):
        raise BundleError(f"line {lineno}: the file changed while it was being verified")
    return record


def header_line(origin: str, keys: list[str], exported_at: str) -> bytes:
    return _line(
        {"bundle": BUNDLE_FORMAT, "origin": origin, "keys": keys, "exported_at": exported_at}
    )


def event_line(index: int, notification_id: int, record: bytes) -> bytes:
    return _line(
        {
            "event": index,
            "notification_id": notification_id,
            "record": base64.b64encode(record).decode("ascii"),
        }
    )


def checkpoint_line(note: str) -> bytes:
    return _line({"checkpoint": note})


def end_line(events: int, checkpoints: int) -> bytes:
    return _line({"end": {"events": events, "checkpoints": checkpoints}})


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def read_bundle(path: Path | str) -> Bundle:
    """Read and structurally check a bundle file; BundleError says why it is unusable.

    The file is read a line at a time: only the decoded records are kept, not the file's text
    (before, the whole file and its list of lines were held beside them)."""
    try:
        with open(path, "rb") as f:
            return _parse_lines(f)
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except OSError as e:
        raise BundleError(f"{path}: cannot read: {e.strerror}") from None


def parse_bundle(data: bytes) -> Bundle:
    """``read_bundle`` for a bundle already in memory."""
    return _parse_lines(io.BytesIO(data))


def scan_bundle(path: Path | str) -> BundleFile:
    """``read_bundle``'s checks, keeping no records: the verifier reads them again from the
    file (``BundleFile.iter_records``)."""
    try:
        with open(path, "rb") as f:
            return _parse_lines(f, lambda o, k, e: BundleFile(Path(path), o, k, e))
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except OSError as e:
        raise BundleError(f"{path}: cannot read: {e.strerror}") from None


def _parse_lines(source: Iterable[bytes], make: Any = Bundle) -> Any:
    lines = _whole_lines(source)
    first = next(lines, None)
    if first is None:
        raise BundleError("empty input: not a bundle")
    header = _parse_line(first, 1)
    if header.get("bundle") != BUNDLE_FORMAT:
        raise BundleError(f"line 1: expected a {BUNDLE_FORMAT} header, got {_short(first)}")
    origin, keys = header.get("origin"), header.get("keys")
    if not isinstance(origin, str) or not isinstance(keys, list):
        raise BundleError("line 1: the header needs 'origin' (string) and 'keys' (list)")
    if not all(isinstance(k, str) for k in keys):
        raise BundleError("line 1: every key must be a verifier-key string")
    bundle = make(origin, keys, str(header.get("exported_at", "")))
    end: dict[str, Any] | None = None
    for lineno, raw in enumerate(lines, start=2):
        if end is not None:
            raise BundleError(f"line {lineno}: content after the end line")
        fast = _EVENT_LINE.fullmatch(raw)
        if fast is not None and not bundle.checkpoints:
            # The exporter's exact spelling of an event line, read without a JSON parse; any
            # other spelling takes the general path below and is checked the same way.
            index, nid, record = fast.groups()
            _add_event(
                bundle,
                {"event": int(index), "notification_id": int(nid), "record": record.decode()},
                lineno,
            )
            continue
        obj = _parse_line(raw, lineno)
        if "event" in obj:
            if bundle.checkpoints:
                raise BundleError(f"line {lineno}: an event after the checkpoints")
            _add_event(bundle, obj, lineno)
        elif "checkpoint" in obj:
            if not isinstance(obj["checkpoint"], str):
                raise BundleError(f"line {lineno}: checkpoint must be a string")
            bundle.checkpoints.append(obj["checkpoint"])
        elif "end" in obj:
            end = obj["end"]
        else:
            raise BundleError(f"line {lineno}: unknown line {_short(raw)}")
    if end is None:
        raise BundleError("no end line: the bundle is truncated")
    counts = (bundle.count, len(bundle.checkpoints))
    if not isinstance(end, dict) or (end.get("events"), end.get("checkpoints")) != counts:
        raise BundleError(
            f"the end line says {end!r}, the bundle holds {counts[0]} events "
            f"and {counts[1]} checkpoints: the bundle is truncated or spliced"
        )
    return bundle


def _whole_lines(source: Iterable[bytes]) -> Iterator[bytes]:
    """Each line without its line feed; BundleError if the last one has none (truncated)."""
    for line in source:
        if not line.endswith(b"\n"):
            raise BundleError("the last line has no line feed: the bundle is truncated")
        yield line[:-1]


def _add_event(bundle: Bundle | BundleFile, obj: dict[str, Any], lineno: int) -> None:
    index, nid, record = obj.get("event"), obj.get("notification_id"), obj.get("record")
    if index != bundle.count:
        raise BundleError(f"line {lineno}: expected event {bundle.count}, got {index!r}")
    last = bundle.last_notification_id()
    if type(nid) is not int or (last is not None and nid <= last):
        raise BundleError(f"line {lineno}: notification ids must be increasing integers")
    if not isinstance(record, str):
        raise BundleError(f"line {lineno}: record must be a base64 string")
    try:
        decoded = b64decode_strict(record)
    except ValueError:
        raise BundleError(f"line {lineno}: record is not canonical base64") from None
    bundle.add_event(nid, decoded)


def _parse_line(raw: bytes, lineno: int) -> dict[str, Any]:
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BundleError(f"line {lineno}: not JSON: {_short(raw)}") from None
    if not isinstance(obj, dict):
        raise BundleError(f"line {lineno}: expected a JSON object")
    return obj


def _short(raw: bytes) -> str:
    text = raw[:60].decode("utf-8", "replace")
    return repr(text + ("…" if len(raw) > 60 else ""))
