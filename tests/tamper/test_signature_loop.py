"""Step 3 checks a chunk's forms first and its signatures after, in a loop of their own
(``record_pass.check_records``, for the caches). An attacker who mixes good records with forged,
foreign-key, re-used and broken ones in one chunk must find each refused at its own position
with the message the record-at-a-time check gives, and nothing else refused."""

from __future__ import annotations

import base64
from typing import Any

from verify.authority_rules import OPERATOR
from verify.errors import VerifyError
from verify.events import SignedEvent, check_signature, decode_parts, encode_record, make_envelope
from verify.keys import SignerKey, VerifierKey
from verify.record_pass import Decoded, check_records

from .bundle_edits import with_payload_keeping_signature, with_signature

ORIGIN = "drawledger.test/ledger"
TIME = "2026-12-03T00:00:00.000000Z"


def _record(signer: SignerKey, n: int) -> bytes:
    envelope = make_envelope(
        type="test.padded",
        aggregate=f"agg-{n}",
        version=1,
        time=TIME,
        actor=dict(OPERATOR),
        payload={"n": n, "名称": "某某有限公司"},
        prev=None,
    )
    return encode_record(envelope, signer)[0]


def _one_at_a_time(records: list[bytes], keys: dict[bytes, VerifierKey]) -> list[tuple[Any, ...]]:
    """What step 3 found before the loops were split: each record decoded, then verified."""
    out: list[tuple[Any, ...]] = []
    for record in records:
        try:
            env, raw, digest, key_id, signature = decode_parts(record)
        except VerifyError as e:
            out.append(("", "", 0, None, b"", b"", str(e), False))
            continue
        error = None
        try:
            check_signature(SignedEvent(env, raw, digest, key_id, signature), keys)
        except VerifyError as e:
            error = str(e)
        out.append(
            (
                env["type"],
                env["aggregate"],
                env["version"],
                env["prev"],
                digest,
                key_id,
                error,
                True,
            )
        )
    return out


def _seen(found: list[Decoded]) -> list[tuple[Any, ...]]:
    return [(*d[:6], d.error, d.decoded) for d in found]


def _mixed_chunk() -> tuple[list[bytes], dict[bytes, VerifierKey], dict[str, int]]:
    ledger = SignerKey.generate(ORIGIN)
    stranger = SignerKey.generate("stranger.example/key")
    good = [_record(ledger, n) for n in range(12)]
    forged = with_signature(good[3], bytes(64))  # the ledger's key id, a made-up signature
    foreign = _record(stranger, 4)  # signed by a key the verifier does not hold
    # the stranger's signature under the ledger's key id
    borrowed = with_signature(good[5], decode_parts(foreign)[4])
    edited = with_payload_keeping_signature(good[6], n=66)  # envelope changed after signing
    replayed = good[7].partition(b"\n")[0] + b"\n" + good[2].partition(b"\n")[2]  # another's sig
    broken = good[8].replace(b"\n", b" ", 1)  # no line feed: not a record
    short = good[9].partition(b"\n")[0] + b"\n" + base64.b64encode(ledger.key_id + bytes(10))
    records = [*good[:3], forged, foreign, borrowed, edited, replayed, broken, short, *good[10:]]
    bad = {
        "forged": 3,
        "foreign": 4,
        "borrowed": 5,
        "edited": 6,
        "replayed": 7,
        "broken": 8,
        "short": 9,
    }
    return records, {ledger.key_id: ledger.verifier}, bad


def test_a_mixed_chunk_is_refused_record_by_record_as_one_at_a_time():
    records, keys, bad = _mixed_chunk()
    found = check_records(records, keys)
    assert _seen(found) == _one_at_a_time(records, keys)
    refused = {i for i, d in enumerate(found) if d.error is not None}
    assert refused == set(bad.values())  # each at its own position, no neighbour blamed
    assert "does not verify" in (found[bad["forged"]].error or "")
    assert "unknown key id" in (found[bad["foreign"]].error or "")
    assert "does not verify" in (found[bad["borrowed"]].error or "")
    assert "does not verify" in (found[bad["edited"]].error or "")
    assert "does not verify" in (found[bad["replayed"]].error or "")
    assert not found[bad["broken"]].decoded and not found[bad["short"]].decoded
    assert all(d.decoded for i, d in enumerate(found) if i not in (bad["broken"], bad["short"]))


def test_a_worker_given_the_keys_as_text_finds_the_same():
    records, keys, _ = _mixed_chunk()
    as_text = [str(k) for k in keys.values()]
    assert _seen(check_records(records, as_text)) == _seen(check_records(records, keys))


def test_every_signature_is_checked_not_only_the_first_or_last():
    records, keys, _ = _mixed_chunk()
    good = [r for r, d in zip(records, check_records(records, keys), strict=True) if not d.error]
    for i in range(len(good)):  # one forgery at each position of an otherwise good chunk
        forged = with_signature(good[i], bytes(64))
        chunk = [*good[:i], forged, *good[i + 1 :]]
        found = check_records(chunk, keys)
        assert [n for n, d in enumerate(found) if d.error is not None] == [i]
