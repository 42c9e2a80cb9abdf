"""Any projection can be dropped and rebuilt from the log, and gives the very same rows."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, event, inspect, text, update

import ledger.mapper as signing_mapper
from ledger.mapper import check_signature
from projections import open_read_models, queries
from projections import runner as runner_module
from projections.current import TargetsProjection
from projections.runner import ProjectionRunner, default_projections
from projections.tables import targets
from projections.tracking import Writer

from .world import VECTOR_CODES, PowerCut, change_things, cut_power_in_batch, dump


def test_rebuilding_every_projection_gives_the_rows_the_commands_left(world, read_models):
    change_things(world)
    incremental = dump(read_models.engine)
    read_models.runner.rebuild()
    assert dump(read_models.engine) == incremental


def test_a_fresh_sqlite_read_database_built_from_the_log_equals_the_followed_one(
    world, read_models, ledger, tmp_path
):
    change_things(world)
    fresh = open_read_models(ledger, f"sqlite:///{tmp_path / 'fresh.sqlite'}", attach=False)
    try:
        assert dump(fresh.engine) == dump(read_models.engine)
    finally:
        fresh.close()


def test_rebuilding_one_projection_leaves_the_others_untouched(world, read_models):
    before = dump(read_models.engine)
    with read_models.engine.begin() as conn:
        conn.execute(update(targets).values(name="篡改"))
    read_models.runner.rebuild(["targets"])
    assert dump(read_models.engine) == before


def test_a_projection_whose_tables_were_dropped_is_rebuilt_when_the_runner_starts(
    world, read_models, ledger
):
    before = dump(read_models.engine)
    with read_models.engine.begin() as conn:
        conn.execute(text("DROP TABLE rm_targets"))
    ProjectionRunner(ledger, read_models.engine).catch_up()
    assert dump(read_models.engine) == before


def test_a_new_schema_version_of_a_projection_rebuilds_it(world, read_models, ledger):
    with read_models.engine.begin() as conn:
        conn.execute(update(targets).values(district="错区"))

    class TargetsNext(TargetsProjection):
        version = TargetsProjection.version + 1

    projections = [TargetsNext() if p.name == "targets" else p for p in default_projections()]
    runner = ProjectionRunner(ledger, read_models.engine, projections)
    runner.catch_up()
    assert queries.get_entry(read_models.engine, "target", VECTOR_CODES[0])["district"] == "天宁区"
    assert runner.positions() == read_models.runner.positions()


def test_a_rebuild_in_many_batches_through_the_checkpoint_gives_the_same_rows(
    world, read_models, ledger, monkeypatch
):
    """A rebuild of a log longer than a batch reads it through the signed checkpoint (one
    SHA-256 per sealed record, no signature) and writes each batch's rows with one driver
    ``executemany`` per table: the rows equal those the commands left one by one."""
    change_things(world)
    ledger.seal()
    incremental = dump(read_models.engine)
    vouched, signatures, pages = [], [], []
    real, check_page = ledger.record_pages, ledger.mapper.check_sealed_page

    def record_pages(**kwargs):  # type: ignore[no-untyped-def]
        vouched.append(kwargs)
        return real(**kwargs)

    def checked_page(stored, leaves):  # type: ignore[no-untyped-def]
        pages.append(len(stored))
        return check_page(stored, leaves)

    def signature(event, verifiers):  # type: ignore[no-untyped-def]
        signatures.append(event.version)
        return check_signature(event, verifiers)

    monkeypatch.setattr(ledger, "record_pages", record_pages)
    monkeypatch.setattr(ledger.mapper, "check_sealed_page", checked_page)
    monkeypatch.setattr(signing_mapper, "check_signature", signature)
    runner = ProjectionRunner(ledger, read_models.engine, batch=7)
    runner.rebuild()
    # Read a page at a time through the checkpoint, every record checked in its page, and no
    # record's signature verified.
    head = ledger.recorder.max_notification_id()
    assert vouched == [{"start": 1, "batch": 7}] and sum(pages) == head and signatures == []
    assert dump(read_models.engine) == incremental


def _indexes(engine) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """The secondary indexes of every read-model table, by name, as the database has them."""
    found = inspect(engine)
    return {
        table.name: {str(i["name"]) for i in found.get_indexes(table.name)}
        for p in default_projections()
        for table in p.tables
    }


def _written(writer: Writer) -> Connection:
    """The connection a handler's writer writes on, once what it was given is written (through
    a rebuild's writer thread: the batch's, the thread idle)."""
    if writer.behind is None:
        return writer.conn
    writer.flush()
    writer.behind.wait()
    return writer.behind.conn


def test_a_rebuild_builds_its_indexes_after_its_rows_and_ends_with_every_one(
    world, read_models, ledger
):
    """A rebuild refills the tables without their secondary indexes and creates each once at
    the end: afterwards the database has the same indexes as read models built event by event
    (every index the tables declare, unique ones included), and the same rows."""
    change_things(world)
    before = _indexes(read_models.engine)
    assert before["rm_targets"] and before["trail_links"]  # the tables do have indexes
    incremental = dump(read_models.engine)
    seen: list[set[str]] = []
    targets_projection = next(p for p in read_models.runner.projections if p.name == "targets")
    real = targets_projection.process

    def process(writer, event, position, record=b""):  # type: ignore[no-untyped-def]
        if not seen:  # the indexes of rm_targets while the rebuild writes its rows
            conn = _written(writer)
            seen.append({str(i["name"]) for i in inspect(conn).get_indexes("rm_targets")})
        real(writer, event, position, record)

    targets_projection.process = process  # type: ignore[method-assign]
    read_models.runner.rebuild()
    assert seen == [set()]
    assert _indexes(read_models.engine) == before
    assert dump(read_models.engine) == incremental


def _has_index(dbapi_connection, name: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether the index exists, asked on a DB-API connection (in its transaction)."""
    sqlite = type(dbapi_connection).__module__.startswith("sqlite3")
    query = (
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?"
        if sqlite
        else "SELECT count(*) FROM pg_indexes WHERE indexname = %s"
    )
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(query, (name,))
        return bool(cursor.fetchone()[0])
    finally:
        cursor.close()


def test_a_rebuild_builds_a_unique_index_when_a_row_is_first_looked_up_not_before(
    world, read_models, ledger
):
    """rm_targets' rows are found by id through a unique index (not a primary key: the ids
    come in random order, and keeping an index up row by row in that order cost a rebuild at a
    million targets more than building it from the rows). A rebuild appends the registrations
    without it, builds it before the first statement that finds a row by it (the first
    correction of a target), and ends with it; the rows are those built event by event."""
    change_things(world)  # (every target registered first, then corrections)
    incremental = dump(read_models.engine)
    handled: list[tuple[str, bool]] = []  # each target event, and whether the index was there
    changes: list[bool] = []  # each UPDATE of rm_targets: whether the index was there
    targets_projection = next(p for p in read_models.runner.projections if p.name == "targets")
    real = targets_projection.process

    def process(writer, event, position, record=b""):  # type: ignore[no-untyped-def]
        if type(event).TOPIC.startswith("target."):
            raw = _written(writer).connection.driver_connection
            handled.append((type(event).TOPIC, _has_index(raw, "ux_rm_targets_id")))
        real(writer, event, position, record)

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("UPDATE rm_targets"):
            changes.append(_has_index(conn.connection.driver_connection, "ux_rm_targets_id"))

    targets_projection.process = process  # type: ignore[method-assign]
    event.listen(read_models.engine, "before_cursor_execute", before)
    try:
        read_models.runner.rebuild()
    finally:
        event.remove(read_models.engine, "before_cursor_execute", before)
    first_change = next(i for i, (topic, _) in enumerate(handled) if topic != "target.registered")
    assert first_change > 3
    assert not any(there for _, there in handled[: first_change + 1])  # appended without it
    assert changes and all(changes)  # every row found by id through it
    assert "ux_rm_targets_id" in _indexes(read_models.engine)["rm_targets"]
    assert dump(read_models.engine) == incremental


def test_a_rebuild_cut_short_gets_its_indexes_and_its_rows_when_the_runner_starts_again(
    world, read_models, ledger, monkeypatch
):
    """A rebuild killed between batches (nothing after the kill runs) leaves committed
    batches without the indexes it had not built yet; the next runner creates them when it
    starts, and its catch-up ends with the rows and indexes of read models built event by
    event."""
    change_things(world)
    ledger.seal()
    before, incremental = _indexes(read_models.engine), dump(read_models.engine)
    runner = ProjectionRunner(ledger, read_models.engine, batch=7)
    cut_power_in_batch(monkeypatch, runner)
    monkeypatch.setattr(runner_module, "_create_indexes", lambda conn, projections: None)
    with pytest.raises(PowerCut):
        runner.rebuild()
    monkeypatch.undo()  # the kill: the cut-short rebuild never built its indexes
    assert 0 < min(runner.positions().values()) < ledger.recorder.max_notification_id()
    declared = {i.name for p in default_projections() for t in p.tables for i in t.indexes}
    assert not declared & set().union(*_indexes(read_models.engine).values())
    ProjectionRunner(ledger, read_models.engine).catch_up()
    assert _indexes(read_models.engine) == before
    assert dump(read_models.engine) == incremental


def test_a_rebuild_frees_its_dropped_pages_plainly_and_gives_back_the_secure_delete_setting(
    world, read_models
):
    """SQLite: the tables a rebuild drops are freed without zeroing their pages (all of it is
    in the log, and written again), and only they: every other write of the read database,
    before and after, keeps the connection's own ``secure_delete`` (on here, as Debian builds
    SQLite). The rebuilt rows are those the commands left."""
    engine = read_models.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("PRAGMA secure_delete is SQLite's")
    change_things(world)
    incremental = dump(engine)
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA secure_delete=1"))
    engine.dispose()  # every connection from here on starts with it on
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    read_models.runner.rebuild()
    assert dump(engine) == incremental
    setting, off = 1, False
    drops = 0
    for statement in statements:
        if statement.startswith("PRAGMA secure_delete="):
            setting = int(statement.rsplit("=", 1)[1])
            off = setting == 0
        elif statement.lstrip().upper().startswith("DROP TABLE"):
            drops += 1
            assert off, f"a table dropped with secure_delete on: {statement}"
        elif statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            assert setting == 1, f"a write with secure_delete off: {statement[:80]}"
    assert drops and setting == 1
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar_one() == 1
