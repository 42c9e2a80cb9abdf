"""docs/FORMAT.md pins the exact bytes with golden vectors; this test regenerates them.

Every block in FORMAT.md that follows a ``<!-- golden:NAME -->`` marker must equal what the
code produces today from the fixed inputs below. Print the blocks with
``python tests/verify/test_format_golden.py`` after a deliberate format change.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verify.events import canonical, encode_record, event_digest, make_envelope
from verify.keys import SignerKey
from verify.merkle import leaf_hash, root_from_leaf_hashes
from verify.note import Checkpoint, sign_note

FORMAT_MD = Path(__file__).resolve().parents[2] / "docs" / "FORMAT.md"
ORIGIN = "drawledger.example/golden"


def golden_key() -> SignerKey:
    seed = hashlib.sha256(b"drawledger golden vector key").digest()
    return SignerKey(ORIGIN, Ed25519PrivateKey.from_private_bytes(seed))


def golden() -> dict[str, str]:
    key = golden_key()
    actor = {"official": "official-0007", "role": "clerk", "department": "水政处"}
    first = make_envelope(
        type="policy.set",
        aggregate="9f1b0c9e-3f52-5b7a-9d34-0c1b7a1f2e44",
        version=1,
        time="2026-01-02T03:04:05.678901Z",
        actor=actor,
        payload={"version": "golden/1", "document": {"teams": {"min_inspectors": 2}}},
        prev=None,
    )
    record1, digest1 = encode_record(first, key)
    second = make_envelope(
        type="policy.set",
        aggregate="9f1b0c9e-3f52-5b7a-9d34-0c1b7a1f2e44",
        version=2,
        time="2026-01-02T03:04:06.000000Z",
        actor=actor,
        payload={"note": '换届 "quoted"\ttab'},
        prev=digest1,
    )
    record2, digest2 = encode_record(second, key)
    leaves = [leaf_hash(record1), leaf_hash(record2)]
    root = root_from_leaf_hashes(leaves)
    checkpoint = sign_note(Checkpoint(ORIGIN, 2, root).to_text(), [key])
    return {
        "verifier_key": str(key.verifier),
        "envelope_1": canonical(first).decode("utf-8"),
        "digest_1": event_digest(canonical(first)).hex(),
        "record_1_base64": base64.b64encode(record1).decode("ascii"),
        "envelope_2": canonical(second).decode("utf-8"),
        "digest_2": digest2.hex(),
        "leaf_hashes": "\n".join(h.hex() for h in leaves),
        "root": root.hex(),
        "checkpoint": checkpoint.rstrip("\n"),
    }


def documented() -> dict[str, str]:
    text = FORMAT_MD.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- golden:(\w+) -->\n```[a-z]*\n(.*?)\n```", text, flags=re.S)
    return dict(blocks)


def test_format_md_documents_every_golden_vector():
    assert sorted(documented()) == sorted(golden())


@pytest.mark.parametrize("name", sorted(golden()))
def test_golden_vector_matches_the_code(name):
    assert documented()[name] == golden()[name]


def test_golden_record_is_envelope_newline_base64_of_key_id_and_signature():
    record = base64.b64decode(golden()["record_1_base64"])
    envelope, sep, tail = record.partition(b"\n")
    assert envelope.decode("utf-8") == golden()["envelope_1"]
    sig = base64.b64decode(tail)
    assert sig[:4] == golden_key().key_id
    golden_key().verifier.verify(bytes.fromhex(golden()["digest_1"]), sig[4:])


if __name__ == "__main__":
    for name, value in golden().items():
        print(f"<!-- golden:{name} -->\n```text\n{value}\n```\n")
