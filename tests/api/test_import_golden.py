"""What a target import records is fixed: the same file records the same events, whatever the
import's speed-ups (the row helper, the signing helper, batches, digests kept).

A small fixed file (new entries, clear markers, warnings, a bad row skipped) is imported and
then corrected by a second file, each through ``api.importing.import_file`` with both helpers
forced on and again with both off; the events the two imports recorded, each as its type,
entry, version, actor and payload in the log's order (what an event says: not its time, its
chain link or its signature, which differ from run to run), must hash to the digest taken
from the code before the import's per-row work was reworked (session 12, import7). An
import that drops a field, adds one, orders its rows' events differently or records a change
it did not before fails it. Individuals are left out: their codes are per-ledger references.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
import rfc8785

import ledger.mapper
import ledger.registry.bulk
import ledger.registry.checking_ahead
import ledger.registry.recording
from api.importing import import_file
from ledger.registry.checking_ahead import RowHelper
from ledger.registry.service import Registry
from ledger.signing import BatchEncoder
from verify.uscc import check_character

# The events of ``_imported`` as the code of 61a0fb3 recorded them (helpers on and off alike).
GOLDEN = "dda767b467e99ea126707115fb53fd169945551433ebc65ca019cc1d1a26c7c9"

HEADERS = [
    "统一社会信用代码", "名称", "类型", "法定代表人", "地址", "所属区", "网格", "责任处室",
    "抽查事项", "许可证号", "许可有效期起", "许可有效期至", "信用等级", "风险标记",
]  # fmt: skip


def _code(n: int) -> str:
    first17 = f"91320400MA{n:07d}"
    return first17 + check_character(first17)


def _row(n: int, **cells: str) -> list[str]:
    row = {
        "统一社会信用代码": _code(n),
        "名称": f"常州市第{n}号取水单位",
        "类型": "企业" if n % 3 else "",
        "法定代表人": "王芳" if n % 2 else "",
        "地址": f"江苏省常州市新北区滨河路{n}号" if n % 5 else "",
        "所属区": "新北区",
        "网格": f"G{n % 7}",
        "责任处室": "szc",
        "抽查事项": "qsxk" if n % 3 else "qsxk,hdgl",
        "许可证号": f"取水(常)字[2024]第{n:05d}号",
        "许可有效期起": "2024-03-01" if n % 4 else "",
        "许可有效期至": "2029-02-28",
        "信用等级": "ABCD"[n % 4],
        "风险标记": ["", "投诉举报多", "经营异常名录", "有违法记录、失信主体"][n % 4],
    }
    row.update(cells)
    return [row[h] for h in HEADERS]


def _csv(rows: list[list[str]]) -> bytes:
    lines = [",".join(HEADERS)] + [",".join(f'"{c}"' for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _first() -> bytes:
    rows = [_row(n) for n in range(130)]
    rows[7] = _row(7, 网格="<清空>")  # the clear marker on a new entry
    rows[40] = _row(40, 许可有效期至="2029-13-01")  # a bad row, skipped
    return _csv(rows)


def _second() -> bytes:
    rows = [_row(n) for n in range(130)]
    for n in range(0, 130, 9):
        rows[n] = _row(n, 名称=f"常州市第{n}号取水单位（更名）")
    for n in range(4, 130, 11):
        rows[n] = _row(n, 网格="<清空>", 法定代表人="＜清空＞")
    rows[13] = _row(13, 信用等级="A", 风险标记="")
    return _csv(rows)


@pytest.fixture
def registry(ledger) -> Registry:  # type: ignore[no-untyped-def]
    registry = Registry(ledger)
    registry.add_division({"code": "szc", "name": "水政处", "kind": "aggregator"}, by=None)
    clerk = {"code": "szc-clerk", "name": "办事员", "division": "szc", "roles": ["clerk"]}
    registry.register_official(clerk, by=None)
    for code in ("qsxk", "hdgl"):
        item = {
            "code": code,
            "name": f"事项{code}",
            "law": "《中华人民共和国水法》",
            "article": "第四十八条",
            "division": "szc",
            "object_type": "取水单位和个人",
        }
        registry.register_item(item, by="szc-clerk")
    return registry


def _imported(registry: Registry, monkeypatch: Any, helpers: bool) -> str:
    """Both files imported; the digest of what they recorded, in the log's order."""
    many = 1 if helpers else 10**9
    monkeypatch.setattr(ledger.registry.checking_ahead, "CHECK_AHEAD_ROWS", many)
    monkeypatch.setattr(ledger.registry.checking_ahead, "INLINE_FIRST", 1 if helpers else 2)
    monkeypatch.setattr(ledger.registry.recording, "SIGN_AHEAD_ROWS", many)
    monkeypatch.setattr(ledger.registry.bulk, "BATCH", 40)
    monkeypatch.setattr(ledger.mapper, "SIGN_AHEAD_MIN", 1)
    sent: list[bool] = []  # batches the row helper took
    signed: list[int] = []  # events the signing helper took
    submit, encode = RowHelper.submit, BatchEncoder.submit

    def submitted(self: RowHelper, batch: Any) -> bool:
        sent.append(submit(self, batch))
        return sent[-1]

    def handed(self: BatchEncoder, envelopes: Any) -> Any:
        job = encode(self, envelopes)
        signed.append(0 if job is None else len(envelopes))
        return job

    monkeypatch.setattr(RowHelper, "submit", submitted)
    monkeypatch.setattr(BatchEncoder, "submit", handed)
    app = registry.app
    start = app.recorder.max_notification_id() + 1
    clerk = "szc-clerk"
    first = import_file(registry, "targets", _first(), by=clerk, source="a.csv", skip_invalid=True)
    assert (first.recorded, first.bad_rows) == (129, 1)
    second = import_file(registry, "targets", io.BytesIO(_second()), by=clerk, source="b.csv")
    assert second.updated > 20 and second.recorded == 1 and second.unchanged > 80
    h = hashlib.sha256()
    events = 0
    for _, event in app.records(start=start):
        e = event.envelope
        said = [e["type"], e["aggregate"], e["version"], e["actor"], e["payload"]]
        h.update(rfc8785.dumps(said) + b"\n")
        events += 1
    assert events == 129 + second.updated + 1
    if helpers:  # both helpers did their part of the first file
        assert sent.count(True) >= 2 and sum(signed) >= 100
    else:
        assert not any(sent) and not any(signed)
    return h.hexdigest()


@pytest.mark.parametrize("helpers", [True, False], ids=["helpers", "inline"])
def test_an_import_records_the_events_it_recorded_before(registry, monkeypatch, helpers):
    assert _imported(registry, monkeypatch, helpers) == GOLDEN


def test_the_seal_of_a_kept_row_is_hmac_sha256_under_the_import_digest_key(ledger):
    """Seals kept before the seal was made from the key's padded blocks still match: the same
    HMAC-SHA256 under the same derived key (``digests.ImportDigests._sealed``)."""
    import hmac

    from ledger.registry.digests import ImportDigests

    digests = ImportDigests(ledger)
    said = ("91320400MA0000005X", "enterprise", "gqc", "警告\x1e另一个")
    seal = digests._sealed(b"d" * 32, "ab" * 16, 3, 12345, b"l" * 32, said)
    message = b"d" * 32 + b"ab" * 16 + b":3:12345:" + b"l" * 32 + repr(said).encode("utf-8")
    key = ledger.signer.derive_secret("drawledger/import-digest/v4")
    assert seal == hmac.digest(key, message, "sha256")
    assert seal != hmac.digest(key, message + b"x", "sha256")
