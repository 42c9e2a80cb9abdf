"""Which keys may sign: the first event's, and (the rotation hook) keys a trusted key introduced."""

from __future__ import annotations

from verify.key_trust import walk
from verify.keys import SignerKey

FIRST = SignerKey.generate("drawledger.test/keys")
NEXT = SignerKey.generate("drawledger.test/keys")
KEYS = {k.key_id: k.verifier for k in (FIRST, NEXT)}
ROTATION = "ledger.key_rotated"


def test_only_the_key_the_first_event_names_is_trusted_whatever_the_header_lists():
    events = [
        (0, "ledger.created", FIRST.key_id, None),
        (1, "target.registered", NEXT.key_id, None),
    ]

    trusted, failures = walk(events, KEYS, FIRST.verifier, ["ledger.created"])

    assert list(trusted.keys) == [FIRST.key_id]
    [(position, message)] = failures
    assert position == 1
    assert f"由 drawledger.test/keys+{NEXT.key_id.hex()} 签名" in message
    assert "从未受信任" in message


def test_a_key_introduced_by_an_event_the_trusted_key_signed_is_trusted_from_then_on():
    events = [
        (0, "ledger.created", FIRST.key_id, None),
        (1, ROTATION, FIRST.key_id, str(NEXT.verifier)),
        (2, "target.registered", NEXT.key_id, None),
    ]

    trusted, failures = walk(events, KEYS, FIRST.verifier, ["ledger.created", ROTATION])

    assert failures == []
    assert set(trusted.keys) == {FIRST.key_id, NEXT.key_id}


def test_a_key_cannot_introduce_itself_nor_be_used_before_its_introduction():
    events = [
        (0, "ledger.created", FIRST.key_id, None),
        (1, "target.registered", NEXT.key_id, None),  # before its introduction
        (2, ROTATION, NEXT.key_id, str(NEXT.verifier)),  # introduced by itself
        (3, "target.registered", NEXT.key_id, None),
    ]

    trusted, failures = walk(events, KEYS, FIRST.verifier, ["ledger.created", ROTATION])

    assert [p for p, _ in failures] == [1, 2, 3]
    assert list(trusted.keys) == [FIRST.key_id]


def test_with_no_first_key_nothing_is_trusted():
    trusted, failures = walk([(0, "ledger.created", FIRST.key_id, None)], KEYS, None, [])

    assert trusted.keys == {}
    assert "ledger.created 未写明它（写明的是 无）" in failures[0][1]


REVOKED = "ledger.key_revoked"
THIRD = SignerKey.generate("drawledger.test/keys")
ALL = {k.key_id: k.verifier for k in (FIRST, NEXT, THIRD)}


def test_the_old_key_is_retired_where_its_successor_first_signs():
    events = [
        (0, "ledger.created", FIRST.key_id, None),
        (1, ROTATION, FIRST.key_id, str(NEXT.verifier)),
        (2, "target.registered", FIRST.key_id, None),  # the overlap: the old key still signs
        (3, "target.registered", NEXT.key_id, None),  # the switch: FIRST is retired here
        (4, "target.registered", FIRST.key_id, None),  # outside its validity
    ]

    history, failures = walk(events, KEYS, FIRST.verifier, ["ledger.created", ROTATION])

    [(position, message)] = failures
    assert position == 4
    assert "在其有效期之外签名：已于叶子 3 退役" in message
    assert history.valid(FIRST.key_id, 2) and not history.valid(FIRST.key_id, 3)
    # A checkpoint of size 2 (covering the rotation) may carry both signatures; of size 5, only
    # the new key's counts.
    assert {k.key_id for k in history.valid_for_checkpoint(2)} == {FIRST.key_id, NEXT.key_id}
    assert [k.key_id for k in history.valid_for_checkpoint(5)] == [NEXT.key_id]


def test_a_revoked_key_is_not_trusted_from_the_position_named_even_before_the_revocation():
    events = [
        (0, "ledger.created", FIRST.key_id, None),
        (1, ROTATION, FIRST.key_id, str(NEXT.verifier)),
        (2, "target.registered", NEXT.key_id, None),
        (3, ROTATION, NEXT.key_id, str(THIRD.verifier)),  # the thief rotates to a key of theirs
        (4, "target.registered", THIRD.key_id, None),
        (5, "target.registered", NEXT.key_id, None),
    ]
    history, failures = walk(events, ALL, FIRST.verifier, ["ledger.created", ROTATION])
    assert [p for p, _ in failures] == [5]  # NEXT retired at 4, where THIRD first signed

    # A revocation is read in a first pass over the events signed by keys valid there; it then
    # applies even to the key that signed it, if that key owes its trust to the revoked one.
    revoke = (6, REVOKED, THIRD.key_id, (str(NEXT.verifier), 3))
    history, failures = walk([*events, revoke], ALL, FIRST.verifier, ["ledger.created", ROTATION])
    # From position 3 NEXT is not trusted: its rotation to THIRD counts for nothing, so THIRD
    # is never trusted, nor is anything it signed.
    assert [p for p, _ in failures] == [3, 4, 5, 6]
    assert "由叶子 6 自叶子 3 起吊销" in dict(failures)[3]
    assert "从未受信任" in dict(failures)[4]


def test_a_revocation_by_the_current_key_ends_the_compromised_old_key():
    events = [
        (0, "ledger.created", FIRST.key_id, None),
        (1, ROTATION, FIRST.key_id, str(NEXT.verifier)),
        (2, "target.registered", FIRST.key_id, None),  # written with the stolen key
        (3, "target.registered", NEXT.key_id, None),
        (4, REVOKED, NEXT.key_id, (str(FIRST.verifier), 2)),
    ]

    history, failures = walk(events, KEYS, FIRST.verifier, ["ledger.created", ROTATION])

    [(position, message)] = failures
    assert position == 2 and "由叶子 4 自叶子 2 起吊销" in message
    assert history.why_end[FIRST.key_id] == "由叶子 4 自叶子 2 起吊销"
    assert history.valid_for_checkpoint(3) == [NEXT.verifier]
