"""The company's lawyer against the dispute file's unsigned parts: the manifest (what the file is
about, as of when, which records are acts about it) and the reports are bound to the ledger's key
by ``manifest.sig`` (verify/dispute_manifest.py). Before it, a manifest relabelled to another
company, an act flag turned or a doctored report whose dates and events differ from the records
all verified "通过"; each is now refused, exit 1, naming what is wrong. And the check says which
files are evidence and that the reports are not."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from api.cli import main as drawledger
from ledger.application import LedgerApp
from verify.dispute import main as verify_dispute


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A demo year's ledger and the dispute file of one target a draw selected."""
    base = tmp_path_factory.mktemp("signed-manifest")
    data = base / "ledger"
    assert drawledger(["demo", "--data", str(data), "--targets", "60"]) == 0
    app = LedgerApp.open(data)
    try:
        selected = next(app.records(topics=["draw.targets_selected"]))[1].envelope
    finally:
        app.close()
    strata = selected["payload"]["strata"]
    codes = [s["target"] for st in strata for s in st["selected"]]
    out = base / "file"
    subject = ["--target", codes[0]]
    assert drawledger(["dispute", "--data", str(data), *subject, "--out", str(out)]) == 0
    return {"data": data, "out": out, "codes": codes, "key": str(data / "keys" / "ledger.pub")}


def _copy(made: dict[str, Any], tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(made["out"], copy)
    return copy


def _check(directory: Path, key: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = verify_dispute([str(directory), "--key", key])
    return code, capsys.readouterr().out


def _edit_manifest(directory: Path, change: Any) -> None:
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def test_the_file_as_made_verifies_and_says_which_files_are_evidence(made, capsys):
    code, out = _check(made["out"], made["key"], capsys)
    assert code == 0, out
    assert "通过：(3) 清单经账本签署" in out
    assert "证据：evidence.jsonl 中的签名记录" in out
    assert "报告（report.html、report.pdf）不是证据" in out
    manifest = json.loads((made["out"] / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) >= {"report.html", "report.pdf", "evidence.jsonl"}


def test_a_manifest_relabelled_to_another_company_is_refused(made, tmp_path, capsys):
    copy = _copy(made, tmp_path)
    other = made["codes"][1]
    _edit_manifest(copy, lambda m: m["subject"].update(key=other))
    code, out = _check(copy, made["key"], capsys)
    assert code == 1
    assert "失败：(3)" in out and "manifest.sig：账本公钥的签名与 manifest.json 不符" in out


def test_an_act_flag_turned_is_refused(made, tmp_path, capsys):
    copy = _copy(made, tmp_path)

    def turn(manifest: dict[str, Any]) -> None:
        act = next(r for r in manifest["records"] if r["act"])
        act["act"] = False

    _edit_manifest(copy, turn)
    code, out = _check(copy, made["key"], capsys)
    assert code == 1 and "账本公钥的签名与 manifest.json 不符" in out


def test_a_doctored_report_whose_dates_differ_from_the_records_is_refused(made, tmp_path, capsys):
    copy = _copy(made, tmp_path)
    page = (copy / "report.html").read_text(encoding="utf-8")
    [day, *_] = re.findall(r"(\d{4}-\d\d-\d\d) \d\d:\d\d:\d\d", page)  # China time
    (copy / "report.html").write_text(page.replace(day, "2025-01-01"), encoding="utf-8")
    code, out = _check(copy, made["key"], capsys)
    assert code == 1
    assert "报告 report.html 与账本签署的清单所记摘要不符" in out


@pytest.mark.parametrize("name", ["report.pdf", "report.html"])
def test_a_report_swapped_from_another_file_or_removed_is_refused(made, tmp_path, capsys, name):
    other = tmp_path / "other"
    code = drawledger(
        ["dispute", "--data", str(made["data"]), "--target", made["codes"][1], "--out", str(other)]
    )
    assert code == 0
    copy = _copy(made, tmp_path)
    shutil.copy(other / name, copy / name)
    code, out = _check(copy, made["key"], capsys)
    assert code == 1 and f"{name} 与账本签署的清单所记摘要不符" in out
    (copy / name).unlink()
    code, out = _check(copy, made["key"], capsys)
    assert code == 1 and f"清单所列文件 {name} 不在材料中" in out


def test_a_missing_or_foreign_manifest_signature_is_refused(made, tmp_path, capsys):
    copy = _copy(made, tmp_path)
    (copy / "manifest.sig").unlink()
    code, out = _check(copy, made["key"], capsys)
    assert code == 1 and "没有 manifest.sig：清单未经账本签署" in out

    other = tmp_path / "other-ledger"
    assert drawledger(["init", "--data", str(other)]) == 0
    forged = LedgerApp.open(other)
    try:  # the manifest re-signed with another key, as a forger holding none of the bureau's
        from verify import dispute_manifest

        body = (copy / "manifest.json").read_bytes()
        signature = forged.signer.sign(dispute_manifest.message(body))
        text = dispute_manifest.signature_text(forged.signer.key_id, signature)
    finally:
        forged.close()
    (copy / "manifest.sig").write_text(text, encoding="ascii")
    code, out = _check(copy, made["key"], capsys)
    assert code == 1 and "manifest.sig 不是所给账本公钥" in out


def test_a_file_added_to_the_directory_is_named_as_not_part_of_it(made, tmp_path, capsys):
    copy = _copy(made, tmp_path)
    (copy / "说明.html").write_text("<p>本公司未被抽中</p>", encoding="utf-8")
    code, out = _check(copy, made["key"], capsys)
    assert code == 0
    assert "未列入清单、未经核验的文件（不属于本材料）：说明.html" in out


def test_the_audit_basis_is_shown_in_china_time_not_utc(made, capsys):
    code, out = _check(made["out"], made["key"], capsys)
    assert code == 0
    [basis] = [line for line in out.splitlines() if "按材料的 as_of" in line]
    assert "北京时间" in basis and "Z）" not in basis and "T" not in basis.split("北京时间")[1]


def test_no_changed_byte_in_any_file_of_the_package_verifies(made, tmp_path, capsys):
    """The lawyer's sweep: one byte flipped at spaced offsets of every file — records, proofs,
    checkpoint, population, as_of record, manifest, its signature and both reports."""
    files = sorted(p.relative_to(made["out"]) for p in made["out"].rglob("*") if p.is_file())
    assert {"report.pdf", "manifest.sig", "checkpoint.note"} <= {f.as_posix() for f in files}
    for name in files:
        size = (made["out"] / name).stat().st_size
        for offset in sorted({0, size - 1, *range(0, size, max(1, size // 4))}):
            copy = tmp_path / f"{name.as_posix().replace('/', '_')}-{offset}"
            shutil.copytree(made["out"], copy)
            body = bytearray((copy / name).read_bytes())
            body[offset] ^= 0x01
            (copy / name).write_bytes(bytes(body))
            code, out = _check(copy, made["key"], capsys)
            assert code in (1, 2), (name, offset, out)  # 2: no longer readable at all
            shutil.rmtree(copy)
