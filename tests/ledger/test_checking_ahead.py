"""A large target file is digested and format-checked one batch ahead in the row helper process
(ledger/registry/checking_ahead.py): the report, what is recorded and what is refused are those
of an import that checks every row itself; whatever the helper cannot do is done inline."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Any

import pytest

import ledger.registry.bulk
import ledger.registry.checking_ahead
import ledger.registry.importer
from ledger.errors import Forbidden
from ledger.registry.checking_ahead import RowHelper
from ledger.registry.service import Registry
from ledger.registry.sheets import Table, import_sheet
from verify.uscc import check_character

HEADERS = [
    "kind", "code", "name", "legal_representative", "district", "grid", "division", "items",
    "permit_number", "permit_valid_from", "permit_valid_until", "credit_class", "risk_flags",
]  # fmt: skip


def credit_code(n: int) -> str:
    first17 = f"91320400MA{n:07d}"
    return first17 + check_character(first17)


def good(n: int, division: str = "szc", **cells: Any) -> list[Any]:
    row = {
        "kind": "",
        "code": credit_code(n),
        "name": f"常州市第{n}号取水单位",
        "legal_representative": "王芳" if n % 2 else "",
        "district": "新北区",
        "grid": f"G{n % 7}",
        "division": division,
        "items": "qsxk" if n % 3 else "qsxk、hdgl",
        "permit_number": f"取水(常)字[2024]第{n:05d}号",
        "permit_valid_from": "2024-03-01" if n % 4 else "",
        "permit_valid_until": "2029-02-28",
        "credit_class": "ABCD"[n % 4],
        "risk_flags": "complaints" if n % 5 == 0 else "",
    }
    row.update(cells)
    return [row[h] for h in HEADERS]


def first_file() -> list[list[Any]]:
    """Good rows, and among them every kind of bad row and a row of each kind of cell."""
    cells = [good(n) for n in range(120)]
    cells[3] = good(3, code=credit_code(3)[:-1] + "0")  # a wrong check character
    cells[10] = good(10, permit_valid_until="2029-13-01")  # not a date
    cells[20] = good(20, division="nope")  # no such division
    cells[33] = good(33, items="qsxk,nosuch")  # no such item
    cells[47] = good(5)  # the entry of row 7 again
    cells[52] = good(52, risk_flags="sometimes")  # not a risk flag
    cells[60] = good(60, kind="individual", code="320402199001011234", name="张三")
    cells[71] = good(71, grid="<清空>")  # the clear marker on a new entry
    cells[88] = good(88, name="名称\x07")  # a control character
    cells[99] = good(99, kind="individual", code="320402199001011234", name="张三")  # again
    return cells


def second_file() -> list[list[Any]]:
    """The first file's entries again: some unchanged, some corrected, some cleared."""
    cells = [good(n) for n in range(120)]
    for n in range(0, 120, 9):
        cells[n] = good(n, name=f"常州市第{n}号取水单位（更名）")
    for n in range(4, 120, 11):
        cells[n] = good(n, grid="<清空>", legal_representative="＜清空＞")
    cells[30] = good(30, division="hdc")  # a move to another division
    cells[60] = good(60, kind="individual", code="320402199001011234", name="张三")
    return cells


def table(cells: list[list[Any]]) -> Table:
    return Table(list(HEADERS), iter(list(enumerate(cells, start=2))), len(cells))


@pytest.fixture
def registry(ledger) -> Registry:  # type: ignore[no-untyped-def]
    registry = Registry(ledger)
    for code, name in (("szc", "水政处"), ("hdc", "河道处")):
        registry.add_division({"code": code, "name": name, "kind": "aggregator"}, by=None)
        clerk = {"code": f"{code}-clerk", "name": "办事员", "division": code, "roles": ["clerk"]}
        registry.register_official(clerk, by=None)
    for code, division in (("qsxk", "szc"), ("hdgl", "szc")):
        item = {
            "code": code,
            "name": f"事项{code}",
            "law": "《中华人民共和国水法》",
            "article": "第四十八条",
            "division": division,
            "object_type": "取水单位和个人",
        }
        registry.register_item(item, by="szc-clerk")
    return registry


@pytest.fixture
def parsed_here(monkeypatch):  # type: ignore[no-untyped-def]
    """Counts the rows whose formats this process checks itself (not the row helper)."""
    calls: list[int] = []
    parse = ledger.registry.importer.parse_target

    def counting(row):  # type: ignore[no-untyped-def]
        calls.append(1)
        return parse(row)

    monkeypatch.setattr(ledger.registry.importer, "parse_target", counting)
    monkeypatch.setattr(ledger.registry.bulk, "BATCH", 50)  # batches of 50, 50 and 20 rows
    return calls


def imported(
    registry: Registry,
    cells: list[list[Any]],
    monkeypatch: Any,
    ahead: bool,
    inline_first: int = 0,
    **options: Any,
) -> dict[str, Any]:
    """The report of importing ``cells`` as a file, with the row helper or without it."""
    rows = 1 if ahead else sys.maxsize
    monkeypatch.setattr(ledger.registry.checking_ahead, "CHECK_AHEAD_ROWS", rows)
    # Every batch to the helper (a large file's first two are checked here: the last test)
    monkeypatch.setattr(ledger.registry.checking_ahead, "INLINE_FIRST", inline_first)
    options.setdefault("by", "szc-clerk")
    report = import_sheet(registry, "targets", table(cells), source="file.csv", **options)
    return asdict(report)


def test_a_file_checked_ahead_gives_the_report_and_records_of_an_import_checking_inline(
    registry, monkeypatch, parsed_here
):
    app = registry.app
    for options in ({}, {"skip_invalid": True, "dry_run": True}):
        parsed_here.clear()
        inline = imported(registry, first_file(), monkeypatch, ahead=False, **options)
        assert len(parsed_here) == 120  # every row's formats checked here
        parsed_here.clear()
        before = app.recorder.max_notification_id()
        ahead = imported(registry, first_file(), monkeypatch, ahead=True, **options)
        assert parsed_here == []  # every row's formats checked by the helper
        assert app.recorder.max_notification_id() == before  # refused or dry: nothing recorded
        assert ahead == inline
    problems = {(p["row"], p["field"]) for p in inline["problems"]}
    assert {(5, "code"), (12, "permit_valid_until"), (22, "division"), (35, "items")} <= problems
    assert {(49, "code"), (54, "risk_flags"), (90, "name"), (101, "code")} <= problems
    assert inline["warnings"]  # GB 11714 warnings of most synthetic codes, in both

    recorded = imported(registry, first_file(), monkeypatch, ahead=True, skip_invalid=True)
    assert recorded == {**inline, "dry_run": False}
    assert recorded["recorded"] == 120 - len({p["row"] for p in inline["problems"]}) == 112

    # Corrections, clear markers, unchanged rows known by their digests, and a move to another
    # division (which the clerk of szc may not make: one 403 for the file, both ways).
    with pytest.raises(Forbidden) as inline_refusal:
        imported(registry, second_file(), monkeypatch, ahead=False)
    with pytest.raises(Forbidden) as ahead_refusal:
        imported(registry, second_file(), monkeypatch, ahead=True)
    assert str(ahead_refusal.value) == str(inline_refusal.value)
    assert "32 (" in str(ahead_refusal.value)
    moved = second_file()
    moved[30] = good(30)
    inline = imported(registry, moved, monkeypatch, ahead=False, dry_run=True)
    ahead = imported(registry, moved, monkeypatch, ahead=True, dry_run=True)
    assert ahead == inline
    assert inline["updated"] > 0 and inline["unchanged"] > 0 and inline["changes"]
    assert {c["field"] for c in inline["changes"]} >= {"name", "grid", "legal_representative"}
    recorded = imported(registry, moved, monkeypatch, ahead=True)
    assert recorded == {**inline, "dry_run": False}

    # The same file again changes nothing, either way.
    before = app.recorder.max_notification_id()
    inline = imported(registry, moved, monkeypatch, ahead=False)
    submit, sent = RowHelper.submit, []

    def counted(self, batch):  # type: ignore[no-untyped-def]
        sent.append(submit(self, batch))
        return sent[-1]

    monkeypatch.setattr(RowHelper, "submit", counted)
    ahead = imported(registry, moved, monkeypatch, ahead=True)
    assert ahead == inline
    assert inline["unchanged"] == inline["total"] == 120
    # Its first batch's rows were all known unchanged: the helper, sent the first two batches
    # (one ahead), got no third, whose digests were made here.
    assert sent == [True, True, False]
    assert app.recorder.max_notification_id() == before


def test_when_the_row_helper_dies_its_rows_are_checked_inline(registry, monkeypatch, parsed_here):
    options = {"skip_invalid": True}
    inline = imported(registry, first_file(), monkeypatch, ahead=False, dry_run=True, **options)
    answer = RowHelper.answer
    answered: list[bool] = []

    def then_dies(self):  # type: ignore[no-untyped-def]
        got = answer(self)
        answered.append(got is not None)
        if len(answered) == 1:
            self._process.kill()  # the helper is gone after its first answer
            self._process.wait()
        return got

    monkeypatch.setattr(RowHelper, "answer", then_dies)
    parsed_here.clear()
    ahead = imported(registry, first_file(), monkeypatch, ahead=True, **options)

    assert answered[0] and not any(answered[1:])
    assert len(parsed_here) == 70  # the second and third batches, checked here
    assert ahead == {**inline, "dry_run": False}
    assert ahead["recorded"] == 112


def test_a_cell_the_helper_cannot_take_is_checked_inline_and_reported(
    registry, monkeypatch, parsed_here
):
    class Text(str):  # not plain data for the helper's messages
        pass

    cells = [good(n) for n in range(60)]
    cells[5][HEADERS.index("code")] = Text(credit_code(5)[:-1] + "0")
    before = registry.app.recorder.max_notification_id()

    report = imported(registry, cells, monkeypatch, ahead=True)

    assert len(parsed_here) == 50  # the first batch, with the odd cell, checked here
    assert [(p["row"], p["field"]) for p in report["problems"]] == [(7, "code")]
    assert report["recorded"] == 0
    assert registry.app.recorder.max_notification_id() == before


def test_an_unchanged_reimport_never_starts_the_helper_and_a_first_import_checks_two_here(
    registry, monkeypatch, parsed_here
):
    """As shipped (``INLINE_FIRST``): the first two batches are checked here, so that a file
    whose first batch is known unchanged never starts the helper (an unchanged re-import pays
    no start) and nobody waits while it starts; the report is the same either way."""
    inline_first = ledger.registry.checking_ahead.INLINE_FIRST
    assert inline_first == 2
    cells = [good(n) for n in range(160)]  # batches of 50, 50, 50 and 10 rows
    cells[120] = good(120, permit_valid_until="2029-13-01")  # a bad row in a sent batch
    inline = imported(registry, cells, monkeypatch, ahead=False, dry_run=True, skip_invalid=True)
    parsed_here.clear()
    submit, sent = RowHelper.submit, []

    def counted(self, batch):  # type: ignore[no-untyped-def]
        sent.append(submit(self, batch))
        return sent[-1]

    monkeypatch.setattr(RowHelper, "submit", counted)
    first = imported(registry, cells, monkeypatch, True, inline_first, skip_invalid=True)
    assert first == {**inline, "dry_run": False} and first["recorded"] == 159
    assert len(parsed_here) == 100  # the first two batches; the helper took the other two
    assert sent == [True, True]

    parsed_here.clear()
    sent.clear()
    before = registry.app.recorder.max_notification_id()
    again = imported(registry, cells, monkeypatch, True, inline_first, skip_invalid=True)
    assert again["unchanged"] == 159 and again["recorded"] == again["updated"] == 0
    assert sent == [False, False]  # known unchanged from the first batch: never sent
    assert registry.app.recorder.max_notification_id() == before
