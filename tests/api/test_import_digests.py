"""Import digests (``ledger/registry/digests.py``): an unchanged re-import reads no entry, and
no digest — moved, planted or outdated — makes a changed row pass as unchanged. (An edited
record voiding the digest: ``test_import_safety``'s entry edited in the database.)"""

from __future__ import annotations

import pytest

from api.importing import import_file
from ledger.registry import bulk
from ledger.registry.digests import TABLE
from ledger.registry.targets import Target, target_id
from tests.tamper.test_store_tampering import _execute

from .test_import_support import TARGET_HEADERS_ZH, bureau, credit_code, csv_bytes, target_row

ROWS = 30


@pytest.fixture
def registry(ledger):
    return bureau(ledger)


def _import(registry, rows):
    data = csv_bytes(TARGET_HEADERS_ZH, rows)
    return import_file(registry, "targets", data, by="clerk-gqc", source="t.csv")


def _uid(n: int) -> str:
    return target_id("enterprise", credit_code(n)).hex


@pytest.fixture
def folded(monkeypatch) -> list[int]:
    """The number of entries each batch read and folded."""
    counts: list[int] = []
    original = bulk._folded

    def counting(app, ids):
        counts.append(len(ids))
        return original(app, ids)

    monkeypatch.setattr(bulk, "_folded", counting)
    return counts


def test_an_unchanged_reimport_reads_no_entry_and_a_changed_row_is_read_and_recorded(
    registry, folded
):
    rows = [target_row(n) for n in range(ROWS)]
    assert _import(registry, rows).recorded == ROWS
    folded.clear()

    again = _import(registry, rows)
    assert (again.recorded, again.updated, again.unchanged) == (0, 0, ROWS)
    assert sum(folded) == 0  # every row known unchanged by its digest

    folded.clear()
    rows[7] = target_row(7, grid="G-99")
    changed = _import(registry, rows)
    assert (changed.updated, changed.unchanged) == (1, ROWS - 1)
    assert sum(folded) == 1  # only the changed row's entry was read
    assert registry.app.get(target_id("enterprise", credit_code(7)), Target).grid == "G-99"


def test_a_digest_moved_to_another_entry_or_planted_hides_no_change(registry):
    rows = [target_row(n) for n in range(3)]
    _import(registry, rows)
    app = registry.app
    # An intruder with the database copies entry 0's digest onto entry 1, and plants for
    # entry 2 the plain SHA-256 of what its changed row would be (it cannot compute the HMAC).
    _execute(
        app,
        f"UPDATE {TABLE} SET digest = (SELECT digest FROM {TABLE} WHERE aggregate = ?) "
        "WHERE aggregate = ?",
        (_uid(0), _uid(1)),
    )
    _execute(app, f"UPDATE {TABLE} SET digest = ? WHERE aggregate = ?", ("0" * 64, _uid(2)))
    changed = [target_row(0), target_row(1, grid="G-11"), target_row(2, grid="G-22")]
    report = _import(registry, changed)
    assert (report.updated, report.unchanged) == (2, 1)
    grids = [app.get(target_id("enterprise", credit_code(n)), Target).grid for n in (1, 2)]
    assert grids == ["G-11", "G-22"]


def test_a_later_event_on_the_entry_voids_its_digest(registry, folded):
    original = [target_row(n) for n in range(3)]
    _import(registry, original)
    _import(registry, [target_row(0, grid="G-50"), *original[1:]])  # a later import changes 0
    folded.clear()

    back = _import(registry, original)  # the first file again: entry 0 must change back
    assert (back.updated, back.unchanged) == (1, 2)
    assert sum(folded) == 1
    assert registry.app.get(target_id("enterprise", credit_code(0)), Target).grid == "G-07"


def _digests(app) -> int:
    with app.recorder.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT COUNT(*) AS n FROM {TABLE}")
        return int(c.fetchone()["n"])


def test_an_individuals_row_is_never_digested(registry):
    before = _digests(registry.app)
    company, person = target_row(901), target_row(900, kind="个人", code="320481199001011234")
    assert _import(registry, [company, person]).recorded == 2
    assert _digests(registry.app) == before + 1  # the company's only: the row has an ID number
