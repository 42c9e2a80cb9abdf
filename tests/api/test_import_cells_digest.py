"""A file's rows known unchanged by the digest of their cells (``cells.cells_digest``, looked up
before the cells are read: ``sheets.Sheet.digested``): a clerk who changes one cell of one row,
in any column, gets that row checked and recorded; a file saved again in another encoding or
with other quoting (the same cells) records nothing; a row naming an entry already named in the
file is still checked and reported, though its cells' digest is known."""

from __future__ import annotations

import csv
import io

import pytest

import ledger.registry.checking_ahead
from api.importing import import_file
from ledger.registry import bulk
from ledger.registry.targets import Target, target_id

from .test_import_support import TARGET_HEADERS_EN, TARGET_HEADERS_ZH, bureau, credit_code
from .test_import_support import target_row as _target_row

ROWS = 40
# One changed cell per column, each a change an import records (or refuses), never a no-op.
CHANGED = {
    "code": credit_code(9_000),  # another entry: a new target
    "name": "常州市改名水利工程有限公司",
    "kind": "个体工商户",
    "legal_representative": "李强",
    "address": "江苏省常州市新北区通江路1号",
    "district": "天宁区",
    "grid": "G-99",
    "division": "hhc",
    "items": "hdjs,hhgl",
    "permit_number": "常水许〔2025〕1号",
    "permit_valid_from": "2024-02-01",
    "permit_valid_until": "2030-12-31",
    "credit_class": "A",
    "risk_flags": "经营异常名录",
}


def target_row(n: int, **changes: str) -> list[str]:
    return _target_row(n, **changes)


@pytest.fixture
def registry(ledger):
    return bureau(ledger)


def _csv(rows, headers=TARGET_HEADERS_ZH, encoding="utf-8", **style) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, **style)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _import(registry, data: bytes, **options):
    return import_file(registry, "targets", data, by=None, source="t.csv", **options)


def _events(registry) -> int:
    return registry.app.recorder.max_notification_id() or 0


def test_one_changed_cell_in_any_column_gets_its_row_checked(registry, parsed):
    rows = [target_row(n) for n in range(ROWS)]
    assert _import(registry, _csv(rows)).recorded == ROWS
    parsed.clear()
    assert _import(registry, _csv(rows), dry_run=True).unchanged == ROWS
    assert parsed == []  # every row known by its cells' digest: none parsed
    for column, value in CHANGED.items():
        parsed.clear()
        changed = list(rows)
        changed[17] = target_row(17, **{column: value})
        report = _import(registry, _csv(changed), dry_run=True)
        assert len(parsed) == 1, column  # the changed row, and only it, was parsed
        assert parsed[0] == (value if column == "code" else credit_code(17)), column
        # The row changes something (or is refused, and then nothing is): never unchanged.
        if report.problems:
            assert {p.row for p in report.problems} == {19} and report.unchanged == 0, column
        else:
            assert report.recorded + report.updated == 1, column
            assert report.unchanged == ROWS - 1, column


def test_a_clerk_changes_one_cell_of_a_large_file_and_it_is_recorded(registry, monkeypatch, parsed):
    # Large enough to go through the row helper (``CHECK_AHEAD_ROWS`` lowered for the test)
    # in batches of 50 rows: the first two digested here, the others by the helper.
    monkeypatch.setattr(ledger.registry.checking_ahead, "CHECK_AHEAD_ROWS", 0)
    monkeypatch.setattr(bulk, "BATCH", 50)
    rows = [target_row(n) for n in range(600)]
    assert _import(registry, _csv(rows)).recorded == 600
    assert len(parsed) == 100  # the other 500 rows were parsed by the helper
    before = _events(registry)
    rows[333] = target_row(333, grid="G-33")
    parsed.clear()
    report = _import(registry, _csv(rows))
    assert (report.recorded, report.updated, report.unchanged) == (0, 1, 599)
    # The digests the helper made are those made here: only the changed row was parsed (the
    # re-import digests every batch here, the helper unneeded after its first).
    assert parsed == [credit_code(333)]
    assert _events(registry) == before + 1
    app = registry.app
    assert app.get(target_id("enterprise", credit_code(333)), Target).grid == "G-33"


@pytest.mark.parametrize(
    "saved",
    [
        {"encoding": "gb18030"},
        {"encoding": "utf-8-sig"},
        {"quoting": csv.QUOTE_ALL},
        {"quoting": csv.QUOTE_NONNUMERIC, "lineterminator": "\n"},
        {"encoding": "utf-16", "delimiter": "\t"},
    ],
    ids=["gb18030", "bom", "quoted", "quoted-lf", "utf16-tab"],
)
def test_the_same_cells_saved_another_way_record_nothing(registry, parsed, saved):
    rows = [target_row(n) for n in range(ROWS)]
    _import(registry, _csv(rows))
    before = _events(registry)
    parsed.clear()
    report = _import(registry, _csv(rows, **saved))
    assert (report.recorded, report.updated, report.unchanged) == (0, 0, ROWS)
    assert not report.problems
    assert parsed == []  # the same cells: known by their digest
    assert _events(registry) == before


def test_cells_that_differ_only_in_blanks_or_column_order_are_checked_and_change_nothing(
    registry, parsed
):
    rows = [target_row(n) for n in range(ROWS)]
    _import(registry, _csv(rows))
    before = _events(registry)
    parsed.clear()
    padded = [[f" {cell} " if i == 5 else cell for i, cell in enumerate(r)] for r in rows]
    report = _import(registry, _csv(padded))
    assert len(parsed) == ROWS  # other cells: another digest, every row checked in full
    assert (report.recorded, report.updated, report.unchanged) == (0, 0, ROWS)
    parsed.clear()
    order = list(reversed(range(len(TARGET_HEADERS_EN))))
    swapped = _csv([[r[i] for i in order] for r in rows], [TARGET_HEADERS_EN[i] for i in order])
    report = _import(registry, swapped)
    assert len(parsed) == ROWS  # another layout: another digest
    assert (report.recorded, report.updated, report.unchanged) == (0, 0, ROWS)
    assert _events(registry) == before


def test_a_known_row_naming_an_entry_named_before_is_checked_and_reported(registry, parsed):
    rows = [target_row(n) for n in range(ROWS)]
    _import(registry, _csv(rows))
    before = _events(registry)
    parsed.clear()
    twice = [target_row(3, grid="G-44"), *rows]  # row 2 names entry 3 first
    report = _import(registry, _csv(twice))
    assert {p.row for p in report.problems} == {6}  # the known row 6 (entry 3) is a duplicate
    assert "duplicate of row 2" in report.problems[0].message
    assert sorted(parsed) == sorted([credit_code(3)] * 2)  # both checked in full
    assert report.recorded == report.updated == 0
    assert _events(registry) == before
