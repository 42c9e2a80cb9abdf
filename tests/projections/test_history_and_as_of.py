"""The responsibility trail of an entry, and its state at any ledger position (for disputes)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from ledger.errors import BadInput, NotFound
from projections import queries
from projections.as_of import entry_as_of
from projections.tables import trail_acts
from projections.tracking import ReadModelMismatch

from .world import VECTOR_CODES, change_things, positions_of

MOVED = VECTOR_CODES[1]  # registered in 武进区, moved to 新北区, then tagged with hdjs


def test_the_history_of_a_target_lists_each_event_with_its_log_position_and_authority(
    world, read_models, registry
):
    change_things(world)
    history = queries.entry_history(read_models.engine, "target", MOVED)
    events = history["events"]
    assert history["id"] == str(world.targets[MOVED])
    assert [e["type"] for e in events] == ["target.registered", "target.updated", "target.updated"]
    assert [e["position"] for e in events] == positions_of(registry, world.targets[MOVED])
    assert [e["version"] for e in events] == [1, 2, 3]
    assert events[0]["actor"] == {"official": "clerk-szc", "role": "clerk", "department": "szc"}
    assert events[1]["actor"] == {"official": "clerk-szc", "role": "clerk", "department": "szc"}
    assert events[1]["payload"] == {
        "changes": {"district": "新北区"},
        "reason": "迁址",
        "source": "api",
    }


def test_the_history_of_an_official_leaves_out_token_hashes(world, read_models):
    change_things(world)
    events = queries.entry_history(read_models.engine, "official", "clerk-ggc")["events"]
    issued = [e for e in events if e["type"] == "official.token_issued"]
    assert issued and all(set(e["payload"]) == {"token_id", "expires", "label"} for e in issued)
    assert [e["type"] for e in events][-1] == "official.token_revoked"


def test_an_unknown_entry_has_no_history(world, read_models):
    with pytest.raises(NotFound, match="inspection item"):
        queries.entry_history(read_models.engine, "item", "no-such-item")
    with pytest.raises(NotFound):  # a target's id is not an inspector
        queries.entry_history(read_models.engine, "inspector", str(world.targets[MOVED]))


def test_a_target_as_of_each_position_is_its_state_then_rebuilt_from_the_log(
    world, read_models, ledger
):
    change_things(world)
    engine = read_models.engine
    registered, moved, tagged = (
        e["position"] for e in queries.entry_history(engine, "target", MOVED)["events"]
    )

    def at(position: int) -> dict:  # type: ignore[type-arg]
        return entry_as_of(ledger, engine, "target", MOVED, position)

    assert (at(registered)["district"], at(registered)["version"]) == ("武进区", 1)
    assert at(moved - 1)["district"] == "武进区"
    assert (at(moved)["district"], at(moved)["items"]) == ("新北区", ["qsxk"])
    assert at(tagged - 1)["position"] == moved
    assert at(tagged)["items"] == ["hdjs", "qsxk"]
    head = ledger.recorder.max_notification_id()
    assert at(head) == {**queries.get_entry(engine, "target", MOVED), "as_of": head}


def test_every_kind_of_entry_as_of_the_head_equals_its_current_read_model(
    world, read_models, ledger
):
    change_things(world)
    head = ledger.recorder.max_notification_id()
    for kind, ref in [
        ("division", "szc"),
        ("official", "clerk-ggc"),
        ("official", "agg"),
        ("inspector", "insp-01"),
        ("inspector", "insp-02"),
        ("item", "hdjs"),
        ("target", "person"),
        ("target", VECTOR_CODES[2]),
    ]:
        ref = str(world.targets["person"]) if ref == "person" else ref
        current = queries.get_entry(read_models.engine, kind, ref)
        assert entry_as_of(ledger, read_models.engine, kind, ref, head) == {
            **current,
            "as_of": head,
        }


def test_an_inspector_as_of_a_past_position_shows_the_conflict_declared_then(
    world, read_models, ledger
):
    change_things(world)  # insp-02 withdrew its conflict with VECTOR_CODES[0]
    events = queries.entry_history(read_models.engine, "inspector", "insp-02")["events"]
    declared = next(e["position"] for e in events if e["type"] == "inspector.conflict_declared")
    then = entry_as_of(ledger, read_models.engine, "inspector", "insp-02", declared)
    assert then["conflicts"] == [
        {"target": str(world.targets[VECTOR_CODES[0]]), "reason": "亲属任职"}
    ]
    assert queries.get_entry(read_models.engine, "inspector", "insp-02")["conflicts"] == []


def test_before_its_registration_an_entry_did_not_exist_and_the_future_is_not_asked(
    world, read_models, ledger
):
    first = queries.entry_history(read_models.engine, "target", MOVED)["events"][0]["position"]
    with pytest.raises(NotFound, match=f"registered at position {first}"):
        entry_as_of(ledger, read_models.engine, "target", MOVED, first - 1)
    head = ledger.recorder.max_notification_id()
    with pytest.raises(BadInput, match=f"positions 1 to {head}"):
        entry_as_of(ledger, read_models.engine, "target", MOVED, head + 1)


def test_as_of_refuses_a_history_index_that_disagrees_with_the_log(world, read_models, ledger):
    change_things(world)
    moved = queries.entry_history(read_models.engine, "target", MOVED)["events"][1]["position"]
    h = trail_acts.c
    with read_models.engine.begin() as conn:  # someone edits the read model: version 2 moved
        conn.execute(
            update(trail_acts)
            .where(h.aggregate_id == str(world.targets[MOVED]), h.version == 2)
            .values(position=h.position + 1000)
        )
    with pytest.raises(ReadModelMismatch, match="rebuild"):
        entry_as_of(ledger, read_models.engine, "target", MOVED, moved)


def test_two_requests_asking_for_one_past_position_at_once_share_one_fold(
    world, read_models, monkeypatch
):
    """The first as-of requests after a start may come together: they get the same read models,
    folded once (each folding its own, one kept by neither, once doubled the work). Making the
    keeper of past positions is slowed here, so that two requests asking first would both make
    one if it were made on the first request."""
    import time
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    import projections

    class Slow(projections.PastReadModels):
        def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
            time.sleep(0.2)
            super().__init__(app)

    monkeypatch.setattr(projections, "PastReadModels", Slow)
    change_things(world)
    position = read_models.app.recorder.max_notification_id() - 2
    start = Barrier(2)

    def ask(_: int):  # type: ignore[no-untyped-def]
        start.wait()
        return read_models.at(position).engine

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(ask, range(2))
    assert first is second
