"""Import digests (``ledger/registry/digests.py``): an unchanged re-import parses no row and
reads no entry, and no kept row — moved, planted, outdated, put back from an old copy or
edited — makes a changed row pass as unchanged; a row known unchanged still counts in the
duplicate check, the official's authority and its warnings. (An entry's last record edited in
the database voiding the seal: ``test_import_safety``'s entry edited in the database.)"""

from __future__ import annotations

import pytest

from api.importing import import_file
from ledger.errors import Forbidden
from ledger.registry import current_entries, importer
from ledger.registry.digests import TABLE
from ledger.registry.targets import Target, target_id
from ledger.storage import is_postgres
from tests.tamper.test_store_tampering import _execute
from verify.uscc import organisation_code_warning

from .test_import_support import TARGET_HEADERS_ZH, bureau, credit_code, csv_bytes, target_row

ROWS = 30


@pytest.fixture
def registry(ledger):
    return bureau(ledger)


def _import(registry, rows, by="clerk-gqc"):
    data = csv_bytes(TARGET_HEADERS_ZH, rows)
    return import_file(registry, "targets", data, by=by, source="t.csv")


def _uid(app, n: int):
    """Target n's id as the kept rows hold it: the events table's own form."""
    uid = target_id("enterprise", credit_code(n))
    return uid if is_postgres(app.recorder) else uid.hex


@pytest.fixture
def folded(monkeypatch) -> list[int]:
    """The number of entries each batch read and folded."""
    counts: list[int] = []
    original = current_entries._folded

    def counting(app, ids, *args):
        counts.append(len(ids))
        return original(app, ids, *args)

    monkeypatch.setattr(current_entries, "_folded", counting)
    return counts


def test_an_unchanged_reimport_reads_no_entry_and_a_changed_row_is_read_and_recorded(
    registry, folded, parsed
):
    rows = [target_row(n) for n in range(ROWS)]
    assert _import(registry, rows).recorded == ROWS
    assert len(parsed) == ROWS
    folded.clear()
    parsed.clear()

    again = _import(registry, rows)
    assert (again.recorded, again.updated, again.unchanged) == (0, 0, ROWS)
    assert sum(folded) == 0  # every row known unchanged by its digest
    assert parsed == []  # and not parsed either: its cells' digest was enough

    folded.clear()
    rows[7] = target_row(7, grid="G-99")
    changed = _import(registry, rows)
    assert (changed.updated, changed.unchanged) == (1, ROWS - 1)
    assert sum(folded) == 1  # only the changed row's entry was read
    assert parsed == [credit_code(7)]  # and only the changed row was parsed and checked
    assert registry.app.get(target_id("enterprise", credit_code(7)), Target).grid == "G-99"


def test_a_digest_moved_to_another_entry_or_planted_hides_no_change(registry):
    rows = [target_row(n) for n in range(3)]
    _import(registry, rows)
    app = registry.app
    # An intruder with the database gives entry 1 the row digest of its changed row and
    # entry 0's seal, and plants for entry 2 its changed row's digest with a made-up seal (it
    # cannot compute the HMAC).
    digests = importer.ImportDigests(app)
    changed = [target_row(0), target_row(1, grid="G-11"), target_row(2, grid="G-22")]
    header = TARGET_HEADERS_ZH

    def row_digest(row):
        from api.importing import read_table
        from ledger.registry.sheets import Sheet

        # The digest of the row's cells as a file's reader gives them (``Sheet.digested``).
        table = read_table(csv_bytes(header, [row]))
        return next(Sheet("targets", table).digested(lambda _: {}, 1, digests.layouts)).digests[0]

    with app.recorder.datastore.transaction(commit=False) as c:  # the intruder's digests are
        c.execute(f"SELECT row_digest FROM {TABLE}")  # made as the import makes those it keeps
        assert {row_digest(r) for r in rows} <= {bytes(r["row_digest"]) for r in c.fetchall()}
    _execute(
        app,
        f"UPDATE {TABLE} SET row_digest = ?, "
        f"seal = (SELECT seal FROM {TABLE} WHERE aggregate = ?) WHERE aggregate = ?",
        (row_digest(changed[1]), _uid(app, 0), _uid(app, 1)),
    )
    _execute(
        app,
        f"UPDATE {TABLE} SET row_digest = ?, seal = ? WHERE aggregate = ?",
        (row_digest(changed[2]), bytes(32), _uid(app, 2)),
    )
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


def test_a_row_known_unchanged_that_the_file_repeats_is_a_duplicate(registry):
    rows = [target_row(n) for n in range(3)]
    _import(registry, rows)
    report = _import(registry, [*rows, rows[1]])  # row 5 repeats row 3, both unchanged
    assert [(p.row, p.field) for p in report.problems] == [(5, "code")]
    assert "duplicate of row 3" in report.problems[0].message
    assert (report.recorded, report.updated, report.unchanged) == (0, 0, 0)


def test_a_row_known_unchanged_still_needs_authority_over_its_division(registry):
    rows = [target_row(n) for n in range(3)]
    _import(registry, rows)  # gqc's entries, imported by gqc's clerk
    with pytest.raises(Forbidden) as refused:
        _import(registry, rows, by="clerk-hhc")  # the same file by another division's clerk
    assert "rows 2 (" in str(refused.value)


def test_a_row_known_unchanged_reports_its_warnings_again(registry, parsed):
    # Codes whose positions 9-17 fail the GB 11714 check are kept, with a warning.
    warned = [n for n in range(40) if organisation_code_warning(credit_code(n))]
    rows = [target_row(n) for n in warned[:2]]
    first = _import(registry, rows)
    assert len(first.warnings) == 2
    parsed.clear()
    again = _import(registry, rows)
    assert parsed == [] and again.unchanged == 2
    assert again.warnings == first.warnings


def test_a_changed_entrys_older_row_is_forgotten_and_its_new_row_kept(registry, folded):
    rows = [target_row(n) for n in range(3)]
    _import(registry, rows)
    kept = _digests(registry.app)
    changed = [target_row(0, grid="G-50"), *rows[1:]]
    assert _import(registry, changed).updated == 1
    # The changed row's digest replaces the entry's older one (whose seal can never match
    # again), so the cache keeps one row per entry...
    assert _digests(registry.app) == kept
    folded.clear()
    # ...and the new row is known: the same file again reads no entry.
    assert _import(registry, changed).unchanged == 3
    assert sum(folded) == 0


COLUMNS = "row_digest, aggregate, version, code, kind, division, warnings, seal"


def _kept_rows(app) -> list[tuple]:
    with app.recorder.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT {COLUMNS} FROM {TABLE}")
        return [tuple(r[k] for k in COLUMNS.split(", ")) for r in c.fetchall()]


def _restore(app, rows: list[tuple], **edits) -> None:
    """An operator with the data directory puts back a copy of the kept rows (with some
    columns edited: ``edits``, a value per column name)."""
    names = COLUMNS.split(", ")
    _execute(app, f"DELETE FROM {TABLE}")
    for row in rows:
        values = tuple(edits.get(name, value) for name, value in zip(names, row, strict=True))
        _execute(app, f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)


@pytest.mark.parametrize("bumped", [False, True], ids=["as-kept", "version-bumped"])
def test_an_old_copy_of_the_kept_rows_put_back_hides_no_change(registry, folded, bumped):
    original = [target_row(n) for n in range(3)]
    _import(registry, original)
    app = registry.app
    old = _kept_rows(app)  # sealed with each entry's first record
    assert _import(registry, [target_row(0, grid="G-50"), *original[1:]]).updated == 1
    # The old copy again, its seals intact (and entry 0's version made the current one's):
    # the first file's row 0 is the digest kept for entry 0's first record, no longer its last.
    if bumped:
        old = [(*r[:2], 2, *r[3:]) if str(r[1]) == str(_uid(app, 0)) else r for r in old]
    _restore(app, old)
    folded.clear()

    back = _import(registry, original)
    assert (back.updated, back.unchanged) == (1, 2)
    assert sum(folded) == 1  # entry 0 was read and its row checked in full
    assert app.get(target_id("enterprise", credit_code(0)), Target).grid == "G-07"


def test_a_kept_rows_division_edited_in_the_table_lends_no_authority(registry, parsed):
    rows = [target_row(n) for n in range(3)]
    _import(registry, rows)  # gqc's entries
    app = registry.app
    # An intruder makes the kept rows say hhc's, so that hhc's clerk passes them as unchanged:
    # the seals no longer match, every row is checked and its entry's owner (gqc) judged.
    _restore(app, _kept_rows(app), division="hhc")
    parsed.clear()
    with pytest.raises(Forbidden) as refused:
        _import(registry, rows, by="clerk-hhc")
    assert "rows 2 (" in str(refused.value)
    assert len(parsed) == 3


def test_a_row_that_adds_the_clear_marker_is_recorded_then_known(registry, folded):
    rows = [target_row(n) for n in range(3)]
    _import(registry, rows)
    marked = [rows[0], target_row(1, grid="<清空>"), rows[2]]
    folded.clear()

    cleared = _import(registry, marked)
    assert (cleared.recorded, cleared.updated, cleared.unchanged) == (0, 1, 2)
    assert [(c.row, c.field) for c in cleared.changes] == [(3, "grid")]
    assert registry.app.get(target_id("enterprise", credit_code(1)), Target).grid is None
    folded.clear()
    # The marked file again changes nothing: its row 3 is now known (the entry not read).
    again = _import(registry, marked)
    assert (again.updated, again.unchanged) == (0, 3)
    assert sum(folded) == 0


def test_the_seals_taken_from_the_save_are_those_a_read_gives(registry, folded):
    # A new entry's row and a corrected entry's row are sealed with the record and log
    # position that their import's save gave; an entry whose row is kept without a save (the
    # table lost, the file imported again) is sealed with its last record as read back. The
    # two must agree, or the next re-import would read every entry again.
    rows = [target_row(n) for n in range(4)]
    _import(registry, rows)
    changed = [target_row(0, grid="G-50"), *rows[1:]]
    assert _import(registry, changed).updated == 1
    app = registry.app
    ours = {str(_uid(app, n)) for n in range(4)}

    def kept() -> list[tuple]:
        return sorted(r for r in _kept_rows(app) if str(r[1]) in ours)

    from_save = kept()
    assert [r[2] for r in from_save if str(r[1]) == str(_uid(app, 0))] == [2]  # corrected
    assert sorted(r[2] for r in from_save) == [1, 1, 1, 2]

    _execute(app, f"DELETE FROM {TABLE}")
    folded.clear()
    again = _import(registry, changed)
    assert again.unchanged == 4
    assert sum(folded) == 4  # every entry read, its last record read back for the seal
    assert kept() == from_save
    folded.clear()
    assert _import(registry, changed).unchanged == 4
    assert sum(folded) == 0
