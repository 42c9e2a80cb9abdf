"""Shared pytest fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# --- PostgreSQL -----------------------------------------------------------------------------
#
# `.ci/run` starts a throwaway PostgreSQL 15 server and exports these variables. Locally,
# export DRAWLEDGER_TEST_PG_DSN alone (any libpq connection string or URI), or the separate
# variables, which take precedence over the DSN's parts.

_PG_VARS = {
    "host": "DRAWLEDGER_TEST_PG_HOST",
    "port": "DRAWLEDGER_TEST_PG_PORT",
    "user": "DRAWLEDGER_TEST_PG_USER",
    "password": "DRAWLEDGER_TEST_PG_PASSWORD",
    "dbname": "DRAWLEDGER_TEST_PG_DB",
}
_PG_DSN_VAR = "DRAWLEDGER_TEST_PG_DSN"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def _pg_params() -> dict[str, str]:
    """Connection parameters from the environment; skip (or fail in CI) when there are none."""
    params: dict[str, str] = {}
    dsn = os.environ.get(_PG_DSN_VAR)
    if dsn:
        from psycopg.conninfo import conninfo_to_dict

        params.update({k: str(v) for k, v in conninfo_to_dict(dsn).items() if k in _PG_VARS})
    for key, var in _PG_VARS.items():
        if var in os.environ:
            params[key] = os.environ[var]
    params.setdefault("port", "5432")
    params.setdefault("password", "")
    missing = [_PG_VARS[k] for k in ("host", "user", "dbname") if not params.get(k)]
    if missing:
        reason = (
            f"no test PostgreSQL: set {_PG_DSN_VAR} or DRAWLEDGER_TEST_PG_HOST/_PORT/_USER/"
            f"_PASSWORD/_DB (`bash .ci/run` does); missing: {', '.join(missing)}"
        )
        if _in_ci():
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    return params


def _pg_env(params: dict[str, str]) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_HOST": params["host"],
        "POSTGRES_PORT": params["port"],
        "POSTGRES_USER": params["user"],
        "POSTGRES_PASSWORD": params["password"],
        "POSTGRES_DBNAME": params["dbname"],
    }


@pytest.fixture(scope="session")
def pg_env() -> dict[str, str]:
    """eventsourcing environment settings for the test PostgreSQL database.

    Skips when no server is configured; fails instead when CI is set, so CI never silently
    skips the PostgreSQL tests. The database state is shared: use ``fresh_pg_env`` for a clean one.
    """
    return _pg_env(_pg_params())


@pytest.fixture
def fresh_pg_env(pg_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """``pg_env`` with the database's ``public`` schema dropped and recreated (empty) first."""
    import psycopg

    with psycopg.connect(
        host=pg_env["POSTGRES_HOST"],
        port=pg_env["POSTGRES_PORT"],
        user=pg_env["POSTGRES_USER"],
        password=pg_env["POSTGRES_PASSWORD"],
        dbname=pg_env["POSTGRES_DBNAME"],
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        # A connection left in a transaction by an earlier test would block the drop forever.
        conn.execute("SET lock_timeout = '10s'")
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    yield dict(pg_env)


# --- Ledgers on both backends ------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def store_env(request: pytest.FixtureRequest, tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """eventsourcing settings for an empty store: an SQLite file, then the real PostgreSQL."""
    if request.param == "sqlite":
        from ledger.storage import persistence_env

        return persistence_env("sqlite:///ledger.sqlite", tmp_path)
    env = request.getfixturevalue("fresh_pg_env")
    return {**env, "CREATE_TABLE": "y"}


@pytest.fixture
def signer():  # type: ignore[no-untyped-def]
    from verify.keys import SignerKey

    return SignerKey.generate("drawledger.test/ledger")


@pytest.fixture
def new_ledger(store_env, signer):  # type: ignore[no-untyped-def]
    """A factory for ledger applications on the test store, sealing within each command
    (``seal_interval=0``): a checkpoint per command, with nothing to wait for. The background
    sealing task has its own tests (tests/ledger/test_sealing_task.py)."""
    from ledger.application import LedgerApp

    apps = []

    def make(**kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("embedded_sealing", True)
        kwargs.setdefault("seal_interval", 0)
        app = LedgerApp(store_env, signer, signer.name, **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def ledger(new_ledger):  # type: ignore[no-untyped-def]
    """A new ledger with its first events: ledger.created and the default policy.set."""
    app = new_ledger()
    app.create_ledger()
    app.set_default_policy()
    return app
