"""A large import's held SQLite transaction has a larger page cache while it writes
(``importer.LARGE_IMPORT_CACHE_MIB``, ``transactions._Held.cache_mib``), and the pooled
connection has its own again once the import has ended; a small import keeps the own one."""

from __future__ import annotations

import sqlite3

import pytest

from api.importing import import_file
from ledger.registry import importer
from ledger.storage import is_postgres
from ledger.transactions import _Held

from .test_import_support import TARGET_HEADERS_ZH, bureau, csv_bytes, target_row

OWN = -2000  # SQLite's own page cache, in KiB (negative: a size, not pages)


@pytest.fixture
def registry(ledger):
    if is_postgres(ledger.recorder):
        pytest.skip("the page cache is SQLite's")
    return bureau(ledger)


@pytest.fixture
def writes(monkeypatch) -> list[tuple[sqlite3.Connection, int]]:
    """Each side-table write of the held transaction (the kept digests): its connection and
    that connection's page cache as it wrote."""
    seen: list[tuple[sqlite3.Connection, int]] = []
    original = _Held.execute

    def execute(self, statement, rows):
        connection = self.cursor_now().sqlite_cursor.connection
        seen.append((connection, _cache_size(connection)))
        return original(self, statement, rows)

    monkeypatch.setattr(_Held, "execute", execute)
    return seen


def _cache_size(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA cache_size").fetchone()[0])


def _import(registry, count: int):
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(n) for n in range(count)])
    return import_file(registry, "targets", data, by="clerk-gqc", source="t.csv")


def test_a_large_import_writes_with_a_larger_page_cache(registry, writes, monkeypatch):
    monkeypatch.setattr(importer, "LARGE_IMPORT_ROWS", 1)  # every import counts as large
    assert _import(registry, 5).recorded == 5
    assert writes and {size for _, size in writes} == {-1024 * importer.LARGE_IMPORT_CACHE_MIB}
    assert _cache_size(writes[0][0]) == OWN  # the pooled connection's own again


def test_a_small_import_keeps_the_connections_own_page_cache(registry, writes):
    assert _import(registry, 5).recorded == 5
    assert writes and {size for _, size in writes} == {OWN}
