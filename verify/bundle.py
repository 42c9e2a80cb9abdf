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
import binascii
import hashlib
import io
import json
import re
from array import array
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import VerifyError, file_reason
from .keys import b64decode_strict
from .merkle import CompactTree
from .record_text import ROTATION, canonical_base64, may_rotate

BUNDLE_FORMAT = "drawledger/bundle/v1"
_EVENT_LINE = re.compile(
    rb'\{"event":(0|[1-9][0-9]*),"notification_id":(0|[1-9][0-9]*),"record":"([A-Za-z0-9+/]*={0,2})"\}'
)
_RECORD_AT = len(b'"record":"')
# The same line up to its record: the one pass checks the record's characters by decoding it
# strictly (binascii refuses what is not the alphabet with '=' only at its end), not by a match.
_EVENT_HEAD = re.compile(rb'\{"event":(0|[1-9][0-9]*),"notification_id":(0|[1-9][0-9]*),"record":"')


class BundleError(VerifyError):
    """The input is not a complete, well-formed bundle (exit status 2)."""


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
        return [r for r in self.records if ROTATION in r]


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
    _digest: Any = field(default_factory=hashlib.sha256)  # over every record's base64 text
    _hash_text: bool = True  # whether ``_digest`` is kept (not by a first pass guarded by root)
    _root: bytes | None = None  # the records' Merkle root, when that guards the later passes
    _exact: bool = True  # every event line in the exporter's own spelling (``_EVENT_LINE``)
    # Each event's position (its store notification id), 8 bytes an event: what the report
    # names events by (docs/FORMAT.md, "Positions").
    notification_ids: array[int] = field(default_factory=lambda: array("q"))
    # Opened by ``open_bundle``: the header and the tail (checkpoints, end line) were read,
    # the events not yet; ``count`` is what the end line claims until the first pass is done.
    pending: bool = False

    def add_event(self, notification_id: int, record: bytes) -> None:
        self._exact = False  # a line in another spelling: read again through the JSON path
        self.add_encoded(notification_id, base64.b64encode(record), len(record))

    def add_encoded(self, notification_id: int, text: bytes, size: int) -> None:
        """An event whose record is the canonical base64 ``text`` of ``size`` bytes: only the
        first record and those that may be key rotations are decoded."""
        if self._hash_text:
            self._digest.update(text + b"\n")
        self.notification_ids.append(notification_id)
        if self._first is None:
            self._first = base64.b64decode(text)
        if may_rotate(text):
            record = base64.b64decode(text)
            if ROTATION in record:
                self._rotations.append(record)
        self.count += 1
        self.record_bytes += size
        self._last = notification_id

    def add_exact(self, index: bytes, nid: bytes, text: bytes, lineno: int) -> None:
        """``_add_exact``'s checks, in the same order, then ``add_encoded``: for the scan's loop
        over a file's event lines in the exporter's spelling."""
        count, last, notification_id = self.count, self._last, int(nid)
        if int(index) != count:
            raise BundleError(f"第 {lineno} 行：应为事件 {count}，实为 {int(index)!r}")
        if last is not None and notification_id <= last:
            raise BundleError(f"第 {lineno} 行：notification id 必须是递增的整数")
        if not canonical_base64(text):
            raise BundleError(f"第 {lineno} 行：record 不是规范的 base64")
        # add_encoded, inline (one call less an event)
        if self._hash_text:
            self._digest.update(text + b"\n")
        self.notification_ids.append(notification_id)
        if count == 0:
            self._first = base64.b64decode(text)
        if may_rotate(text):
            record = base64.b64decode(text)
            if ROTATION in record:
                self._rotations.append(record)
        self.count = count + 1
        self.record_bytes += len(text) // 4 * 3 - text.count(b"=", -2)
        self._last = notification_id

    def last_notification_id(self) -> int | None:
        return self._last

    def first_record(self) -> bytes | None:
        return self._first

    def rotation_records(self) -> list[bytes]:
        return self._rotations

    def iter_records(self, *, root_guard: bool = False) -> Iterator[bytes]:
        """The records, read from the file. The first pass over a bundle ``open_bundle``
        opened is the structural scan itself (``_first_pass``); every later pass reads them
        again and raises BundleError if the file no longer holds what the scan checked (it
        changed while it was being verified): the records of each pass hash to what the scan
        hashed, checked when the pass ends, so that no result of a pass over other bytes than
        the others' is used.

        ``root_guard``: the caller of a first pass hashes every record into a Merkle tree
        anyway (the record pass) and gives its root to ``guard_by_root`` when the pass ends;
        the scan then does not hash the records' text a second time, and later passes compare
        the root of the records they read with that root instead. (A first pass ended without
        a root, or abandoned, makes the next pass the scan again.)"""
        if self.pending:
            return self._first_pass(root_guard=root_guard)
        if self._root is None and self._digest is None:
            return self._first_pass(root_guard=False)  # nothing guards a later pass: rescan
        return self._again()

    def guard_by_root(self, root: bytes) -> None:
        """The Merkle root (RFC 9162) of all the records a first pass with ``root_guard``
        yielded, computed by its caller as they went by: what later passes must find."""
        if self.pending or self._digest is not None:
            raise ValueError("guard_by_root ends a first pass made with root_guard only")
        self._root = root

    def _first_pass(self, *, root_guard: bool = False) -> Iterator[bytes]:
        """Scan the file as ``scan_bundle`` does (every check, in the same order, with the
        same messages), yielding each record as its line is checked: one read of the file for
        the structure and step 3. What the scan finds must be what ``open_bundle`` read ahead
        (header, checkpoints, the end line's count): else the file changed between the two
        reads and BundleError says so. A pass abandoned before its end leaves the bundle
        pending: the next pass scans again."""
        ids = self.notification_ids
        del ids[:]

        def make(origin: str, keys: list[str], exported_at: str) -> BundleFile:
            return BundleFile(
                self.path,
                origin,
                keys,
                exported_at,
                notification_ids=ids,
                _hash_text=not root_guard,
            )

        self._digest = self._root = None  # until this pass ends: no other pass is guarded

        try:
            with open(self.path, "rb") as f:
                scanned = yield from _read_lines(f, make, records=True)
        except OSError as e:
            raise BundleError(f"{self.path}：无法再次读取：{file_reason(e)}") from None
        read_ahead = (self.origin, self.keys, self.exported_at, self.checkpoints, self.count)
        if read_ahead != (
            scanned.origin,
            scanned.keys,
            scanned.exported_at,
            scanned.checkpoints,
            scanned.count,
        ):
            raise BundleError(f"{self.path}：文件在核验过程中被改动")
        self.record_bytes, self._exact = scanned.record_bytes, scanned._exact
        self._last, self._first, self._rotations = scanned._last, scanned._first, scanned._rotations
        self._digest = None if root_guard else scanned._digest
        self.pending = False

    def _again(self) -> Iterator[bytes]:
        count = 0
        digest = hashlib.sha256()
        tree = CompactTree() if self._root is not None else None
        update, decode, exact = digest.update, binascii.a2b_base64, self._exact
        leaf, sha256 = tree.append if tree is not None else None, hashlib.sha256
        try:
            with open(self.path, "rb") as f:
                next(f, None)
                for lineno, line in enumerate(f, start=2):
                    if count == self.count:
                        break
                    if exact:  # every line as _EVENT_LINE spells it: the record ends at '"}\n'
                        text = line[line.index(b'"record":"') + _RECORD_AT : -3]
                    else:
                        fast = _EVENT_LINE.fullmatch(line[:-1])
                        text = fast.group(3) if fast is not None else _record_of(line, lineno)
                    # Canonical base64 was checked by the scan; the digest proves the text the
                    # same, or the root the records (a change since makes the pass fail when
                    # it ends).
                    record = decode(text)
                    if leaf is None:
                        update(text + b"\n")
                    else:
                        leaf(sha256(b"\x00" + record).digest())  # merkle.leaf_hash
                    yield record
                    count += 1
        except (OSError, ValueError) as e:
            raise BundleError(f"{self.path}：无法再次读取：{file_reason(e)}") from None
        if count != self.count or (
            digest.digest() != self._digest.digest() if tree is None else tree.root() != self._root
        ):
            raise BundleError(f"{self.path}：文件在核验过程中被改动")


def _record_of(raw: bytes, lineno: int) -> bytes:
    record = _parse_line(raw, lineno).get("record")
    if not isinstance(record, str) or not record.isascii():
        raise BundleError(f"第 {lineno} 行：文件在核验过程中被改动")
    return record.encode("ascii")


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
        raise BundleError(f"{path}：文件不存在") from None
    except OSError as e:
        raise BundleError(f"{path}：无法读取：{file_reason(e)}") from None


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
        raise BundleError(f"{path}：文件不存在") from None
    except OSError as e:
        raise BundleError(f"{path}：无法读取：{file_reason(e)}") from None


def _header(first: bytes) -> tuple[str, list[str], str]:
    """The header line's origin, keys and export time; BundleError if it is not one."""
    header = _parse_line(first, 1)
    if header.get("bundle") != BUNDLE_FORMAT:
        raise BundleError(f"第 1 行：应为 {BUNDLE_FORMAT} 文件头，实为 {_short(first)}")
    origin, keys = header.get("origin"), header.get("keys")
    if not isinstance(origin, str) or not isinstance(keys, list):
        raise BundleError("第 1 行：文件头须有 'origin'（字符串）和 'keys'（列表）")
    if not all(isinstance(k, str) for k in keys):
        raise BundleError("第 1 行：每个密钥都必须是公钥字符串")
    return origin, keys, str(header.get("exported_at", ""))


def _parse_lines(source: Iterable[bytes], make: Any = Bundle) -> Any:
    """Read and check a bundle's lines into ``make(origin, keys, exported_at)``."""
    lines = _read_lines(source, make, records=False)
    try:
        while True:
            next(lines)
    except StopIteration as done:
        return done.value


def _read_lines(
    source: Iterable[bytes], make: Any, *, records: bool
) -> Generator[bytes, None, Any]:
    """``_parse_lines``; with ``records``, yielding each event's record as its line is
    checked (the scan of ``BundleFile._first_pass``)."""
    lines = iter(source)
    first = next(lines, None)
    if first is None:
        raise BundleError("输入为空：不是导出包")
    if not first.endswith(b"\n"):
        raise BundleError(_TRUNCATED)
    bundle = make(*_header(first[:-1]))
    end: dict[str, Any] | None = None
    add_exact = bundle.add_exact if isinstance(bundle, BundleFile) else None
    decode, match, head = binascii.a2b_base64, _EVENT_LINE.fullmatch, _EVENT_HEAD.match
    for lineno, line in enumerate(lines, start=2):
        if not line.endswith(b"\n"):
            raise BundleError(_TRUNCATED)
        if end is not None:
            raise BundleError(f"第 {lineno} 行：结束行之后还有内容")
        if records and add_exact is not None and not bundle.checkpoints:
            # The one pass decodes every record: a line that is _EVENT_LINE's up to its
            # record and ends '"}' is one _EVENT_LINE matches if the record decodes strictly
            # (else the match below decides, as in the scan).
            fields = head(line)
            if fields is not None and line.endswith(b'"}\n'):
                text = line[fields.end() : -3]
                try:
                    record = decode(text, strict_mode=True)
                except binascii.Error:
                    pass
                else:
                    add_exact(fields[1], fields[2], text, lineno)
                    yield record
                    continue
        fast = match(line, 0, len(line) - 1)  # the line without its line feed, uncopied
        if fast is not None and not bundle.checkpoints:
            # The exporter's exact spelling of an event line, read without a JSON parse; any
            # other spelling takes the general path below and is checked the same way.
            index, nid, record = fast.groups()
            if add_exact is None:  # a Bundle
                _add_exact(bundle, int(index), int(nid), record, lineno)
            else:
                add_exact(index, nid, record, lineno)
            if records:
                yield decode(record)
            continue
        raw = line[:-1]
        obj = _parse_line(raw, lineno)
        if "event" in obj:
            if bundle.checkpoints:
                raise BundleError(f"第 {lineno} 行：检查点之后出现事件")
            decoded = _add_event(bundle, obj, lineno)
            if records:
                yield decoded
        elif "checkpoint" in obj:
            if not isinstance(obj["checkpoint"], str):
                raise BundleError(f"第 {lineno} 行：checkpoint 必须是字符串")
            bundle.checkpoints.append(obj["checkpoint"])
        elif "end" in obj:
            end = obj["end"]
        else:
            raise BundleError(f"第 {lineno} 行：无法识别的行 {_short(raw)}")
    if end is None:
        raise BundleError("没有结束行：导出包被截断")
    counts = (bundle.count, len(bundle.checkpoints))
    if not isinstance(end, dict) or (end.get("events"), end.get("checkpoints")) != counts:
        raise BundleError(
            f"结束行写的是 {end!r}，导出包有 {counts[0]} 个事件和 {counts[1]} 个检查点："
            "导出包被截断或拼接"
        )
    return bundle


_TRUNCATED = "最后一行没有换行符：导出包被截断"


def _add_exact(bundle: Bundle, index: int, nid: int, record: bytes, lineno: int) -> None:
    """``_add_event`` for a line in the exporter's spelling, into a ``Bundle``: its record's
    base64 is checked canonical without decoding it (``BundleFile.add_exact`` makes the same
    checks and keeps the text's digest, not the bytes)."""
    if index != bundle.count:
        raise BundleError(f"第 {lineno} 行：应为事件 {bundle.count}，实为 {index!r}")
    last = bundle.last_notification_id()
    if last is not None and nid <= last:
        raise BundleError(f"第 {lineno} 行：notification id 必须是递增的整数")
    if not canonical_base64(record):
        raise BundleError(f"第 {lineno} 行：record 不是规范的 base64")
    bundle.add_event(nid, binascii.a2b_base64(record))


def _add_event(bundle: Bundle | BundleFile, obj: dict[str, Any], lineno: int) -> bytes:
    index, nid, record = obj.get("event"), obj.get("notification_id"), obj.get("record")
    if index != bundle.count:
        raise BundleError(f"第 {lineno} 行：应为事件 {bundle.count}，实为 {index!r}")
    last = bundle.last_notification_id()
    if type(nid) is not int or (last is not None and nid <= last):
        raise BundleError(f"第 {lineno} 行：notification id 必须是递增的整数")
    if not isinstance(record, str):
        raise BundleError(f"第 {lineno} 行：record 必须是 base64 字符串")
    try:
        decoded = b64decode_strict(record)
    except ValueError:
        raise BundleError(f"第 {lineno} 行：record 不是规范的 base64") from None
    bundle.add_event(nid, decoded)
    return decoded


def _parse_line(raw: bytes, lineno: int) -> dict[str, Any]:
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BundleError(f"第 {lineno} 行：不是 JSON：{_short(raw)}") from None
    if not isinstance(obj, dict):
        raise BundleError(f"第 {lineno} 行：应为 JSON 对象")
    return obj


def _short(raw: bytes) -> str:
    text = raw[:60].decode("utf-8", "replace")
    return repr(text + ("…" if len(raw) > 60 else ""))
