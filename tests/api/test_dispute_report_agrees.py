"""The report must agree with the signed records even when the ledger's own key signed it
(verify/dispute_report_check.py): a report that misstates a date, a selected company, a time or
an event — an insider's, or a writer's bug — and whose manifest the ledger's key signed anew, is
refused in step 3, naming the row and what the record says. Before, the check read nothing of
the report, and a re-signed report that said anything verified."""

from __future__ import annotations

import base64
import json
import re
import shutil
import zlib
from pathlib import Path
from typing import Any

import pytest

from api.cli import main as drawledger
from ledger.application import LedgerApp
from verify import dispute_manifest
from verify.dispute import main as verify_dispute


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A demo year and the dispute file of a target a draw selected and that was inspected
    and published."""
    base = tmp_path_factory.mktemp("report-agrees")
    data = base / "ledger"
    assert drawledger(["demo", "--data", str(data)]) == 0
    app = LedgerApp.open(data)
    try:
        published = next(app.records(topics=["publication.published"]))[1].envelope
    finally:
        app.close()
    code = published["payload"]["content"]["target"]["key"]
    out = base / "file"
    assert drawledger(["dispute", "--data", str(data), "--target", code, "--out", str(out)]) == 0
    return {"data": data, "out": out, "published": published["payload"]}


def _doctored(made: dict[str, Any], tmp_path: Path, change: Any, name: str = "report.html") -> Path:
    """A copy whose report.html (or ``name``, as bytes) is changed and whose manifest the
    ledger's key signs again."""
    copy = tmp_path / "copy"
    shutil.copytree(made["out"], copy)
    if name == "report.html":
        page = (copy / name).read_text(encoding="utf-8")
        changed = change(page)
        assert changed != page
        (copy / name).write_text(changed, encoding="utf-8")
    else:
        data = (copy / name).read_bytes()
        altered = change(data)
        assert altered != data
        (copy / name).write_bytes(altered)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = dispute_manifest.file_digests(copy)
    body = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    (copy / "manifest.json").write_bytes(body)
    app = LedgerApp.open(made["data"])
    try:
        signature = app.signer.sign(dispute_manifest.message(body))
        text = dispute_manifest.signature_text(app.signer.key_id, signature)
    finally:
        app.close()
    (copy / "manifest.sig").write_text(text, encoding="ascii")
    return copy


def _check(directory: Path, made: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    code = verify_dispute([str(directory), "--key", str(made["data"] / "keys" / "ledger.pub")])
    return code, capsys.readouterr().out


def test_the_file_as_made_agrees_with_its_records(made, capsys):
    code, out = _check(made["out"], made, capsys)
    assert code == 0 and "通过：(3)" in out and "报告所示与签名记录相符" in out


def test_a_resigned_report_with_another_publication_deadline_is_refused(made, tmp_path, capsys):
    deadline = made["published"]["deadline"]
    copy = _doctored(
        made, tmp_path, lambda page: page.replace(f"最迟 {deadline}", "最迟 2099-12-31")
    )
    code, out = _check(copy, made, capsys)
    assert code == 1 and "失败：(3)" in out
    assert "案情经过“公示结果”" in out and "所示 2099-12-31 不在该位置的签名记录中" in out


def test_a_resigned_report_naming_another_company_as_selected_is_refused(made, tmp_path, capsys):
    key = made["published"]["content"]["target"]["key"]

    def swap(page: str) -> str:
        story = page.index('id="story"'), page.index('id="records"')
        head, middle, tail = page[: story[0]], page[story[0] : story[1]], page[story[1] :]
        return (
            head + middle.replace(f"（{key}）【本对象】", "（91320000000000000X）【本对象】") + tail
        )

    code, out = _check(_doctored(made, tmp_path, swap), made, capsys)
    assert code == 1 and "所示 91320000000000000X 不在该位置的签名记录中" in out


def test_a_resigned_report_with_another_time_or_event_in_its_record_table_is_refused(
    made, tmp_path, capsys
):
    def retime(page: str) -> str:
        moment = r"<td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)</td>"
        return _first_after(page, 'id="acts"', moment, "2020-01-01 08:00:00")

    code, out = _check(_doctored(made, tmp_path, retime), made, capsys)
    assert code == 1 and "事件记录表第 1 行：时间（北京时间）为 2020-01-01 08:00:00" in out

    shutil.rmtree(tmp_path / "copy")

    def retype(page: str) -> str:
        return page.replace('title="inspection.result_recorded"', 'title="inspection.closed"', 1)

    code, out = _check(_doctored(made, tmp_path, retype), made, capsys)
    assert (
        code == 1 and "事件类型为 inspection.closed，签名记录为 inspection.result_recorded" in out
    )


def test_a_resigned_report_citing_a_record_the_file_does_not_hold_is_refused(
    made, tmp_path, capsys
):
    def recite(page: str) -> str:
        return _first_after(page, 'id="story"', r"<td>(\d+)</td></tr>", "999999")

    code, out = _check(_doctored(made, tmp_path, recite), made, capsys)
    assert code == 1 and "（位置 999999）：引用的位置不是材料中的记录" in out


def _first_after(page: str, anchor: str, pattern: str, value: str) -> str:
    """The page with the first match of ``pattern``'s group after ``anchor`` set to ``value``."""
    start = page.index(anchor)
    found = re.search(pattern, page[start:])
    assert found is not None
    begin, end = start + found.start(1), start + found.end(1)
    return page[:begin] + value + page[end:]


_PAGE = re.compile(
    rb"(?P<head><<\s*/Filter \[ /ASCII85Decode /FlateDecode \] /Length )(?P<length>\d+)"
    rb"(?P<open>\s*>>\s*stream\r?\n)(?P<data>.*?)(?P<close>\r?\n?endstream)",
    re.S,
)


def _pdf_text_replaced(old: str, new: str) -> Any:
    """A change of report.pdf: ``old`` shown in its CID font (UTF-16BE, as reportlab writes
    it in a literal string) replaced by ``new`` in every page's content."""

    def shown(text: str) -> bytes:
        return b"".join(b"\\000" + bytes([c]) for c in text.encode("ascii"))

    def page(found: re.Match[bytes]) -> bytes:
        data = found.group("data").strip().removesuffix(b"~>")
        content = zlib.decompress(base64.a85decode(data)).replace(shown(old), shown(new))
        written = base64.a85encode(zlib.compress(content)) + b"~>"
        length = str(len(written)).encode()
        return found.group("head") + length + found.group("open") + written + found.group("close")

    return lambda pdf: _PAGE.sub(page, pdf)


def test_a_resigned_pdf_with_another_publication_deadline_is_refused(made, tmp_path, capsys):
    """The PDF a court prints must state no date the checked HTML does not."""
    deadline = made["published"]["deadline"]
    copy = _doctored(made, tmp_path, _pdf_text_replaced(deadline, "2099-12-31"), "report.pdf")
    code, out = _check(copy, made, capsys)
    assert code == 1 and "失败：(3)" in out
    assert "report.pdf 所示 2099-12-31 不在 report.html 中" in out


def test_a_resigned_pdf_leaving_a_record_out_or_showing_no_text_is_refused(made, tmp_path, capsys):
    manifest = json.loads((made["out"] / "manifest.json").read_text(encoding="utf-8"))
    first = manifest["records"][0]
    half = first["digest"][:32]  # the record table wraps a digest in two lines
    copy = _doctored(made, tmp_path, _pdf_text_replaced(half, "0" * 32), "report.pdf")
    code, out = _check(copy, made, capsys)
    assert code == 1 and f"report.pdf 缺少位置 {first['position']} 的记录" in out

    shutil.rmtree(tmp_path / "copy")
    blank = _doctored(
        made,
        tmp_path,
        lambda pdf: re.sub(rb"stream.*?endstream", b"", pdf, flags=re.S),
        "report.pdf",
    )
    code, out = _check(blank, made, capsys)
    assert code == 1 and "report.pdf 中读不出文字" in out
