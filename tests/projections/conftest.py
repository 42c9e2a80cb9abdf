"""Read models on both ledger backends (the ``ledger`` fixture is parametrized)."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.registry.service import Registry
from projections import open_read_models

from .world import build_world


@pytest.fixture
def read_models(ledger):  # type: ignore[no-untyped-def]
    """The ledger's read models in their default place, following every command."""
    rm = open_read_models(ledger)
    yield rm
    rm.close()


@pytest.fixture
def registry(ledger):  # type: ignore[no-untyped-def]
    return Registry(ledger)


@pytest.fixture
def world(registry, read_models):  # type: ignore[no-untyped-def]
    return build_world(registry)


@pytest.fixture
def demo_year(demo_ledger):  # type: ignore[no-untyped-def]
    """A demo bureau year (60 targets, 16 inspectors, plans and draws) and its read models,
    not following commands (a test catches them up or rebuilds them itself)."""
    ledger, _ = demo_ledger(
        targets=60, inspectors=16, today=date(2026, 11, 25), plans_and_draws=True
    )
    rm = open_read_models(ledger, attach=False)
    yield ledger, rm
    rm.close()
