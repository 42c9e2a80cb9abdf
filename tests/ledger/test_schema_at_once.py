"""Processes starting at once on one PostgreSQL store (two workers, a command beside a starting
worker) each make the library's types, tables and functions: one at a time
(``PostgresEventRecorder.create_table``'s advisory lock), so none is refused."""

from __future__ import annotations

import threading

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from ledger.storage import persistence_env

from ..api.test_cli_registry import _database_url

STARTS = 8


def test_recorders_made_at_once_on_an_empty_store_all_start(fresh_pg_env):  # type: ignore[no-untyped-def]
    env = persistence_env(_database_url(fresh_pg_env))
    barrier = threading.Barrier(STARTS)
    errors: list[BaseException] = []
    factories = []

    def start() -> None:
        factory = InfrastructureFactory.construct(Environment("Starting", env))
        factories.append(factory)
        barrier.wait()
        try:
            factory.application_recorder()  # (makes the types, tables and functions)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=start) for _ in range(STARTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for factory in factories:
        factory.close()
    assert errors == []
    assert len(factories) == STARTS
