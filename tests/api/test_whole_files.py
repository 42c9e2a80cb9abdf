"""A file someone takes as complete is complete or absent (``ledger/whole_files.py``): a dispute
file, an assessment, a draw record, an export, a registry file or template, the settings —
written under a temporary name and renamed once whole. Played as a ``kill -9`` in the middle of
a dispute file and of an export, a full disk under the settings and under the files a command
writes: nothing half-written is left under the name a user would open, what was there before
is kept, and the command run again writes a whole file that verifies."""

from __future__ import annotations

import errno
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.config import Settings
from verify.dispute import main as verify_dispute

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A small demo year (SQLite) and one of its draws."""
    data = tmp_path_factory.mktemp("whole") / "ledger"
    assert drawledger(["demo", "--data", str(data), "--targets", "50"]) == 0
    app = LedgerApp.open(data)
    try:
        selected = next(app.records(topics=["draw.targets_selected"]))[1].envelope
    finally:
        app.close()
    return {
        "data": data,
        "draw": selected["aggregate"],
        "year": selected["time"][:4],
        "key": str(data / "keys" / "ledger.pub"),
    }


def _killed_in(where: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``drawledger ARGV`` in a process that kills itself (SIGKILL) when ``where`` (module:
    function) is called: a kill -9 at that moment of the command."""
    module, function = where.split(":")
    script = textwrap.dedent(
        f"""
        import os, signal, sys, importlib
        m = importlib.import_module({module!r})
        def killed(*a, **k):
            os.kill(os.getpid(), signal.SIGKILL)
        setattr(m, {function!r}, killed)
        from api.cli import main
        sys.exit(main({argv!r}))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_a_dispute_file_killed_while_its_report_is_written_is_not_left_under_its_name(
    demo, tmp_path
):
    out = tmp_path / "draw-dispute"
    argv = ["dispute", "--data", str(demo["data"]), "--draw", demo["draw"], "--out", str(out)]
    # killed after the evidence, checkpoint and manifest are written, while the report is
    done = _killed_in("projections.dispute:write_reports", argv)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert not out.exists()  # no directory a court could be handed as the dispute file
    left = [p.name for p in tmp_path.iterdir()]
    assert all(name.startswith(".draw-dispute.partial-") for name in left), left
    assert drawledger(argv) == 0  # run again: whole, and it verifies
    assert {"manifest.json", "evidence.jsonl", "report.html", "report.pdf"} <= {
        p.name for p in out.iterdir()
    }
    assert verify_dispute([str(out), "--key", demo["key"]]) == 0


def test_a_full_disk_under_a_dispute_file_or_an_assessment_leaves_nothing_named(
    demo, tmp_path, monkeypatch, capsys
):
    import projections.assessment_report as assessment
    import projections.dispute as dispute

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x"))

    monkeypatch.setattr(dispute, "write_reports", full)
    out = tmp_path / "dispute"
    argv = ["dispute", "--data", str(demo["data"]), "--draw", demo["draw"], "--out", str(out)]
    assert drawledger(argv) == 1
    assert "file_unusable" in capsys.readouterr().err  # named, in Chinese, exit 1
    assert not out.exists() and list(tmp_path.iterdir()) == []
    monkeypatch.setattr(assessment, "render", full)
    report = tmp_path / "assessment"
    argv = ["assessment", "--data", str(demo["data"]), "--year", demo["year"], "--out"]
    assert drawledger([*argv, str(report)]) == 1
    assert not report.exists() and list(tmp_path.iterdir()) == []


def test_an_export_killed_midway_leaves_no_bundle_and_the_next_one_verifies(demo, tmp_path):
    out = tmp_path / "bundle.jsonl"
    argv = ["export", "--data", str(demo["data"]), "--out", str(out)]
    done = _killed_in("ledger.export:end_line", argv)  # every event written, the end not
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert not out.exists()
    assert drawledger(argv) == 0
    verified = subprocess.run(
        [sys.executable, "-m", "verify", str(out), "--key", demo["key"]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_settings_cut_short_by_a_full_disk_keep_what_they_said(demo, tmp_path):
    """The settings are rewritten by a key rotation and by ending its overlap: a write the disk
    cuts short (a file size limit, as a full disk does) leaves the old settings, whole."""
    data = tmp_path / "ledger"
    data.mkdir()
    for name in ("drawledger.toml",):
        (data / name).write_bytes((demo["data"] / name).read_bytes())
    before = (data / "drawledger.toml").read_bytes()
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        from pathlib import Path
        from dataclasses import replace
        from ledger.config import Settings
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write beyond the limit: EFBIG
        settings = Settings.load(Path({str(data)!r}))
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))
        replace(settings, seal_interval=2.0).write()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "File too large" in done.stderr, done.stderr
    assert (data / "drawledger.toml").read_bytes() == before
    assert Settings.load(data).seal_interval == Settings.load(demo["data"]).seal_interval
    assert not (data / "drawledger.toml.partial").exists()


@pytest.mark.parametrize("command", ["template", "draw-record", "export-registry"])
def test_a_file_a_command_writes_cut_short_leaves_the_old_file_whole(
    demo, tmp_path, monkeypatch, command
):
    """A registry template, a draw's record, a registry file: the file there before (the last
    good one) stays as it was when the disk fills during the write."""
    import ledger.whole_files as whole_files

    old = b"the last good file\n"
    if command == "draw-record":
        target = tmp_path / "record" / "record.json"
        target.parent.mkdir()
        argv = ["draw-record", demo["draw"], "--data", str(demo["data"]), "--out",
                str(target.parent)]  # fmt: skip
    elif command == "template":
        target = tmp_path / "targets.xlsx"
        argv = ["template", "targets", "--out", str(target)]
    else:
        target = tmp_path / "targets.csv"
        argv = ["export-registry", "targets", "--data", str(demo["data"]), "--out", str(target)]
    target.write_bytes(old)
    real = whole_files.os.fsync

    def full(fd: int) -> None:  # the data did not reach the disk: ENOSPC at the flush
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(whole_files.os, "fsync", full)
    assert drawledger(argv) == 1
    assert target.read_bytes() == old
    monkeypatch.setattr(whole_files.os, "fsync", real)
    assert drawledger(argv) == 0
    assert target.read_bytes() != old
    assert not any(p.name.endswith(".partial") for p in target.parent.iterdir())


def test_settings_and_key_history_rewritten_under_a_shell_umask_stay_the_owner_s_alone(
    demo, tmp_path
):
    """``keys end-overlap`` rewrites the settings from a shell's umask 022 without opening the
    ledger: the file renamed over them is 0600 like the one it replaces (else ``serve`` refuses
    the data directory)."""
    data = tmp_path / "ledger"
    data.mkdir(mode=0o700)
    (data / "keys").mkdir(mode=0o700)
    for name, source in (
        ("drawledger.toml", "drawledger.toml"),
        ("keys/history.pub", "keys/ledger.pub"),
    ):
        (data / name).write_bytes((demo["data"] / source).read_bytes())
        (data / name).chmod(0o600)
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from ledger.config import Settings
        from ledger.keyfile import add_to_key_history
        from verify.keys import SignerKey
        os.umask(0o022)
        data = Path({str(data)!r})
        Settings.load(data).write()
        add_to_key_history(data, [SignerKey.generate("drawledger.test/x").verifier])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for name in ("drawledger.toml", "keys/history.pub"):
        assert (data / name).stat().st_mode & 0o777 == 0o600, name
