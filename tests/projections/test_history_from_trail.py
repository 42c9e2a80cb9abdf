"""A registry entry's history is read from the trail's acts (its payloads stored once): row for
row what the log holds for every registry entry, the same after a rebuild as event by event, and
a read database made when the history had its own table loses that table at the next start
without anything being rebuilt."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, inspect, select

from ledger.aggregates import aggregate_kind
from projections import queries
from projections.history import REGISTRY_KINDS, entry_events
from projections.runner import ProjectionRunner, _retire
from projections.tables import tracking, trail_acts
from verify.events import decode_record

from .world import change_things, dump


def _from_the_log(ledger: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Each registry entry's history as the log has it, made here without the read models:
    every event of the entry in order, its payload without token hashes."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for n in ledger.notifications():
        envelope = decode_record(n.state).envelope
        kind = aggregate_kind(envelope["type"])
        if kind not in REGISTRY_KINDS:
            continue
        payload = dict(envelope["payload"])
        if envelope["type"] == "official.token_issued":
            payload.pop("token_hash")
        actor = envelope["actor"]
        found.setdefault((kind, envelope["aggregate"]), []).append(
            {
                "position": n.id,
                "version": envelope["version"],
                "type": envelope["type"],
                "time": envelope["time"],
                "actor": {k: actor[k] for k in ("official", "role", "department")},
                "payload": payload,
            }
        )
    return found


def _served(engine: Any, entries: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    return {
        (kind, entry): queries.entry_history(engine, kind, entry)["events"]
        for kind, entry in entries
    }


def test_every_registry_entrys_history_is_what_the_log_holds_live_and_after_a_rebuild(
    world, read_models, ledger
):
    change_things(world)
    expected = _from_the_log(ledger)
    assert {kind for kind, _ in expected} == set(REGISTRY_KINDS)  # every registry has entries
    assert any(len(events) > 2 for events in expected.values())
    assert _served(read_models.engine, expected) == expected
    rows = dump(read_models.engine)
    ProjectionRunner(ledger, read_models.engine, batch=7).rebuild()
    assert dump(read_models.engine) == rows
    assert _served(read_models.engine, expected) == expected
    head = ledger.recorder.max_notification_id()
    upto = head // 2  # as it stood at a past position
    for (kind, entry), events in expected.items():
        then = [e for e in events if e["position"] <= upto]
        if then:
            assert (
                queries.entry_history(read_models.engine, kind, entry, upto=upto)["events"] == then
            )


def test_a_record_that_is_not_a_registry_entry_has_no_history(world, read_models, ledger):
    """The trail keeps every act; a history is only a registry entry's (as it was when the
    history had its own table): the ledger's and the policy's acts are in the trail, not in a
    history, whatever kind is asked."""
    change_things(world)
    others = {
        (aggregate_kind(n.topic), str(n.originator_id))
        for n in ledger.notifications()
        if aggregate_kind(n.topic) not in REGISTRY_KINDS
    }
    assert {kind for kind, _ in others} == {"ledger", "policy"}
    acts = trail_acts.c
    with read_models.engine.connect() as conn:
        for kind, entry in others:
            in_trail = select(acts.position).where(acts.aggregate_id == entry, acts.kind == kind)
            assert conn.execute(in_trail).all()
            assert conn.execute(entry_events(entry, kind)).all() == []
            for registry in REGISTRY_KINDS:
                assert conn.execute(entry_events(entry, registry)).all() == []


def test_the_old_history_table_is_dropped_at_start_and_nothing_is_rebuilt(
    world, read_models, ledger
):
    """A read database from before: a ``registry_history`` table with rows and its tracking
    row. A new runner drops both; every other table and position is as it was (no rebuild)."""
    change_things(world)
    engine = read_models.engine
    before, positions = dump(engine), read_models.runner.positions()
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE registry_history (position BIGINT PRIMARY KEY, payload TEXT)"
        )
        conn.exec_driver_sql("INSERT INTO registry_history VALUES (1, '{}')")
        conn.execute(insert(tracking).values(name="registry_history", position=3, schema_version=2))
    runner = ProjectionRunner(ledger, engine)
    with engine.connect() as conn:
        assert "registry_history" not in inspect(conn).get_table_names()
        names = {r[0] for r in conn.execute(select(tracking.c.name))}
    assert "registry_history" not in names
    assert runner.positions() == positions
    assert dump(engine) == before


def test_a_history_table_another_worker_dropped_first_is_no_error(read_models):
    """Two workers starting at once both saw the old table; the second to drop it finds it gone
    (the first held its lock until its commit): nothing to do, no error."""
    with read_models.engine.begin() as conn:
        assert "registry_history" not in inspect(conn).get_table_names()
        assert _retire(conn, {"registry_history"}) == {"registry_history"}
