"""Ed25519 keys in the C2SP signed-note text form (c2sp.org/signed-note).

Text forms::

    verifier key:  <name>+<8 hex digits key id>+<base64(alg || 32-byte public key)>
    signer key:    PRIVATE+KEY+<name>+<8 hex digits key id>+<base64(alg || 32-byte seed)>

    key id = SHA-256(name || 0x0A || alg || public key)[:4]

`alg` is the signature type byte: 0x01 for plain Ed25519 note signatures and 0x04 for
timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature). The same Ed25519 key
gives a different key id under each type, which keeps the two uses apart.

Failure modes: parsing or constructing a key with a bad name, unknown type byte, wrong key
length, bad base64 or a key id that does not match the key raises `KeyFormatError`.
`VerifierKey.verify` never raises on a bad signature; it returns False.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import string
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from .errors import KeyFormatError

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04

_ALGS = (ALG_ED25519, ALG_COSIGNATURE_V1)
_KEY_LEN = 32  # Ed25519 public keys and private seeds are both 32 bytes (RFC 8032)
_PRIVATE_PREFIX = "PRIVATE+KEY+"


def _check_name(name: str) -> None:
    """Key names are non-empty and contain no Unicode space and no '+' (signed-note)."""
    if not isinstance(name, str) or not name:
        raise KeyFormatError(f"key name: expected a non-empty string, found {name!r}")
    bad = [ch for ch in name if ch == "+" or ch.isspace() or ord(ch) < 0x20]
    if bad:
        raise KeyFormatError(
            f"key name {name!r}: expected no '+', spaces or control characters, found {bad[0]!r}"
        )


def _check_alg(alg: int) -> None:
    if alg not in _ALGS:
        raise KeyFormatError(
            f"signature type: expected 0x01 (Ed25519) or 0x04 (cosignature/v1), found {alg!r}"
        )


def b64decode_strict(text: str) -> bytes:
    """Decode standard, padded, canonical base64 (RFC 4648 section 4); ValueError otherwise.

    Python's decoders accept excess '=' and non-zero trailing bits; requiring the text to
    re-encode to itself leaves exactly one accepted spelling per byte string.
    """
    data = binascii.a2b_base64(text, strict_mode=True)
    if base64.b64encode(data).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return data


def key_id(name: str, public_key: bytes, alg: int = ALG_ED25519) -> bytes:
    """Return the 4-byte C2SP key id: SHA-256(name ‖ 0x0A ‖ alg ‖ public_key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """A named Ed25519 public key with its signature type and key id.

    Construction validates the name, type, key length and that `key_id` matches the key,
    raising `KeyFormatError` otherwise, so a VerifierKey is always self-consistent.
    """

    name: str
    key_id: bytes
    public_key: bytes
    alg: int

    def __post_init__(self) -> None:
        _check_name(self.name)
        _check_alg(self.alg)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != _KEY_LEN:
            raise KeyFormatError(
                f"public key of {self.name!r}: expected {_KEY_LEN} bytes, "
                f"found {len(self.public_key)}"
            )
        want = key_id(self.name, self.public_key, self.alg)
        if self.key_id != want:
            raise KeyFormatError(
                f"key id of {self.name!r}: expected {want.hex()} (computed from the key), "
                f"found {bytes(self.key_id).hex()}"
            )

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return True iff `signature` is a valid Ed25519 signature of `message`.

        This is the raw Ed25519 check; for alg 0x04 the caller builds the cosignature/v1
        message and strips the timestamp (see verify.note). Never raises on bad input.
        """
        try:
            self._loaded().verify(signature, message)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True

    def _loaded(self) -> Ed25519PublicKey:
        # Loading the key costs about as much as a verification: keep it (frozen dataclass).
        loaded = self.__dict__.get("_key")
        if loaded is None:
            loaded = Ed25519PublicKey.from_public_bytes(self.public_key)
            object.__setattr__(self, "_key", loaded)
        return loaded

    def __str__(self) -> str:
        blob = base64.b64encode(bytes([self.alg]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{blob}"


class SignerKey:
    """A named Ed25519 private key with its signature type (0x01 or 0x04).

    `sign` returns the raw 64-byte Ed25519 signature of the given bytes; framing a
    cosignature/v1 message is left to verify.note. The repr never shows the seed.
    """

    def __init__(self, name: str, private_key: Ed25519PrivateKey, alg: int = ALG_ED25519):
        _check_name(name)
        _check_alg(alg)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise KeyFormatError(
                f"private key of {name!r}: expected Ed25519PrivateKey, "
                f"found {type(private_key).__name__}"
            )
        self._name = name
        self._private_key = private_key
        self._alg = alg
        self._public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        # Computed once: every signed record carries it (a SHA-256 per save otherwise).
        self._key_id = key_id(name, self._public_key, alg)

    @classmethod
    def generate(cls, name: str, alg: int = ALG_ED25519) -> SignerKey:
        """Return a new signer with a fresh random Ed25519 key."""
        return cls(name, Ed25519PrivateKey.generate(), alg)

    @property
    def name(self) -> str:
        return self._name

    @property
    def alg(self) -> int:
        return self._alg

    @property
    def public_key(self) -> bytes:
        return self._public_key

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def verifier(self) -> VerifierKey:
        return VerifierKey(self._name, self.key_id, self._public_key, self._alg)

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of `message`."""
        return self._private_key.sign(message)

    def derive_secret(self, label: str) -> bytes:
        """A 32-byte secret for ``label`` derived from the private key (HMAC-SHA-256 keyed by
        the key's seed): whoever can read the key file can derive it, nobody else can."""
        seed = self._private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return hmac.new(seed, label.encode("utf-8"), hashlib.sha256).digest()

    def to_text(self) -> str:
        """Return `PRIVATE+KEY+name+hexid+base64(alg ‖ seed)`. This text is secret."""
        seed = self._private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        blob = base64.b64encode(bytes([self._alg]) + seed).decode("ascii")
        return f"{_PRIVATE_PREFIX}{self._name}+{self.key_id.hex()}+{blob}"

    def __repr__(self) -> str:
        return f"SignerKey(name={self._name!r}, key_id={self.key_id.hex()}, alg={self._alg:#04x})"


def _split_key_text(text: str, what: str) -> tuple[str, bytes, int, bytes]:
    """Split `name+hexid+base64(alg ‖ key)` into (name, key id, alg, 32 key bytes).

    The base64 part may itself contain '+', so split at most twice: the name and the
    hex id cannot contain '+'.
    """
    if not isinstance(text, str):
        raise KeyFormatError(f"{what}: expected text, found {type(text).__name__}")
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError(f"{what}: expected 'name+hexid+base64', found {len(parts)} part(s)")
    name, hex_id, blob_b64 = parts
    _check_name(name)
    if len(hex_id) != 8 or any(ch not in string.hexdigits for ch in hex_id):
        raise KeyFormatError(f"{what} {name!r}: expected an 8-hex-digit key id, found {hex_id!r}")
    try:
        blob = b64decode_strict(blob_b64)
    except ValueError as exc:  # binascii.Error is a ValueError
        # The blob is not echoed: for a signer key it is the secret seed.
        raise KeyFormatError(
            f"{what} {name!r}: expected canonical padded base64, found invalid base64 "
            f"({len(blob_b64)} characters)"
        ) from exc
    if len(blob) != 1 + _KEY_LEN:
        raise KeyFormatError(
            f"{what} {name!r}: expected 1 type byte + {_KEY_LEN} key bytes, found {len(blob)} bytes"
        )
    _check_alg(blob[0])
    return name, bytes.fromhex(hex_id), blob[0], blob[1:]


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse `name+hexid+base64(alg ‖ public key)`; raise KeyFormatError if malformed."""
    name, kid, alg, public_key = _split_key_text(text, "verifier key")
    return VerifierKey(name, kid, public_key, alg)


def parse_signer_key(text: str) -> SignerKey:
    """Parse `PRIVATE+KEY+name+hexid+base64(alg ‖ seed)`; raise KeyFormatError if malformed.

    The key id is checked against the public key derived from the seed.
    """
    if not isinstance(text, str) or not text.startswith(_PRIVATE_PREFIX):
        raise KeyFormatError(f"signer key: expected the prefix {_PRIVATE_PREFIX!r}")
    name, kid, alg, seed = _split_key_text(text[len(_PRIVATE_PREFIX) :], "signer key")
    signer = SignerKey(name, Ed25519PrivateKey.from_private_bytes(seed), alg)
    if signer.key_id != kid:
        raise KeyFormatError(
            f"signer key {name!r}: expected key id {signer.key_id.hex()} (computed from the "
            f"seed), found {kid.hex()}"
        )
    return signer


def read_key_text(value: str) -> str:
    """A key given on a command line: the key itself (``name+hexid+base64``), or the path of a
    file holding it on one line (such as ``DIR/keys/ledger.pub``). Raises OSError or
    UnicodeDecodeError if the file cannot be read; the caller says so in its own words."""
    if "+" in value and not Path(value).is_file():
        return value
    return Path(value).read_text(encoding="utf-8").strip()
