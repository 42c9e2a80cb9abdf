"""catch_up(most=N) stops after about N events (whole batches), so the service can start after
one batch and leave the rest to its follower; what it applied is exactly a prefix of the log."""

from __future__ import annotations

from projections import ProjectionRunner, queries


def test_a_bounded_catch_up_applies_whole_batches_and_the_rest_follows(
    world, read_models, ledger, tmp_path
):  # type: ignore[no-untyped-def]
    complete = queries.search_targets(read_models.engine, limit=500)["items"]
    from projections.database import create_read_engine

    engine = create_read_engine(f"sqlite:///{tmp_path / 'bounded.sqlite'}")
    runner = ProjectionRunner(ledger, engine, batch=5)
    head = runner.head()
    assert head > 10
    assert runner.catch_up(most=5) == 5  # one batch of 5 events (of the topics followed)
    (first,) = set(runner.positions().values())
    assert 5 <= first < head
    assert runner.catch_up(most=7) == 10  # two batches: at least 7
    (second,) = set(runner.positions().values())
    assert first + 10 <= second < head
    assert runner.catch_up() > 0
    assert set(runner.positions().values()) == {head}
    assert queries.search_targets(engine, limit=500)["items"] == complete
    engine.dispose()
