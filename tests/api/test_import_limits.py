"""A file's limits are checked while it is read, and the refusal quotes a short prefix only
(issue 14, part 5; docs/IMPORT.md, "Files"): a cell beyond Excel's 32,767 characters, a run of
blank rows that would cost minutes, a workbook part that expands like a zip bomb."""

from __future__ import annotations

import io
import zipfile

import pytest

from api.importing import FileRefused, read_rows, read_table
from ledger.errors import SHOWN
from ledger.registry.sheets import MAX_BLANK_RUN, MAX_CELL

from .test_import_support import (
    TARGET_HEADERS_EN,
    TARGET_HEADERS_ZH,
    csv_bytes,
    target_row,
    xlsx_bytes,
)


def _refused(data: bytes) -> str:
    with pytest.raises(FileRefused) as refused:
        read_rows("targets", data)
    message = str(refused.value)
    assert len(message) < 400 and "x" * (SHOWN + 1) not in message  # a short prefix at most
    return message


def test_a_cell_beyond_excels_limit_refuses_the_file_naming_row_and_column():
    rows = [target_row(1), target_row(2, address="x" * (MAX_CELL + 1))]
    message = _refused(csv_bytes(TARGET_HEADERS_ZH, rows))
    assert "row 3, column E" in message and f"{MAX_CELL:,}" in message


def test_an_xlsx_cell_is_read_as_at_most_excels_limit():
    rows = [target_row(2, address="x" * (MAX_CELL + 100))]
    _, cells = next(read_table(xlsx_bytes(TARGET_HEADERS_ZH, rows)).rows)
    assert len(cells[4]) == MAX_CELL  # openpyxl stops there; the field's own rule refuses it


def test_a_long_run_of_blank_rows_is_refused_not_read_for_minutes():
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1)] + [[""] * 14] * (MAX_BLANK_RUN + 5))
    assert "blank" in _refused(data)
    fewer = csv_bytes(TARGET_HEADERS_ZH, [target_row(1)] + [[""] * 14] * 50 + [target_row(2)])
    assert len(read_rows("targets", fewer)) == 2  # blank rows between entries are skipped


def test_a_workbook_part_expanding_like_a_zip_bomb_is_refused_before_it_is_expanded():
    small = io.BytesIO(xlsx_bytes(TARGET_HEADERS_ZH, [target_row(1)]))
    out = io.BytesIO()
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for part in source.infolist():
            z.writestr(part, source.read(part.filename))
        # one shared string of 40 MiB: a 40 KB file, as the 150 MB cell of the issue was 151 KB
        z.writestr("xl/sharedStrings.xml", b"<sst><si><t>" + b"x" * (40 << 20) + b"</t></si></sst>")
    data = out.getvalue()
    assert len(data) < 200_000
    assert "expands" in _refused(data)


_NO_PERMIT = {"permit_number": "", "permit_valid_from": "", "permit_valid_until": ""}


def _legacy_file(encoding: str) -> bytes:
    rows = [
        target_row(
            n,
            name=name,
            district=district,
            address="",
            risk_flags="",
            kind="enterprise",
            **_NO_PERMIT,
        )
        for n, name, district in [
            (1, "常州市武進區水利工程有限公司", "武進區"),
            (2, "常州市新北區長江供水有限公司", "新北區"),
            (3, "東京都水道局常州事務所", "天寧區"),
        ]
    ]
    text = csv_bytes(TARGET_HEADERS_EN, rows).decode("utf-8-sig")
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["big5", "shift_jis"])
def test_a_big5_or_shift_jis_file_is_refused_unless_declared(encoding):
    data = _legacy_file(encoding)
    data.decode("gb18030")  # it decodes as GB18030 without an error: garbled names
    assert "Big5 or Shift-JIS" in _refused(data)
    _, cells = next(read_table(data, encoding).rows)  # declared: read as it was written
    assert cells[1] == "常州市武進區水利工程有限公司"


def test_gb18030_text_is_still_read_without_a_declaration():  # traditional characters too
    data = _legacy_file("gb18030")
    assert read_rows("targets", data)[0]["name"] == "常州市武進區水利工程有限公司"


def test_an_error_cuts_quoted_values_but_not_the_words_around_an_apostrophe():
    """``bounded`` cuts a long quoted value; an apostrophe (the partner's, the log's) opens no
    quote, so the words between two of them are never taken for a value and cut (they were:
    "the lead division has not …'opened')")."""
    from ledger.errors import SHOWN, bounded

    words = "cannot assign a partner's inspectors: the lead division has not selected the targets"
    said = f"{words} (its draw is at step 'opened'); the log's event"
    assert bounded(said) == said
    long = "x" * (SHOWN + 60)
    assert bounded(f"unknown code '{long}' in the partner's row") == (
        f"unknown code '{'x' * SHOWN}…' in the partner's row"
    )
    assert bounded(f'a name "{long}"') == f'a name "{"x" * SHOWN}…"'
