"""The signed event record: envelope, canonical bytes, digest and signature.

A stored event is ``JCS(envelope) ‖ 0x0A ‖ base64(key id ‖ Ed25519 signature)`` where

- the envelope is a JSON object with exactly the members ``type``, ``aggregate``, ``version``,
  ``time``, ``actor``, ``payload`` and ``prev`` (docs/FORMAT.md, "Event record");
- ``JCS`` is RFC 8785 canonical JSON; numbers are integers within ±(2^53 − 1), never floats;
- the digest is ``SHA-256("drawledger/event/v1" ‖ 0x0A ‖ JCS(envelope))``;
- the signature is the ledger key's Ed25519 signature over the 32 digest bytes.

JCS never writes a raw line feed (it escapes it inside strings), so the first 0x0A byte splits
a record unambiguously.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import rfc8785

from .errors import FormatError, SignatureError
from .keys import SignerKey, VerifierKey

DIGEST_DOMAIN = b"drawledger/event/v1\n"
ENVELOPE_MEMBERS = ("actor", "aggregate", "payload", "prev", "time", "type", "version")
MAX_SAFE_INTEGER = 2**53 - 1

_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_TYPE_NAMES_SEEN: set[str] = set()  # type names that matched _TYPE_NAME


@dataclass(frozen=True)
class SignedEvent:
    """A decoded event record. ``envelope_bytes`` are exactly the bytes that were hashed."""

    envelope: dict[str, Any]
    envelope_bytes: bytes
    digest: bytes
    key_id: bytes
    signature: bytes

    @property
    def type(self) -> str:
        return str(self.envelope["type"])

    @property
    def aggregate(self) -> str:
        return str(self.envelope["aggregate"])

    @property
    def version(self) -> int:
        return int(self.envelope["version"])

    @property
    def prev(self) -> bytes | None:
        prev = self.envelope["prev"]
        return None if prev is None else bytes.fromhex(prev)


def canonical(obj: Any) -> bytes:
    """RFC 8785 bytes of ``obj``; refuses floats and integers beyond ±(2^53 − 1).

    For float-free JSON whose text has no character outside the Basic Multilingual Plane, the
    standard library's sorted compact encoding is byte-identical to RFC 8785 (same escapes,
    and code-point key order equals UTF-16 key order there); anything else is encoded by the
    rfc8785 package. A property test checks the two against each other.
    """
    _check_numbers(obj)
    return _encode(obj)


def _encode(obj: Any) -> bytes:
    # The C encoder of _ENCODER's settings, built once (``_ENCODER.encode`` builds one per
    # call): the same text. It has no circular-reference check; ``canonical``'s number walk,
    # which runs first, never ends on a cycle.
    try:
        fast = _JOIN(_C_ENCODE(obj, 0))
        encoded = fast.encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError):
        return bytes(rfc8785.dumps(obj))
    if fast.isascii() or _ASTRAL.search(fast) is None:
        return encoded
    return bytes(rfc8785.dumps(obj))


def event_digest(envelope_bytes: bytes) -> bytes:
    """The domain-separated SHA-256 digest of canonical envelope bytes."""
    return hashlib.sha256(DIGEST_DOMAIN + envelope_bytes).digest()


def make_envelope(
    *,
    type: str,  # noqa: A002 - the member's name in the format
    aggregate: str,
    version: int,
    time: str,
    actor: dict[str, Any],
    payload: dict[str, Any],
    prev: bytes | None,
) -> dict[str, Any]:
    """Build an envelope and check it against the format before anything is signed."""
    envelope = {
        "type": type,
        "aggregate": aggregate,
        "version": version,
        "time": time,
        "actor": actor,
        "payload": payload,
        "prev": None if prev is None else prev.hex(),
    }
    check_envelope(envelope)
    return envelope


def encode_record(envelope: dict[str, Any], signer: SignerKey) -> tuple[bytes, bytes]:
    """Sign an envelope; return ``(record bytes, digest)``."""
    envelope_bytes = canonical(envelope)
    digest = event_digest(envelope_bytes)
    signature = signer.sign(digest)
    tail = _B2A(signer.key_id + signature, newline=False)  # base64.b64encode, without its wrapper
    return envelope_bytes + b"\n" + tail, digest


def decode_record(
    record: bytes, *, form_known_good: bool = False, loads: Callable[[bytes], Any] | None = None
) -> SignedEvent:
    """Split and parse a record, checking its form (not its signature).

    Raises FormatError when the bytes are not a record: no separator, bad base64, a signature
    of the wrong length, an envelope that is not canonical JSON or lacks a member.
    ``form_known_good`` skips the canonical-form and member checks for bytes identical to a
    record the caller already checked (the ledger's cache of records it wrote or verified; the
    verifier's later passes over records step 3 checked, ``checks.Envelopes``); such bytes
    may then be parsed with ``loads`` (a faster JSON parser of the caller's: the ledger's
    ``mapper.py``), the standard library's parser taking over where it refuses the text.
    """
    return SignedEvent(*decode_parts(record, form_known_good=form_known_good, loads=loads))


def decode_parts(
    record: bytes, *, form_known_good: bool = False, loads: Callable[[bytes], Any] | None = None
) -> tuple[dict[str, Any], bytes, bytes, bytes, bytes]:
    """``decode_record``'s fields as a tuple (envelope, envelope bytes, digest, key id,
    signature), for a caller that checks many records and keeps none (the verifier's step 3)."""
    envelope_bytes, sep, tail = bytes(record).partition(b"\n")
    if not sep:
        raise FormatError("event record has no line feed between envelope and signature")
    try:  # b64decode_strict on the bytes: decoded strictly, and re-encoding to themselves
        sig = _A2B(tail, strict_mode=True)
        canonical_text = form_known_good or _B2A(sig, newline=False) == tail
    except ValueError:  # binascii.Error
        canonical_text = False
    if not canonical_text:
        raise FormatError("event record signature is not canonical base64")
    if len(sig) != 4 + 64:
        raise FormatError(f"event record signature: expected 68 bytes, got {len(sig)}")
    if form_known_good:
        envelope = None
        if loads is not None:
            with contextlib.suppress(ValueError):  # (the standard parser's answer, below)
                envelope = loads(envelope_bytes)
        if envelope is None:
            envelope = _DECODER.decode(envelope_bytes.decode("utf-8"))
    else:
        envelope = _parse_canonical(envelope_bytes)
        check_envelope(envelope)
    digest = _SHA256(DIGEST_DOMAIN + envelope_bytes).digest()  # event_digest, inline
    return envelope, envelope_bytes, digest, sig[:4], sig[4:]


def unknown_key(key_id: bytes, keys: dict[bytes, VerifierKey]) -> str:
    """Why an event signed by ``key_id``, not among ``keys``, fails."""
    known = ", ".join(sorted(k.hex() for k in keys)) or "none"
    return f"signed by unknown key id {key_id.hex()} (known: {known})"


def check_signature(event: SignedEvent, keys: dict[bytes, VerifierKey]) -> VerifierKey:
    """Check the signature with the key its key id names; return that key."""
    key = keys.get(event.key_id)
    if key is None:
        raise SignatureError(unknown_key(event.key_id, keys))
    if not key.verify(event.digest, event.signature):
        raise SignatureError(
            f"signature by {key.name} ({event.key_id.hex()}) does not verify "
            f"over digest {event.digest.hex()}"
        )
    return key


def check_envelope(envelope: Any) -> None:
    """Check an envelope's members and their types; FormatError names the first problem."""
    if not isinstance(envelope, dict):
        raise FormatError("envelope is not a JSON object")
    members = tuple(envelope)  # a parsed canonical envelope's are in order already
    if members != ENVELOPE_MEMBERS:
        members = tuple(sorted(members))
        if members != ENVELOPE_MEMBERS:
            raise FormatError(
                f"envelope members: expected {list(ENVELOPE_MEMBERS)}, got {list(members)}"
            )
    kind = envelope["type"]
    if not isinstance(kind, str) or kind not in _TYPE_NAMES_SEEN:
        if not isinstance(kind, str) or not _TYPE_NAME.match(kind):
            raise FormatError(f"envelope type {kind!r} is not a dotted type name")
        if len(_TYPE_NAMES_SEEN) < 1024:  # a log has a few dozen: bounded whatever it holds
            _TYPE_NAMES_SEEN.add(kind)
    if not isinstance(envelope["aggregate"], str) or not envelope["aggregate"]:
        raise FormatError("envelope aggregate must be a non-empty string")
    version = envelope["version"]
    if type(version) is not int or version < 1:
        raise FormatError(f"envelope version must be an integer ≥ 1, got {version!r}")
    if not isinstance(envelope["time"], str) or not _TIME.match(envelope["time"]):
        raise FormatError(
            f"envelope time {envelope['time']!r} is not UTC 'YYYY-MM-DDTHH:MM:SS.ffffffZ'"
        )
    if not isinstance(envelope["actor"], dict):
        raise FormatError("envelope actor must be a JSON object")
    if not isinstance(envelope["payload"], dict):
        raise FormatError("envelope payload must be a JSON object")
    prev = envelope["prev"]
    if version == 1 and prev is not None:
        raise FormatError("the first event of an aggregate must have prev = null")
    if version > 1 and not (isinstance(prev, str) and _HEX_DIGEST.match(prev)):
        raise FormatError(f"envelope prev must be 64 lowercase hex digits, got {prev!r}")


def _parse_canonical(raw: bytes) -> dict[str, Any]:
    """Parse envelope bytes and insist they are exactly their own RFC 8785 form.

    The text is compared as text: a strict UTF-8 decoding is one-to-one, so equal text means
    equal bytes. The scanner and the encoder are called directly (no per-call encoder object,
    no circular-reference bookkeeping: parsed JSON has no cycles); text holding a character
    outside the BMP (a 4-byte UTF-8 sequence, led by 0xF0-0xF4) is compared with rfc8785's
    encoding instead, as in ``_encode``.
    """
    try:
        text = raw.decode("utf-8")
        obj, end = _SCAN(text, 0)
        if end != len(text):  # trailing text: the full decoder's answer (its message)
            obj = _DECODER.decode(text)
    except StopIteration:  # leading white space or nothing: the full decoder's answer
        obj = _decode_or_refuse(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise FormatError(f"envelope is not JSON: {e}") from None
    # The parse hooks refused floats and unsafe integers, so no number walk is needed.
    try:
        if text.isascii() or not _astral_bytes(raw):
            if _JOIN(_C_ENCODE(obj, 0)) == text:
                return obj  # type: ignore[no-any-return]
        elif bytes(rfc8785.dumps(obj)) == raw:
            return obj  # type: ignore[no-any-return]
    except (rfc8785.CanonicalizationError, UnicodeEncodeError, ValueError, TypeError):
        pass
    raise FormatError("envelope bytes are not in RFC 8785 canonical form")


def _astral_bytes(raw: bytes) -> bool:
    """Whether UTF-8 ``raw`` holds a character outside the BMP: a 4-byte sequence, led by one
    of 0xF0-0xF4. (``find``, not ``in``: ``in`` on bytes first tries its operand as an
    integer, raising and clearing a TypeError each time, which costs more than the search.)"""
    find = raw.find
    return (
        find(b"\xf0") >= 0
        or find(b"\xf1") >= 0
        or find(b"\xf2") >= 0
        or find(b"\xf3") >= 0
        or find(b"\xf4") >= 0
    )


def _decode_or_refuse(text: str) -> Any:
    try:
        return _DECODER.decode(text)
    except ValueError as e:
        raise FormatError(f"envelope is not JSON: {e}") from None


def _safe_int(text: str) -> int:
    number = int(text)
    if not -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
        raise FormatError(f"integer {text} is outside ±(2^53 − 1)")
    return number


def _refuse_float(text: str) -> Any:
    raise FormatError(f"envelope holds a non-integer number {text!r}; only integers are allowed")


def _check_numbers(obj: Any) -> None:
    """Refuse floats, unsafe integers, non-string keys and non-JSON values, anywhere in obj."""
    pending = [obj]
    while pending:
        value = pending.pop()
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        if kind is int:
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                raise FormatError(f"integer {value} is outside ±(2^53 − 1)")
        elif kind is dict:
            for key in value:
                if type(key) is not str:
                    raise FormatError(f"object key {key!r} is not a string")
            pending.extend(value.values())
        elif kind is list or kind is tuple:
            pending.extend(value)
        elif isinstance(value, float):
            raise FormatError(
                f"floats are not allowed ({value!r}); use integers or decimal strings"
            )
        elif isinstance(value, bool | int | str | dict | list | tuple):  # subclasses
            pending.append(_plain(value))
        else:
            raise FormatError(f"{type(value).__name__} is not a JSON value")


def _plain(value: Any) -> Any:
    base: Any
    for base in (bool, int, str, dict, list, tuple):
        if isinstance(value, base):
            return base(value)
    return value


# Built once: json.dumps and json.loads build a new coder per call when given options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)
_DECODER = json.JSONDecoder(
    parse_float=_refuse_float, parse_constant=_refuse_float, parse_int=_safe_int
)
# The C scanner: (value, end) of the JSON value at an index.
_SCAN: Callable[[str, int], tuple[Any, int]] = getattr(_DECODER, "scan_once")  # noqa: B009


def _python_encode(obj: Any, _level: int) -> list[str]:
    return [_ENCODER.encode(obj)]


# The C encoder of _ENCODER's settings, without the circular-reference check (for parsed JSON).
_MAKE_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_ESCAPE = getattr(json.encoder, "c_encode_basestring", None)
_C_ENCODE: Callable[[Any, int], Any] = (
    _MAKE_ENCODER(None, _ENCODER.default, _ESCAPE, None, ":", ",", True, False, True)
    if _MAKE_ENCODER is not None and _ESCAPE is not None
    else _python_encode
)
_JOIN = "".join
_A2B, _B2A = binascii.a2b_base64, binascii.b2a_base64
_SHA256 = hashlib.sha256
