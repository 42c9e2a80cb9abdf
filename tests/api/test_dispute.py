"""The dispute file (issue 12, part 3) as the legal office and a court use it: the operator
writes the file of one draw, target or official; anyone checks it offline with verify/ alone and
the ledger's key; a changed byte, a removed record or a record cut out of a chain is caught."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from api.cli import main as drawledger
from ledger.application import LedgerApp
from verify.dispute import main as verify_dispute

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A demo year (SQLite), one of its draws and one of the targets that draw selected."""
    data = tmp_path_factory.mktemp("dispute") / "ledger"
    assert drawledger(["demo", "--data", str(data), "--targets", "60"]) == 0
    app = LedgerApp.open(data)
    try:
        selected = next(app.records(topics=["draw.targets_selected"]))[1].envelope
        draw = selected["aggregate"]
        code = selected["payload"]["strata"][0]["selected"][0]["target"]  # its credit code
    finally:
        app.close()
    return {"data": data, "draw": draw, "code": code, "key": str(data / "keys" / "ledger.pub")}


def _write(demo: dict[str, Any], out: Path, *subject: str) -> int:
    return drawledger(["dispute", "--data", str(demo["data"]), *subject, "--out", str(out)])


def _check(out: Path, key: str | None) -> int:
    return verify_dispute([str(out), *(["--key", key] if key else [])])


def test_the_dispute_file_of_a_draw_verifies_offline_and_tells_the_story_in_chinese(
    demo, tmp_path, capsys
):
    out = tmp_path / "draw"
    assert _write(demo, out, "--draw", demo["draw"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    types = set(_types(out))
    assert {"draw.opened", "draw.population_frozen", "draw.targets_selected"} <= types
    assert manifest["subject"] == {"kind": "draw", "key": demo["draw"]}
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "争议材料" in report and "北京时间" in report
    assert all(r["digest"] in report for r in manifest["records"])
    # Events and roles in Chinese (ledger/labels.py), not as codes; the same story as PDF.
    assert "抽取检查对象" in report and "经办人员" in report
    assert ">draw.targets_selected<" not in report and ">clerk<" not in report
    pdf = (out / "report.pdf").read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "争议材料" in text and "抽取检查对象" in text and "经办人员" in text
    assert "draw.targets_selected" not in text
    assert manifest["records"][0]["digest"][:16] in text.replace("\n", "")
    capsys.readouterr()

    assert _check(out, demo["key"]) == 0
    assert "OK: the dispute file verifies" in capsys.readouterr().out
    # The same with the verifier as a separate program, from anywhere.
    checked = subprocess.run(
        [sys.executable, "-m", "verify", "dispute", str(out), "--key", demo["key"]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_dispute_file_of_a_target_holds_its_draw_and_its_registration(demo, tmp_path):
    out = tmp_path / "target"
    assert _write(demo, out, "--target", demo["code"]) == 0
    assert _check(out, demo["key"]) == 0
    assert {"target.registered", "draw.targets_selected"} <= set(_types(out))


def _types(out: Path) -> list[str]:
    return [
        json.loads(base64.b64decode(json.loads(line)["record"]).split(b"\n")[0])["type"]
        for line in _lines(out)
    ]


def _lines(out: Path) -> list[str]:
    return (out / "evidence.jsonl").read_text(encoding="utf-8").splitlines()


def test_a_changed_byte_a_removed_record_and_a_cut_chain_are_each_caught(demo, tmp_path, capsys):
    good = tmp_path / "good"
    assert _write(demo, good, "--draw", demo["draw"]) == 0

    changed = tmp_path / "changed"
    shutil.copytree(good, changed)
    lines = _lines(changed)
    entry = json.loads(lines[-1])
    record = bytearray(base64.b64decode(entry["record"]))
    record[record.index(b'"time":"') + 9] ^= 1  # one digit of the time
    entry["record"] = base64.b64encode(bytes(record)).decode()
    (changed / "evidence.jsonl").write_text("\n".join([*lines[:-1], json.dumps(entry)]) + "\n")
    assert _check(changed, demo["key"]) == 1

    removed = tmp_path / "removed"
    shutil.copytree(good, removed)
    lines = _lines(removed)
    (removed / "evidence.jsonl").write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    assert _check(removed, demo["key"]) == 1
    assert "the manifest lists exactly these records" in capsys.readouterr().out

    # Cut out of the manifest too: the chain of the draw's record shows the gap.
    cut = tmp_path / "cut"
    shutil.copytree(good, cut)
    manifest = json.loads((cut / "manifest.json").read_text(encoding="utf-8"))
    lines = _lines(cut)
    draw_lines = [n for n, line in enumerate(lines) if demo["draw"] in
                  base64.b64decode(json.loads(line)["record"]).decode()]  # fmt: skip
    middle = draw_lines[1]
    gone = json.loads(lines[middle])["position"]
    manifest["records"] = [r for r in manifest["records"] if r["position"] != gone]
    (cut / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (cut / "evidence.jsonl").write_text("\n".join(lines[:middle] + lines[middle + 1 :]) + "\n")
    capsys.readouterr()
    assert _check(cut, demo["key"]) == 1
    assert "FAIL: (4) each record's events are whole from its creation" in capsys.readouterr().out


def test_without_the_ledger_s_key_or_with_another_nothing_is_verified(demo, tmp_path, capsys):
    from verify.keys import SignerKey

    out = tmp_path / "draw"
    assert _write(demo, out, "--draw", demo["draw"]) == 0
    assert _check(out, None) == 3
    assert "NOT VERIFIED" in capsys.readouterr().err
    other = SignerKey.generate("drawledger.local/water-bureau")
    assert _check(out, str(other.verifier)) == 1


def test_bad_requests_are_refused_naming_what_is_wrong(demo, tmp_path, capsys):
    assert _write(demo, tmp_path / "a", "--draw", "no-such-draw") == 1
    assert "no act touches draw no-such-draw" in capsys.readouterr().err
    assert _write(demo, tmp_path / "b") == 1
    assert "name exactly one of" in capsys.readouterr().err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert _write(demo, tmp_path / "full", "--draw", demo["draw"]) == 1
    assert "is not empty" in capsys.readouterr().err
    args = ["--draw", demo["draw"], "--as-of", "999999"]
    assert _write(demo, tmp_path / "c", *args) == 1
    assert "the signed checkpoint covers positions 1 to" in capsys.readouterr().err
    assert verify_dispute([str(tmp_path / "nowhere"), "--key", demo["key"]]) == 2
