"""A ledger opened on PostgreSQL waits out a slow first connection: a new pool opens its
connections in the background, and under load the first can take longer than the 1 s
(``STORE_WAIT``) a call waits; the tables' creation, the ledger's own transactions and its
recorder's insert are not retried by the library, so a command failed there (CI: "couldn't get
a connection after 1.00 sec"). ``storage.patient_connections`` tries that first wait up to
``CONNECTION_TRIES`` times; once the pool has given a connection, a wait is one try again, and
a pool that never gives one still fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError
from psycopg_pool import ConnectionPool, PoolTimeout

from ledger.storage import CONNECTION_TRIES, patient_connections


def _pool_busy(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """Every pool gives no connection in time for the next ``times`` asks; the asks refused."""
    connection = ConnectionPool.connection
    refused: list[int] = []

    def busy(self: ConnectionPool, *args: Any, **kwargs: Any) -> Any:
        if len(refused) < times:
            refused.append(1)
            raise PoolTimeout("couldn't get a connection after 1.00 sec")
        return connection(self, *args, **kwargs)

    monkeypatch.setattr(ConnectionPool, "connection", busy)
    return refused


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_a_ledger_opened_waits_out_a_slow_first_connection(new_ledger, monkeypatch):
    refused = _pool_busy(monkeypatch, 3)
    ledger = new_ledger()  # its tables created through the new pool's first connection
    ledger.create_ledger()
    monkeypatch.undo()

    assert len(refused) == 3
    assert [n.topic for n in ledger.notifications()][:1] == ["ledger.created"]


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_once_the_pool_has_given_a_connection_a_wait_is_one_try(ledger, monkeypatch):
    refused = _pool_busy(monkeypatch, 1_000)
    with (
        pytest.raises(OperationalError, match="couldn't get a connection"),
        ledger.recorder.datastore.transaction(commit=False) as cursor,
    ):
        cursor.execute("SELECT 1")
    assert len(refused) == 1


def test_a_new_pool_that_never_gives_a_connection_still_fails():
    """A stand-in datastore (no server): the first wait is tried ``CONNECTION_TRIES`` times,
    then the error goes on; an error other than the pool's wait is not tried again."""
    asked: list[str] = []

    class Datastore:
        def __init__(self, cause: Exception) -> None:
            self.cause = cause

        @contextmanager
        def get_connection(self) -> Iterator[Any]:
            asked.append("ask")
            raise OperationalError(str(self.cause)) from self.cause
            yield None  # a context manager, as the library's

    timed_out = Datastore(PoolTimeout("couldn't get a connection after 1.00 sec"))
    patient_connections(timed_out)
    with (
        pytest.raises(OperationalError, match="couldn't get a connection"),
        timed_out.get_connection(),
    ):
        pass
    assert len(asked) == CONNECTION_TRIES
    asked.clear()
    refused = Datastore(ValueError("password authentication failed"))
    patient_connections(refused)
    with pytest.raises(OperationalError, match="password"), refused.get_connection():
        pass
    assert len(asked) == 1
