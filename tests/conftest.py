"""Shared pytest fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .pool_tracking import pools_left_open, track_pools

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


def _pg_connect(params: dict[str, str], dbname: str | None = None):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        host=params["host"],
        port=params["port"],
        user=params["user"],
        password=params["password"],
        dbname=dbname or params["dbname"],
        autocommit=True,
        connect_timeout=10,
    )


def _xdist_worker() -> str | None:
    """``gw0``, ``gw1``, … in a pytest-xdist worker; None in a plain run."""
    return os.environ.get("PYTEST_XDIST_WORKER") or None


def _worker_database(params: dict[str, str], worker: str) -> dict[str, str]:
    """The parameters of this xdist worker's own database, ``<DRAWLEDGER_TEST_PG_DB>_<worker>``,
    created on the server if it is missing: two workers on one database would drop each
    other's schema (``fresh_pg_env``)."""
    from psycopg import errors, sql

    name = f"{params['dbname']}_{worker}"
    with _pg_connect(params) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return {**params, "dbname": name}
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except errors.DuplicateDatabase:
            pass  # created meanwhile by an earlier run's worker of the same name
        except errors.InsufficientPrivilege:
            pytest.fail(
                f"pytest-xdist worker {worker} needs its own PostgreSQL database {name!r}, and "
                f"user {params['user']!r} may not create it: grant it CREATEDB, create the "
                f"databases {params['dbname']}_gw0, _gw1, … yourself, or run without -n",
                pytrace=False,
            )
    return {**params, "dbname": name}


# What the session used, for the check at its end that it left no connection open.
_PG_USED: dict[str, str] = {}


def _session_pg_params() -> dict[str, str]:
    """Connection parameters of this session's test database (this xdist worker's own one);
    skips (fails in CI) when none is configured."""
    if not _PG_USED:
        params = _pg_params()
        worker = _xdist_worker()
        _PG_USED.update(params if worker is None else _worker_database(params, worker))
    return dict(_PG_USED)


@pytest.fixture(scope="session")
def pg_params() -> dict[str, str]:
    """Connection parameters of this session's test database (this xdist worker's own one)."""
    return _session_pg_params()


@pytest.fixture(scope="session")
def pg_env(pg_params: dict[str, str]) -> dict[str, str]:
    """eventsourcing environment settings for the test PostgreSQL database.

    Skips when no server is configured; fails instead when CI is set, so CI never silently
    skips the PostgreSQL tests. The database state is shared: use ``fresh_pg_env`` for a clean one.
    Under pytest-xdist each worker has a database of its own (``<DB>_gw0``, ``<DB>_gw1``, …),
    created if missing (the test user needs CREATEDB for that; `.ci/run`'s is a superuser).
    """
    return _pg_env(pg_params)


# A client that closed its connection is still listed in pg_stat_activity until its server
# process has exited, which takes a moment on a busy machine: a connection counts as left open
# only if it is still there after this long.
_CLOSING_SECONDS = 10.0


def _open_connections(conn: Any, databases: str, pattern: str) -> list[str]:
    """The client connections to ``databases`` (a name, and names LIKE ``pattern``) other than
    ``conn``'s own, once those that are closing have gone (waiting up to _CLOSING_SECONDS)."""
    import time

    deadline = time.monotonic() + _CLOSING_SECONDS
    while True:
        rows = conn.execute(
            "SELECT datname, application_name, state, left(query, 60) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            " AND (datname = %s OR datname LIKE %s)",
            [databases, pattern],
        ).fetchall()
        if not rows or time.monotonic() > deadline:
            return [" | ".join(str(c) for c in row) for row in rows]
        time.sleep(0.2)


def _connections_left(params: dict[str, str]) -> list[str]:
    """The client connections still open to this session's test databases (its own one and
    the demo ledgers' templates and copies, ``<DB>_demo_*``), other than the one asking."""
    with _pg_connect(params) as conn:
        pattern = params["dbname"].replace("_", r"\_") + r"\_demo\_%"
        return _open_connections(conn, params["dbname"], pattern)


@pytest.fixture(scope="session", autouse=True)
def no_connection_left_open() -> Iterator[None]:
    """At the end of the session (of each xdist worker), fail if any PostgreSQL connection to
    the test databases is still open: every ledger, read-model engine and app a test opens is
    closed by the test, its fixtures or the CLI, never left to the garbage collector."""
    track_pools()
    yield
    if not _PG_USED:
        return  # no PostgreSQL test ran
    left = _connections_left(_PG_USED)
    if _xdist_worker() is None and os.environ.get("DRAWLEDGER_TEST_REPORT_CONNECTIONS"):
        print(f"\nPostgreSQL connections left open at the end: {len(left)}")
    assert not left, (
        f"{len(left)} PostgreSQL connection(s) left open by the tests (database | application"
        " | state | last query):\n  " + "\n  ".join(left) + pools_left_open()
    )


@pytest.fixture(autouse=True)
def each_test_names_its_pg_connections(request: Any, monkeypatch: Any) -> None:
    """Every PostgreSQL connection a test opens carries the test's id as its application_name
    (libpq's ``PGAPPNAME``; the server keeps 63 characters: the id's end), so that a connection
    left open is reported above with the test that opened it."""
    monkeypatch.setenv("PGAPPNAME", request.node.nodeid[-63:])


@pytest.fixture
def fresh_pg_env(pg_params: dict[str, str], pg_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """``pg_env`` with the database's ``public`` schema dropped and recreated (empty) first."""
    with _pg_connect(pg_params) as conn:
        # A connection left in a transaction by an earlier test would block the drop forever.
        conn.execute("SET lock_timeout = '10s'")
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    yield dict(pg_env)


# --- Ledgers on both backends ------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """The store a test on both backends runs on: an SQLite file, then the real PostgreSQL."""
    return str(request.param)


@pytest.fixture
def store_env(store_kind: str, request: pytest.FixtureRequest, tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """eventsourcing settings for an empty store: an SQLite file, then the real PostgreSQL.
    One store only: ``@pytest.mark.parametrize("store_kind", ["postgres"])``."""
    assert not hasattr(request, "param"), (
        "parametrize store_kind, not store_env (indirect): store_env follows store_kind"
    )
    if store_kind == "sqlite":
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


# --- Demo bureaus, built once per session and copied for each test ----------------------------
#
# Recording a demo bureau (ledger.demo.bureau.build_demo) takes seconds, a demo year more; many
# tests need one. ``demo_ledger(**arguments)`` gives each test its own copy of a ledger on which
# ``build_demo(ledger, **arguments)`` ran (after ledger.created and the default policy, as the
# ``ledger`` fixture has them), read models caught up: built once per session and store for each
# set of arguments, then copied (SQLite: the files; PostgreSQL: CREATE DATABASE … TEMPLATE), so
# a test may change its copy freely without another test seeing it.

DEMO_ORIGIN = "drawledger.test/ledger"


class DemoTemplates:
    """The session's built demo ledgers, by store and ``build_demo`` arguments."""

    def __init__(self, root: Any, pg: Callable[[], dict[str, str]]) -> None:
        from verify.keys import SignerKey

        self.signer = SignerKey.generate(DEMO_ORIGIN)  # every copy's key: the template's
        self._root = root
        self._pg = pg  # this session's PostgreSQL parameters (skips when there is none)
        self._built: dict[tuple[Any, ...], tuple[Any, Any]] = {}  # key → (where, summary)
        self.databases: list[str] = []  # PostgreSQL templates and copies, dropped at the end
        self._copies = 0

    def copy(self, kind: str, into: Any, arguments: dict[str, Any]) -> tuple[dict[str, str], Any]:
        """(eventsourcing settings of a new copy, the demo summary) for ``arguments``."""
        import copy

        key = (kind, *sorted(arguments.items()))
        if key not in self._built:
            self._built[key] = self._build(kind, arguments)
        where, summary = self._built[key]
        if kind == "sqlite":
            import shutil

            from ledger.storage import persistence_env

            shutil.copytree(where, into)
            return persistence_env("sqlite:///ledger.sqlite", into), copy.deepcopy(summary)
        self._copies += 1
        name = self._database(f"copy{self._copies}", template=where)
        return self._pg_settings(name), copy.deepcopy(summary)

    def _build(self, kind: str, arguments: dict[str, Any]) -> tuple[Any, Any]:
        from ledger.application import LedgerApp
        from ledger.demo.bureau import build_demo
        from ledger.storage import persistence_env
        from projections import open_read_models

        if kind == "sqlite":
            where: Any = self._root / f"template{len(self._built)}"
            where.mkdir()
            env = persistence_env("sqlite:///ledger.sqlite", where)
        else:
            where = self._database(f"template{len(self._built)}")
            env = self._pg_settings(where)
        app = LedgerApp(env, self.signer, self.signer.name, embedded_sealing=True, seal_interval=0)
        try:
            app.create_ledger()
            app.set_default_policy()
            summary = build_demo(app, **arguments)
            open_read_models(app).close()  # caught up, as a test's first read would
        finally:
            app.close()
        return where, summary

    def _pg_settings(self, database: str) -> dict[str, str]:
        return {**_pg_env({**self._pg(), "dbname": database}), "CREATE_TABLE": "y"}

    def _database(self, suffix: str, template: str | None = None) -> str:
        from psycopg import sql

        params = self._pg()
        name = f"{params['dbname']}_demo_{suffix}"
        with _pg_connect(params) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template is not None:
                # The template's builder has closed its connections (else this fails), but
                # their server processes may still be exiting (see _CLOSING_SECONDS).
                left = _open_connections(conn, template, template.replace("_", r"\_"))
                assert not left, f"connections left open to the demo template: {left}"
                create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            conn.execute(create)
        self.databases.append(name)
        return name

    def drop(self, database: str) -> list[str]:
        """Drop a copy; the connections that were still open to it (none, if all was closed)."""
        from psycopg import sql

        params = self._pg()
        with _pg_connect(params) as conn:
            left = _open_connections(conn, database, database.replace("_", r"\_"))
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        self.databases.remove(database)
        return left


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoTemplates]:
    templates = DemoTemplates(tmp_path_factory.mktemp("demo-templates"), _session_pg_params)
    yield templates
    for database in list(templates.databases):
        templates.drop(database)


@pytest.fixture
def demo_ledger(store_kind: str, demo_templates: DemoTemplates, tmp_path):  # type: ignore[no-untyped-def]
    """A factory: ``demo_ledger(targets=…, inspectors=…, …)`` → ``(ledger, summary)``, this
    test's own copy of a ledger holding ``build_demo(ledger, …)``'s bureau on this test's store
    (``store_kind``), sealing within each command like ``new_ledger``'s. Closed after the test;
    on PostgreSQL its database is dropped, and a connection still open to it fails the test."""
    from ledger.application import LedgerApp

    opened: list[tuple[Any, str | None]] = []

    def make(**arguments: Any) -> tuple[Any, Any]:
        env, summary = demo_templates.copy(store_kind, tmp_path / f"demo{len(opened)}", arguments)
        signer = demo_templates.signer
        app = LedgerApp(env, signer, signer.name, embedded_sealing=True, seal_interval=0)
        opened.append((app, env.get("POSTGRES_DBNAME")))
        return app, summary

    yield make
    left: list[str] = []
    for app, database in opened:
        app.close()
        if database is not None:
            left += demo_templates.drop(database)
    assert not left, f"PostgreSQL connections left open to the demo copy: {left}"


def pytest_configure(config: pytest.Config) -> None:
    # A run of the whole API suite fails if a documented answer was got by no test.
    from tests.api.answers_run import configure

    configure(config)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.api.answers_run import session_finish

    session_finish(session, exitstatus)
