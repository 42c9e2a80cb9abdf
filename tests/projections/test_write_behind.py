"""A rebuild writes through a writer thread (``projections/write_behind.py``): the rows are those
the runner's own thread writes, for a demo year (both stores) and for awkward values (SQLite's
multi-row statements); an error in the thread fails the rebuild at the last good batch; a
refused claim is answered as without the thread; a handler's read sees every row handled before
it."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from projections import batch_steps, multirow_inserts, write_behind
from projections import tracking as tracking_module
from projections.database import create_read_engine, sqlite_file
from projections.runner import ProjectionRunner
from projections.tables import tracking, trail_acts
from projections.tracking import Writer, encode_json

from .world import VECTOR_CODES, change_things, dump

_THREAD = "read-model-writer"


def _written_in(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The names of the threads that send the writers' bulk inserts from now on (SQLite's
    multi-row statements or executemany, PostgreSQL's COPY)."""
    threads: set[str] = set()
    for module in (tracking_module, batch_steps):
        for name in ("insert_rows", "copy_rows"):
            real = getattr(module, name)

            def bulk(*args: Any, real: Any = real) -> None:
                threads.add(threading.current_thread().name)
                real(*args)

            monkeypatch.setattr(module, name, bulk)
    return threads


def _threaded(runner: ProjectionRunner) -> ProjectionRunner:
    """``runner`` writing its rebuilds through the writer thread on either store."""
    runner.write_behind = True
    return runner


@pytest.fixture
def switch_interval():  # type: ignore[no-untyped-def]
    """The interpreter's switch interval set to 4 ms for the test (and given back after)."""
    saved = sys.getswitchinterval()
    sys.setswitchinterval(0.004)
    yield 0.004
    sys.setswitchinterval(saved)


def test_a_demo_year_rebuilt_through_the_writer_thread_has_the_rows_of_one_rebuilt_without(
    demo_year, monkeypatch, switch_interval
):
    ledger, rm = demo_year
    rm.runner.write_behind = True  # (on PostgreSQL: not by default)
    followed = dump(rm.engine)
    plain = ProjectionRunner(ledger, rm.engine, batch=7)
    plain.write_behind = False
    threads = _written_in(monkeypatch)
    plain.rebuild()
    assert threads == {threading.current_thread().name}
    assert dump(rm.engine) == followed
    threads.clear()
    _threaded(ProjectionRunner(ledger, rm.engine, batch=7)).rebuild()  # many batches in flight
    assert threads == {_THREAD}
    assert dump(rm.engine) == followed
    threads.clear()
    switches: list[float] = []
    real_write = batch_steps.BatchSteps.write

    def write(self, steps):  # type: ignore[no-untyped-def]
        switches.append(sys.getswitchinterval())
        real_write(self, steps)

    monkeypatch.setattr(batch_steps.BatchSteps, "write", write)
    rm.runner.rebuild()  # the default: a few large batches
    assert threads == {_THREAD}
    assert dump(rm.engine) == followed
    # The interpreter's threads switch quicker while the thread writes, as before after.
    assert set(switches) == {write_behind.SWITCH_INTERVAL}
    assert sys.getswitchinterval() == switch_interval


_AWKWARD = MetaData()
awkward = Table(
    "awkward",
    _AWKWARD,
    Column("n", Integer, primary_key=True),
    Column("big", Integer),
    Column("name", String(64)),
    Column("note", Text),
    Column("doc", JSON),
    Column("flag", Boolean),
    Column("later", Text),  # NULL in every row of a statement's run but the last's
    Column("fallback", Text, server_default="x"),  # NULL in every row (not its default)
)
_TEXTS = [
    "",
    "plain",
    "引号 ' \" 反斜杠 \\ 和 \\\\ 与 \\u0000 的字样",
    "astral 𠀀𝄞😀 and a NUL \x00 inside",
    "line\nbreak\ttab\r\x01\x1f",
    "'); DROP TABLE awkward; --",
    None,
]
_BIGS = [0, 1, -1, 2**63 - 1, -(2**63), 2**53 + 1, None]


def _awkward_rows(count: int) -> list[tuple[Any, ...]]:
    docs = [None, {"a": "😀", "b": [1, 2.5, None, True]}, ["\\", '"'], "𝄞", 12, {}]
    return [
        (
            n,
            _BIGS[n % len(_BIGS)],
            _TEXTS[n % len(_TEXTS)],
            _TEXTS[(n + 3) % len(_TEXTS)],
            encode_json(docs[n % len(docs)]),
            [True, False, None][n % 3],
            "set" if n >= count - 3 else None,
            None,
        )
        for n in range(count)
    ]


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    """Every row with each value's SQLite type, byte for byte."""
    names = [c.name for c in awkward.columns]
    columns = ", ".join(f"{n}, typeof({n}), hex({n})" for n in names)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT {columns} FROM awkward ORDER BY n"))]


def _engines(tmp_path: Any) -> tuple[Engine, Engine]:
    engines = []
    for name in ("plain", "behind"):
        engine = create_read_engine(f"sqlite:///{tmp_path / name}.sqlite")
        _AWKWARD.create_all(engine)
        engines.append(engine)
    return engines[0], engines[1]


def written_plainly(engine: Engine, batches: list[list[tuple[Any, ...]]]) -> None:
    """Each list of rows a transaction of the runner's own thread (no writer thread)."""
    for rows in batches:
        with engine.begin() as conn:
            writer = Writer(conn)
            for row in rows:
                writer.row(awkward, row)
            writer.flush()


def _write_behind(
    engine: Engine,
    batches: list[list[tuple[Any, ...]]],
    table: Table = awkward,
    *,
    thread: write_behind.WriteBehind | None = None,
    flush_every: int = 1 << 20,  # (by default: runs unbroken)
) -> None:
    """Each list of rows a batch of the writer thread (two flushes each: one empty), or of
    the writer ``thread`` given (a writer process's)."""
    thread = thread or write_behind.WriteBehind(engine)
    try:
        for rows in batches:
            writer = Writer(None, flush_every=flush_every, behind=thread)
            thread.open_batch((), 0, False)
            writer.flush()  # nothing buffered: no job
            for row in rows:
                writer.row(table, row)
            writer.flush()
            thread.close_batch()
    finally:
        thread.stop()


def test_awkward_values_are_stored_through_the_writer_thread_as_executemany_stores_them(
    tmp_path,
):
    """NULLs, quotes and backslashes, astral characters, a NUL inside a text, 64-bit limits,
    JSON columns, booleans; an empty batch; a run longer than one statement takes."""
    per_statement = multirow_inserts.VARIABLES // len(awkward.columns)
    batches = [_awkward_rows(40), [], _awkward_rows(40 + 2 * per_statement + 17)[40:]]
    statements = multirow_inserts.insert_statements(awkward, batches[2])
    assert len(statements) == 3
    assert ["later" in sql for sql, _ in statements] == [False, False, True]
    assert all("fallback" in sql for sql, _ in statements)  # (left out: its default)
    plain, behind = _engines(tmp_path)
    written_plainly(plain, batches)
    _write_behind(behind, batches)
    expected = _stored(plain)
    assert len(expected) == 40 + 2 * per_statement + 17
    assert _stored(behind) == expected
    third = next(r for r in expected if r[0] == 3)  # (value, its type, its bytes) a column
    assert third[3:5] == (2**63 - 1, "integer")
    assert third[6] == "astral 𠀀𝄞😀 and a NUL \x00 inside"  # the NUL and what follows it
    assert {r[-3:] for r in expected} == {(None, "null", "")}  # fallback: NULL, as bound
    assert [r[-6] for r in expected][-4:] == [None, "set", "set", "set"]


def test_rows_of_nulls_only_are_stored_through_the_writer_thread(tmp_path):  # type: ignore[no-untyped-def]
    """A table whose every column may be left out: its rows of NULLs bound, one a row."""
    meta = MetaData()
    nulls = Table("nulls", meta, Column("a", Text), Column("b", Integer))
    engine = create_read_engine(f"sqlite:///{tmp_path / 'nulls.sqlite'}")
    meta.create_all(engine)
    rows: list[tuple[Any, ...]] = [(None, None), (None, None), ("a", None)]
    _write_behind(engine, [rows[:2], rows], nulls)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT a, b FROM nulls ORDER BY rowid")).all()
    assert [tuple(r) for r in stored] == rows[:2] + rows
    engine.dispose()


def test_an_integer_beyond_64_bits_is_refused_through_the_writer_thread_as_without(tmp_path):
    row = (1, 2**63, "x", "y", encode_json(None), True, None, None)
    plain, behind = _engines(tmp_path)
    with pytest.raises(OverflowError), plain.begin() as conn:
        writer = Writer(conn)
        writer.row(awkward, row)
        writer.flush()
    with pytest.raises(OverflowError):
        _write_behind(behind, [[row]])
    assert _stored(behind) == _stored(plain) == []


@pytest.mark.parametrize("aside", [False, True], ids=["thread", "process"])
def test_an_error_in_the_rebuilds_writer_fails_the_rebuild_at_the_last_good_batch(
    world, read_models, ledger, monkeypatch, switch_interval, aside
):
    """A row the database refuses (a duplicate key) in the third batch, written by the writer
    thread or process (``write_aside.py``): the rebuild raises it, the first two batches are
    committed with their positions and nothing of the third; the writer is gone; a second
    rebuild ends with the rows the commands left."""
    if aside and sqlite_file(read_models.engine.url) is None:
        pytest.skip("a writer process writes an SQLite file")
    change_things(world)
    ledger.seal()
    followed = dump(read_models.engine)
    runner = _threaded(ProjectionRunner(ledger, read_models.engine, batch=7))
    runner.write_aside = aside
    trail = next(p for p in runner.projections if p.name == "trail")
    real = trail.process
    failed_at: list[int] = []

    def process(writer, event, position, hashes=None):  # type: ignore[no-untyped-def]
        if position > 14 and not failed_at:  # the third batch's first act
            failed_at.append(position)
            writer.insert(tracking, {"name": "trail", "position": 0, "schema_version": 1})
        real(writer, event, position, hashes)

    monkeypatch.setattr(trail, "process", process)
    with pytest.raises(IntegrityError, match="(?i)unique|duplicate"):
        runner.rebuild()
    assert sys.getswitchinterval() == switch_interval
    positions = runner.positions()
    assert set(positions.values()) == {14}, positions  # two batches of 7 events each
    with read_models.engine.connect() as conn:
        assert conn.execute(select(func.max(trail_acts.c.position))).scalar_one() == 14
    assert not [t for t in threading.enumerate() if t.name == _THREAD]
    monkeypatch.undo()
    _threaded(ProjectionRunner(ledger, read_models.engine)).rebuild()
    assert dump(read_models.engine) == followed


@pytest.mark.parametrize("aside", [False, True], ids=["thread", "process"])
def test_a_handlers_read_sees_every_row_handled_before_it_in_the_batch(
    world, read_models, ledger, monkeypatch, aside
):
    """A handler's read of the read database (``Writer.rows_of``) through the writer thread,
    slowed down, or the writer process, finds the rows handled just before it, written first."""
    if aside and sqlite_file(read_models.engine.url) is None:
        pytest.skip("a writer process writes an SQLite file")
    change_things(world)
    real_write = batch_steps.BatchSteps.write

    def slow_write(self, steps):  # type: ignore[no-untyped-def]
        time.sleep(0.02)
        real_write(self, steps)

    monkeypatch.setattr(batch_steps.BatchSteps, "write", slow_write)  # (the thread's)
    runner = _threaded(ProjectionRunner(ledger, read_models.engine, batch=7))
    runner.write_aside = aside
    trail = next(p for p in runner.projections if p.name == "trail")
    real = trail.process
    seen: list[int] = []

    def process(writer, event, position, hashes=None):  # type: ignore[no-untyped-def]
        real(writer, event, position, hashes)
        seen.append(position)
        found = writer.rows_of(trail_acts, ("position",), "position", seen)
        assert sorted(p for (p,) in found) == seen

    monkeypatch.setattr(trail, "process", process)
    runner.rebuild(["trail"])
    assert len(seen) > 14


def test_a_claim_refused_in_the_writer_thread_is_answered_as_without_it(
    world, read_models, ledger, monkeypatch
):
    """The third batch's claim finds a position moved (as when another runner committed the
    batch first): its transaction is rolled back in the thread, the positions are read again
    and the rebuild goes on from the last batch committed, to the rows the commands left."""
    change_things(world)
    ledger.seal()
    followed = dump(read_models.engine)
    real, claims = batch_steps.claim, []

    def claim(conn, positions, end):  # type: ignore[no-untyped-def]
        claims.append(end)
        real(conn, positions, end)
        if len(claims) == 3:
            raise batch_steps.PositionMoved

    monkeypatch.setattr(batch_steps, "claim", claim)
    _threaded(ProjectionRunner(ledger, read_models.engine, batch=7)).rebuild()
    assert claims[:4] == [7, 14, 21, 21]  # the third batch claimed again, after a new read
    assert dump(read_models.engine) == followed


def test_two_rebuilds_at_once_give_the_switch_interval_back_whichever_ends_first(
    switch_interval,
):
    first, second = write_behind.quick_switches(), write_behind.quick_switches()
    first.__enter__()
    second.__enter__()
    assert sys.getswitchinterval() == write_behind.SWITCH_INTERVAL
    first.__exit__(None, None, None)  # the first to start ends first: the second still runs
    assert sys.getswitchinterval() == write_behind.SWITCH_INTERVAL
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == switch_interval


def test_by_default_only_a_rebuild_on_sqlite_writes_through_the_thread(
    world, read_models, monkeypatch
):
    """On PostgreSQL the thread gained nothing measured (docs/PERFORMANCE.md, session 18): a
    rebuild there writes in the runner's thread unless asked; the live path never uses it."""
    change_things(world)
    threads = _written_in(monkeypatch)
    read_models.runner.rebuild()
    sqlite = read_models.engine.dialect.name == "sqlite"
    assert threads == ({_THREAD} if sqlite else {threading.current_thread().name})
    threads.clear()
    target = world.targets[VECTOR_CODES[1]]  # a command followed live
    world.registry.update_target(target, {"district": "另一区"}, "再迁", "api", "clerk-szc")
    assert threads == {threading.current_thread().name}


def test_the_runner_waits_for_a_writer_slower_than_it_beyond_pending_jobs(tmp_path, monkeypatch):
    """A writer slower than the reader (here each flush takes 5 ms): at most ``PENDING`` jobs
    wait for it, so the rows held in memory do not grow with the log; all are written."""
    monkeypatch.setattr(write_behind, "PENDING", 3)
    real_write, real_submit = batch_steps.BatchSteps.write, write_behind.WriteBehind.submit
    waiting: list[int] = []

    def slow_write(self, steps):  # type: ignore[no-untyped-def]
        time.sleep(0.005)
        real_write(self, steps)

    def submit(self, job):  # type: ignore[no-untyped-def]
        real_submit(self, job)
        waiting.append(len(self._jobs))

    monkeypatch.setattr(batch_steps.BatchSteps, "write", slow_write)
    monkeypatch.setattr(write_behind.WriteBehind, "submit", submit)
    plain, behind = _engines(tmp_path)
    _write_behind(behind, [_awkward_rows(400)], flush_every=4)  # a job every 4 rows: 100 jobs
    assert len(waiting) == 102 and max(waiting) == 3
    assert [r[0] for r in _stored(behind)] == list(range(400))
