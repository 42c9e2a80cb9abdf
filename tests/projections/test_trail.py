"""The trail read model on both backends: every act of a demo year has its row with the digest
the log holds, rebuilding from scratch (in one batch or in many, by a runner that remembers
nothing) gives the same rows, and an operator who edits a trail row is caught by the proof."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from ledger.registry.authority import official_of
from projections.runner import ProjectionRunner
from projections.tables import trail_acts
from projections.tracking import ReadModelMismatch
from projections.trail import TrailProjection
from projections.trail_queries import Trails
from verify.events import decode_record
from verify.merkle import leaf_hash

from .world import dump

TRAIL_TABLES = ("trail_acts", "trail_links", "trail_records", "trail_policies")


def _trail(engine) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    rows = dump(engine)
    return {name: rows[name] for name in TRAIL_TABLES}


def test_every_act_has_its_row_with_the_logs_digest_and_actor(demo_year):
    ledger, rm = demo_year
    with rm.engine.connect() as conn:
        rows = {r.position: r for r in conn.execute(select(trail_acts))}
    stored = list(ledger.notifications())
    assert sorted(rows) == [n.id for n in stored]
    for n in stored:
        record = decode_record(n.state)
        row = rows[n.id]
        assert row.digest == record.digest.hex()
        assert row.leaf_hash == leaf_hash(n.state).hex()
        assert (row.official, row.role, row.department) == tuple(
            record.envelope["actor"][k] for k in ("official", "role", "department")
        )
        assert row.type == record.type and row.version == record.version


def test_rebuilding_from_scratch_gives_the_same_rows_in_one_batch_or_many(demo_year, monkeypatch):
    ledger, rm = demo_year
    followed = _trail(rm.engine)
    assert followed["trail_acts"]
    rm.runner.rebuild(["trail"])
    assert _trail(rm.engine) == followed
    # A runner that remembers nothing, in batches of 7: what a record's creation named is read
    # back from the table, flushed first when it was created in the same batch.
    monkeypatch.setattr(TrailProjection, "_remember", lambda self, record, links: None)
    small = ProjectionRunner(ledger, rm.engine, batch=7)
    small.rebuild(["trail"])
    assert _trail(rm.engine) == followed


def test_records_no_longer_remembered_are_read_once_a_batch_with_the_same_rows(
    demo_year, monkeypatch
):
    """A rebuild of a log larger than the records the trail remembers (here 5): what a batch's
    acts look up is read before the batch, in one query (``prepare``), not each alone — each
    lone read waits for the writer thread to write everything handed to it — and the rows are
    those of the trail that followed the commands."""
    from projections import trail
    from projections.tracking import Writer

    ledger, rm = demo_year
    followed = _trail(rm.engine)
    reads = []
    rows_of = Writer.rows_of

    def counted(self, *reading):  # type: ignore[no-untyped-def]
        reads.append(1)
        return rows_of(self, *reading)

    monkeypatch.setattr(Writer, "rows_of", counted)
    monkeypatch.setattr(trail, "_CACHE", 5)
    batches = ProjectionRunner(ledger, rm.engine, batch=25)
    batches.rebuild(["trail"])
    assert _trail(rm.engine) == followed
    lone = len(reads)
    # the same, each lookup alone (the trail without ``prepare``): more reads, the same rows
    monkeypatch.setattr(TrailProjection, "prepares", False)
    reads.clear()
    ProjectionRunner(ledger, rm.engine, batch=25).rebuild(["trail"])
    assert _trail(rm.engine) == followed
    events = ledger.recorder.max_notification_id()
    assert lone <= events // 25 + 1 < len(reads), (lone, len(reads))


def test_an_edited_trail_row_is_refused_when_its_proof_is_asked(demo_year):
    """An operator with the read database rewrites who did an act (to blame another official)
    or its leaf hash (to pass another event off as it): with proofs, every act is compared
    with the signed record the log holds at its position, and the disagreement is named."""
    ledger, rm = demo_year
    legal = official_of(ledger, "szc-legal")
    trails = Trails(ledger, rm.engine)
    served = trails.acts(legal, limit=3, proofs=True)["items"][2]
    assert decode_record(served["signed_record"].encode()).envelope["actor"] == served["actor"]
    position = served["position"]
    for edit in ({"official": "szc-head"}, {"leaf_hash": "00" * 32}):
        with rm.engine.begin() as conn:
            conn.execute(update(trail_acts).where(trail_acts.c.position == position).values(edit))
        with pytest.raises(ReadModelMismatch, match=f"ledger position {position} is not the log"):
            trails.acts(legal, limit=3, proofs=True)
        rm.runner.rebuild(["trail"])
    assert trails.acts(legal, limit=3, proofs=True)["items"][2] == served


def test_an_act_is_under_the_legal_basis_its_items_had_when_it_was_done(demo_year):
    """The law is amended after a year of inspections: the year's acts keep the basis they were
    done under, and acts after the amendment carry the new one."""
    from ledger.actors import SYSTEM
    from ledger.registry.items import Item, item_id

    ledger, rm = demo_year
    legal = official_of(ledger, "szc-legal")
    trails = Trails(ledger, rm.engine)
    item = ledger.get(item_id("qsxk"), Item)
    old = dict(item.legal_basis)
    before = trails.of_entity("item", "qsxk", legal, limit=500)
    assert before["total"] > 1
    amended = {**old, "article": "第九十九条（修订）"}
    item.amend({"legal_basis": amended}, "法律修订", SYSTEM.to_json())
    ledger.save(item)
    rm.runner.catch_up()
    after = trails.of_entity("item", "qsxk", legal, limit=500)
    assert after["total"] == before["total"] + 1
    assert [a["legal_basis"] for a in after["items"][:-1]] == [
        a["legal_basis"] for a in before["items"]
    ]
    assert before["items"][-1]["legal_basis"] == {"qsxk": old}
    assert after["items"][-1]["type"] == "item.amended"
    assert after["items"][-1]["legal_basis"] == {"qsxk": amended}


def test_a_records_year_is_its_china_year_whatever_hour_was_met_first() -> None:
    """The trail's record year (China time) is cached per UTC hour of the envelope's time: on
    each side of the new year in China (16:00 UTC on 31 December) and in any order met."""
    import random
    from datetime import UTC, datetime, timedelta

    from ledger.mapper import format_time
    from projections.event_view import EventView
    from projections.trail import _year_of
    from verify.workdays import CHINA

    start = datetime(2025, 12, 31, 14, 0, tzinfo=UTC)
    stamps = [start + timedelta(minutes=m, microseconds=m) for m in range(0, 240, 7)]
    stamps += [datetime(2026, 6, 1, 15, 59, 59, 999999, tzinfo=UTC)]
    random.Random(7).shuffle(stamps)
    for ts in stamps + stamps:
        view = EventView(
            {"payload": {}, "aggregate": "a", "version": 1, "time": format_time(ts), "actor": {}}
        )
        assert _year_of("target", {}, view) == ts.astimezone(CHINA).year
    assert {ts.astimezone(CHINA).year for ts in stamps} == {2025, 2026}


def test_one_scope_for_the_lists_and_the_trail_covered_by_each_reader(demo_year):
    """``Trails.covered``, the one place that scopes a list or a division's trail: without a
    division every division the reader reads (a leader in charge: their own, then each the
    policy in force puts in their charge; auditors: all), with one that one if they read it;
    the answers of ``records`` and ``acts`` say the same, and keep inside it."""
    from ledger.demo.bureau import ADMIN
    from ledger.errors import Forbidden
    from ledger.registry.service import Registry

    ledger, rm = demo_year
    trails = Trails(ledger, rm.engine)
    leader, auditor, clerk = (
        official_of(ledger, c) for c in ("jld-leader-1", "bgs-auditor", "szc-clerk")
    )
    assert leader is not None and auditor is not None and clerk is not None
    charge = ("jld", "szc", "ggc", "hhc")  # the demo's [leaders]
    assert trails.covered(leader, None) == charge
    assert trails.covered(leader, "ggc") == ("ggc",)
    assert trails.covered(auditor, None) is None and trails.covered(auditor, "nsc") == ("nsc",)
    assert trails.covered(clerk, None) == ("szc",)
    for reader, other in ((leader, "nsc"), (leader, "szyc"), (clerk, "ggc")):
        with pytest.raises(Forbidden):
            trails.covered(reader, other)
    plans = trails.records(("plan", "inspection"), leader, limit=500)
    assert plans["divisions"] == list(charge)
    assert plans["items"] and {p["division"] for p in plans["items"]} <= set(charge)
    acts = trails.acts(leader, limit=500)
    assert acts["divisions"] == list(charge)
    assert all(set(a["touches"]["division"]) & set(charge) for a in acts["items"])
    Registry(ledger).deactivate_official("jld-leader-1", "调离", by=ADMIN)
    gone = official_of(ledger, "jld-leader-1")
    assert gone is not None
    for division in (None, "szc", "jld"):
        with pytest.raises(Forbidden):
            trails.covered(gone, division)
