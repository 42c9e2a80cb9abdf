"""Any projection can be dropped and rebuilt from the log, and gives the very same rows."""

from __future__ import annotations

from sqlalchemy import text, update

from projections import open_read_models, queries
from projections.current import TargetsProjection
from projections.runner import ProjectionRunner, default_projections
from projections.tables import targets

from .world import VECTOR_CODES, change_things, dump


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
    vouched = []
    real = ledger.records

    def records(**kwargs):  # type: ignore[no-untyped-def]
        vouched.append(kwargs.get("vouch"))
        return real(**kwargs)

    monkeypatch.setattr(ledger, "records", records)
    runner = ProjectionRunner(ledger, read_models.engine, batch=7)
    runner.rebuild()
    assert vouched and all(vouched)
    assert dump(read_models.engine) == incremental
