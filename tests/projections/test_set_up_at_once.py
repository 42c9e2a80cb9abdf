"""Read models set up at once by several processes on one PostgreSQL database (two workers
starting): their tables made one process at a time (``tables.made_alone``), none refused."""

from __future__ import annotations

import pytest

from projections.database import create_read_engine, read_database_url
from projections.runner import ProjectionRunner

from ..at_once import at_once

STARTS = 6


@pytest.mark.parametrize("store_kind", ["postgres"])
@pytest.mark.parametrize("round_", range(3))
def test_read_models_set_up_at_once_all_start(ledger, round_):  # type: ignore[no-untyped-def]
    """(Rounds: the race is not certain to show in one, each on an emptied store.)"""
    engines = [create_read_engine(read_database_url(ledger)) for _ in range(STARTS)]
    errors = at_once(STARTS, lambda n: ProjectionRunner(ledger, engines[n]))
    for engine in engines:
        engine.dispose()
    assert errors == []
