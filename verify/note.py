"""C2SP signed notes, tlog checkpoints and cosignature/v1 (c2sp.org/signed-note,
c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature).

A signed note is::

    <text, ending in "\\n"; it may contain empty lines>
    <one empty line>
    — <key name> <base64(4-byte key id ‖ signature)>\\n      (one or more lines)

The text is separated from the signatures by the *last* empty line. A note must be valid
UTF-8 with no ASCII control character other than newline. Signature type 0x01 signs the
text bytes with Ed25519; type 0x04 (cosignature/v1) carries u64 big-endian timestamp ‖
64-byte Ed25519 signature over "cosignature/v1\\ntime <timestamp>\\n" ‖ text.

Failure modes: every malformed note or checkpoint, and every failed verification, raises
`NoteError` saying what was expected and what was found.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import KeyFormatError, NoteError
from .keys import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    SignerKey,
    VerifierKey,
    _check_name,
    b64decode_strict,
)

MAX_SIGNATURES = 100  # the spec asks verifiers for a limit of at least 16
_DASH = "\u2014 "  # em dash, space: the start of every signature line
_ED25519_SIG_LEN = 64
_MAX_TIMESTAMP = 2**63 - 1  # tlog-cosignature: "MUST NOT exceed 2^63 - 1"


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, 4-byte key id and the bytes after the key id."""

    name: str
    key_id: bytes
    signature: bytes

    def to_line(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{_DASH}{self.name} {blob}\n"


@dataclass(frozen=True)
class Note:
    """A parsed note: its text (with the final newline) and its signatures in order."""

    text: str
    signatures: tuple[Signature, ...]

    def to_text(self) -> str:
        return self.text + "\n" + "".join(s.to_line() for s in self.signatures)


def _check_text(text: str, what: str) -> None:
    """Valid UTF-8, no ASCII control character but newline, non-empty, ends in newline."""
    if not isinstance(text, str):
        raise NoteError(f"{what}: expected str, found {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError(f"{what}: expected valid UTF-8, found {exc.object[exc.start]!r}") from exc
    for i, ch in enumerate(text):
        if ch < " " and ch != "\n":
            raise NoteError(
                f"{what}: expected no control characters but newline, found {ch!r} at {i}"
            )
    if not text.endswith("\n"):
        raise NoteError(f"{what}: expected text ending in a newline, found {text[-20:]!r}")


def _parse_signature_line(line: str) -> Signature:
    if not line.startswith(_DASH):
        raise NoteError(f"signature line: expected it to start with '\u2014 ', found {line!r}")
    fields = line[len(_DASH) :].split(" ")
    if len(fields) != 2:
        raise NoteError(f"signature line: expected '\u2014 name base64', found {line!r}")
    name, blob_b64 = fields
    try:
        _check_name(name)
    except KeyFormatError as exc:
        raise NoteError(f"signature line: {exc}") from exc
    try:
        blob = b64decode_strict(blob_b64)
    except ValueError as exc:
        raise NoteError(f"signature line of {name!r}: expected base64, found {blob_b64!r}") from exc
    # 4 bytes of key id and at least one byte of signature.
    if len(blob) < 5:
        raise NoteError(
            f"signature line of {name!r}: expected key id + signature (>= 5 bytes), "
            f"found {len(blob)} bytes"
        )
    return Signature(name, blob[:4], blob[4:])


def parse_note(note: str) -> Note:
    """Split a signed note into text and signatures, checking its syntax only.

    Raises NoteError if the note is not valid UTF-8, has a control character other than
    newline, has no empty line, has no signature or more than MAX_SIGNATURES, or has a
    malformed signature line (bad prefix, name, base64, or fewer than 5 bytes).
    """
    if not isinstance(note, str):
        raise NoteError(f"note: expected str, found {type(note).__name__}")
    _check_text(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note: expected an empty line between text and signatures, found none")
    text, sig_block = note[: split + 1], note[split + 2 :]
    if not sig_block:
        raise NoteError("note: expected at least one signature line after the empty line")
    lines = sig_block.split("\n")
    # sig_block ends in "\n" (checked above), so the last split piece is empty.
    lines.pop()
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note: expected at most {MAX_SIGNATURES} signatures, found {len(lines)}")
    return Note(text, tuple(_parse_signature_line(line) for line in lines))


def _cosignature_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode("ascii") + text.encode("utf-8")


def _verify_one(key: VerifierKey, text: str, sig: Signature) -> None:
    if key.alg == ALG_ED25519:
        ok = key.verify(text.encode("utf-8"), sig.signature)
    else:
        if len(sig.signature) != 8 + _ED25519_SIG_LEN:
            raise NoteError(
                f"cosignature of {sig.name!r}: expected 8-byte timestamp + 64-byte signature, "
                f"found {len(sig.signature)} bytes"
            )
        timestamp = int.from_bytes(sig.signature[:8], "big")
        if timestamp > _MAX_TIMESTAMP:
            raise NoteError(
                f"cosignature of {sig.name!r}: expected timestamp <= 2^63-1, found {timestamp}"
            )
        ok = key.verify(_cosignature_message(text, timestamp), sig.signature[8:])
    if not ok:
        raise NoteError(
            f"signature of known key {sig.name}+{sig.key_id.hex()}: expected it to verify, "
            "it does not (tampered text or signature)"
        )


def verify_note(note: str | Note, verifiers: Sequence[VerifierKey]) -> tuple[Note, list[str]]:
    """Verify a note against trusted keys; return it and the names whose signature verified.

    Signatures whose (name, key id) matches no verifier are ignored, as the spec requires.
    Raises NoteError if the note is malformed, two verifiers share a (name, key id), a
    known key signed twice, a signature by a known key does not verify, or no signature by
    a known key is present.
    """
    parsed = note if isinstance(note, Note) else parse_note(note)
    if isinstance(note, Note):
        _check_text(parsed.text, "note text")
    known: dict[tuple[str, bytes], VerifierKey] = {}
    for key in verifiers:
        slot = (key.name, key.key_id)
        if slot in known and known[slot] != key:
            raise NoteError(f"verifiers: expected unique name+key id, found two for {key.name!r}")
        known[slot] = key
    verified: list[str] = []
    seen: set[tuple[str, bytes]] = set()
    for sig in parsed.signatures:
        slot = (sig.name, sig.key_id)
        trusted = known.get(slot)
        if trusted is None:
            continue
        if slot in seen:
            raise NoteError(f"note: expected one signature per key, found two by {sig.name!r}")
        seen.add(slot)
        _verify_one(trusted, parsed.text, sig)
        verified.append(sig.name)
    if not verified:
        names = sorted({k.name for k in known.values()})
        raise NoteError(f"note: expected a signature by a known key {names}, found none")
    return parsed, verified


def sign_note(text: str, signers: Sequence[SignerKey]) -> str:
    """Sign `text` with each Ed25519 (type 0x01) signer and return the full note.

    Raises NoteError if the text is not valid note text, there is no signer, or a signer
    is a cosignature key (use `cosign` for those: it needs a timestamp).
    """
    _check_text(text, "note text")
    if not signers:
        raise NoteError("sign_note: expected at least one signer, found none")
    sigs = []
    for signer in signers:
        if signer.alg != ALG_ED25519:
            raise NoteError(
                f"sign_note: expected an Ed25519 (0x01) key, found type {signer.alg:#04x} "
                f"for {signer.name!r}; use cosign()"
            )
        sigs.append(Signature(signer.name, signer.key_id, signer.sign(text.encode("utf-8"))))
    return _assemble(text, sigs)


def _assemble(text: str, sigs: Sequence[Signature]) -> str:
    if len(sigs) > MAX_SIGNATURES:
        raise NoteError(f"note: expected at most {MAX_SIGNATURES} signatures, found {len(sigs)}")
    slots = [(s.name, s.key_id) for s in sigs]
    if len(set(slots)) != len(slots):
        raise NoteError("note: expected one signature per name+key id, found a duplicate")
    return Note(text, tuple(sigs)).to_text()


def cosign(checkpoint_text: str, signer: SignerKey, timestamp: int) -> Signature:
    """Return a cosignature/v1 signature of a checkpoint text at POSIX time `timestamp`.

    Raises NoteError if the signer is not a type 0x04 key, the timestamp is outside
    0..2^63-1, or the text is not a valid checkpoint.
    """
    if signer.alg != ALG_COSIGNATURE_V1:
        raise NoteError(
            f"cosign: expected a cosignature/v1 (0x04) key, found type {signer.alg:#04x}"
        )
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise NoteError(f"cosign: expected 0 <= timestamp <= 2^63-1, found {timestamp}")
    parse_checkpoint(checkpoint_text)
    sig = signer.sign(_cosignature_message(checkpoint_text, timestamp))
    return Signature(signer.name, signer.key_id, timestamp.to_bytes(8, "big") + sig)


def add_signatures(note: str, sigs: Iterable[Signature]) -> str:
    """Return `note` with the given signature lines appended after the existing ones.

    The new signatures are not verified here. Raises NoteError if the note is malformed,
    a (name, key id) would appear twice, or the total exceeds MAX_SIGNATURES.
    """
    parsed = parse_note(note)
    return _assemble(parsed.text, [*parsed.signatures, *sigs])


@dataclass(frozen=True)
class Checkpoint:
    """A tlog checkpoint: origin, tree size, root hash and opaque extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def to_text(self) -> str:
        """Return the note text "origin\\nsize\\nbase64(root)\\n" plus extension lines."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        text = "\n".join([*lines, *self.extensions]) + "\n"
        # Round-trip through the parser so a Checkpoint can never print invalid text.
        if parse_checkpoint(text) != self:
            raise NoteError(f"checkpoint: fields do not form a valid checkpoint: {self!r}")
        return text


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint note text (the part before the signatures).

    Raises NoteError unless there are at least three non-empty lines: a non-empty origin, a
    decimal size without leading zeros, a base64 32-byte root, then non-empty extensions.
    """
    _check_text(text, "checkpoint")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(f"checkpoint: expected at least 3 lines, found {len(lines)}")
    for i, line in enumerate(lines):
        if not line:
            raise NoteError(f"checkpoint: expected non-empty lines, line {i + 1} is empty")
    origin, size_text, root_b64, *extensions = lines
    if not (size_text.isascii() and size_text.isdigit()) or (
        len(size_text) > 1 and size_text[0] == "0"
    ):
        raise NoteError(
            f"checkpoint: expected a decimal size without leading zeros, found {size_text!r}"
        )
    if int(size_text) >= 2**64:
        raise NoteError(f"checkpoint: expected a size below 2^64, found {size_text}")
    try:
        root = b64decode_strict(root_b64)
    except ValueError as exc:
        raise NoteError(f"checkpoint: expected a base64 root hash, found {root_b64!r}") from exc
    if len(root) != 32:
        raise NoteError(f"checkpoint: expected a 32-byte root hash, found {len(root)} bytes")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))
