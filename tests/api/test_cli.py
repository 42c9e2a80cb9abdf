"""The drawledger command, as an operator and an auditor use it."""

from __future__ import annotations

import os
import stat

import pytest

from api.cli import main as drawledger
from verify.__main__ import main as verify


def test_init_creates_a_private_key_settings_and_the_first_two_events(tmp_path, capsys):
    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data), "--origin", "drawledger.test/cli"]) == 0
    key = data / "keys" / "ledger.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (data / "drawledger.toml").exists()
    out = capsys.readouterr().out
    assert "账本公钥：drawledger.test/cli+" in out

    bundle = tmp_path / "ledger.bundle"
    assert drawledger(["export", "--data", str(data), "--out", str(bundle)]) == 0
    assert verify([str(bundle), "--key", str(data / "keys" / "ledger.pub")]) == 0
    assert "通过：导出包核验通过" in capsys.readouterr().out


def test_init_refuses_to_overwrite_an_existing_ledger(tmp_path, capsys):
    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data)]) == 0
    key_before = (data / "keys" / "ledger.key").read_text()
    assert drawledger(["init", "--data", str(data)]) == 1
    assert "中已有账本（drawledger.toml 已存在）" in capsys.readouterr().err
    assert (data / "keys" / "ledger.key").read_text() == key_before


def test_commands_run_under_a_shells_umask_leave_the_data_directory_private(tmp_path):
    """An operator's shell has umask 022: each command that writes into the data directory
    after ``init`` (the read models a rebuild makes, a rotated key and its .pub, a dispute
    file's kept populations) still writes it for its owner alone, so the service starts on it
    afterwards (``check_private``), instead of refusing the directory these commands made."""
    from ledger.datadir import check_private

    data = tmp_path / "ledger"
    shells = os.umask(0o022)
    try:
        for command in (
            ["init", "--data", str(data)],
            ["rebuild", "--data", str(data)],
            ["keys", "rotate", "--data", str(data), "--reason", "年度轮换"],
            ["seal", "--data", str(data)],
        ):
            os.umask(0o022)  # each command a new process of the shell
            assert drawledger(command) == 0, command
        made = sorted(p.name for p in data.rglob("*"))
        assert "readmodels.sqlite" in made and len([m for m in made if m.endswith(".pub")]) >= 2
        check_private(data)  # ConfigurationError naming each too-open path otherwise
    finally:
        os.umask(shells)


def test_the_service_refuses_to_start_without_its_key(tmp_path, capsys):
    data = tmp_path / "ledger"
    drawledger(["init", "--data", str(data)])
    os.remove(data / "keys" / "ledger.key")
    assert drawledger(["serve", "--data", str(data)]) == 1
    assert "错误（ledger_misconfigured）" in (err := capsys.readouterr().err)
    assert "处没有账本密钥" in err


def test_a_key_readable_by_others_is_refused(tmp_path, capsys):
    data = tmp_path / "ledger"
    drawledger(["init", "--data", str(data)])
    os.chmod(data / "keys" / "ledger.key", 0o644)
    assert drawledger(["export", "--data", str(data), "--out", str(tmp_path / "b")]) == 1
    assert "chmod 600" in capsys.readouterr().err


def test_commands_on_a_directory_without_a_ledger_say_how_to_create_one(tmp_path, capsys):
    assert drawledger(["export", "--data", str(tmp_path / "none"), "--out", "x"]) == 1
    assert "请先运行 'drawledger init" in capsys.readouterr().err


def test_export_reports_its_progress_on_stderr(tmp_path, capsys):
    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data)]) == 0
    assert drawledger(["export", "--data", str(data), "--out", str(tmp_path / "b")]) == 0
    captured = capsys.readouterr()
    assert "已写入" in captured.out and "2 个事件" in captured.out
    assert captured.err.splitlines()[-1] == "导出: 2/2 (100%)"


def test_the_demo_names_the_address_serve_will_listen_on(tmp_path, capsys):
    data = tmp_path / "demo"
    args = ["demo", "--data", str(data), "--targets", "40", "--inspectors", "20"]
    assert drawledger([*args, "--registry-only", "--port", "8101"]) == 0
    out = capsys.readouterr().out
    assert f"drawledger serve --data {data} --host 127.0.0.1 --port 8101" in out
    assert "http://127.0.0.1:8101/column" in out and "http://127.0.0.1:8101/docs" in out
    assert ":8000" not in out


@pytest.mark.parametrize(
    ("size", "says"),
    [
        (["--targets", "0"], "演示至少需要一个检查对象和一名执法人员"),
        (["--targets", "5"], "演示一年的计划和抽取至少需要 50 个检查对象"),
    ],
)
def test_a_demo_too_small_is_refused_in_chinese_before_anything_is_made(
    tmp_path, capsys, size, says
):
    data = tmp_path / "demo"
    assert drawledger(["demo", "--data", str(data), *size]) == 1
    assert says in capsys.readouterr().err
    assert not data.exists()  # no key, no settings, no ledger: a corrected command starts anew


def test_make_run_passes_its_port_to_the_demo_and_to_serve():
    import shutil
    import subprocess
    from pathlib import Path

    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    root = Path(__file__).resolve().parents[2]
    commands = subprocess.run(
        ["make", "-n", "run", "PORT=8101"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    assert "drawledger demo --data data --host 127.0.0.1 --port 8101" in commands
    assert "drawledger serve --data data --host 127.0.0.1 --port 8101" in commands


def test_the_verifiers_help_names_its_sample_command(capsys):
    with pytest.raises(SystemExit) as done:
        verify(["--help"])
    assert done.value.code == 0
    assert "python -m verify sample" in capsys.readouterr().out
