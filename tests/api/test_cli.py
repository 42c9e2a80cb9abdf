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


def test_a_reader_that_stops_reading_ends_the_command_without_a_trace(tmp_path):
    """`drawledger policy show --data DIR | head -3`: the pipe closes before the command has
    written everything. Without a trace of Python's (it used to end in BrokenPipeError)."""
    import subprocess
    import sys
    from pathlib import Path

    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data)]) == 0
    read, write = os.pipe()
    os.close(read)  # a reader that has gone already
    try:
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "policy", "show", "--data", str(data)],
            cwd=Path(__file__).resolve().parents[2],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr


def _documented_modes() -> dict[str, int]:
    """docs/OPERATIONS.md's table of the data directory: file → the mode it gives."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "OPERATIONS.md").read_text("utf-8")
    rows = re.findall(r"^\| `([^`]+)`[^|]*\| (0[0-7]{3})\b", text, flags=re.MULTILINE)
    return {name: int(mode, 8) for name, mode in rows}


def test_the_data_directory_stays_private_through_the_documented_commands(tmp_path, capsys):
    """docs/OPERATIONS.md: the data directory is its owner's alone and `serve` refuses one that
    others can read. Under an ordinary umask (022), `rebuild` made readmodels.sqlite 0644 and
    `keys rotate` the new key's .pub 0644, and the next `serve` refused to start. Each file is
    the mode the table gives it, and the service's own check passes."""
    from ledger.datadir import check_private

    documented = _documented_modes()
    assert documented["drawledger.toml"] == documented["keys/ledger.pub"] == 0o600
    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data)]) == 0
    before = os.umask(0o022)  # the operator's shell, not init's 077
    try:
        assert drawledger(["rebuild", "--data", str(data)]) == 0
        assert drawledger(["keys", "rotate", "--data", str(data), "--reason", "yearly"]) == 0
        assert drawledger(["export", "--data", str(data), "--out", str(tmp_path / "b")]) == 0
    finally:
        os.umask(before)
    capsys.readouterr()
    check_private(data)  # what serve does first: refuses a file others can read
    files = {p.relative_to(data).as_posix(): p for p in data.rglob("*") if p.is_file()}
    rotated = [name for name in files if name.startswith("keys/ledger-")]
    assert len(rotated) == 2  # the new key and its .pub
    for name, path in files.items():
        row = "keys/ledger-<time>.key" if name in rotated else name
        expected = documented.get(row, documented.get(name.split("-")[0], 0o600))
        assert stat.S_IMODE(path.stat().st_mode) == expected, name


def _help_options(command: list[str]) -> set[str]:
    """The options a `python -m verify` command's help names."""
    import contextlib
    import io
    import re

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        verify([*command, "--help"])
    return set(re.findall(r"--[\w-]+", out.getvalue()))


def test_every_documented_command_line_names_options_its_command_has():
    """Each `drawledger …` and `python -m verify …` line of README.md and docs/ names only
    options its (sub)command takes, and one acting `--as` an official gives the official's
    token (`--token-file`): IMPORT.md's and OPERATIONS.md's examples did not, and were refused
    as written."""
    import argparse
    import re
    from pathlib import Path

    from api.cli import build_parser

    root = Path(__file__).resolve().parents[2]
    line = re.compile(r"(drawledger|python3? -m verify)((?:[ \t]+(?:\\\n\s*)?[^\s`|;)]+)+)")

    def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}

    found, wrong = 0, []
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for match in line.finditer(text):
            words = match.group(2).replace("\\\n", " ").split()
            if match.group(1) == "drawledger":
                parser = build_parser()
                for word in words:
                    if word in (choices := subcommands(parser)):
                        parser = choices[word]
                    elif not choices:
                        break
                known = {o for action in parser._actions for o in action.option_strings}
            else:
                sub = [words[0]] if words and words[0] in ("sample", "dispute") else []
                known = _help_options(sub)
            given = [w for w in words if w.lstrip("[").startswith("--")]
            options = [w.strip("[],.").split("=")[0] for w in given]
            found += 1
            where = f"{doc.name}:{text.count(chr(10), 0, match.start()) + 1}"
            wrong += [f"{where}: {o}" for o in options if o not in known]
            told = text[match.start() : match.end() + 40]  # the line may wrap after --as
            if "--as" in options and "--token-file" not in told:
                wrong.append(f"{where}: --as without --token-file")
    assert found > 100  # the walk read the docs' command lines
    assert not wrong, wrong


def test_a_demo_too_small_is_refused_in_chinese_before_a_ledger_is_made(tmp_path, capsys):
    """`drawledger demo --data DIR --targets 10` made the ledger, then refused in English
    (原文) and left DIR holding a new ledger; now nothing is made and the refusal is Chinese."""
    data = tmp_path / "demo"
    assert drawledger(["demo", "--data", str(data), "--targets", "10"]) == 1
    err = capsys.readouterr().err
    assert "至少需要 50 个检查对象" in err and "--registry-only" in err
    assert "原文" not in err
    assert not data.exists()


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("taken", "端口已被占用"),
        ("--port=99999", "端口应为 1 到 65535 之间的整数"),
        ("--host=nosuchhost.invalid", "无法解析这个主机名"),
    ],
)
def test_serve_on_an_address_it_cannot_listen_on_says_why_before_starting(
    where, said, tmp_path, capsys, monkeypatch
):
    """`drawledger serve --port P` with P taken (another service, a second serve) built the
    whole service, then stopped on uvicorn's English line; a port beyond 65535 ended in a
    traceback. Each is exit 1 naming the address in Chinese, before anything is opened."""
    import socket

    import uvicorn

    def started(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the service was started")

    monkeypatch.setattr(uvicorn, "run", started)
    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data)]) == 0
    capsys.readouterr()
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        args = ["serve", "--data", str(data), "--host", "127.0.0.1", "--port", str(port)]
        if where != "taken":
            args.append(where)
        assert drawledger(args) == 1
    err = capsys.readouterr().err
    assert said in err and "原文" not in err, err


def test_the_demo_is_never_recorded_into_a_bureau_s_own_ledger(tmp_path, capsys):
    """`drawledger demo --data DIR` on a ledger the bureau had started (init, a division) added
    2,000 made-up targets and a year of draws beside its records, signed and never removable.
    It goes only into a new directory or one init has just made; nothing is recorded."""
    from ledger.application import LedgerApp

    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data)]) == 0
    add = ["division", "add", "--data", str(data), "--code", "szc", "--name", "水政监察大队"]
    assert drawledger(add) == 0
    capsys.readouterr()
    assert drawledger(["demo", "--data", str(data), "--targets", "60"]) == 1
    assert "中的账本已有 3 个事件" in capsys.readouterr().err
    app = LedgerApp.open(data)
    try:
        assert app.recorder.max_notification_id() == 3
    finally:
        app.close()
    fresh = tmp_path / "fresh"
    assert drawledger(["init", "--data", str(fresh)]) == 0  # just made: the demo may go there
    args = ["demo", "--data", str(fresh), "--targets", "40", "--inspectors", "20"]
    assert drawledger([*args, "--registry-only"]) == 0
