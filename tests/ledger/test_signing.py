"""A large import is signed in a helper process one batch ahead (ledger/signing.py): the stored
bytes are exactly what signing inline gives, and whatever the helper cannot do is done inline."""

from __future__ import annotations

from uuid import uuid4

import pytest

import ledger.mapper
import ledger.registry.bulk
import ledger.registry.recording
from ledger.export import export_bundle
from ledger.registry.service import Registry
from ledger.registry.sheets import Table, import_sheet
from ledger.registry.targets import target_id
from tests.tamper.history import CLERK, TamperNote
from verify.bundle import read_bundle
from verify.checks import verify_bundle
from verify.errors import FormatError
from verify.events import check_signature, decode_record, encode_record
from verify.uscc import check_character


def credit_code(n: int) -> str:
    first17 = f"91320400MA{n:07d}"
    return first17 + check_character(first17)


def rows(count: int) -> list[dict[str, object]]:
    return [
        {
            "code": credit_code(n),
            "name": f"常州市第{n}号取水单位",
            "district": "新北区",
            "division": "szc",
            "items": ["qsxk"],
            "permit_number": f"取水(常)字[2024]第{n:05d}号",
            "permit_valid_until": "2029-02-28",
        }
        for n in range(count)
    ]


def notes(count: int, text: object = None) -> list[TamperNote]:
    return [
        TamperNote._create(
            TamperNote.Created, id=uuid4(), text=text or f"note {n}", actor=CLERK.to_json()
        )
        for n in range(count)
    ]


@pytest.fixture
def registry(ledger) -> Registry:  # type: ignore[no-untyped-def]
    registry = Registry(ledger)
    registry.add_division({"code": "szc", "name": "水政处", "kind": "aggregator"}, by=None)
    item = {
        "code": "qsxk",
        "name": "取水许可监督检查",
        "law": "《中华人民共和国水法》",
        "article": "第四十八条",
        "division": "szc",
        "object_type": "取水单位和个人",
    }
    clerk = {"code": "szc-clerk", "name": "办事员", "division": "szc", "roles": ["clerk"]}
    registry.register_official(clerk, by=None)
    registry.register_item(item, by="szc-clerk")  # the division's own act, not the operator's
    return registry


@pytest.fixture
def inline_encodings(monkeypatch):  # type: ignore[no-untyped-def]
    """Counts the events this process encodes and signs itself (not the helper)."""
    calls: list[str] = []

    def counting(envelope, signer):  # type: ignore[no-untyped-def]
        calls.append(envelope["type"])
        return encode_record(envelope, signer)

    monkeypatch.setattr(ledger.mapper, "encode_record", counting)
    return calls


def test_a_large_import_is_signed_by_the_helper_into_the_same_bytes_as_inline_signing(
    registry, monkeypatch, inline_encodings, tmp_path
):
    monkeypatch.setattr(ledger.registry.recording, "SIGN_AHEAD_ROWS", 1)
    monkeypatch.setattr(ledger.registry.bulk, "BATCH", 200)  # batches of 200, 200 and 50 rows
    app = registry.app

    report = registry.import_targets(rows(450), "szc-clerk", "file")

    assert (report.recorded, report.problems) == (450, [])
    # The two full batches went to the helper; the last one, under its minimum, was inline.
    assert inline_encodings.count("target.registered") == 50
    verifiers = {app.signer.key_id: app.signer.verifier}
    for row in rows(450):
        (stored,) = app.recorder.select_events(target_id("enterprise", str(row["code"])))
        event = decode_record(stored.state)
        check_signature(event, verifiers)
        assert encode_record(event.envelope, app.signer)[0] == stored.state  # Ed25519 is
        # deterministic: signing inline gives these very bytes
    out = tmp_path / "ledger.bundle"
    export_bundle(app, out)
    assert verify_bundle(read_bundle(out), pinned_keys=[str(app.signer.verifier)]).ok


def _table(entries: list[dict[str, object]]) -> Table:
    """The rows as a file's table, which knows how many rows it holds (a sheet of it gives
    that as its length hint)."""
    headers = list(entries[0])
    cells = [
        [",".join(v) if isinstance(v, list) else v for v in entry.values()] for entry in entries
    ]
    numbered = iter(list(enumerate(cells, start=2)))
    return Table(headers, numbered, len(entries))


def test_a_file_expected_to_be_large_is_signed_by_the_helper_from_its_first_batch(
    registry, monkeypatch, inline_encodings
):
    monkeypatch.setattr(ledger.registry.recording, "SIGN_AHEAD_ROWS", 300)
    monkeypatch.setattr(ledger.registry.bulk, "BATCH", 200)  # batches of 200, 200 and 50 rows

    report = import_sheet(registry, "targets", _table(rows(450)), by="szc-clerk", source="f")

    assert (report.recorded, report.problems) == (450, [])
    # The file says 450 rows: its first batch already went to the helper, and only the last
    # one, under the helper's minimum, was signed inline.
    assert inline_encodings.count("target.registered") == 50
    # Rows given as a list (no estimate of how many) start the helper once 300 are read: the
    # first batch of 200 is signed inline.
    inline_encodings.clear()
    more = [{**row, "code": credit_code(1000 + n)} for n, row in enumerate(rows(450))]
    assert registry.import_targets(more, "szc-clerk", "list").recorded == 450
    assert inline_encodings.count("target.registered") == 250


def test_a_value_the_helper_cannot_encode_is_refused_as_inline_and_nothing_is_recorded(ledger):
    mapper = ledger.mapper
    before = ledger.recorder.max_notification_id()
    batch = notes(250) + notes(1, text=1.5)  # JSON numbers in the ledger are integers

    with mapper.signing_ahead() as ahead:
        assert ahead
        mapper.sign_ahead([e for n in batch for e in n.pending_events])
        with pytest.raises(FormatError, match="float"):
            ledger.save(*batch)

    assert ledger.recorder.max_notification_id() == before


def test_when_the_helper_has_died_a_batch_is_signed_inline(ledger, inline_encodings):
    mapper = ledger.mapper
    first, then = notes(250), notes(250)
    with mapper.signing_ahead():
        mapper.sign_ahead([e for n in first for e in n.pending_events])
        ledger.save(*first)
        mapper._encoder._process.kill()  # the helper is gone
        mapper._encoder._process.wait()
        mapper.sign_ahead([e for n in then for e in n.pending_events])
        ledger.save(*then)

    assert inline_encodings.count("tampernote.created") == 250  # the second batch
    for note in first + then:
        assert ledger.get(note.id, TamperNote).text == note.text
    with mapper.signing_ahead() as ahead:
        assert not ahead  # a helper that failed is not used again: everything is signed inline
