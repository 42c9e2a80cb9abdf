"""A registry file refused as a whole is refused in words that say why (issue 14, "bad input
that slips through or answers 500"): a malformed .xlsx, an old .xls, an empty file or bytes
that are no text, uploaded by a clerk or given to `drawledger import`, is a 422 (CLI exit 1)
whose detail names what is wrong with the file, never an empty detail, and records nothing.
And a CSV file in Big5 or Shift-JIS, even one row long, is refused unless its encoding is
declared, never recorded as garbled names."""

from __future__ import annotations

import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger

from .test_cli_registry import REQUEST, _registry, data  # noqa: F401
from .test_import_support import bureau, count_events, csv_bytes


def _zip_without_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return out.getvalue()


# (file name, bytes, words the Chinese detail must hold)
UNREADABLE = [
    ("broken.xlsx", b"PK\x03\x04not a zip", "不是可读取的 .xlsx 工作簿"),
    ("other.xlsx", _zip_without_a_workbook(), "不是可读取的 .xlsx 工作簿"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ".xls"),
    ("empty.csv", b"", "文件为空"),
    ("binary.csv", b"\xff\xff\xff\xff", "既不是 UTF-8 也不是 GB18030"),
]


@pytest.fixture
def registry(ledger):
    return bureau(ledger)


@pytest.fixture
def clerk(registry):
    return {"Authorization": f"Bearer {registry.issue_token('clerk-gqc', None)}"}


@pytest.mark.parametrize(("name", "content", "words"), UNREADABLE)
def test_an_unreadable_upload_is_a_422_saying_what_is_wrong_with_the_file(
    registry, clerk, name, content, words
):
    client = TestClient(create_app(registry.app))
    before = count_events(registry.app)
    answer = client.post("/imports/targets", files={"file": (name, content)}, headers=clerk)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert words in detail, detail
    assert count_events(registry.app) == before


@pytest.mark.parametrize(("name", "content", "words"), UNREADABLE)
def test_an_unreadable_file_given_to_the_cli_is_exit_1_saying_what_is_wrong(
    data,  # noqa: F811
    tmp_path,
    capsys,
    name,
    content,
    words,
):
    path = tmp_path / name
    path.write_bytes(content)
    before = count_events(_registry(data).app)
    assert drawledger(["import", "targets", str(path), "--data", data, *REQUEST]) == 1
    err = capsys.readouterr().err
    assert words in err, err
    assert "Traceback" not in err
    assert count_events(_registry(data).app) == before


ONE_ROW = {  # a name and a district as an office in Taiwan or Japan writes them
    "big5": ("臺灣積體電路製造股份有限公司", "新北區"),
    "shift_jis": ("東京電力株式会社ホールディングス", "新北区"),
}


@pytest.mark.parametrize("encoding", sorted(ONE_ROW))
def test_a_one_row_big5_or_shift_jis_file_is_refused_unless_declared(registry, clerk, encoding):
    client = TestClient(create_app(registry.app))
    headers = ["code", "name", "district", "division", "items"]
    name, district = ONE_ROW[encoding]
    row = ["91320411MA1MB3K8XT", name, district, "gqc", "hdjs"]
    content = csv_bytes(headers, [row], encoding=encoding)
    before = count_events(registry.app)
    answer = client.post("/imports/targets", files={"file": ("t.csv", content)}, headers=clerk)
    assert answer.status_code == 422, answer.text
    assert "Big5" in answer.json()["detail"]
    assert count_events(registry.app) == before
