"""Which keys may sign: the first event's, and (the rotation hook) keys a trusted key introduced."""

from __future__ import annotations

from verify.key_trust import walk
from verify.keys import SignerKey

FIRST = SignerKey.generate("drawledger.test/keys")
NEXT = SignerKey.generate("drawledger.test/keys")
KEYS = {k.key_id: k.verifier for k in (FIRST, NEXT)}
ROTATION = "ledger.key_rotated"  # not recorded by the ledger yet: the hook's test type


def test_only_the_key_the_first_event_names_is_trusted_whatever_the_header_lists():
    events = [
        (0, "ledger.created", FIRST.key_id, None),
        (1, "target.registered", NEXT.key_id, None),
    ]

    trusted, failures = walk(events, KEYS, FIRST.verifier, ["ledger.created"])

    assert list(trusted) == [FIRST.key_id]
    [(position, message)] = failures
    assert position == 1
    assert f"signed by drawledger.test/keys+{NEXT.key_id.hex()}" in message
    assert "never trusted" in message


def test_a_key_introduced_by_an_event_the_trusted_key_signed_is_trusted_from_then_on():
    events = [
        (0, "ledger.created", FIRST.key_id, None),
        (1, ROTATION, FIRST.key_id, str(NEXT.verifier)),
        (2, "target.registered", NEXT.key_id, None),
    ]

    trusted, failures = walk(events, KEYS, FIRST.verifier, ["ledger.created", ROTATION])

    assert failures == []
    assert set(trusted) == {FIRST.key_id, NEXT.key_id}


def test_a_key_cannot_introduce_itself_nor_be_used_before_its_introduction():
    events = [
        (0, "ledger.created", FIRST.key_id, None),
        (1, "target.registered", NEXT.key_id, None),  # before its introduction
        (2, ROTATION, NEXT.key_id, str(NEXT.verifier)),  # introduced by itself
        (3, "target.registered", NEXT.key_id, None),
    ]

    trusted, failures = walk(events, KEYS, FIRST.verifier, ["ledger.created", ROTATION])

    assert [p for p, _ in failures] == [1, 2, 3]
    assert list(trusted) == [FIRST.key_id]


def test_with_no_first_key_nothing_is_trusted():
    trusted, failures = walk([(0, "ledger.created", FIRST.key_id, None)], KEYS, None, [])

    assert trusted == {}
    assert "ledger.created does not name (none)" in failures[0][1]
