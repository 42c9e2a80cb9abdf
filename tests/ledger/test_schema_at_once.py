"""Processes starting at once on one PostgreSQL store (two workers, a command beside a starting
worker) each make the library's types, tables and functions, the append-only triggers, the
sealer's tables and the side tables: one at a time (``storage.schema_made_alone``'s advisory
lock), so none is refused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from ledger.draws.populations import FrozenPopulations
from ledger.registry.personal_data import PersonalData
from ledger.sealer import Sealer
from ledger.storage import install_append_only_guards, persistence_env
from verify.keys import SignerKey

from ..api.test_cli_registry import _database_url
from ..at_once import at_once

STARTS = 8
ROUNDS = 4


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_ledgers_opened_at_once_on_an_empty_store_all_start(fresh_pg_env, round_):  # type: ignore[no-untyped-def]
    """(Rounds: the race is not certain to show in one, each on an emptied store.)"""
    env = persistence_env(_database_url(fresh_pg_env))
    factories = [
        InfrastructureFactory.construct(Environment("Starting", env)) for _ in range(STARTS)
    ]

    def start(n: int) -> None:
        recorder = factories[n].application_recorder()  # (its types, tables and functions)
        install_append_only_guards(recorder, [recorder.events_table_name])
        Sealer(recorder, SignerKey.generate("drawledger.test/ledger"), "drawledger.test")
        PersonalData(recorder, bytes(32))  # (two of the side tables)
        FrozenPopulations(SimpleNamespace(recorder=recorder))  # type: ignore[arg-type]

    errors = at_once(STARTS, start)
    for factory in factories:
        factory.close()
    assert errors == []


@pytest.mark.parametrize("store_kind", ["postgres"])
@pytest.mark.parametrize("round_", range(3))
def test_ledger_applications_opened_at_once_on_an_empty_store_all_start(new_ledger, round_):  # type: ignore[no-untyped-def]
    """Whole ledger applications: their side tables too (nonces, populations, kept digests and
    states, personal data, proof tiles…)."""
    assert at_once(6, lambda n: new_ledger()) == []
