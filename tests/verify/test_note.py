"""verify.note against the C2SP signed-note / checkpoint vectors and a real cosigned checkpoint."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verify.errors import NoteError
from verify.keys import (
    ALG_COSIGNATURE_V1,
    SignerKey,
    key_id,
    parse_signer_key,
    parse_verifier_key,
)
from verify.note import (
    MAX_SIGNATURES,
    Checkpoint,
    Note,
    Signature,
    add_signatures,
    cosign,
    parse_checkpoint,
    parse_note,
    sign_note,
    verify_note,
)

# A real checkpoint of the log arche2025h1.staging.ct.transparency.dev as published with its
# witness cosignatures, including one by remora.n621.de, whose key is the cosignature_v1
# vector. The log's first line is an RFC 6962 tree head signature (type 0x05) under the same
# name but another key id, which must be ignored. Found in a public Python tlog test suite;
# kept here, not in shared/vectors, because that folder is not ours to change.
REAL_COSIGNED_CHECKPOINT = (
    "arche2025h1.staging.ct.transparency.dev\n"
    "1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
    "\n"
    "\u2014 arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6"
    "hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    "\u2014 arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lef"
    "whUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    "\u2014 transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/"
    "KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    "\u2014 witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0"
    "WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    "\u2014 remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVC"
    "IobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    "\u2014 witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUv"
    "Vr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
)
REAL_LOG_KEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)


@pytest.fixture(scope="module")
def vectors(vectors_dir: Path) -> dict[str, Any]:
    return json.loads((vectors_dir / "signed_note.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def log_signer(vectors: dict[str, Any]) -> SignerKey:
    return parse_signer_key(vectors["key_pairs"][0]["signer_key"])


@pytest.fixture(scope="module")
def other_signer(vectors: dict[str, Any]) -> SignerKey:
    return parse_signer_key(vectors["key_pairs"][1]["signer_key"])


CHECKPOINT_TEXT = "example.com/log\n42\n" + base64.b64encode(bytes(range(32))).decode() + "\n"


# --- vectors ---------------------------------------------------------------------------------


def test_vector_note_verifies(signed_note_vector: dict[str, Any]) -> None:
    v = signed_note_vector
    keys = [parse_verifier_key(k) for k in v["verifier_keys"]]
    note, names = verify_note(v["note"], keys)
    assert sorted(names) == sorted(v["expect_verified_by"])
    assert note.to_text() == v["note"]
    if "checkpoint" in v:
        cp = parse_checkpoint(note.text)
        assert cp.origin == v["checkpoint"]["origin"]
        assert cp.size == v["checkpoint"]["size"]
        assert cp.root == base64.b64decode(v["checkpoint"]["root_b64"])
        assert cp.to_text() == note.text


def test_vector_note_each_key_alone(signed_note_vector: dict[str, Any]) -> None:
    """Every other signature is then from an unknown key and must be ignored."""
    for text in signed_note_vector["verifier_keys"]:
        key = parse_verifier_key(text)
        assert verify_note(signed_note_vector["note"], [key])[1] == [key.name]


def test_real_cosigned_checkpoint(vectors: dict[str, Any]) -> None:
    witness = parse_verifier_key(vectors["cosignature_v1"]["verifier_key"])
    log = parse_verifier_key(REAL_LOG_KEY)
    note, names = verify_note(REAL_COSIGNED_CHECKPOINT, [log, witness])
    assert names == [log.name, witness.name]
    assert parse_checkpoint(note.text).size == 1432088532
    tampered = REAL_COSIGNED_CHECKPOINT.replace("1432088532", "1432088533")
    with pytest.raises(NoteError):
        verify_note(tampered, [witness])


# --- signing ---------------------------------------------------------------------------------


def test_sign_then_verify(log_signer: SignerKey, other_signer: SignerKey) -> None:
    note = sign_note(CHECKPOINT_TEXT, [log_signer, other_signer])
    parsed, names = verify_note(note, [log_signer.verifier, other_signer.verifier])
    assert names == [log_signer.name, other_signer.name]
    assert parsed.text == CHECKPOINT_TEXT
    assert parsed.signatures[0] == Signature(
        log_signer.name, log_signer.key_id, log_signer.sign(CHECKPOINT_TEXT.encode())
    )


def test_text_with_empty_lines_round_trips(log_signer: SignerKey) -> None:
    text = "line one\n\nline three\n\n"
    parsed, _ = verify_note(sign_note(text, [log_signer]), [log_signer.verifier])
    assert parsed.text == text


def test_unknown_signer_is_ignored(log_signer: SignerKey) -> None:
    stranger = SignerKey.generate("stranger.example")
    note = sign_note(CHECKPOINT_TEXT, [stranger, log_signer])
    assert verify_note(note, [log_signer.verifier])[1] == [log_signer.name]


def test_same_name_other_key_is_ignored(log_signer: SignerKey) -> None:
    impostor = SignerKey.generate(log_signer.name)
    note = sign_note(CHECKPOINT_TEXT, [impostor, log_signer])
    assert verify_note(note, [log_signer.verifier])[1] == [log_signer.name]
    with pytest.raises(NoteError, match="found none"):
        verify_note(sign_note(CHECKPOINT_TEXT, [impostor]), [log_signer.verifier])


def test_no_known_signature_fails(log_signer: SignerKey, other_signer: SignerKey) -> None:
    note = sign_note(CHECKPOINT_TEXT, [other_signer])
    with pytest.raises(NoteError, match="found none"):
        verify_note(note, [log_signer.verifier])


def test_tampered_text_fails(log_signer: SignerKey) -> None:
    note = sign_note(CHECKPOINT_TEXT, [log_signer]).replace("\n42\n", "\n43\n")
    with pytest.raises(NoteError, match="verify"):
        verify_note(note, [log_signer.verifier])


def test_tampered_signature_fails(log_signer: SignerKey, other_signer: SignerKey) -> None:
    note = parse_note(sign_note(CHECKPOINT_TEXT, [log_signer, other_signer]))
    sig = note.signatures[0]
    bad = Signature(sig.name, sig.key_id, bytes([sig.signature[0] ^ 1]) + sig.signature[1:])
    tampered = Note(note.text, (bad, note.signatures[1]))
    # A known key's bad signature rejects the note even though another one verifies.
    with pytest.raises(NoteError, match="verify"):
        verify_note(tampered.to_text(), [log_signer.verifier, other_signer.verifier])
    with pytest.raises(NoteError):
        verify_note(tampered, [log_signer.verifier])


def test_duplicate_signature_by_known_key_fails(log_signer: SignerKey) -> None:
    line = parse_note(sign_note(CHECKPOINT_TEXT, [log_signer])).signatures[0].to_line()
    with pytest.raises(NoteError, match="one signature per key"):
        verify_note(CHECKPOINT_TEXT + "\n" + line + line, [log_signer.verifier])


def test_sign_note_rejects(log_signer: SignerKey) -> None:
    with pytest.raises(NoteError, match="newline"):
        sign_note("no newline", [log_signer])
    with pytest.raises(NoteError, match="control"):
        sign_note("tab\there\n", [log_signer])
    with pytest.raises(NoteError, match="at least one signer"):
        sign_note(CHECKPOINT_TEXT, [])
    with pytest.raises(NoteError, match="cosign"):
        sign_note(CHECKPOINT_TEXT, [SignerKey.generate("w", ALG_COSIGNATURE_V1)])


# --- malformed notes -------------------------------------------------------------------------

_SIG = "\u2014 Log " + base64.b64encode(b"\x22\x71\xc6\x21" + b"\x00" * 64).decode() + "\n"


@pytest.mark.parametrize(
    ("note", "message"),
    [
        pytest.param("text\n" + _SIG, "empty line", id="no-empty-line"),
        pytest.param("text\n\n", "at least one signature", id="no-signature"),
        pytest.param("text\n\n" + _SIG[:-1], "newline", id="no-final-newline"),
        pytest.param("text\n\n" + _SIG + "\n", "at least one signature", id="trailing-empty-line"),
        pytest.param(
            "text\n\n" + _SIG.replace("\u2014", "-"), "start with", id="hyphen-not-em-dash"
        ),
        pytest.param(
            "text\n\n" + _SIG.replace("\u2014 ", "\u2014"), "start with", id="no-space-after-dash"
        ),
        pytest.param("text\n\n" + _SIG.replace(" Log ", " Log  "), "name base64", id="two-spaces"),
        pytest.param("text\n\n" + _SIG.replace(" Log ", " L+g "), "'\\+'", id="plus-in-name"),
        pytest.param("text\n\n" + _SIG.replace("=\n", "\n"), "base64", id="missing-padding"),
        pytest.param("text\n\n" + _SIG.replace("=\n", "==\n"), "base64", id="excess-padding"),
        pytest.param("text\n\n" + _SIG.replace("=\n", "!\n"), "base64", id="bad-base64-char"),
        pytest.param(
            "text\n\n\u2014 Log " + base64.b64encode(b"1234").decode() + "\n",
            ">= 5 bytes",
            id="key-id-only",
        ),
        pytest.param("text\n\n\u2014 Log AAA=\n", ">= 5 bytes", id="three-bytes"),
        pytest.param("te\rxt\n\n" + _SIG, "control", id="carriage-return"),
        pytest.param("text\x00\n\n" + _SIG, "control", id="nul"),
        pytest.param("te\udcffxt\n\n" + _SIG, "UTF-8", id="lone-surrogate"),
        pytest.param("text\n\n" + _SIG * (MAX_SIGNATURES + 1), "at most", id="101-signatures"),
    ],
)
def test_malformed_notes(note: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        parse_note(note)


def test_max_signatures_accepted() -> None:
    assert len(parse_note("text\n\n" + _SIG * MAX_SIGNATURES).signatures) == MAX_SIGNATURES


# --- cosignature/v1 --------------------------------------------------------------------------


def test_cosignature_round_trip(log_signer: SignerKey) -> None:
    witness = SignerKey.generate("witness.example/w1", ALG_COSIGNATURE_V1)
    assert witness.key_id == key_id(witness.name, witness.public_key, 0x04)
    assert witness.key_id != key_id(witness.name, witness.public_key, 0x01)
    note = sign_note(CHECKPOINT_TEXT, [log_signer])
    sig = cosign(CHECKPOINT_TEXT, witness, 1679315147)
    cosigned = add_signatures(note, [sig])
    parsed, names = verify_note(cosigned, [log_signer.verifier, witness.verifier])
    assert names == [log_signer.name, witness.name]
    # The layout from the spec, checked with the raw primitive rather than verify.note.
    assert sig.signature[:8] == (1679315147).to_bytes(8, "big") and len(sig.signature) == 72
    message = b"cosignature/v1\ntime 1679315147\n" + CHECKPOINT_TEXT.encode()
    Ed25519PublicKey.from_public_bytes(witness.public_key).verify(sig.signature[8:], message)
    assert verify_note(cosigned, [witness.verifier])[1] == [witness.name]


def test_cosignature_tampered_timestamp_fails() -> None:
    witness = SignerKey.generate("w", ALG_COSIGNATURE_V1)
    sig = cosign(CHECKPOINT_TEXT, witness, 100)
    moved = Signature(sig.name, sig.key_id, (101).to_bytes(8, "big") + sig.signature[8:])
    with pytest.raises(NoteError, match="verify"):
        verify_note(Note(CHECKPOINT_TEXT, (moved,)), [witness.verifier])
    huge = Signature(sig.name, sig.key_id, (2**63).to_bytes(8, "big") + sig.signature[8:])
    with pytest.raises(NoteError, match="2\\^63"):
        verify_note(Note(CHECKPOINT_TEXT, (huge,)), [witness.verifier])


def test_cosignature_same_key_as_plain_ed25519_is_another_key(log_signer: SignerKey) -> None:
    """A 0x04 cosignature is not accepted by a 0x01 verifier of the same Ed25519 key."""
    secret = Ed25519PrivateKey.generate()
    plain, witness = SignerKey("k", secret), SignerKey("k", secret, ALG_COSIGNATURE_V1)
    note = add_signatures(
        sign_note(CHECKPOINT_TEXT, [log_signer]), [cosign(CHECKPOINT_TEXT, witness, 1)]
    )
    with pytest.raises(NoteError, match="found none"):
        verify_note(note, [plain.verifier])


def test_cosign_rejects() -> None:
    witness = SignerKey.generate("w", ALG_COSIGNATURE_V1)
    with pytest.raises(NoteError, match="0x04"):
        cosign(CHECKPOINT_TEXT, SignerKey.generate("p"), 1)
    with pytest.raises(NoteError, match="timestamp"):
        cosign(CHECKPOINT_TEXT, witness, -1)
    with pytest.raises(NoteError, match="timestamp"):
        cosign(CHECKPOINT_TEXT, witness, 2**63)
    with pytest.raises(NoteError, match="checkpoint"):
        cosign("not a checkpoint\n", witness, 1)


def test_add_signatures_rejects_duplicates(log_signer: SignerKey) -> None:
    note = sign_note(CHECKPOINT_TEXT, [log_signer])
    with pytest.raises(NoteError, match="duplicate"):
        add_signatures(note, parse_note(note).signatures)


# --- checkpoints -----------------------------------------------------------------------------


def test_checkpoint_round_trip() -> None:
    cp = Checkpoint("example.com/log", 42, bytes(range(32)))
    assert cp.to_text() == CHECKPOINT_TEXT
    assert parse_checkpoint(CHECKPOINT_TEXT) == cp
    ext = Checkpoint("o", 0, bytes(32), ("ext one", "ext two"))
    assert ext.to_text().endswith("\next one\next two\n")
    assert parse_checkpoint(ext.to_text()) == ext


_ROOT = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("o\n1\n" + _ROOT, "newline"),
        ("o\n1\n", "3 lines"),
        ("\n1\n" + _ROOT + "\n", "non-empty"),
        ("o\n1\n" + _ROOT + "\n\n", "non-empty"),
        ("o\n01\n" + _ROOT + "\n", "leading zeros"),
        ("o\n00\n" + _ROOT + "\n", "leading zeros"),
        ("o\n-1\n" + _ROOT + "\n", "decimal"),
        ("o\n+1\n" + _ROOT + "\n", "decimal"),
        ("o\n 1\n" + _ROOT + "\n", "decimal"),
        ("o\n\u0661\n" + _ROOT + "\n", "decimal"),
        ("o\n18446744073709551616\n" + _ROOT + "\n", "2\\^64"),
        ("o\n1\n" + _ROOT[:-4] + "\n", "32-byte"),
        ("o\n1\n" + _ROOT[:-1] + "\n", "base64"),
    ],
)
def test_parse_checkpoint_rejects(text: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        parse_checkpoint(text)


def test_checkpoint_to_text_rejects_invalid_fields() -> None:
    with pytest.raises(NoteError):
        Checkpoint("two\nlines", 1, bytes(32)).to_text()
    with pytest.raises(NoteError):
        Checkpoint("o", 1, bytes(31)).to_text()
    with pytest.raises(NoteError):
        Checkpoint("o", -1, bytes(32)).to_text()
