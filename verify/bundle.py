"""The export bundle: what an auditor receives (docs/FORMAT.md, "Bundle").

A bundle is UTF-8 JSON Lines, one object per LF-terminated line, in this order:

1. a header ``{"bundle": "drawledger/bundle/v2", "origin", "keys", "exported_at"}``;
2. one line per event, in log order: ``{"event": i, "notification_id": n, "signature": base64,
   "envelope": JCS}`` (``verify/bundle_lines.py``), or ``{"event": i, "notification_id": n,
   "record": base64}`` for a record not of that form, where ``i`` counts from 0 (the event's
   Merkle leaf index); either holds the stored bytes. A ``drawledger/bundle/v1`` bundle (every
   record in base64) is read as before;
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
import re
from array import array
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bundle_events import (
    TRUNCATED,
    Bundle,
    BundleError,
    add_envelope_line,
    add_event_object,
    add_exact_line,
    parse_line,
    short_text,
)
from .bundle_lines import (
    BUNDLE_FORMAT,
    BUNDLE_V1,
    ENVELOPE_HEAD,
    FORMATS,
    checkpoint_line,
    end_line,
    envelope_record,
    event_line,
    header_line,
    record_line,
)
from .errors import file_reason
from .merkle import CompactTree
from .record_text import ROTATION, canonical_base64, may_rotate

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_V1",
    "Bundle",
    "BundleError",
    "BundleFile",
    "checkpoint_line",
    "end_line",
    "event_line",
    "header_line",
    "parse_bundle",
    "read_bundle",
    "record_line",
    "scan_bundle",
]
_EVENT_LINE = re.compile(
    rb'\{"event":(0|[1-9][0-9]*),"notification_id":(0|[1-9][0-9]*),"record":"([A-Za-z0-9+/]*={0,2})"\}'
)
_RECORD_AT = len(b'"record":"')
# The same line up to its record: the one pass checks the record's characters by decoding it
# strictly (binascii refuses what is not the alphabet with '=' only at its end), not by a match.
_EVENT_HEAD = re.compile(rb'\{"event":(0|[1-9][0-9]*),"notification_id":(0|[1-9][0-9]*),"record":"')


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
    # Over every event line's record: a base64 record's text and a line feed, or 0x00, the
    # length of a record carried as its envelope (8 bytes, big-endian) and the record.
    _digest: Any = field(default_factory=hashlib.sha256)
    _hash_text: bool = True  # whether ``_digest`` is kept (not by a first pass guarded by root)
    _root: bytes | None = None  # the records' Merkle root, when that guards the later passes
    _exact: bool = True  # every event line in the exporter's own spelling (``_EVENT_LINE``)
    # Each event's position (its store notification id), 8 bytes an event: what the report
    # names events by (docs/FORMAT.md, "Positions").
    notification_ids: array[int] = field(default_factory=lambda: array("q"))
    # Opened by ``open_bundle``: the header and the tail (checkpoints, end line) were read,
    # the events not yet; ``count`` is what the end line claims until the first pass is done.
    pending: bool = False
    envelopes: bool = False  # a v2 bundle: events may carry their envelopes (bundle_lines.py)

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
        """``add_exact_line``'s checks, in the same order, then ``add_encoded``: for the scan's loop
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

    def add_record(
        self, index: bytes, nid: bytes, record: bytes, signature: bytes, lineno: int
    ) -> None:
        """``add_exact`` for an event line carrying its envelope, whose ``record`` is the
        envelope, a line feed and the ``signature`` text, which must be canonical base64."""
        count, last, notification_id = self.count, self._last, int(nid)
        if int(index) != count:
            raise BundleError(f"第 {lineno} 行：应为事件 {count}，实为 {int(index)!r}")
        if last is not None and notification_id <= last:
            raise BundleError(f"第 {lineno} 行：notification id 必须是递增的整数")
        size = len(record)
        if not canonical_base64(signature):
            raise BundleError(f"第 {lineno} 行：signature 不是规范的 base64")
        if self._hash_text:
            self._digest.update(b"\x00" + size.to_bytes(8, "big") + record)
        self.notification_ids.append(notification_id)
        if count == 0:
            self._first = record
        if record.find(ROTATION) >= 0:
            self._rotations.append(record)
        self.count = count + 1
        self.record_bytes += size
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
        ) or (self.envelopes != scanned.envelopes):
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
        head = ENVELOPE_HEAD.match if self.envelopes else None
        try:
            with open(self.path, "rb") as f:
                next(f, None)
                for lineno, line in enumerate(f, start=2):
                    if count == self.count:
                        break
                    record = envelope_record(line, head(line)) if head is not None else None
                    if record is not None:  # the envelope and signature, as they are
                        if leaf is None:
                            update(b"\x00" + len(record).to_bytes(8, "big") + record)
                    else:
                        if exact:  # the line as _EVENT_LINE spells it: the record ends at '"}\n'
                            text = line[line.index(b'"record":"') + _RECORD_AT : -3]
                        else:
                            fast = _EVENT_LINE.fullmatch(line[:-1])
                            text = fast.group(3) if fast is not None else _record_of(line, lineno)
                        # Canonical base64 was checked by the scan; the digest proves the text
                        # the same, or the root the records (a change since makes the pass fail
                        # when it ends).
                        record = decode(text)
                        if leaf is None:
                            update(text + b"\n")
                    if leaf is not None:
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
    record = parse_line(raw, lineno).get("record")
    if not isinstance(record, str) or not record.isascii():
        raise BundleError(f"第 {lineno} 行：文件在核验过程中被改动")
    return record.encode("ascii")


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


def _header(first: bytes) -> tuple[str, list[str], str, bool]:
    """The header line's origin, keys and export time, and whether it is a v2 bundle's (whose
    events may carry their envelopes); BundleError if it is not one."""
    header = parse_line(first, 1)
    if header.get("bundle") not in FORMATS:
        raise BundleError(
            f"第 1 行：应为 {BUNDLE_FORMAT}（或 {BUNDLE_V1}）文件头，实为 {short_text(first)}"
        )
    origin, keys = header.get("origin"), header.get("keys")
    if not isinstance(origin, str) or not isinstance(keys, list):
        raise BundleError("第 1 行：文件头须有 'origin'（字符串）和 'keys'（列表）")
    if not all(isinstance(k, str) for k in keys):
        raise BundleError("第 1 行：每个密钥都必须是公钥字符串")
    exported_at = str(header.get("exported_at", ""))
    return origin, keys, exported_at, header["bundle"] == BUNDLE_FORMAT


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
        raise BundleError(TRUNCATED)
    origin, keys, exported_at, envelopes = _header(first[:-1])
    bundle = make(origin, keys, exported_at)
    bundle.envelopes = envelopes
    end: dict[str, Any] | None = None
    add_exact = bundle.add_exact if isinstance(bundle, BundleFile) else None
    add_record = bundle.add_record if isinstance(bundle, BundleFile) else None
    decode, match, head = binascii.a2b_base64, _EVENT_LINE.fullmatch, _EVENT_HEAD.match
    envelope_head = ENVELOPE_HEAD.match
    for lineno, line in enumerate(lines, start=2):
        if not line.endswith(b"\n"):
            raise BundleError(TRUNCATED)
        if end is not None:
            raise BundleError(f"第 {lineno} 行：结束行之后还有内容")
        fields = envelope_head(line)
        if fields is not None and not bundle.checkpoints:
            # An event line carrying its envelope (bundle_lines.py): its record is the line's
            # bytes, not decoded; whether the envelope is canonical is step 3's to say.
            record = envelope_record(line, fields)
            if record is not None:
                if not envelopes:
                    raise BundleError(
                        f"第 {lineno} 行：{BUNDLE_V1} 导出包中出现携带信封原文的事件行"
                    )
                if add_record is None:  # a Bundle
                    add_envelope_line(bundle, fields, record, lineno)
                else:
                    add_record(fields[1], fields[2], record, fields[3], lineno)
                if records:
                    yield record
                continue
        if envelopes:
            pass  # a record in base64 in a v2 bundle: the general path below (add_event_object)
        elif records and add_exact is not None and not bundle.checkpoints:
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
        fast = None if envelopes else match(line, 0, len(line) - 1)  # the line uncopied
        if fast is not None and not bundle.checkpoints:
            # The exporter's exact spelling of an event line, read without a JSON parse; any
            # other spelling takes the general path below and is checked the same way.
            index, nid, record = fast.groups()
            if add_exact is None:  # a Bundle
                add_exact_line(bundle, int(index), int(nid), record, lineno)
            else:
                add_exact(index, nid, record, lineno)
            if records:
                yield decode(record)
            continue
        raw = line[:-1]
        obj = parse_line(raw, lineno)
        if "event" in obj:
            if bundle.checkpoints:
                raise BundleError(f"第 {lineno} 行：检查点之后出现事件")
            if "envelope" in obj or "signature" in obj:
                raise BundleError(
                    f"第 {lineno} 行：携带信封原文的事件行必须与导出程序所写完全一致，信封在最后"
                )
            decoded = add_event_object(bundle, obj, lineno)
            if records:
                yield decoded
        elif "checkpoint" in obj:
            if not isinstance(obj["checkpoint"], str):
                raise BundleError(f"第 {lineno} 行：checkpoint 必须是字符串")
            bundle.checkpoints.append(obj["checkpoint"])
        elif "end" in obj:
            end = obj["end"]
        else:
            raise BundleError(f"第 {lineno} 行：无法识别的行 {short_text(raw)}")
    if end is None:
        raise BundleError("没有结束行：导出包被截断")
    counts = (bundle.count, len(bundle.checkpoints))
    if not isinstance(end, dict) or (end.get("events"), end.get("checkpoints")) != counts:
        raise BundleError(
            f"结束行写的是 {end!r}，导出包有 {counts[0]} 个事件和 {counts[1]} 个检查点："
            "导出包被截断或拼接"
        )
    return bundle
