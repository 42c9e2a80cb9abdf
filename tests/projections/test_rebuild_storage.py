"""How a rebuild writes: rows as tuples with their JSON encoded once (``tracking.Writer.row``,
``encode_json``), and on SQLite one B-tree per row of the largest tables."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import JSON, Text, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from projections import tables as t
from projections.tracking import Writer, encode_json
from verify.events import canonical

from .world import change_things

_VALUES = [
    None,
    [],
    {},
    "水政处",
    ["qsxk", "hdcs"],
    {"code": "91320400MA1XYZ0001", "name": "常州某某有限公司", "permit": None, "n": 3},
    {"nested": [{"a": 1.5, "b": True, "c": False}, ["\u2028", '"quoted"\n', 1e21]]},
    -0.0,
    12345678901234567890,
]


@pytest.mark.parametrize("value", _VALUES, ids=range(len(_VALUES)))
def test_json_is_encoded_as_sqlalchemys_json_type_encodes_it(value):  # type: ignore[no-untyped-def]
    """The writer's encoder gives the very text SQLAlchemy's JSON type binds (its serializer is
    ``json.dumps`` on either store)."""
    dialect = sqlite.dialect()
    bind = JSON().dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    assert encode_json(value) == bind(value) == json.dumps(value)
    # An exact str: the driver binds it without looking for an adapter (a subclass it does not).
    assert type(encode_json(value)) is str


def test_every_json_value_stored_is_the_text_sqlalchemy_would_store(world, read_models):  # type: ignore[no-untyped-def]
    """Every JSON column of every read model, as the database holds it: the text SQLAlchemy's
    JSON type would have written for the value it decodes to (rows written by the driver's
    cursor, not by SQLAlchemy, are not another form of the same value) — but the trail's
    payloads, which are each record's own canonical text (RFC 8785, UTF-8: cut out of the
    record in a rebuild, ``EventView.payload_bytes``, stored as text), and decode to the same
    values."""
    change_things(world)
    read_models.runner.rebuild()
    checked = chinese = 0
    with read_models.engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            for column in (c for c in table.columns if isinstance(c.type, JSON)):
                if conn.dialect.name == "sqlite":  # the text as it is, not decoded
                    query: Any = text(f'SELECT "{column.name}" FROM {table.name}')
                else:
                    query = select(column.cast(Text)).select_from(table)
                canonical_text = (table, column.name) == (t.trail_acts, "payload")
                for (stored,) in conn.execute(query):
                    value = json.loads(stored)
                    form = canonical(value).decode() if canonical_text else json.dumps(value)
                    assert stored == form, (table.name, stored)
                    checked += 1
                    chinese += canonical_text and not stored.isascii()
    assert checked > 50  # the trail's payloads, its records' links, the targets' lists…
    assert chinese > 10  # payloads with Chinese text, stored as UTF-8 (not \\u-escaped)


def test_on_sqlite_the_largest_tables_write_one_btree_per_row(world, read_models):  # type: ignore[no-untyped-def]
    """trail_acts keys on its position as the rowid (no second index for the key),
    trail_links and rm_target_items are their key (WITHOUT ROWID); every row the commands left
    is there after a rebuild, each act at the rowid of its position."""
    if read_models.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's storage")
    change_things(world)
    read_models.runner.rebuild()
    with read_models.engine.connect() as conn:
        origins = [row[3] for row in conn.execute(text("PRAGMA index_list(trail_acts)"))]
        assert "pk" not in origins
        off = conn.execute(text("SELECT count(*) FROM trail_acts WHERE rowid != position"))
        assert off.scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM trail_acts")).scalar() > 0
        for name in ("trail_links", "rm_target_items"):
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :n"),
                {"n": name},
            ).scalar()
            assert str(sql).rstrip().endswith("WITHOUT ROWID"), name
            assert conn.execute(text(f"SELECT count(*) FROM {name}")).scalar() > 0


@pytest.mark.parametrize("table", ["trail_links", "trail_acts", "rm_target_items"])
def test_a_row_planted_ahead_of_the_log_is_refused_by_the_key(world, read_models, table):  # type: ignore[no-untyped-def]
    """An operator who plants the row an act will write (so that the read model would hold it
    twice, or hide the real one) is refused by the table's key, as before the storage changed:
    the catch-up fails with IntegrityError, which ``open_read_models`` answers by rebuilding."""
    change_things(world)
    found = next(tb for tb in t.metadata.sorted_tables if tb.name == table)
    with read_models.engine.connect() as conn:
        row = conn.execute(select(found).limit(1)).one()
    values = tuple(
        encode_json(v) if isinstance(c.type, JSON) else v
        for c, v in zip(found.columns, row, strict=True)
    )
    with read_models.engine.connect() as conn, pytest.raises(IntegrityError):
        writer = Writer(conn)
        writer.row(found, values)
        writer.row(found, values)  # two rows: the bulk path on either store
        writer.flush()


def test_a_rebuilds_connections_write_in_bulk_and_are_given_back_as_they_were(tmp_path):  # type: ignore[no-untyped-def]
    """While a rebuild writes, the file's journal is a rollback journal in memory, and each
    SQLite connection it takes writes with it, with a larger page cache and without fsyncs
    (``bulk_writing.py``), and the file's mark says so; each connection gets its own settings
    back when returned to the pool, also one returned after the rebuild ended, so the
    service's connections keep theirs; at the end the file is in WAL again and the mark is
    gone."""
    from projections.bulk_writing import REBUILD_CACHE_KIB, REBUILD_CHECKPOINT, bulk_writing
    from projections.database import create_read_engine

    bulk = {"wal_autocheckpoint": REBUILD_CHECKPOINT, "cache_size": -REBUILD_CACHE_KIB}
    bulk["synchronous"] = 0  # OFF

    path = tmp_path / "rm.sqlite"
    mark = tmp_path / "rm.sqlite.rebuilding"
    engine = create_read_engine(f"sqlite:///{path}")

    def settings(conn) -> dict[str, int]:  # type: ignore[no-untyped-def]
        return {k: conn.exec_driver_sql(f"PRAGMA {k}").scalar() for k in bulk}

    with engine.connect() as conn:
        defaults = settings(conn)
    assert defaults["synchronous"] == 1  # NORMAL, as the engine sets it
    assert all(defaults[k] != v for k, v in bulk.items())

    def journal(conn) -> str:  # type: ignore[no-untyped-def]
        return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar())

    with engine.connect() as conn:
        assert journal(conn) == "wal"
    with bulk_writing(engine):
        assert json.loads(mark.read_text())["journal"] == "memory"
        assert path.read_bytes()[18:20] == b"\x01\x01"  # the file's header: not WAL (2, 2)
        with engine.connect() as conn:
            assert settings(conn) == bulk
            assert journal(conn) == "memory"
            conn.exec_driver_sql("CREATE TABLE written (x)")  # (a write, journalled in memory)
        assert not path.with_name(path.name + "-journal").exists()
        late = engine.connect()  # returned after the block
        assert settings(late) == bulk
    assert not mark.exists()
    assert path.read_bytes()[18:20] == b"\x02\x02"  # WAL again
    with engine.connect() as conn:  # (another connection: the late one is still out)
        assert settings(conn) == defaults
        assert journal(conn) == "wal"
    late.close()
    with engine.connect() as first, engine.connect() as second:
        assert settings(first) == settings(second) == defaults
    engine.dispose()


def test_a_rebuild_creates_its_indexes_with_the_bulk_settings(world, read_models, monkeypatch):  # type: ignore[no-untyped-def]
    """The rebuild's own connections (here the one creating the indexes at the end) are taken
    with ``bulk_writing``'s settings, on SQLite; PostgreSQL's are left alone."""
    from projections import runner
    from projections.bulk_writing import BULK

    seen = []
    create = runner._create_indexes

    def spied(conn, projections):  # type: ignore[no-untyped-def]
        if conn.dialect.name == "sqlite":
            seen.append({k: conn.exec_driver_sql(f"PRAGMA {k}").scalar() for k in BULK})
        else:
            seen.append(conn.dialect.name)
        create(conn, projections)

    monkeypatch.setattr(runner, "_create_indexes", spied)
    read_models.runner.rebuild()
    expected = "postgresql" if read_models.engine.dialect.name != "sqlite" else BULK
    assert seen == [expected]


def test_a_rebuild_sorts_each_index_in_small_runs_with_helper_threads(
    world, read_models, monkeypatch
):  # type: ignore[no-untyped-def]
    """On SQLite each index at the end of a rebuild is built with ``index_builds``' settings:
    a cache of ``INDEX_SORT_CACHE_KIB`` (the size of a sort's runs) and SQLite's helper
    threads; the connection has its own back after the builds (the rebuild's, then its pool's)."""
    import sqlite3
    from contextlib import closing

    from sqlalchemy import Index

    from projections.bulk_writing import INDEX_SORT_CACHE_KIB, INDEX_SORT_THREADS

    sqlite = read_models.engine.dialect.name == "sqlite"
    seen: list[tuple[int, int]] = []
    after: list[tuple[int, int]] = []
    create = Index.create

    def pragmas(bind):  # type: ignore[no-untyped-def]
        return tuple(
            int(bind.exec_driver_sql(f"PRAGMA {k}").scalar()) for k in ("cache_size", "threads")
        )

    def spied(index, bind, checkfirst=False):  # type: ignore[no-untyped-def]
        if sqlite:
            seen.append(pragmas(bind))
        create(index, bind, checkfirst=checkfirst)

    monkeypatch.setattr(Index, "create", spied)
    change_things(world)
    read_models.runner.rebuild()
    if not sqlite:
        return
    assert len(seen) >= 20  # (every secondary index of every read model)
    assert set(seen) == {(-INDEX_SORT_CACHE_KIB, INDEX_SORT_THREADS)}
    with read_models.engine.connect() as conn:
        after.append(pragmas(conn))
    with closing(sqlite3.connect(":memory:")) as fresh:  # SQLite's defaults, as it had them
        assert after == [tuple(fresh.execute(f"PRAGMA {k}").fetchone()[0] for k in _SORTING)]


_SORTING = ("cache_size", "threads")


def test_index_builds_give_the_connection_its_settings_back_after_an_error(tmp_path):  # type: ignore[no-untyped-def]
    from projections.bulk_writing import index_builds

    path, engine = _file_of_one_table(tmp_path)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA cache_size=-4096")
        with pytest.raises(ZeroDivisionError), index_builds(conn):
            assert conn.exec_driver_sql("PRAGMA threads").scalar() >= 1
            1 / 0  # noqa: B018
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -4096
        assert conn.exec_driver_sql("PRAGMA threads").scalar() == 0
    engine.dispose()


def test_a_file_another_connection_keeps_in_wal_is_rebuilt_in_wal_and_its_mark_says_so(tmp_path):  # type: ignore[no-untyped-def]
    """Another process reading the file keeps it in WAL: the rebuild then writes in WAL (its
    connections checkpoint every REBUILD_CHECKPOINT pages), and its mark says WAL, so that a
    rebuild stopped with its process resumes instead of setting the whole file aside."""
    import sqlite3
    from contextlib import closing

    from projections.bulk_writing import REBUILD_CHECKPOINT, bulk_writing

    path, engine = _file_of_one_table(tmp_path)
    with closing(sqlite3.connect(path)) as reader:  # (as another process would hold it)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
        with bulk_writing(engine):
            mark = json.loads(path.with_name(path.name + ".rebuilding").read_text())
            assert mark["journal"] == "wal"
            with engine.begin() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                checkpoint = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
                assert checkpoint == REBUILD_CHECKPOINT
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            reader.execute("COMMIT")  # (the end's checkpoint would wait for it)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT x FROM t").all() == [(1,)]
    engine.dispose()


def test_a_rebuild_whose_mark_cannot_be_written_gives_the_file_its_wal_back(  # type: ignore[no-untyped-def]
    tmp_path, monkeypatch
):
    """The mark beside the file cannot be written (a full disk, a read-only directory): the
    rebuild fails before writing anything, and the file, taken out of WAL a moment before, is
    in WAL again, its new connections setting WAL as before."""
    from projections import bulk_writing as bulk
    from projections.database import JOURNAL_IN_MEMORY

    path, engine = _file_of_one_table(tmp_path)

    def full(path, journal):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bulk, "_mark", full)
    with pytest.raises(OSError, match="No space left"), bulk.bulk_writing(engine):
        raise AssertionError("the block is never entered")
    assert path.read_bytes()[18:20] == b"\x02\x02"  # WAL
    assert path.resolve() not in JOURNAL_IN_MEMORY
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


_ANOTHER_PROCESS = """
import sys
from projections.database import create_read_engine
engine = create_read_engine(f"sqlite:///{sys.argv[1]}")
with engine.connect() as conn:
    print(conn.exec_driver_sql("SELECT count(*) FROM t").scalar())
engine.dispose()
"""


def test_a_service_started_during_a_rebuild_in_memory_reads_and_the_rebuild_goes_on(tmp_path):  # type: ignore[no-untyped-def]
    """Another process opens the read models while a rebuild writes them with its journal in
    memory and has a batch open (a service started meanwhile): its connection's switch to WAL
    is refused ("database is locked") and it reads all the same, instead of failing to
    connect; the rebuild's next batches go on, and the file ends in WAL."""
    import subprocess
    import sys
    import threading
    from pathlib import Path

    from projections.bulk_writing import bulk_writing

    path, engine = _file_of_one_table(tmp_path)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    with bulk_writing(engine):
        assert path.read_bytes()[18:20] == b"\x01\x01"  # the journal in memory
        batch = engine.connect()
        batch.begin()
        batch.exec_driver_sql("INSERT INTO t VALUES (2)")  # a batch open
        committed = threading.Timer(1.0, batch.commit)  # (the batch ends a moment later)
        committed.start()
        other = subprocess.run(
            [sys.executable, "-c", _ANOTHER_PROCESS, str(path)],
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            timeout=120,
        )
        committed.join()
        batch.close()
        assert other.returncode == 0, other.stderr
        assert other.stdout.strip() in ("1", "2")  # before the batch's commit, or after
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (3)")  # the next batch
    assert path.read_bytes()[18:20] == b"\x02\x02"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT x FROM t ORDER BY x").all() == [(1,), (2,), (3,)]
    engine.dispose()


def test_a_rebuild_whose_file_another_process_took_back_into_wal_goes_on_in_wal(tmp_path):  # type: ignore[no-untyped-def]
    """Between two batches of a rebuild with its journal in memory, another process takes the
    file back into WAL and goes on reading it: the rebuild's next connection cannot leave WAL
    ("database is locked") and writes in WAL, instead of failing."""
    import sqlite3
    from contextlib import closing

    from projections.bulk_writing import bulk_writing

    path, engine = _file_of_one_table(tmp_path)
    with bulk_writing(engine):
        engine.dispose()  # (the rebuild's next batch takes a new connection)
        with closing(sqlite3.connect(path)) as other:
            assert other.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
            other.execute("BEGIN")
            assert other.execute("SELECT count(*) FROM t").fetchone() == (0,)
            with engine.begin() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            other.execute("COMMIT")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT x FROM t").all() == [(1,)]
    engine.dispose()


def test_a_file_locked_by_another_process_is_not_taken_for_a_damaged_one(tmp_path):  # type: ignore[no-untyped-def]
    """The integrity check at the read models' opening (``database.integrity_problem``) finds
    the file locked by another process longer than it waits (a rebuild with its journal in
    memory committing, a service started meanwhile): no sign of damage, so nothing to set aside,
    where the lock's "database is locked" was once reported as the problem."""
    import sqlite3
    from contextlib import closing

    from projections.database import integrity_problem

    path = tmp_path / "rm.sqlite"
    with closing(sqlite3.connect(path)) as writer:
        writer.execute("CREATE TABLE t (x)")
        writer.commit()
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("INSERT INTO t VALUES (1)")
        assert integrity_problem(path) is None
        writer.rollback()
    path.write_bytes(b"not a database" * 100)
    assert integrity_problem(path) is not None  # (damage is still damage)


def test_a_rebuild_ends_durable_while_a_reader_keeps_its_file_out_of_wal(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A reader of another process reads the file (in its rollback journal) as the rebuild
    ends: the file cannot go back into WAL yet, but the end neither fails nor leaves its mark
    (which would have the whole rebuild done again): what was written is on the disk, and the
    read models' next connection takes it back into WAL."""
    import sqlite3
    from contextlib import closing

    from projections import bulk_writing as bulk

    monkeypatch.setattr(bulk, "DURABLE_WAIT", 0.2)
    path, engine = _file_of_one_table(tmp_path)
    reader = sqlite3.connect(path)
    with closing(reader):
        with bulk.bulk_writing(engine):
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            engine.dispose()
            reader.execute("BEGIN")
            assert reader.execute("SELECT count(*) FROM t").fetchone() == (1,)
        assert not path.with_name(path.name + ".rebuilding").exists()
        assert path.read_bytes()[18:20] == b"\x01\x01"  # still its rollback journal
        reader.execute("COMMIT")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("SELECT x FROM t").all() == [(1,)]
    engine.dispose()


def _file_of_one_table(tmp_path: Any) -> tuple[Any, Any]:
    """A read-model file (and its engine) holding one empty table ``t (x)``."""
    from projections.database import create_read_engine

    path = tmp_path / "rm.sqlite"
    engine = create_read_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
    return path, engine


@pytest.mark.parametrize(
    "codes",
    [
        [],
        ["qsxk"],
        ["qsxk", "hdcs"],
        ["水政"],
        [1],
        [True],
        [1, True],
        ["a", 1],
        [None],
        "qsxk",
        None,
        [["a"]],
    ],
)
def test_a_list_of_codes_is_stored_as_it_is_encoded_whatever_was_stored_before(codes):  # type: ignore[no-untyped-def]
    """The targets' items and risk flags are encoded once per distinct list
    (``current._codes_text``): the same text as ``encode_json``, also after an equal-looking
    list of other types (``[1]`` and ``[True]`` are equal keys of a cache) or a text."""
    from projections.current import _codes_text

    for before in ([1], [True], ["1"], "qsxk", ["q", "s", "x", "k"]):
        _codes_text(before)
        assert _codes_text(codes) == encode_json(codes)
