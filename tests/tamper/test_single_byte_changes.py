"""(C) No single changed byte anywhere in a bundle gets past the verifier unnoticed.

For a small sealed bundle, any one byte replaced by another gives exit 1 (a check failed) or
exit 2 (unusable input) — never an uncaught exception, and exit 0 only where the change cannot
alter anything the verifier vouches for. Those places are few and listed exactly
(``_unauthenticated_spots``); each is pinned by an example test below:

- the header's ``exported_at`` member: informative, covered by no signature (FORMAT.md §5);
- the ``notification_id`` numbers: the store's ids, covered by no signature either — the
  verifier vouches for an event's *position* (its leaf index), not for its notification id;
- a letter of a header key's hex key id: ``A``-``F`` parse like ``a``-``f``, giving the same key.

Single-byte *replacements* cannot add JSON whitespace or a second escape spelling (those need
an inserted byte), so they are not among the exceptions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verify.bundle import Bundle, BundleError, parse_bundle
from verify.checks import verify_bundle
from verify.keys import SignerKey, parse_verifier_key

from .conftest import ORIGIN, build_sealed_history

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


@pytest.fixture(scope="module")
def small_bundle(tmp_path_factory) -> bytes:
    """2 setup events + 2 notes × 2 versions: 6 events, 6 checkpoints (SQLite).

    The key is fixed, so its hex key id (d5588407) surely has the letters that
    ``test_an_uppercase_key_id_in_the_header_names_the_same_key`` needs; a random one has none
    about once in 43 runs."""
    history = build_sealed_history(tmp_path_factory.mktemp("small"), _KEY, notes=2, rounds=1)
    return history.bundle


_KEY = SignerKey(
    ORIGIN,
    Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"drawledger tamper suite: small bundle key").digest()
    ),
)


def _verify(data: bytes) -> int:
    """The verifier's exit status for these bytes, in-process (exceptions propagate), as an
    auditor who pins the ledger's key sees it."""
    try:
        bundle = parse_bundle(data)
    except BundleError:
        return EXIT_UNUSABLE
    return EXIT_OK if verify_bundle(bundle, pinned_keys=[str(_KEY.verifier)]).ok else EXIT_FAILED


def _vouched_for(bundle: Bundle) -> tuple[object, ...]:
    """Everything the verifier checks: origin, keys (as keys), records and checkpoints."""
    return (
        bundle.origin,
        [parse_verifier_key(k) for k in bundle.keys],
        bundle.records,
        bundle.checkpoints,
    )


@dataclass(frozen=True)
class _Spots:
    exported_at: range
    notification_ids: list[range]
    key_id_letters: list[int]

    def __contains__(self, position: int) -> bool:
        return (
            position in self.exported_at
            or any(position in r for r in self.notification_ids)
            or position in self.key_id_letters
        )


def _unauthenticated_spots(data: bytes) -> _Spots:
    """The byte positions where a change may verify, found in the exporter's own output."""
    header_end = data.index(b"\n")
    exported = re.search(rb'"exported_at":"[^"]*"', data[:header_end])
    assert exported is not None
    ids = [range(*m.span(1)) for m in re.finditer(rb'"notification_id":(\d+)', data)]
    letters = [
        m.start(1) + i
        for m in re.finditer(rb"\+([0-9a-f]{8})\+", data[:header_end])
        for i, ch in enumerate(m.group(1))
        if chr(ch) in "abcdef"
    ]
    return _Spots(range(*exported.span()), ids, letters)


@st.composite
def _single_byte_change(draw: st.DrawFn, data: bytes) -> tuple[int, int]:
    """(position, new byte): a position drawn either uniformly from the whole file, or from a
    line drawn first (so that the short header, checkpoint and end lines are hit often too)."""
    starts = [0] + [i + 1 for i, b in enumerate(data[:-1]) if b == 0x0A]
    ends = [*starts[1:], len(data)]
    if draw(st.booleans()):
        position = draw(st.integers(0, len(data) - 1))
    else:
        line = draw(st.integers(0, len(starts) - 1))
        position = draw(st.integers(starts[line], ends[line] - 1))
    new = data[position] ^ draw(st.integers(1, 255))
    return position, new


def test_the_small_bundle_verifies_before_any_change(small_bundle):
    assert _verify(small_bundle) == EXIT_OK


@given(data=st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_single_byte_change_verifies_unless_it_only_touches_unauthenticated_bytes(
    small_bundle, data
):
    position, new = data.draw(_single_byte_change(small_bundle), label="position, new byte")
    changed = bytearray(small_bundle)
    changed[position] = new

    status = _verify(bytes(changed))

    assert status in (EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE)
    if status == EXIT_OK:
        line = small_bundle[:position].count(b"\n") + 1
        assert position in _unauthenticated_spots(small_bundle), (
            f"byte {position} (line {line}) {small_bundle[position]:#04x} -> {new:#04x} verifies"
        )
        assert _vouched_for(parse_bundle(bytes(changed))) == _vouched_for(
            parse_bundle(small_bundle)
        )


# --- the unauthenticated spots, one by one ------------------------------------------------------


def _replace_at(data: bytes, position: int, new: bytes) -> bytes:
    return data[:position] + new + data[position + 1 :]


def test_the_exported_at_time_is_informative_and_editing_it_still_verifies(small_bundle):
    spots = _unauthenticated_spots(small_bundle)
    year = spots.exported_at.start + len(b'"exported_at":"')  # the first digit of the year
    changed = _replace_at(small_bundle, year, b"1")

    assert _verify(changed) == EXIT_OK
    assert parse_bundle(changed).exported_at.startswith("1")


def test_a_notification_id_is_not_signed_and_editing_it_within_order_still_verifies(small_bundle):
    last = _unauthenticated_spots(small_bundle).notification_ids[-1]
    changed = _replace_at(small_bundle, last.stop - 1, b"9")

    assert _verify(changed) == EXIT_OK
    assert (
        parse_bundle(changed).notification_ids[-1]
        != parse_bundle(small_bundle).notification_ids[-1]
    )


def test_an_uppercase_key_id_in_the_header_names_the_same_key(small_bundle):
    position = _unauthenticated_spots(small_bundle).key_id_letters[0]
    changed = _replace_at(small_bundle, position, bytes([small_bundle[position]]).upper())

    assert _verify(changed) == EXIT_OK
    assert _vouched_for(parse_bundle(changed)) == _vouched_for(parse_bundle(small_bundle))


def _respelled_record(data: bytes) -> bytes:
    """One record's base64 respelled (the signature's, in a line carrying its envelope): the
    character before '=' carries unused low bits, and flipping the lowest of them leaves the
    decoded bytes the same."""
    for m in re.finditer(rb'"(?:record|signature)":"[^"]*?(=+)"', data):
        position = m.start(1) - 1
        alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        value = alphabet.index(data[position : position + 1])
        respelled = alphabet[value ^ 1 : (value ^ 1) + 1]
        return data[:position] + respelled + data[position + 1 :]
    raise AssertionError("no record ends in base64 padding")


def test_a_record_in_non_canonical_base64_is_unusable_input(small_bundle):
    assert _verify(_respelled_record(small_bundle)) == EXIT_UNUSABLE
