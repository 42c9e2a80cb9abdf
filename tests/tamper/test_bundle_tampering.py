"""An auditor receives an exported bundle that someone edited on its way; the verifier says where.

Each test takes a fresh copy of one sealed history (34 events: ``ledger.created``, ``policy.set``,
then five notes whose versions interleave in the log, one checkpoint signed after every save),
edits it as an attacker would — keeping it structurally valid, so that only the cryptographic
checks can catch the edit — runs ``python -m verify BUNDLE --json`` and checks the exit status
*and* which numbered step failed at which event position.
"""

from __future__ import annotations

import os

import pytest

from verify.events import decode_record
from verify.keys import SignerKey
from verify.merkle import leaf_hash, root_from_leaf_hashes
from verify.note import Checkpoint, sign_note

from .bundle_edits import (
    EditableBundle,
    failures_by_step,
    messages,
    positions,
    resigned,
    with_payload_keeping_signature,
    with_signature,
)
from .conftest import ORIGIN


@pytest.fixture
def bundle(bundle_path):
    return EditableBundle.from_bytes(bundle_path.read_bytes())


@pytest.fixture
def attacker():
    """Someone else's key, under the ledger's own name (only the key id tells them apart)."""
    return SignerKey.generate(ORIGIN)


def _every_checkpoint_from(position: int, total: int) -> list[int]:
    """Step 5's failure positions when every checkpoint covering ``position`` is wrong: one
    checkpoint was signed per event, and a failing checkpoint of size s is reported at s - 1."""
    return list(range(position, total))


def _note(bundle: EditableBundle, history, n: int) -> list[int]:
    """The log positions of note ``n``'s versions: ``[v1, v2, ...]``."""
    return bundle.positions_of(str(history.note_ids[n]))


# --- the untouched bundle ------------------------------------------------------------------


def test_the_untouched_bundle_verifies_at_every_step(bundle_path, run_verify):
    status, report = run_verify(bundle_path)

    assert status == 0
    assert report["ok"] is True
    assert [s["step"] for s in report["steps"]] == list(range(1, 13))
    assert all(s["ok"] for s in report["steps"])


# --- (1) a payload edited, the signature kept ----------------------------------------------


def test_an_edited_payload_fails_the_signature_check_at_that_event(
    bundle, bundle_path, run_verify, sealed_history
):
    target = _note(bundle, sealed_history, 1)[2]  # note 1, version 3
    bundle.events[target].record = with_payload_keeping_signature(
        bundle.events[target].record, text="a quietly rewritten inspection result"
    )
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    assert positions(report, 3) == [target]
    assert "does not verify" in messages(report, 3)
    # The record's bytes are a Merkle leaf: every checkpoint that covers it disagrees, and the
    # last one that still checks out stops just before the edited event.
    assert positions(report, 5) == _every_checkpoint_from(target, len(bundle.events))
    assert positions(report, 7) == [target]


def test_an_edited_payload_does_not_make_the_next_version_look_like_it_follows_a_gap(
    bundle, bundle_path, run_verify, sealed_history
):
    target = _note(bundle, sealed_history, 1)[2]  # note 1, version 3
    bundle.events[target].record = with_payload_keeping_signature(
        bundle.events[target].record, text="a quietly rewritten inspection result"
    )
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    # Version 3 is still in the bundle (only its signature is bad) and version 4 is untouched:
    # no step-4 failure may claim that a version is missing.
    assert "expected version" not in messages(report, 4)


# --- (2) a broken link, re-signed by the holder of the real key ----------------------------


def test_a_re_signed_event_whose_prev_is_wrong_breaks_the_chain_at_that_event(
    bundle, bundle_path, run_verify, sealed_history
):
    note = _note(bundle, sealed_history, 2)
    target = note[-1]  # the note's last version: no later event chains to it
    # A plausible forgery: the digest of an older version of the same note, not the previous one.
    forged_prev = decode_record(bundle.events[note[-3]].record).digest.hex()
    bundle.events[target].record = resigned(
        bundle.events[target].record, sealed_history.signer, prev=forged_prev
    )
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    assert 3 not in failures_by_step(report)  # the signature is genuine
    assert positions(report, 4) == [target]
    assert f"prev 为 {forged_prev}" in messages(report, 4)
    assert positions(report, 5) == _every_checkpoint_from(target, len(bundle.events))


def test_a_re_signed_middle_event_breaks_its_own_link_and_the_link_of_the_next_version(
    bundle, bundle_path, run_verify, sealed_history
):
    note = _note(bundle, sealed_history, 2)
    target, following = note[3], note[4]
    forged_prev = "00" * 32
    bundle.events[target].record = resigned(
        bundle.events[target].record, sealed_history.signer, prev=forged_prev
    )
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    # The re-signed event has a new digest, so the untouched next version no longer chains to it.
    assert positions(report, 4) == [target, following]
    assert positions(report, 5)[0] == target


# --- (3) a signature replaced ----------------------------------------------------------------


def test_a_replaced_signature_fails_the_signature_check_at_that_event(
    bundle, bundle_path, run_verify, sealed_history
):
    target = _note(bundle, sealed_history, 3)[3]  # note 3, version 4
    bundle.events[target].record = with_signature(bundle.events[target].record, os.urandom(64))
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    assert positions(report, 3) == [target]
    assert "does not verify" in messages(report, 3)
    assert positions(report, 5) == _every_checkpoint_from(target, len(bundle.events))
    assert positions(report, 7) == [target]


# --- (4) two events swapped ------------------------------------------------------------------


def test_two_swapped_versions_of_one_aggregate_fail_the_chain_and_the_checkpoint_roots(
    bundle, bundle_path, run_verify, sealed_history
):
    note = _note(bundle, sealed_history, 0)
    first, second = note[-2], note[-1]  # versions 7 and 8, adjacent in the log
    assert second == first + 1
    bundle.swap_records(first, second)
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    assert 3 not in failures_by_step(report)  # both records are genuine
    assert positions(report, 4) == [first, second]
    assert "应为版本 7" in messages(report, 4)
    assert positions(report, 5) == _every_checkpoint_from(first, len(bundle.events))


def test_two_swapped_events_of_different_aggregates_are_caught_by_the_checkpoint_roots(
    bundle, bundle_path, run_verify, sealed_history
):
    # Each chain is still intact after this swap: only the Merkle tree fixes the log order.
    first = _note(bundle, sealed_history, 1)[2]
    second = _note(bundle, sealed_history, 2)[2]
    assert second == first + 1
    bundle.swap_records(first, second)
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    assert set(failures_by_step(report)) == {5, 7}
    assert positions(report, 5) == _every_checkpoint_from(first, len(bundle.events))


# --- (5) a middle event deleted --------------------------------------------------------------


def test_a_deleted_middle_event_leaves_a_version_gap_and_wrong_checkpoint_roots(
    bundle, bundle_path, run_verify, sealed_history
):
    note = _note(bundle, sealed_history, 2)
    deleted, following = note[2], note[3]
    total = len(bundle.events)
    bundle.delete_event(deleted)
    bundle_path.write_bytes(bundle.to_bytes())  # events renumbered, end line fixed

    status, report = run_verify(bundle_path)

    assert status == 1
    assert 3 not in failures_by_step(report)
    assert positions(report, 4) == [following - 1]  # where the next version now sits
    assert "应为版本 3" in messages(report, 4) and "实为 4" in messages(report, 4)
    # Checkpoints of sizes deleted+1 .. total-1 have the wrong root; the last one covers more
    # events than the bundle holds.
    assert positions(report, 5) == [*range(deleted, total - 1), None]
    assert f"覆盖 {total} 个事件，导出包只有 {total - 1} 个" in messages(report, 5)
    assert positions(report, 7) == [deleted]


# --- (6b) the tail truncated consistently ---------------------------------------------------


def test_a_tail_cut_with_the_end_line_fixed_fails_the_checkpoints_that_cover_the_lost_events(
    bundle, bundle_path, run_verify
):
    total = len(bundle.events)
    del bundle.events[total - 4 :]
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    assert positions(report, 5) == [None] * 4
    assert "末尾的事件被删除了" in messages(report, 5)
    assert f"覆盖 {total} 个事件，导出包只有 {total - 4} 个" in messages(report, 5)


def test_a_tail_cut_together_with_its_checkpoints_needs_a_trusted_checkpoint_to_be_caught(
    bundle, bundle_path, run_verify, sealed_history, tmp_path
):
    total = len(bundle.events)
    del bundle.events[total - 4 :]
    del bundle.checkpoints[total - 4 :]  # one checkpoint per event: drop the ones that saw them
    bundle_path.write_bytes(bundle.to_bytes())
    trusted = tmp_path / "trusted.checkpoint"
    trusted.write_text(sealed_history.latest_checkpoint, encoding="utf-8")

    status, _ = run_verify(bundle_path)
    assert status == 0  # an earlier, consistent state of the ledger: nothing inside contradicts

    status, report = run_verify(bundle_path, "--trusted-checkpoint", str(trusted))
    assert status == 1
    assert set(failures_by_step(report)) == {8}
    assert "该检查点比导出包新" in messages(report, 8)
    assert "末尾的事件被删除了" not in messages(report, 8)


# --- (7) an unknown key ------------------------------------------------------------------------


def test_an_event_signed_by_another_key_is_signed_by_an_unknown_key_id(
    bundle, bundle_path, run_verify, sealed_history, attacker
):
    target = _note(bundle, sealed_history, 4)[1]  # note 4, version 2
    bundle.events[target].record = resigned(
        bundle.events[target].record, attacker, payload={"text": "approved after all"}
    )
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    assert positions(report, 3) == [target]
    assert f"unknown key id {attacker.key_id.hex()}" in messages(report, 3)
    assert positions(report, 5)[0] == target


def _resigned_by(
    bundle: EditableBundle, attacker: SignerKey, *, genesis_names: object = None
) -> None:
    """Swap the header's key for the attacker's and re-sign every event and checkpoint.

    ``ledger.created`` is made to name the attacker's key too (a thorough attacker), or
    ``genesis_names`` if given (``False``: left naming the real key, a lazy attacker).
    """
    bundle.header["keys"] = [str(attacker.verifier)]
    for position, event in enumerate(bundle.events):
        changes = {}
        if position == 0 and genesis_names is not False:
            named = str(attacker.verifier) if genesis_names is None else genesis_names
            changes["payload"] = {**bundle.envelope(0)["payload"], "verifier_key": named}
        event.record = resigned(event.record, attacker, **changes)
    leaves = [leaf_hash(e.record) for e in bundle.events]
    bundle.checkpoints = [
        sign_note(
            Checkpoint(
                bundle.header["origin"], size, root_from_leaf_hashes(leaves[:size])
            ).to_text(),
            [attacker],
        )
        for size in range(1, len(leaves) + 1)
    ]


def test_a_bundle_re_signed_under_a_swapped_header_key_is_consistent_on_its_own(
    bundle, bundle_path, run_verify, attacker
):
    _resigned_by(bundle, attacker)
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path, anchored=False)

    # Without an outside anchor the verifier can only check the bundle against itself, and says
    # so: not "verified" (exit 3), but consistent, under the attacker's key.
    assert status == 3
    assert report["ok"] is False
    assert report["intact"] is True and report["anchored"] is False
    assert "本结果只证明导出包自身一致" in report["anchor"]
    assert attacker.key_id.hex() in report["steps"][1]["detail"]


def test_a_swapped_header_key_is_caught_when_ledger_created_still_names_the_real_key(
    bundle, bundle_path, run_verify, sealed_history, attacker
):
    _resigned_by(bundle, attacker, genesis_names=False)
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path, anchored=False)

    assert status == 1
    assert positions(report, 3)[0] == 0
    assert str(sealed_history.signer.verifier) in messages(report, 3)
    assert "不是受信任的密钥" in messages(report, 3)
    # No key is trusted then: every event and checkpoint signed by the header's key fails.
    assert sorted(set(positions(report, 3))) == list(range(len(bundle.events)))
    assert "ledger.created 未写明它（写明的是 无）" in messages(report, 3)
    assert len(positions(report, 5)) == len(bundle.checkpoints)


def test_a_ledger_created_naming_its_key_as_a_list_fails_step_3_cleanly(
    bundle, bundle_path, run_verify, attacker
):
    _resigned_by(bundle, attacker, genesis_names=[str(attacker.verifier)])
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path, anchored=False)

    assert status == 1
    assert positions(report, 3)[0] == 0
    assert "写明的密钥 [" in messages(report, 3)


def test_a_bundle_re_signed_under_a_swapped_header_key_fails_when_the_auditor_pins_the_real_key(
    bundle, bundle_path, run_verify, sealed_history, attacker
):
    _resigned_by(bundle, attacker)
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path, "--key", str(sealed_history.signer.verifier))

    assert status == 1
    assert "不在导出包的密钥中" in messages(report, 2)
    # Every record is signed by an untrusted key, and ledger.created names that key (event 0).
    assert sorted(set(positions(report, 3))) == list(range(len(bundle.events)))
    assert sum("unknown key id" in f["message"] for f in failures_by_step(report)[3]) == len(
        bundle.events
    )
    assert len(positions(report, 5)) == len(bundle.checkpoints)


def test_the_pinned_key_may_be_given_as_the_ledgers_public_key_file(
    bundle_path, run_verify, sealed_history, tmp_path
):
    key_file = tmp_path / "ledger.pub"
    key_file.write_text(f"{sealed_history.signer.verifier}\n", encoding="utf-8")

    status, report = run_verify(bundle_path, "--key", str(key_file))
    assert status == 0, report

    status, _ = run_verify(bundle_path, "--key", str(tmp_path / "missing.pub"))
    assert status == 2


def test_a_bundle_re_signed_under_a_swapped_header_key_fails_against_a_trusted_checkpoint(
    bundle, bundle_path, run_verify, sealed_history, attacker, tmp_path
):
    _resigned_by(bundle, attacker)
    bundle_path.write_bytes(bundle.to_bytes())
    trusted = tmp_path / "trusted.checkpoint"
    trusted.write_text(sealed_history.latest_checkpoint, encoding="utf-8")

    status, report = run_verify(bundle_path, "--trusted-checkpoint", str(trusted))

    assert status == 1
    assert set(failures_by_step(report)) == {8}
    assert "expected a signature by a known key" in messages(report, 8)


# --- (8) a forged checkpoint -------------------------------------------------------------------


def test_a_checkpoint_with_a_wrong_root_signed_by_an_attacker_key_is_not_trusted(
    bundle, bundle_path, run_verify, attacker
):
    size = len(bundle.events)
    forged = Checkpoint(bundle.header["origin"], size, bytes(32)).to_text()
    bundle.checkpoints[-1] = sign_note(forged, [attacker])
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    assert positions(report, 5) == [None]
    assert f"检查点 #{size}" in messages(report, 5)
    assert "expected a signature by a known key" in messages(report, 5)
    assert positions(report, 7) == [size - 1]  # the last good checkpoint misses one event


def test_a_checkpoint_with_an_edited_size_line_fails_its_signature(bundle, bundle_path, run_verify):
    size = len(bundle.checkpoints)
    note = bundle.checkpoints[-1]
    assert f"\n{size}\n" in note
    bundle.checkpoints[-1] = note.replace(f"\n{size}\n", f"\n{size - 1}\n", 1)
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    assert positions(report, 5) == [None]
    assert f"检查点 #{size}" in messages(report, 5)
    assert "expected it to verify, it does not" in messages(report, 5)
