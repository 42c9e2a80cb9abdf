"""verify.keys against the C2SP key pairs in shared/vectors/signed_note.json."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from verify.errors import KeyFormatError
from verify.keys import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    SignerKey,
    VerifierKey,
    key_id,
    parse_signer_key,
    parse_verifier_key,
)


@pytest.fixture(scope="module")
def vectors(vectors_dir: Path) -> dict[str, Any]:
    return json.loads((vectors_dir / "signed_note.json").read_text(encoding="utf-8"))


def test_key_pairs_round_trip(vectors: dict[str, Any]) -> None:
    for pair in vectors["key_pairs"]:
        signer = parse_signer_key(pair["signer_key"])
        assert str(signer.verifier) == pair["verifier_key"]
        assert signer.to_text() == pair["signer_key"]
        verifier = parse_verifier_key(pair["verifier_key"])
        assert verifier == signer.verifier
        assert verifier.alg == ALG_ED25519
        assert verifier.verify(b"msg", signer.sign(b"msg"))
        assert not verifier.verify(b"msg!", signer.sign(b"msg"))


def test_every_vector_verifier_key_round_trips(vectors: dict[str, Any]) -> None:
    texts = [k for n in vectors["notes"] for k in n["verifier_keys"]]
    texts.append(vectors["cosignature_v1"]["verifier_key"])
    for text in texts:
        assert str(parse_verifier_key(text)) == text


def test_key_id_definition() -> None:
    pk = bytes(range(32))
    for alg in (ALG_ED25519, ALG_COSIGNATURE_V1):
        want = hashlib.sha256(b"name\n" + bytes([alg]) + pk).digest()[:4]
        assert key_id("name", pk, alg) == want
    assert key_id("name", pk) == key_id("name", pk, ALG_ED25519)


def test_cosignature_vector_key_uses_type_0x04(vectors: dict[str, Any]) -> None:
    text = vectors["cosignature_v1"]["verifier_key"]
    key = parse_verifier_key(text)
    assert key.alg == ALG_COSIGNATURE_V1
    assert base64.b64decode(text.split("+", 2)[2])[0] == 0x04
    assert key.key_id == key_id(key.name, key.public_key, 0x04)
    assert key.key_id != key_id(key.name, key.public_key, 0x01)


def test_generate_cosigner() -> None:
    signer = SignerKey.generate("witness.example/w1", ALG_COSIGNATURE_V1)
    assert signer.key_id == key_id("witness.example/w1", signer.public_key, 0x04)
    again = parse_signer_key(signer.to_text())
    assert again.verifier == signer.verifier and again.alg == ALG_COSIGNATURE_V1
    assert "PRIVATE" not in repr(signer)


def test_verify_never_raises() -> None:
    key = SignerKey.generate("k").verifier
    assert not key.verify(b"m", b"")
    assert not key.verify(b"m", b"\x00" * 64)
    assert not key.verify(b"m", b"\x00" * 65)


_GOOD = "Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "part"),
        ("Log+2271c621", "part"),
        ("+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs", "non-empty"),
        ("L og+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs", "spaces"),
        ("Log+2271c62+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs", "8-hex-digit"),
        ("Log+2271c62g+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs", "8-hex-digit"),
        ("Log+2271c622+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs", "key id"),
        ("Log2+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs", "key id"),
        ("Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarv", "base64"),
        ("Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs=", "base64"),
        ("Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ek", "found 30 bytes"),
        ("Log+2271c621+AumuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs", "signature type"),
    ],
)
def test_parse_verifier_key_rejects(text: str, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        parse_verifier_key(text)


def test_parse_verifier_key_accepts_good() -> None:
    assert str(parse_verifier_key(_GOOD)) == _GOOD


@pytest.mark.parametrize(
    "text",
    [
        "Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ",  # no PRIVATE+KEY+
        "PRIVATE+KEY+Log+2271c622+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ",  # wrong id
        "PRIVATE+KEY+Log+2271c621+BNEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ",  # type 0x04
        "PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKg",  # bad base64
    ],
)
def test_parse_signer_key_rejects(text: str) -> None:
    with pytest.raises(KeyFormatError):
        parse_signer_key(text)


def test_signer_key_errors_do_not_echo_the_seed() -> None:
    seed_b64 = "AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKg"
    with pytest.raises(KeyFormatError) as info:
        parse_signer_key("PRIVATE+KEY+Log+2271c621+" + seed_b64)
    assert seed_b64 not in str(info.value)


def test_verifier_key_constructor_checks_consistency() -> None:
    key = SignerKey.generate("k").verifier
    with pytest.raises(KeyFormatError, match="key id"):
        VerifierKey("k", b"\x00" * 4, key.public_key, key.alg)
    with pytest.raises(KeyFormatError, match="signature type"):
        VerifierKey("k", key.key_id, key.public_key, 0x02)
    with pytest.raises(KeyFormatError, match="32 bytes"):
        VerifierKey("k", key.key_id, key.public_key[:31], key.alg)
