"""The court's expert reads why a dispute file is refused in Chinese: before, a wrong key or a
record from another file was named only in the check's English detail ("note: expected a
signature by a known key …", "signed by unknown key id …", "inclusion: expected root …")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from api.cli import main as drawledger
from ledger.application import LedgerApp
from verify.dispute import main as verify_dispute


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Two dispute files of one demo ledger (two targets of one draw), and another ledger."""
    base = tmp_path_factory.mktemp("refusals")
    data, other = base / "ledger", base / "other"
    assert drawledger(["demo", "--data", str(data), "--targets", "60"]) == 0
    assert drawledger(["init", "--data", str(other)]) == 0
    app = LedgerApp.open(data)
    try:
        selected = next(app.records(topics=["draw.targets_selected"]))[1].envelope
    finally:
        app.close()
    codes = [s["target"] for st in selected["payload"]["strata"] for s in st["selected"]]
    made = []
    for n, code in enumerate(codes[:2]):
        out = base / f"file{n}"
        args = ["dispute", "--data", str(data), "--target", code, "--out", str(out)]
        assert drawledger(args) == 0
        made.append(out)
    return {
        "files": made,
        "key": str(data / "keys" / "ledger.pub"),
        "other_key": str(other / "keys" / "ledger.pub"),
    }


def _check(directory: Path, key: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = verify_dispute([str(directory), "--key", key])
    return code, capsys.readouterr().out


def test_a_wrong_key_is_named_in_chinese_for_the_checkpoint_and_the_records(files, capsys):
    code, out = _check(files["files"][0], files["other_key"], capsys)
    assert code == 1
    assert "checkpoint.note 没有所给账本公钥" in out and "所给公钥不是本账本的" in out
    assert "记录的签名不是所给账本公钥的有效签名" in out


def test_a_record_taken_from_another_file_is_named_in_chinese(files, tmp_path, capsys):
    mine, theirs = files["files"]
    copy = tmp_path / "copy"
    shutil.copytree(mine, copy)
    own = (copy / "evidence.jsonl").read_text(encoding="utf-8").splitlines()
    foreign = (theirs / "evidence.jsonl").read_text(encoding="utf-8").splitlines()
    positions = {json.loads(line)["position"] for line in own}
    stranger = next(line for line in foreign if json.loads(line)["position"] not in positions)
    doc = json.loads(stranger)
    doc["index"] += 1  # placed as if it were another leaf: its proof no longer leads to the root
    (copy / "evidence.jsonl").write_text("\n".join([*own, json.dumps(doc)]) + "\n")
    code, out = _check(copy, files["key"], capsys)
    assert code == 1
    assert "包含证明不能通向签名检查点的根" in out
    assert "清单所列" in out or "缺少或被改动" in out or "清单未列" in out


def test_a_broken_record_line_is_named_in_chinese(files, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(files["files"][0], copy)
    lines = (copy / "evidence.jsonl").read_text(encoding="utf-8").splitlines()
    doc = json.loads(lines[0])
    doc["record"] = doc["record"][:-8] + "AAAAAAA="
    (copy / "evidence.jsonl").write_text("\n".join([json.dumps(doc), *lines[1:]]) + "\n")
    code, out = _check(copy, files["key"], capsys)
    assert code == 1
    assert "evidence.jsonl 第 1 行" in out
    assert "不是完整的签名记录" in out or "记录的签名不是所给账本公钥的有效签名" in out


def test_a_trusted_checkpoint_of_another_ledger_is_named_in_chinese(files, tmp_path, capsys):
    other = Path(files["other_key"]).parents[1]
    app = LedgerApp.open(other)
    try:
        app.seal()
        latest = app.sealer.latest()
        assert latest is not None
        note = app.sealer.cosigned_note(latest.size)
    finally:
        app.close()
    trusted = tmp_path / "trusted.note"
    trusted.write_text(note, encoding="utf-8")
    capsys.readouterr()
    args = [str(files["files"][0]), "--key", files["key"], "--trusted-checkpoint", str(trusted)]
    assert verify_dispute(args) == 1
    out = capsys.readouterr().out
    assert (
        "失败：(6)" in out and "受信任的检查点 1 没有所给账本公钥的有效签名：它属于另一账本" in out
    )
