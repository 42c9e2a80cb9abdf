"""A bundle held in memory (``read_bundle``, ``parse_bundle``), and the checks with which the
scan (``verify/bundle.py``) adds an event line to a bundle, in memory or on disk."""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .bundle_lines import BUNDLE_FORMAT, envelope_parts
from .errors import VerifyError
from .keys import b64decode_strict
from .record_text import ROTATION, canonical_base64


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
    envelopes: bool = False  # a v2 bundle: events may carry their envelopes (bundle_lines.py)

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


TRUNCATED = "最后一行没有换行符：导出包被截断"


def next_position(bundle: Any, index: Any, nid: Any, lineno: int) -> None:
    """An event line's index must be the bundle's next, and its notification id an integer
    above the last one; BundleError naming the line otherwise."""
    if index != bundle.count:
        raise BundleError(f"第 {lineno} 行：应为事件 {bundle.count}，实为 {index!r}")
    last = bundle.last_notification_id()
    if type(nid) is not int or (last is not None and nid <= last):
        raise BundleError(f"第 {lineno} 行：notification id 必须是递增的整数")


def add_exact_line(bundle: Bundle, index: int, nid: int, record: bytes, lineno: int) -> None:
    """``add_event_object`` for a line in the exporter's spelling, into a ``Bundle``: its record's
    base64 is checked canonical without decoding it (``BundleFile.add_exact`` makes the same
    checks and keeps the text's digest, not the bytes)."""
    next_position(bundle, index, nid, lineno)
    if not canonical_base64(record):
        raise BundleError(f"第 {lineno} 行：record 不是规范的 base64")
    bundle.add_event(nid, binascii.a2b_base64(record))


def add_event_object(bundle: Any, obj: dict[str, Any], lineno: int) -> bytes:
    index, nid, record = obj.get("event"), obj.get("notification_id"), obj.get("record")
    next_position(bundle, index, nid, lineno)
    if not isinstance(record, str):
        raise BundleError(f"第 {lineno} 行：record 必须是 base64 字符串")
    try:
        decoded = b64decode_strict(record)
    except ValueError:
        raise BundleError(f"第 {lineno} 行：record 不是规范的 base64") from None
    if bundle.envelopes and envelope_parts(decoded) is not None:
        raise BundleError(
            f"第 {lineno} 行：在 {BUNDLE_FORMAT} 导出包中，由信封和签名构成的记录"
            "必须按信封和签名原样携带，不得使用 base64"
        )
    bundle.add_event(nid, decoded)
    return decoded


def add_envelope_line(bundle: Bundle, fields: re.Match[bytes], record: bytes, lineno: int) -> None:
    """``BundleFile.add_record``'s checks, into a ``Bundle``."""
    index, nid = int(fields[1]), int(fields[2])
    next_position(bundle, index, nid, lineno)
    if not canonical_base64(fields[3]):
        raise BundleError(f"第 {lineno} 行：signature 不是规范的 base64")
    bundle.add_event(nid, record)


def parse_line(raw: bytes, lineno: int) -> dict[str, Any]:
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BundleError(f"第 {lineno} 行：不是 JSON：{short_text(raw)}") from None
    if not isinstance(obj, dict):
        raise BundleError(f"第 {lineno} 行：应为 JSON 对象")
    return obj


def short_text(raw: bytes) -> str:
    text = raw[:60].decode("utf-8", "replace")
    return repr(text + ("…" if len(raw) > 60 else ""))
