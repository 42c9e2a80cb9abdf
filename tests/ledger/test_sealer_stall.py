"""A sealing round whose process stalls inside its transaction (a full garbage collection of a
large heap, a loaded machine descheduling it) for longer than PostgreSQL lets a session sit
idle in a transaction (eventsourcing's POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT, 5 s by
default) still seals: CI once lost a round that way ("terminating connection due to
idle-in-transaction timeout" on the insert of its leaves)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from ledger.application import LedgerApp
from ledger.sealer import LEAVES_TABLE


class _Stalling:
    """A cursor that stalls before the round inserts its leaves, as the process did."""

    def __init__(self, cursor: Any, seconds: float) -> None:
        self.cursor, self.seconds = cursor, seconds

    def execute(self, statement: Any, *args: Any) -> Any:
        if f"INSERT INTO {LEAVES_TABLE}" in str(statement):
            time.sleep(self.seconds)
        return self.cursor.execute(statement, *args)

    def __iter__(self) -> Any:
        return iter(self.cursor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cursor, name)


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_a_round_stalled_past_the_idle_in_transaction_timeout_still_seals(
    store_env, signer, monkeypatch
):
    env = {**store_env, "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "1"}
    app = LedgerApp(env, signer, signer.name, embedded_sealing=False)
    try:
        app.create_ledger()
        app.set_default_policy()
        datastore = app.recorder.datastore
        opened = datastore.transaction

        @contextmanager
        def stalling(*, commit: bool) -> Iterator[Any]:
            with opened(commit=commit) as cursor:
                yield _Stalling(cursor, 1.5)

        monkeypatch.setattr(datastore, "transaction", stalling)
        checkpoint = app.sealer.seal()
        monkeypatch.undo()

        assert checkpoint is not None
        assert checkpoint.last_notification_id == app.recorder.max_notification_id()
        assert app.sealer.latest() == checkpoint
    finally:
        app.close()
