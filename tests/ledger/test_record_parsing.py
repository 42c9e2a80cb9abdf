"""Sealed records are parsed with orjson in a cold read (``ledger/mapper.py``,
``check_sealed_page``): the envelopes must be exactly those the standard library's parser
reads, for every record of a demo ledger and for any JSON the ledger can sign; text orjson
refuses is read by the standard library instead, never refused for it."""

from __future__ import annotations

import json

import orjson
from hypothesis import given, settings

from ledger.demo.bureau import build_demo
from ledger.storage import stored_rows
from verify.events import canonical, decode_record
from verify.merkle import leaf_hash

from ..verify.test_canonical import json_values


def test_every_sealed_record_of_a_demo_ledger_parses_to_the_standard_librarys_envelope(
    ledger, new_ledger
):  # type: ignore[no-untyped-def]
    build_demo(ledger, targets=40, inspectors=10)
    ledger.seal()
    head = ledger.recorder.max_notification_id()
    rows = stored_rows(ledger.recorder, 1, head, head)
    assert len(rows) == head > 100
    fresh = new_ledger()  # nothing vouched for in memory: every record parsed
    read = fresh.checked_sealed_page(rows, [leaf_hash(r.state) for r in rows])
    by_stdlib = [decode_record(r.state).envelope for r in rows]
    assert [e.envelope for e in read] == by_stdlib
    # (the same values, not merely equal ones: an int stays an int, a bool a bool)
    assert [json.dumps(e.envelope) for e in read] == [json.dumps(e) for e in by_stdlib]
    assert any("\u4e00" <= c <= "\u9fff" for c in json.dumps(by_stdlib, ensure_ascii=False))


@settings(max_examples=300, deadline=None)
@given(json_values)  # (hypothesis's texts hold no lone surrogate: what UTF-8 can hold)
def test_orjson_reads_any_canonical_text_as_the_standard_library_does(value):  # type: ignore[no-untyped-def]
    text = canonical({"payload": value})
    assert orjson.loads(text) == json.loads(text)
    assert json.dumps(orjson.loads(text)) == json.dumps(json.loads(text))


def test_text_the_fast_parser_refuses_is_read_by_the_standard_library(ledger):  # type: ignore[no-untyped-def]
    build_demo(ledger, targets=3, inspectors=2)
    record = bytes(next(iter(ledger.notifications())).state)

    def refusing(text: bytes) -> object:
        raise orjson.JSONDecodeError("refused", "", 0)

    assert (
        decode_record(record, form_known_good=True, loads=refusing).envelope
        == decode_record(record).envelope
    )
