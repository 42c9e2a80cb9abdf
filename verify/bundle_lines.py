"""The lines of an export bundle as the exporter writes them (docs/FORMAT.md, §5), and an event
line's record told from its bytes.

A ``drawledger/bundle/v2`` bundle carries an event whose record is an envelope and its signature
(``JCS(envelope) ‖ 0x0A ‖ base64(key id ‖ signature)``, §2) as the two, unencoded:
``{"event":I,"notification_id":N,"signature":"BASE64","envelope":JCS}``: the envelope is the
line's last member and its bytes are the line's bytes between ``"envelope":`` and the closing
``}``, so the record is those bytes, a line feed and the signature's text — the bytes the store
holds, with nothing decoded. JCS writes no raw line feed and a canonical envelope is a JSON
object, so the line stays one line of JSON. A record that is not of that form (only a store
changed behind the ledger's back holds one) is carried in base64, as in v1:
``{"event":I,"notification_id":N,"record":"BASE64"}``.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

BUNDLE_FORMAT = "drawledger/bundle/v2"
BUNDLE_V1 = "drawledger/bundle/v1"
FORMATS = (BUNDLE_V1, BUNDLE_FORMAT)

# An event line carrying its envelope, up to the envelope: the line must then end in '}}\n'
# with the envelope starting '{' (``envelope_record``).
ENVELOPE_HEAD = re.compile(
    rb'\{"event":(0|[1-9][0-9]*),"notification_id":(0|[1-9][0-9]*),'
    rb'"signature":"([A-Za-z0-9+/]*={0,2})","envelope":'
)
_SIGNATURE_TEXT = re.compile(rb"[A-Za-z0-9+/]*={0,2}")


def envelope_record(line: bytes, fields: re.Match[bytes] | None) -> bytes | None:
    """The record an event line carrying its envelope holds (``fields``: ``ENVELOPE_HEAD``'s
    match of the line, LF included), or None if the line is not one such line."""
    if fields is None or not line.endswith(b"}}\n"):
        return None
    start = fields.end()
    if line[start] != 123:  # '{'
        return None
    return line[start:-2] + b"\n" + fields[3]


def line_event(line: bytes) -> tuple[int, int, bytes] | None:
    """An event line's leaf index, notification id and record, the line of either form as the
    exporter spells it (LF included or not), or None if it is not one: for tools and tests that
    edit bundles (the verifier's scan checks much more)."""
    if not line.endswith(b"\n"):
        line += b"\n"
    fields = ENVELOPE_HEAD.match(line)
    record = envelope_record(line, fields)
    if fields is not None and record is not None:
        return int(fields[1]), int(fields[2]), record
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    text = obj.get("record") if isinstance(obj, dict) and "event" in obj else None
    if not isinstance(text, str):
        return None
    return obj["event"], obj["notification_id"], base64.b64decode(text, validate=True)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")


def envelope_parts(record: bytes) -> tuple[bytes, bytes] | None:
    """``(envelope bytes, signature text)`` if ``record`` can be carried as them — an envelope
    that is one JSON object in UTF-8 on one line, a line feed, and text of the base64 alphabet —
    else None (the record is then carried in base64). Whether the envelope is canonical and
    the signature sound is step 3's to say, as for any record."""
    envelope, sep, signature = record.partition(b"\n")
    if not sep or not envelope.startswith(b"{") or not envelope.endswith(b"}"):
        return None
    if _SIGNATURE_TEXT.fullmatch(signature) is None:
        return None
    try:
        json.loads(envelope.decode("utf-8"), parse_constant=_refuse_constant)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    return envelope, signature


def header_line(origin: str, keys: list[str], exported_at: str, form: str = BUNDLE_FORMAT) -> bytes:
    return _line({"bundle": form, "origin": origin, "keys": keys, "exported_at": exported_at})


def event_line(index: int, notification_id: int, record: bytes) -> bytes:
    """A v2 event line: the envelope and signature as they are, or the record in base64 if it
    is not of that form."""
    parts = envelope_parts(record)
    if parts is None:
        return record_line(index, notification_id, record)
    envelope, signature = parts
    head = f'{{"event":{index},"notification_id":{notification_id},"signature":"'
    return head.encode("ascii") + signature + b'","envelope":' + envelope + b"}\n"


def record_line(index: int, notification_id: int, record: bytes) -> bytes:
    """An event line with the record in base64 (every event line of a v1 bundle)."""
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
