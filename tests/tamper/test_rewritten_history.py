"""(9) A history rewritten by the key holder, consistent in itself, against an auditor's checkpoint.

Whoever holds the ledger key can build a whole new history — every signature valid, every chain
and checkpoint consistent — and export it. Nothing inside such a bundle contradicts itself; what
exposes it is a checkpoint that an auditor (or a witness) kept from the real history.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .bundle_edits import failures_by_step, messages, positions
from .conftest import build_sealed_history

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rewritten_bundle(tmp_path, sealed_history) -> Path:
    """A different history of the same ledger: same key, same origin, other note texts."""
    rewritten = build_sealed_history(
        tmp_path / "rewritten", sealed_history.signer, notes=5, rounds=5, label="rewritten note"
    )
    assert rewritten.bundle != sealed_history.bundle
    path = tmp_path / "rewritten.bundle"
    path.write_bytes(rewritten.bundle)
    return path


@pytest.fixture
def kept_checkpoint(tmp_path, sealed_history) -> Path:
    """The latest checkpoint of the real history, saved by the auditor when it was published."""
    path = tmp_path / "kept.checkpoint"
    path.write_text(sealed_history.latest_checkpoint, encoding="utf-8")
    return path


def _python_m_verify(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verify", *map(str, args)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_consistently_rewritten_history_verifies_on_its_own(rewritten_bundle, sealed_history):
    result = _python_m_verify(rewritten_bundle, "--key", sealed_history.signer.verifier)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "通过：导出包核验通过" in result.stdout


def test_a_consistently_rewritten_history_fails_against_the_auditors_kept_checkpoint(
    rewritten_bundle, kept_checkpoint
):
    result = _python_m_verify(rewritten_bundle, "--trusted-checkpoint", kept_checkpoint)

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("失败 (")] == [
        "失败 (8) 与受信任检查点的一致性：1 个受信任的检查点"
    ]
    assert lines[-1] == "失败：导出包核验未通过"


def test_the_trusted_checkpoint_failure_names_the_size_and_both_roots(
    rewritten_bundle, kept_checkpoint, run_verify
):
    status, report = run_verify(rewritten_bundle, "--trusted-checkpoint", str(kept_checkpoint))

    assert status == 1
    assert set(failures_by_step(report)) == {8}
    assert positions(report, 8) == [33]  # the checkpoint covers 34 events: the last is 33
    assert "受信任的检查点 #1（大小 34）：签名的根哈希为" in messages(report, 8)


def test_the_real_history_extends_the_auditors_kept_checkpoint(
    bundle_path, kept_checkpoint, run_verify
):
    status, report = run_verify(bundle_path, "--trusted-checkpoint", str(kept_checkpoint))

    assert status == 0
    assert report["steps"][7]["detail"] == "1 个受信任的检查点"
