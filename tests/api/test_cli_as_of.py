"""``as_of`` on the command line: ``drawledger rebuild [--upto POSITION]`` folds the read models
again from the log, to the head or to a past position (or time), with progress, and a bad
position changes nothing; ``drawledger policy show --as-of`` takes a position or a time."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.as_of import CHINA, time_at
from projections import open_read_models
from projections.queries import search_targets


def _positions(data: Path) -> set[int]:
    with closing(sqlite3.connect(data / "readmodels.sqlite")) as conn:
        return {row[0] for row in conn.execute("SELECT position FROM projection_tracking")}


def _targets(data: Path) -> int:
    with closing(sqlite3.connect(data / "readmodels.sqlite")) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM rm_targets").fetchone()[0])


@pytest.fixture
def data(tmp_path, capsys):  # type: ignore[no-untyped-def]
    data = tmp_path / "demo"
    args = ["demo", "--data", str(data), "--targets", "40", "--inspectors", "20"]
    assert drawledger([*args, "--registry-only"]) == 0
    assert drawledger(["rebuild", "--data", str(data)]) == 0  # the read models, to the head
    capsys.readouterr()
    return data


def _head(data: Path) -> int:
    app = LedgerApp.open(data)
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def test_rebuild_upto_a_past_position_folds_the_read_models_as_they_stood(data, capsys):
    head = _head(data)
    targets_now = _targets(data)
    past = head // 3
    assert drawledger(["rebuild", "--data", str(data), "--upto", str(past)]) == 0
    captured = capsys.readouterr()
    assert f"已重建读取模型至位置 {past}" in captured.out
    used, other = (int(n) for n in re.findall(r"(\d+) 个", captured.out.split("：", 1)[1]))
    assert used > 0 and used + other == past  # each position read: used, or said not to be
    assert captured.err.splitlines()[-1] == f"重建: {past:,}/{past:,} (100%)"
    assert _positions(data) == {past}
    # the same rows as the service folds for an as_of query at that position
    app = LedgerApp.open(data)
    try:
        scratch = open_read_models(app, "sqlite://", attach=False).at(past)
        then = search_targets(scratch.engine, limit=500)["total"]
    finally:
        app.close()
    assert _targets(data) == then < targets_now

    assert drawledger(["rebuild", "--data", str(data)]) == 0
    assert f"已重建读取模型至位置 {head}" in capsys.readouterr().out
    assert _positions(data) == {head} and _targets(data) == targets_now


@pytest.mark.parametrize(
    ("upto", "says"),
    [
        ("0", "as_of 0：日志的位置为 1 到"),
        ("999999", "999999 超出其末尾"),
        ("2001-01-01", "早于账本的建立"),
        ("soon", "as_of 'soon'：应为账本位置"),
    ],
)
def test_a_bad_upto_is_exit_1_with_one_line_and_changes_nothing(data, capsys, upto, says):
    before = _positions(data)
    assert drawledger(["rebuild", "--data", str(data), "--upto", upto]) == 1
    err = capsys.readouterr().err
    assert err.startswith("drawledger rebuild: 错误（bad_input）：") and says in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert _positions(data) == before


def test_policy_show_takes_as_of_as_a_position_or_a_china_time(data, capsys):
    app = LedgerApp.open(data)
    try:
        moment = time_at(app, 2).astimezone(CHINA).replace(tzinfo=None)
    finally:
        app.close()
    written = moment.isoformat(timespec="microseconds")
    assert drawledger(["policy", "show", "--data", str(data), "--as-of", written]) == 0
    by_time = capsys.readouterr().out
    assert drawledger(["policy", "show", "--data", str(data), "--as-of", "2"]) == 0
    assert by_time == capsys.readouterr().out
    assert "（截至位置 2）" in by_time
    assert drawledger(["policy", "show", "--data", str(data), "--as-of", "2001-01-01"]) == 1
    assert "早于账本的建立" in capsys.readouterr().err
