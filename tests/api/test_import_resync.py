"""A re-sync (the same registry file again with rows changed: a quarterly re-rating) against the
other paths that change the same targets: an edit that overtakes the import is never overwritten
— the import is refused whole (409, nothing of it recorded) or the edit is, and every target's
chain stays whole; an edit recorded between two imports is read, not hidden by what the first
import kept; and a changed entry's older kept row is forgotten batch by batch, the other
entries' rows left alone."""

from __future__ import annotations

from threading import Thread
from typing import Any

import pytest

from api.importing import import_file
from ledger.errors import Conflict, TamperedEvent
from ledger.registry import bulk, current_entries
from ledger.registry.digests import TABLE
from ledger.registry.service import Registry
from ledger.registry.targets import Target, target_id
from tests.tamper.bundle_edits import with_payload_keeping_signature, with_signature
from tests.tamper.test_store_tampering import _drop_append_only_triggers, _execute

from .test_import_support import TARGET_HEADERS_ZH, bureau, credit_code, csv_bytes, target_row

ROWS = 5


@pytest.fixture
def registry(ledger):
    return bureau(ledger)


def _import(registry, rows):
    data = csv_bytes(TARGET_HEADERS_ZH, rows)
    return import_file(registry, "targets", data, by="clerk-gqc", source="re-rating.csv")


def _target(app, n: int) -> Target:
    return app.get(target_id("enterprise", credit_code(n)), Target)


def _head(app) -> int:
    return int(app.recorder.max_notification_id() or 0)


def _edit(registry, n: int, credit_class: str) -> Any:
    """A clerk's single correction of target n's credit class; its outcome (None or the
    error)."""
    try:
        registry.update_target(
            target_id("enterprise", credit_code(n)),
            {"credit_class": credit_class},
            "信用平台更正",
            "web",
            "clerk-gqc",
        )
    except Exception as e:  # noqa: BLE001 - the outcome is what the test judges
        return e
    return None


def _history(app, n: int) -> list[dict[str, Any]]:
    """Target n's events, each checked (signature, chain) by the ledger's reader, in order."""
    uid = target_id("enterprise", credit_code(n))
    events = [app.mapper.check(s) for s in app.recorder.select_events(uid)]
    assert [e.version for e in events] == list(range(1, len(events) + 1))
    return [e.envelope["payload"] for e in events]


def test_a_resync_overtaken_by_a_single_edit_is_409_recording_nothing_and_the_edit_stands(
    registry, monkeypatch
):
    app = registry.app
    _import(registry, [target_row(n) for n in range(ROWS)])  # credit class B
    outcome: list[Any] = []
    authorised = bulk.authorised

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        # The import has read its rows' targets; before it records anything, a clerk corrects
        # one of them from another connection.
        if not outcome:
            other = Thread(target=lambda: outcome.append(_edit(registry, 2, "D")))
            other.start()
            other.join(timeout=120)
        return authorised(*args, **kwargs)

    monkeypatch.setattr(bulk, "authorised", meanwhile)
    before = _head(app)
    with pytest.raises(Conflict, match="another command recorded some of the same targets"):
        _import(registry, [target_row(n, credit_class="A") for n in range(ROWS)])
    assert outcome == [None]  # the edit was recorded
    assert _head(app) == before + 1  # the edit only: nothing of the import
    assert (_target(app, 2).credit_class, _target(app, 2).version) == ("D", 2)
    assert {_target(app, n).credit_class for n in (0, 1, 3, 4)} == {"B"}

    monkeypatch.undo()  # the file again: recorded on top of the edit, which it reports changing
    again = _import(registry, [target_row(n, credit_class="A") for n in range(ROWS)])
    assert again.updated == ROWS
    assert [(c.before, c.after) for c in again.changes if c.code == credit_code(2)] == [("D", "A")]
    payloads = _history(app, 2)
    assert [p.get("changes") for p in payloads[1:]] == [{"credit_class": "D"},
                                                         {"credit_class": "A"}]  # fmt: skip


# PostgreSQL, where commands write from many connections at once; the embedded SQLite store
# has one writer connection, which a command waits for (its pool's timeout) while an import
# holds it.
@pytest.mark.parametrize("store_kind", ["postgres"])
def test_an_edit_sent_between_two_batches_of_a_resync_is_serialised_after_it(registry, monkeypatch):
    app = registry.app
    _import(registry, [target_row(n) for n in range(ROWS)])
    monkeypatch.setattr(bulk, "BATCH", 2)  # three batches: 0-1, 2-3, 4
    reads = 0
    outcome: list[Any] = []
    threads: list[Thread] = []
    current_records = current_entries.current_records

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        # Before the import reads its last batch's target (its first batch is saved in its
        # held transaction by then), a clerk corrects that target from another connection.
        nonlocal reads
        reads += 1
        if reads == 3:
            threads.append(Thread(target=lambda: outcome.append(_edit(registry, 4, "D"))))
            threads[0].start()
        return current_records(*args, **kwargs)

    monkeypatch.setattr(current_entries, "current_records", meanwhile)
    before = _head(app)
    report = _import(registry, [target_row(n, credit_class="A") for n in range(ROWS)])
    threads[0].join(timeout=120)
    assert report.updated == ROWS and reads == 3
    # The edit waited for the import's transaction: it read target 4 as it stood before the
    # import, so its save found version 2 taken (409); or, had it read after the import, it
    # is recorded on top. Never lost, never overwriting, every chain whole.
    (edit,) = outcome
    assert edit is None or isinstance(edit, Conflict), repr(edit)
    assert _head(app) == before + ROWS + (edit is None)
    expected = [{"credit_class": "A"}] + ([{"credit_class": "D"}] if edit is None else [])
    assert [p.get("changes") for p in _history(app, 4)[1:]] == expected
    for n in range(ROWS - 1):
        assert [p.get("changes") for p in _history(app, n)[1:]] == [{"credit_class": "A"}]


def test_an_edit_between_two_resyncs_is_read_not_hidden_by_what_the_first_kept(registry):
    app = registry.app
    _import(registry, [target_row(n) for n in range(ROWS)])
    rerated = [target_row(n, credit_class="A") for n in range(ROWS)]
    assert _import(registry, rerated).updated == ROWS
    assert _edit(registry, 3, "C") is None  # another path changes target 3 afterwards
    # The same re-rating again: target 3's kept row no longer stands for its last record, so
    # the row is read against the edit and records the change back; the others are unchanged.
    again = _import(registry, rerated)
    assert (again.updated, again.unchanged) == (1, ROWS - 1)
    assert [(c.code, c.before, c.after) for c in again.changes] == [(credit_code(3), "C", "A")]
    assert [p.get("changes") for p in _history(app, 3)[1:]] == [
        {"credit_class": "A"}, {"credit_class": "C"}, {"credit_class": "A"}]  # fmt: skip


def _kept(app) -> dict[str, list[int]]:
    """The versions kept for each entry."""
    with app.recorder.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT aggregate, version FROM {TABLE}")
        kept: dict[str, list[int]] = {}
        for r in c.fetchall():
            kept.setdefault(str(r["aggregate"]).replace("-", ""), []).append(int(r["version"]))
    return {k: sorted(v) for k, v in kept.items()}


def test_each_batch_forgets_its_changed_entries_older_kept_rows(registry, monkeypatch):
    app = registry.app
    _import(registry, [target_row(n) for n in range(ROWS)])
    monkeypatch.setattr(bulk, "BATCH", 2)
    # Rounds of re-rating, each changing every row but the last: one kept row per entry, at
    # its latest version, whichever batch changed it.
    others = {k: v for k, v in _kept(app).items() if k not in _ids()}  # the bureau's items
    for round_, grade in enumerate("ACD", start=2):
        rows = [target_row(n, credit_class=grade) for n in range(ROWS - 1)]
        report = _import(registry, rows + [target_row(ROWS - 1)])
        assert (report.updated, report.unchanged) == (ROWS - 1, 1)
        kept = _kept(app)
        assert {k: kept[k] for k in _ids()} == {
            **{uid: [round_] for uid in _ids()[:-1]}, _ids()[-1]: [1]}  # fmt: skip
        assert {k: v for k, v in kept.items() if k not in _ids()} == others


def _ids() -> list[str]:
    return [target_id("enterprise", credit_code(n)).hex for n in range(ROWS)]


# -- a target's history edited in the database: the re-sync checks it whole --------------------


def _rerated_twice(registry) -> None:
    """Targets 0-4 registered (credit class B), then re-rated (A): two events each."""
    _import(registry, [target_row(n) for n in range(ROWS)])
    assert _import(registry, [target_row(n, credit_class="A") for n in range(ROWS)]).updated == ROWS


def _tamper(app, n: int, version: int, edit: Any) -> None:
    """An intruder with a SQL console replaces (``edit(record)``: new bytes) or, with
    ``edit`` None, deletes target n's record of ``version``."""
    stored = app.recorder.select_events(target_id("enterprise", credit_code(n)))[version - 1]
    _drop_append_only_triggers(app)
    if edit is None:
        _execute(app, f"DELETE FROM {app.events_table} WHERE state = ?", (stored.state,))
    else:
        table = app.events_table
        _execute(
            app, f"UPDATE {table} SET state = ? WHERE state = ?", (edit(stored.state), stored.state)
        )


def _forged(record: bytes) -> bytes:
    return with_payload_keeping_signature(record, source="伪造")


@pytest.mark.parametrize(
    ("version", "edit", "found"),
    [
        (1, _forged, "prev is"),  # an earlier envelope: the chain breaks at the next version
        (2, _forged, "signature"),  # the last envelope: its signature
        (1, None, "expected version 1"),  # an earlier version deleted
    ],
    ids=["earlier-envelope-edited", "last-envelope-edited", "earlier-version-deleted"],
)
def test_a_targets_history_edited_in_the_database_refuses_the_resync_that_reads_it(
    registry, new_ledger, version, edit, found
):
    _rerated_twice(registry)
    _tamper(registry.app, 2, version, edit)
    restarted = new_ledger()  # nothing read before is trusted
    size = _head(restarted)
    with pytest.raises(TamperedEvent, match=found):
        _import(Registry(restarted), [target_row(n, credit_class="C") for n in range(ROWS)])
    assert _head(restarted) == size


def test_an_earlier_records_signature_replaced_changes_nothing_the_resync_reads(
    registry, new_ledger
):
    # The re-sync checks one signature per target (its last record's), which covers every
    # earlier envelope through the chain: a replaced signature on an earlier record leaves its
    # envelope — what the fold reads — as signed, so the re-sync records the right change on
    # top of it; a read that checks every record (and the offline verifier) refuses the record.
    _rerated_twice(registry)
    _tamper(registry.app, 2, 1, lambda record: with_signature(record, bytes(64)))
    restarted = new_ledger()
    report = _import(Registry(restarted), [target_row(n, credit_class="C") for n in range(ROWS)])
    assert report.updated == ROWS
    assert [(c.before, c.after) for c in report.changes if c.code == credit_code(2)] == [
        ("A", "C")]  # fmt: skip
    with pytest.raises(TamperedEvent, match="signature"):
        new_ledger().get(target_id("enterprise", credit_code(2)), Target)
