"""(6) Checkpoint sizes never shrink in the order the bundle gives them (its signing order)."""

from __future__ import annotations

from .bundle_edits import EditableBundle, failures_by_step, messages, resealed


def test_two_checkpoints_swapped_in_a_re_signed_bundle_fail_step_6_naming_the_checkpoint(
    bundle_path, run_verify, ledger_key
):
    bundle = EditableBundle.from_bytes(bundle_path.read_bytes())
    resealed(bundle, ledger_key, {})  # the key holder re-signs: every note is valid on its own
    third, fourth = bundle.checkpoints[2], bundle.checkpoints[3]  # sizes 3 and 4
    bundle.checkpoints[2], bundle.checkpoints[3] = fourth, third
    bundle_path.write_bytes(bundle.to_bytes())

    status, report = run_verify(bundle_path)

    assert status == 1
    assert set(failures_by_step(report)) == {6}
    assert messages(report, 6) == ("检查点的大小不得缩小：应至少为 4，检查点 #4 为 3")


def test_checkpoints_in_signing_order_pass_step_6(bundle_path, run_verify):
    status, report = run_verify(bundle_path)

    assert status == 0
    assert report["steps"][5]["detail"].startswith("34 个检查点")
