"""An operator with the store rolls the log back under its read models (its tail cut, or an
older copy restored) and starts the service again: the read models must not go on serving the
events the log lost, nor skip new ones at the positions they had read. Both backends (on
PostgreSQL the read models are rebuilt in place; SQLite's file set aside is
tests/api/test_self_recovery.py)."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from projections import open_read_models
from projections.tables import officials, trail_acts
from tests.tamper.test_store_tampering import _drop_append_only_triggers, _execute


def _officials(engine) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return set(conn.execute(select(officials.c.code)).scalars())


def test_a_cut_log_is_said_at_start_and_its_read_models_follow_the_log_again(
    ledger, world, read_models, registry, caplog
):
    registry.register_official(
        {"code": "szc-lost", "name": "王五", "division": "szc", "roles": ["clerk"]}, None
    )
    assert "szc-lost" in _officials(read_models.engine)
    *_, lost = ledger.notifications()
    read_models.close()
    _drop_append_only_triggers(ledger)
    _execute(ledger, f"DELETE FROM {ledger.events_table} WHERE state = ?", (lost.state,))

    with caplog.at_level(logging.WARNING, logger="projections"):
        reopened = open_read_models(ledger)
    try:
        said = [r.message for r in caplog.records if r.levelno == logging.ERROR]
        assert len(said) == 1 and "账本已不含读取模型读过的内容" in said[0]
        assert "szc-lost" not in _officials(reopened.engine)
        head = ledger.recorder.max_notification_id()
        with reopened.engine.connect() as conn:
            assert conn.execute(select(func.max(trail_acts.c.position))).scalar() == head
        assert set(reopened.runner.positions().values()) == {head}
    finally:
        reopened.close()


def test_read_models_of_an_untouched_log_are_kept(ledger, world, read_models, caplog):
    read_models.close()
    with caplog.at_level(logging.WARNING, logger="projections"):
        reopened = open_read_models(ledger)
    reopened.close()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
