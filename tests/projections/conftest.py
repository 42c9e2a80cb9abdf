"""Read models on both ledger backends (the ``ledger`` fixture is parametrized)."""

from __future__ import annotations

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
