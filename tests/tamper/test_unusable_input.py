"""What the auditor sees when the file is not a bundle at all: exit 2 and one line, no traceback.

A cut-off or foreign file must never be half-verified: the verifier refuses it as unusable
input with a one-line reason on stderr (or ``{"ok": false, "unusable": ...}`` with ``--json``).
"""

from __future__ import annotations

import json

import pytest

from verify.__main__ import main

from .bundle_edits import EditableBundle


def _refused(capsys, *argv: str) -> str:
    """Run the verifier; check it refused the input cleanly; return the reason."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert err.startswith("输入无法使用：")
    return err.removeprefix("输入无法使用：").strip()


def test_a_missing_file_is_unusable_input(tmp_path, capsys):
    reason = _refused(capsys, str(tmp_path / "nowhere.bundle"))
    assert "文件不存在" in reason


def test_an_empty_file_is_unusable_input(tmp_path, capsys):
    path = tmp_path / "empty.bundle"
    path.write_bytes(b"")
    assert "输入为空" in _refused(capsys, str(path))


def test_a_directory_is_unusable_input(tmp_path, capsys):
    assert "无法读取" in _refused(capsys, str(tmp_path))


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"drawledger audit notes\nnothing to see here\n", id="plain-text"),
        pytest.param(b'["a", "json", "array"]\n', id="json-array"),
        pytest.param(b'{"bundle": "drawledger/bundle/v0", "origin": "x", "keys": []}\n', id="v0"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\n", id="binary"),
        pytest.param("{}\n".encode("utf-16"), id="utf-16"),
        pytest.param(b"\n", id="one-empty-line"),
    ],
)
def test_a_file_that_is_not_a_bundle_is_unusable_input(tmp_path, capsys, content):
    path = tmp_path / "not-a.bundle"
    path.write_bytes(content)
    _refused(capsys, str(path))


def test_a_checkpoint_passed_where_the_bundle_belongs_is_unusable_input(
    tmp_path, capsys, sealed_history
):
    path = tmp_path / "latest.checkpoint"
    path.write_text(sealed_history.latest_checkpoint, encoding="utf-8")
    assert "第 1 行" in _refused(capsys, str(path))


# --- (6a) the tail cut off -------------------------------------------------------------------


def test_a_bundle_cut_in_the_middle_of_a_line_is_unusable_input(bundle_path, capsys):
    data = bundle_path.read_bytes()
    bundle_path.write_bytes(data[: len(data) // 2])
    assert "被截断" in _refused(capsys, str(bundle_path))


def test_a_bundle_cut_at_a_line_boundary_is_unusable_input(bundle_path, capsys):
    lines = bundle_path.read_bytes().splitlines(keepends=True)
    bundle_path.write_bytes(b"".join(lines[:20]))
    assert "没有结束行" in _refused(capsys, str(bundle_path))


def test_a_bundle_whose_end_line_disagrees_with_its_content_is_unusable_input(bundle_path, capsys):
    lines = bundle_path.read_bytes().splitlines(keepends=True)
    del lines[10]  # an event line gone, the end line left as it was
    bundle_path.write_bytes(b"".join(lines))
    reason = _refused(capsys, str(bundle_path))
    assert "第 11 行：应为事件 9，实为 10" in reason


def test_a_missing_trusted_checkpoint_file_is_unusable_input(bundle_path, tmp_path, capsys):
    missing = tmp_path / "kept.checkpoint"
    reason = _refused(capsys, str(bundle_path), "--trusted-checkpoint", str(missing))
    assert "文件不存在" in reason


def test_unusable_input_in_json_mode_is_one_json_object_on_stdout(tmp_path, capsys):
    status = main([str(tmp_path / "nowhere.bundle"), "--json"])
    out, err = capsys.readouterr()

    assert status == 2
    assert err == ""
    assert json.loads(out) == {
        "ok": False,
        "unusable": f"{tmp_path / 'nowhere.bundle'}：文件不存在",
    }


def test_a_bundle_emptied_of_every_event_and_checkpoint_does_not_verify(bundle_path, capsys):
    bundle = EditableBundle.from_bytes(bundle_path.read_bytes())
    bundle.events.clear()
    bundle.checkpoints.clear()
    bundle_path.write_bytes(bundle.to_bytes())

    status = main([str(bundle_path)])
    out, _ = capsys.readouterr()

    assert status in (1, 2), out
