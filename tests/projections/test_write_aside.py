"""A long rebuild of an SQLite file writes through a writer process (``projections/
write_aside.py``): the rows are those the runner's own thread writes (a demo year; awkward
values); a row refused in the child fails the rebuild at the last good batch, as through the
thread; a handler's read sees every row handled before it; a child killed in a batch fails the
rebuild and leaves the file to be set aside when next opened; a rebuild that stops leaves the
child's open batch rolled back and the child ended."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from projections import runner as runner_module
from projections.bulk_writing import WriterLost, interrupted
from projections.database import create_read_engine, sqlite_file
from projections.runner import ProjectionRunner
from projections.tables import tracking
from projections.tracking import Writer
from projections.write_aside import WriteAside

from .test_write_behind import (
    _AWKWARD,
    _awkward_rows,
    _engines,
    _stored,
    _write_behind,
    awkward,
    written_plainly,
)
from .world import change_things, dump


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[WriteAside]:
    """The writer processes started from now on."""
    started: list[WriteAside] = []
    real = WriteAside.__init__

    def init(self, *args):  # type: ignore[no-untyped-def]
        real(self, *args)
        started.append(self)

    monkeypatch.setattr(WriteAside, "__init__", init)
    return started


def _aside(runner: ProjectionRunner) -> ProjectionRunner:
    runner.write_behind, runner.write_aside = True, True
    return runner


def _sqlite_only(engine: Any) -> None:
    if sqlite_file(engine.url) is None:
        pytest.skip("a writer process writes an SQLite file")


def test_a_demo_year_rebuilt_through_the_writer_process_has_the_rows_of_one_rebuilt_without(
    demo_year, children
):
    ledger, rm = demo_year
    _sqlite_only(rm.engine)
    followed = dump(rm.engine)
    plain = ProjectionRunner(ledger, rm.engine, batch=7)
    plain.write_behind = False
    plain.rebuild()
    assert dump(rm.engine) == followed and not children
    _aside(ProjectionRunner(ledger, rm.engine, batch=7)).rebuild()  # many batches in flight
    assert len(children) == 1 and children[0].child.pid != os.getpid()
    assert children[0].child.process.returncode == 0  # ended with the rebuild
    assert dump(rm.engine) == followed
    _aside(ProjectionRunner(ledger, rm.engine)).rebuild()  # a few large batches
    assert dump(rm.engine) == followed
    assert not Path(f"{sqlite_file(rm.engine.url)}.rebuilding").exists()


def test_by_default_a_rebuild_of_aside_from_events_or_more_writes_through_a_process(
    demo_year, children, monkeypatch
):
    ledger, rm = demo_year
    _sqlite_only(rm.engine)
    rm.runner.rebuild()  # a demo year: far fewer events than ``ASIDE_FROM``, the thread
    assert not children
    monkeypatch.setattr(runner_module, "ASIDE_FROM", ledger.recorder.max_notification_id())
    followed = dump(rm.engine)
    rm.runner.rebuild()
    assert len(children) == 1 and dump(rm.engine) == followed


def _write_aside(path: Path, batches: list[list[tuple[Any, ...]]]) -> None:
    """Each list of rows a batch of a writer process."""
    engine = create_read_engine(f"sqlite:///{path}")
    try:
        _write_behind(engine, batches, thread=WriteAside(engine, set(), "wal"))
    finally:
        engine.dispose()


def test_awkward_values_are_stored_through_the_writer_process_as_executemany_stores_them(
    tmp_path,
):
    """NULLs, quotes and backslashes, astral characters, a NUL inside a text, 64-bit limits,
    JSON columns, booleans, runs longer than a statement: through ``marshal`` and a pipe."""
    batches = [_awkward_rows(40), [], _awkward_rows(5000)[40:]]
    plain, behind = _engines(tmp_path)
    written_plainly(plain, batches)
    behind.dispose()
    _write_aside(tmp_path / "behind.sqlite", batches)
    expected = _stored(plain)
    assert len(expected) == 5000
    assert _stored(behind) == expected
    assert _AWKWARD.tables["awkward"] is awkward


def test_an_integer_beyond_64_bits_is_refused_through_the_writer_process(tmp_path):
    plain, behind = _engines(tmp_path)
    behind.dispose()
    good = _awkward_rows(3)
    bad = (99, 2**63, "x", "y", None, True, None, None)
    with pytest.raises(Exception, match="too large|int too big|OverflowError") as refused:
        _write_aside(tmp_path / "behind.sqlite", [good, [*good[:0], bad]])
    assert "写入进程" in str(refused.value)
    assert [r[0] for r in _stored(behind)] == [0, 1, 2]  # the first batch, not the second


def test_a_claim_refused_in_the_writer_process_is_answered_as_through_the_thread(
    world, read_models, ledger, children
):
    """Another runner commits the third batch first (as a service's follower beside the
    rebuild could): the child's claim of it is refused, the batch rolled back and its steps
    skipped; the rebuild reads the positions again and goes on through the same child, to the
    rows the commands left."""
    _sqlite_only(read_models.engine)
    change_things(world)
    ledger.seal()
    followed = dump(read_models.engine)
    other = ProjectionRunner(ledger, read_models.engine, batch=7)
    other.write_behind = False
    reached: list[int] = []

    def progress(position: int, head: int) -> None:
        if position == 14 and not reached:  # before the third batch: the other runner takes it
            reached.append(other.catch_up(most=7))

    _aside(ProjectionRunner(ledger, read_models.engine, batch=7)).rebuild(progress=progress)
    assert reached and reached[0] >= 7
    assert len(children) == 1 and children[0].child.process.returncode == 0
    assert dump(read_models.engine) == followed


def test_a_writer_process_killed_in_a_batch_leaves_the_file_to_be_built_anew(
    world, read_models, ledger, monkeypatch, children
):
    """The child killed (as by the out-of-memory killer) while the rebuild writes with the
    file's journal in memory: the rebuild raises ``WriterLost`` naming it, the file keeps the
    rebuild's mark naming the dead child, so the next open sets the file aside (it may hold
    part of a transaction) and builds the read models anew from the log."""
    path = sqlite_file(read_models.engine.url)
    _sqlite_only(read_models.engine)
    change_things(world)
    ledger.seal()
    followed = dump(read_models.engine)
    runner = _aside(ProjectionRunner(ledger, read_models.engine, batch=7))
    trail = next(p for p in runner.projections if p.name == "trail")
    real = trail.process

    def process(writer, event, position, hashes=None):  # type: ignore[no-untyped-def]
        if position == 15:
            os.kill(children[0].child.pid, signal.SIGKILL)
            children[0].child.process.wait()
        real(writer, event, position, hashes)

    monkeypatch.setattr(trail, "process", process)
    with pytest.raises(WriterLost) as lost:
        runner.rebuild()
    assert lost.value.pid == children[0].child.pid
    assert path is not None
    mark = json.loads(Path(f"{path}.rebuilding").read_text(encoding="utf-8"))
    assert mark["pid"] == children[0].child.pid and mark["journal"] == "memory"
    assert interrupted(path) is not None  # set aside when the read models are next opened
    monkeypatch.undo()
    read_models.close()
    from projections import open_read_models

    again = open_read_models(ledger)
    try:
        assert dump(again.engine) == followed
        aside = path.parent.glob(f"{path.name}.damaged-*")
        assert (
            len(
                [
                    p
                    for p in aside
                    if not p.name.endswith(("-wal", "-shm", "-journal", ".rebuilding"))
                ]
            )
            == 1
        )
        assert not Path(f"{path}.rebuilding").exists()
    finally:
        again.close()


def test_a_batch_left_open_when_the_writer_process_stops_is_rolled_back(tmp_path, monkeypatch):
    """The rebuild ends (an error of its own, a Ctrl-C) with a batch open in the child: the end
    of the child's input rolls it back and the child ends. (Started from another directory,
    without PYTHONPATH: the child finds the package all the same.)"""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    plain, behind = _engines(tmp_path)
    plain.dispose()
    tracking.create(behind)
    aside = WriteAside(behind, set(), "wal")
    writer = Writer(None, behind=aside)
    aside.open_batch((), 0, False)
    writer.row(awkward, _awkward_rows(1)[0])
    writer.insert(tracking, {"name": "left", "position": 3, "schema_version": 1})
    assert writer.rows_of(tracking, ("name", "position"), "name", ["left"]) == [("left", 3)]
    aside.stop()
    assert aside.child.process.returncode == 0
    assert _stored(behind) == []
    with behind.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tracking)).scalar_one() == 0
