"""How a failure reads: the human report and ``--json`` name the step and the event position."""

from __future__ import annotations

import json

from verify.__main__ import main
from verify.report import UNANCHORED

from .bundle_edits import EditableBundle, with_payload_keeping_signature


def _tamper_one_payload(bundle_path, position: int) -> None:
    bundle = EditableBundle.from_bytes(bundle_path.read_bytes())
    bundle.events[position].record = with_payload_keeping_signature(
        bundle.events[position].record, text="edited"
    )
    bundle_path.write_bytes(bundle.to_bytes())


def test_the_json_report_of_a_tampered_bundle_names_the_failing_step_and_event(bundle_path, capsys):
    _tamper_one_payload(bundle_path, 12)

    status = main([str(bundle_path), "--json"])
    out, err = capsys.readouterr()

    assert status == 1  # a failure, anchored or not
    assert err == ""
    report = json.loads(out)
    assert report["ok"] is False
    step3 = next(s for s in report["steps"] if s["step"] == 3)
    assert step3["ok"] is False
    assert step3["name"] == "事件记录：格式、摘要、签名"
    assert [f["event"] for f in step3["failures"]] == [12]


def test_the_printed_report_marks_the_failing_step_and_the_event_position(
    bundle_path, capsys, ledger_key
):
    _tamper_one_payload(bundle_path, 12)

    status = main([str(bundle_path), "--key", str(ledger_key.verifier)])
    out, _ = capsys.readouterr()

    assert status == 1
    lines = out.splitlines()
    assert "通过 (1) 读取导出包：34 个事件，34 个检查点，来源 'drawledger.test/tamper'" in lines
    step3 = lines.index("失败 (3) 事件记录：格式、摘要、签名：34 条记录中 33 条核验通过")
    assert (
        lines[step3 + 1]
        .strip()
        .startswith("位置 13（叶子 12）：signature by drawledger.test/tamper")
    )
    assert lines[-1] == "失败：导出包核验未通过"


def test_the_printed_report_of_the_untouched_bundle_is_all_ok(bundle_path, capsys, ledger_key):
    status = main([str(bundle_path), "--key", str(ledger_key.verifier)])
    out, err = capsys.readouterr()

    assert status == 0
    assert err == ""
    lines = out.splitlines()
    steps = [line.split(")")[0] + ")" for line in lines if line.startswith(("通过 (", "失败 ("))]
    assert steps == [f"通过 ({n})" for n in range(1, 13)]
    assert any(line.startswith("通过 权限：") for line in lines)
    assert lines[-4:] == [
        f"账本公钥：{ledger_key.name}+{ledger_key.key_id.hex()}，由 --key 指定",
        "账本完整",
        "规则均得到遵守",
        "通过：导出包核验通过",
    ]


def test_without_an_anchor_the_first_and_last_lines_say_it_proves_only_consistency(
    bundle_path, capsys
):
    status = main([str(bundle_path)])
    out, err = capsys.readouterr()

    assert status == 3  # nothing failed, but nothing anchors the key either
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == UNANCHORED
    assert lines[-2:] == ["未核验：只能证明导出包自身一致", UNANCHORED]
    assert "本结果只证明导出包自身一致" in UNANCHORED
    assert "通过：导出包核验通过" not in out


def test_without_an_anchor_a_failure_still_fails_and_says_it_is_unanchored(bundle_path, capsys):
    _tamper_one_payload(bundle_path, 12)

    status = main([str(bundle_path)])
    lines = capsys.readouterr().out.splitlines()

    assert status == 1
    assert lines[0] == UNANCHORED
    assert lines[-2:] == ["失败：导出包核验未通过", UNANCHORED]


def test_the_json_report_says_unanchored_and_is_not_ok(bundle_path, capsys):
    status = main([str(bundle_path), "--json"])
    report = json.loads(capsys.readouterr().out)

    assert status == 3
    assert report["ok"] is False
    assert (report["intact"], report["rules_kept"], report["anchored"]) == (True, True, False)
    assert report["anchor"] == UNANCHORED


def test_a_kept_checkpoint_anchors_the_key_that_signed_it(bundle_path, capsys, sealed_history):
    kept = bundle_path.parent / "kept.checkpoint"
    kept.write_text(sealed_history.latest_checkpoint, encoding="utf-8")

    status = main([str(bundle_path), "--json", "--trusted-checkpoint", str(kept)])
    report = json.loads(capsys.readouterr().out)

    assert status == 0
    assert report["anchored"] is True
    assert "即签署您保存的 --trusted-checkpoint 的密钥" in report["anchor"]


def test_the_printed_report_speaks_chinese_untouched_and_tampered(bundle_path, capsys, ledger_key):
    """Every line of the report is Chinese (codes, types, keys and digests as recorded), on a
    bundle that verifies, audited for its rules, and on one with an edited payload and a cut
    tail; what is left in English is the shared rules' own words quoted inside a line."""
    from tests.test_cli_speaks_chinese import english_sentences

    assert main([str(bundle_path), "--key", str(ledger_key.verifier), "--rules"]) in (0, 4)
    out, _ = capsys.readouterr()
    assert "通过：导出包核验通过" in out or "完整，规则未遵守" in out
    assert english_sentences(out) == [], out

    _tamper_one_payload(bundle_path, 12)
    bundle = EditableBundle.from_bytes(bundle_path.read_bytes())
    del bundle.events[-3:]
    bundle_path.write_bytes(bundle.to_bytes())
    assert main([str(bundle_path)]) == 1
    out, _ = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == UNANCHORED and lines[-1] == UNANCHORED
    shared = [s for s in english_sentences(out) if "over digest" not in s]  # events.py's words
    assert shared == [], out
