"""The test PostgreSQL server is reachable, is PostgreSQL 15, and eventsourcing can use it."""

from __future__ import annotations

from uuid import UUID

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

pytestmark = pytest.mark.postgres


class _Note(Aggregate):
    def __init__(self, text: str) -> None:
        self.text = text


class _NoteApp(Application[UUID]):
    pass


def test_server_is_postgresql_15(fresh_pg_env: dict[str, str]) -> None:
    with psycopg.connect(
        host=fresh_pg_env["POSTGRES_HOST"],
        port=fresh_pg_env["POSTGRES_PORT"],
        user=fresh_pg_env["POSTGRES_USER"],
        password=fresh_pg_env["POSTGRES_PASSWORD"],
        dbname=fresh_pg_env["POSTGRES_DBNAME"],
    ) as conn:
        row = conn.execute("SELECT version()").fetchone()
    assert row is not None
    assert row[0].startswith("PostgreSQL 15"), row[0]


def test_eventsourcing_round_trip(fresh_pg_env: dict[str, str]) -> None:
    env = {**fresh_pg_env, "CREATE_TABLE": "y"}
    writer = _NoteApp(env=env)
    try:
        note = _Note("hello")
        writer.save(note)
    finally:
        writer.close()

    # A second application reads it back from the database, not from the writer's memory.
    reader = _NoteApp(env=env)
    try:
        loaded: _Note = reader.repository.get(note.id)
        assert isinstance(loaded, _Note)
        assert loaded.text == "hello"
        assert loaded.version == 1
    finally:
        reader.close()
