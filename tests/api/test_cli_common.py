"""What every drawledger command shares: how it introduces itself and how it shows progress."""

from __future__ import annotations

import io

import pytest

from api.cli import main as drawledger
from api.cli_common import ProgressBar, stage_bars


def test_help_opens_with_what_drawledger_is_for(capsys):
    with pytest.raises(SystemExit) as exit_:
        drawledger(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]
    assert description.startswith('drawledger 把一个部门"双随机、一公开"抽查的全过程')
    assert "composition root" not in out
    assert "drawledger init --data DIR" in out


def test_the_progress_bar_writes_a_line_every_10_percent_when_not_on_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar("recording targets", stream, tty=False)
    for done in range(0, 100_001, 1000):
        bar(done, 100_000)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[1] == "recording targets: 10,000/100,000 (10%)"
    assert lines[-1] == "recording targets: 100,000/100,000 (100%)"


def test_the_progress_bar_redraws_in_place_on_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar("checking items", stream, tty=True)
    bar(0, 40)
    bar(40, 40)
    assert stream.getvalue() == (
        "checking items [.........................] 0/40 (0%)\r"
        "checking items [#########################] 40/40 (100%)\n"
    )


def test_runs_shorter_than_min_total_show_no_bar():
    stream = io.StringIO()
    ProgressBar("checking", stream, tty=False, min_total=2000)(5, 5)
    assert stream.getvalue() == ""
    ProgressBar("checking", stream, tty=False, min_total=2000)(2000, 2000)
    assert stream.getvalue() == "checking: 2,000/2,000 (100%)\n"


def test_a_run_in_stages_shows_each_stage_on_its_own_bar():
    stream = io.StringIO()
    progress = stage_bars("demo:", stream)
    progress("items", 8, 8)
    progress("targets", 0, 200)
    progress("targets", 100, 200)
    progress("targets", 200, 200)
    assert stream.getvalue().splitlines() == [
        "demo: items: 8/8 (100%)",
        "demo: targets: 0/200 (0%)",
        "demo: targets: 100/200 (50%)",
        "demo: targets: 200/200 (100%)",
    ]


def test_a_stage_is_shown_by_its_chinese_name():
    from api.cli_demo import STAGES

    stream = io.StringIO()
    stage_bars("演示", stream, names=STAGES)("targets", 8, 8)
    assert stream.getvalue() == "演示 检查对象: 8/8 (100%)\n"
