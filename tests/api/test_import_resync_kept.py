"""A re-sync reads each changed entry from its kept state (``ledger/registry/entry_states.py``)
and the records after it, not its whole history: the fold it gives equals the full, checked fold
over many rounds of corrections, status changes and erasures, and the re-sync records and
reports exactly what it would without kept states; a kept state edited, copied from another
entry, put back from an older version, sealed with another key or deleted is ignored (the
entry read whole and checked) or harmless, and a record of the log edited or deleted under a
kept state is still refused (TamperedEvent) — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import replace
from typing import Any

import pytest

from api.importing import import_file
from ledger.errors import TamperedEvent
from ledger.registry import current_entries
from ledger.registry.entry_states import TABLE, EntryStates, decode
from ledger.registry.service import Registry
from ledger.registry.targets import Target, target_id
from tests.tamper.test_store_tampering import _execute
from verify.keys import SignerKey

from .test_import_resync import _forged, _tamper
from .test_import_support import TARGET_HEADERS_ZH, bureau, csv_bytes, target_row
from .test_import_support import credit_code as company_code

COMPANIES = 5
PEOPLE = 2
GRADES = "ABCD"


@pytest.fixture
def registry(ledger):
    registry = bureau(ledger)
    registry.register_official(
        {"code": "fzc-legal", "name": "法制处", "division": "szc", "roles": ["legal_office"]},
        by="admin-bgs",
    )
    return registry


def _id_number(n: int) -> str:
    """A resident ID number (GB 11643) with its check character."""
    first17 = f"32048119900101{n:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def _row(n: int, grade: str) -> list[str]:
    if n < COMPANIES:
        return target_row(n, credit_class=grade)
    return target_row(n, kind="个人", code=_id_number(n), credit_class=grade, address="")


def _uid(registry: Registry, n: int) -> Any:
    if n < COMPANIES:
        return target_id("enterprise", company_code(n))
    return target_id("individual", registry.people.reference(_id_number(n)))


def _import(registry: Registry, rows: list[list[str]], dry_run: bool = False) -> Any:
    data = csv_bytes(TARGET_HEADERS_ZH, rows)
    return import_file(
        registry, "targets", data, by="clerk-gqc", source="re-rating.csv", dry_run=dry_run
    )


def _full(app: Any, uid: Any) -> Target:
    """The entry read by the application's reader, which checks every record's signature."""
    return app.get(uid, Target)


def _same_state(a: Any, b: Any) -> bool:
    return type(a) is type(b) and vars(a) == vars(b) and a.version == b.version


def _kept(app: Any) -> dict[str, dict[str, Any]]:
    with app.recorder.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT entry, version, leaf_hash, digest, seal, body FROM {TABLE}")
        rows = c.fetchall()
    # sqlite3.Row iterates over its values, a dictionary over its keys: keys() for both
    return {str(r["entry"]).replace("-", ""): {k: r[k] for k in r.keys()} for r in rows}  # noqa: SIM118


def _put(app: Any, uid: Any, row: dict[str, Any]) -> None:
    """An intruder with a SQL console writes ``row`` as the kept state of entry ``uid``."""
    entry = uid if "postgres" in type(app.recorder).__module__ else uid.hex
    _execute(app, f"DELETE FROM {TABLE} WHERE entry = ?", (entry,))
    values = (entry, row["version"], row["leaf_hash"], row["digest"], row["seal"], row["body"])
    _execute(app, f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?)", values)


@pytest.fixture
def without_kept_states(monkeypatch):
    """Within ``with without_kept_states():``, re-syncs neither read nor keep entry states."""
    from contextlib import contextmanager

    @contextmanager
    def off():
        with monkeypatch.context() as m:
            m.setattr(EntryStates, "load", lambda self, uids, cls: {})
            m.setattr(EntryStates, "keep", lambda self, states: None)
            yield

    return off


@pytest.mark.parametrize("seed", [1, 2])
def test_a_resync_from_kept_states_records_and_reports_what_the_full_fold_does(
    registry, without_kept_states, seed
):
    app = registry.app
    rng = random.Random(seed)
    entries = range(COMPANIES + PEOPLE)
    grades = {n: "B" for n in entries}
    assert _import(registry, [_row(n, "B") for n in entries]).recorded == len(entries)
    uids = [_uid(registry, n) for n in entries]
    erased: set[int] = set()
    statuses = 0
    for round_ in range(12):
        # Between re-syncs, other paths change an entry: a single correction, a status
        # change, an individual's erasure (a row of an erased individual is read as ever), in
        # turn, on an entry picked at random.
        n = rng.choice(entries)
        move = round_ % 4
        if move == 0:
            grades[n] = rng.choice([g for g in GRADES if g != grades[n]])
            registry.update_target(uids[n], {"credit_class": grades[n]}, "更正", "web", "clerk-gqc")
        elif move == 1:
            status = rng.choice([s for s in ("closed", "in_business", "moved")
                                 if s != _full(app, uids[n]).status])  # fmt: skip
            registry.change_target_status(uids[n], status, "核查", "web", "clerk-gqc")
            statuses += 1
        elif move == 2 and set(entries[COMPANIES:]) - erased:
            n = rng.choice(sorted(set(entries[COMPANIES:]) - erased))
            registry.erase_personal_data(uids[n], "本人申请删除", "申请书", "fzc-legal")
            erased.add(n)
        changed = {n: rng.choice(GRADES) for n in entries if rng.random() < 0.7}
        rows = [_row(n, changed.get(n, grades[n])) for n in entries]
        # The same file as a dry run read without kept states, then recorded with them.
        with without_kept_states():
            expected = _import(registry, rows, dry_run=True)
        report = _import(registry, rows)
        assert replace(report, dry_run=True) == expected, round_
        moved = [(c.code, c.before, c.after) for c in report.changes]
        assert len(moved) == sum(changed.get(n, grades[n]) != grades[n] for n in entries)
        grades.update(changed)
        # Each entry's fold from its kept state is the full, checked fold.
        full = {uid: _full(app, uid) for uid in uids}
        assert [full[uids[n]].credit_class for n in entries] == [grades[n] for n in entries]
        folded = current_entries._folded(app, uids, Target)
        assert all(_same_state(folded[uid], full[uid]) for uid in uids), round_
    assert erased == set(entries[COMPANIES:]) and statuses == 3
    assert all(_full(app, uids[n]).personal_data_erased for n in erased)
    # Every entry has a kept state by now, and every one passes its checks.
    assert {uid.hex for uid in uids} <= set(_kept(app))
    assert set(EntryStates(app).load(uids, Target)) == set(uids)


def _five_rounds(registry) -> list[Any]:
    """Entries re-rated four times (B, A, C, D, A): five records each, a state kept at v3."""
    uids = [_uid(registry, n) for n in range(COMPANIES + PEOPLE)]
    for grade in "BACDA":
        _import(registry, [_row(n, grade) for n in range(COMPANIES + PEOPLE)])
    return uids


def _resync(registry: Registry, grade: str = "C") -> Any:
    return _import(registry, [_row(n, grade) for n in range(COMPANIES + PEOPLE)])


def _recorded_right(registry: Registry, report: Any, uids: list[Any]) -> None:
    """The re-sync to C read every entry as it truly stood (credit class A, five records) and
    recorded one correction on each."""
    assert report.updated == len(uids)
    assert {(c.before, c.after) for c in report.changes} == {("A", "C")}
    for uid in uids:
        entry = _full(registry.app, uid)
        assert (entry.credit_class, entry.version) == ("C", 6)


def _edited_body(app, uids):
    # The kept state's body names the target otherwise (the seal left as it was): were it
    # trusted, the re-sync would report and record a change of name back to the file's.
    row = _kept(app)[uids[0].hex]
    body = json.loads(bytes(row["body"]))
    assert body["state"]["name"] != "伪造的名称"
    body["state"]["name"] = "伪造的名称"
    _put(app, uids[0], {**row, "body": json.dumps(body, separators=(",", ":")).encode()})


def _other_entrys(app, uids):
    # Entry 1's kept row, seal and all, written as entry 0's.
    _put(app, uids[0], _kept(app)[uids[1].hex])


def _other_key(app, uids):
    # A kept state naming the target otherwise, sealed right in every way but with another
    # key's secret (an operator's own key, or the key before a rotation).
    row = _kept(app)[uids[0].hex]
    entry = decode(bytes(row["body"]), Target)
    entry.name = "伪造的名称"
    stranger = replace_signer(app, SignerKey.generate("drawledger.test/other"))
    forged = EntryStates(stranger)
    _execute(app, f"DELETE FROM {TABLE}", ())
    record = app.recorder.select_events(uids[0])[row["version"] - 1].state
    forged.keep([(entry, record, bytes(row["digest"]))])


def replace_signer(app: Any, key: SignerKey) -> Any:
    """The same application seen with another signing key (only what ``EntryStates`` reads)."""

    class Other:
        recorder = app.recorder
        origin = app.origin
        signer = key
        _entry_states_table = True

    return Other()


def _deleted(app, uids):
    _execute(app, f"DELETE FROM {TABLE}", ())


@pytest.mark.parametrize(
    "attack",
    [_edited_body, _other_entrys, _other_key, _deleted],
    ids=["body-edited", "another-entrys-row", "another-key", "deleted"],
)
def test_a_kept_state_not_the_ledgers_is_ignored_and_the_entry_read_whole(
    registry, new_ledger, caplog, attack
):
    uids = _five_rounds(registry)
    assert _kept(registry.app)[uids[0].hex]["version"] == 3
    attack(registry.app, uids)
    restarted = Registry(new_ledger())  # nothing read before is trusted
    with caplog.at_level(logging.WARNING, logger="ledger.registry.entry_states"):
        report = _resync(restarted)
    _recorded_right(restarted, report, uids)
    ignored = [r.getMessage() for r in caplog.records if "保存的状态不予采用" in r.getMessage()]
    assert ignored == ([] if attack is _deleted else [ignored[0]])
    if attack is not _deleted:
        assert str(uids[0]) in ignored[0]
    # A new, good state is kept for the entry read whole (five records folded).
    assert _kept(restarted.app)[uids[0].hex]["version"] == 5


def test_a_kept_state_put_back_from_an_older_version_only_folds_more(registry, new_ledger):
    uids = [_uid(registry, n) for n in range(COMPANIES + PEOPLE)]
    for grade in "BACD":
        _import(registry, [_row(n, grade) for n in range(COMPANIES + PEOPLE)])
    older = _kept(registry.app)[uids[0].hex]
    assert older["version"] == 3
    for grade in "BDA":  # v5 … v7; a state kept at v6
        _resync(registry, grade)
    assert _kept(registry.app)[uids[0].hex]["version"] == 6
    _put(registry.app, uids[0], older)
    restarted = Registry(new_ledger())
    report = _resync(restarted)
    assert report.updated == len(uids)
    assert {(c.before, c.after) for c in report.changes} == {("A", "C")}
    assert (_full(restarted.app, uids[0]).credit_class, _full(restarted.app, uids[0]).version) == (
        "C",
        8,
    )


@pytest.mark.parametrize(
    ("version", "edit", "found"),
    [
        (3, _forged, "prev is"),  # the kept version's record: its leaf, then the chain at v4
        (5, _forged, "signature"),  # the last record, after the kept one: its signature
        (4, _forged, "prev is"),  # a record between: the chain at v5
        (3, None, "expected version 3"),  # the kept version's record deleted
        (5, None, None),  # the last deleted: the entry stands at v4, read so
    ],
    ids=["kept-edited", "last-edited", "between-edited", "kept-deleted", "last-deleted"],
)
def test_a_record_edited_under_a_kept_state_still_refuses_the_resync(
    registry, new_ledger, version, edit, found
):
    _five_rounds(registry)
    _tamper(registry.app, 0, version, edit)
    restarted = new_ledger()
    size = int(restarted.recorder.max_notification_id() or 0)
    if found is None:  # v5 deleted: the re-sync reads v4 (grade D) and records v5 over it
        report = _resync(Registry(restarted))
        assert [(c.before, c.after) for c in report.changes if c.code == company_code(0)] == [
            ("D", "C")
        ]
        return
    with pytest.raises(TamperedEvent, match=found):
        _resync(Registry(restarted))
    assert int(restarted.recorder.max_notification_id() or 0) == size


def test_a_record_edited_before_the_kept_state_changes_nothing_the_resync_reads(
    registry, new_ledger
):
    # The kept state at v3 was folded from the records as signed: an earlier one edited since
    # changes nothing the comparison reads, and the re-sync records the right change; a full
    # read (and the offline verifier) refuses the edited record.
    uids = _five_rounds(registry)
    _tamper(registry.app, 0, 2, _forged)
    restarted = new_ledger()
    report = _resync(Registry(restarted))
    assert report.updated == len(uids)
    assert {(c.before, c.after) for c in report.changes} == {("A", "C")}
    _recorded_right(Registry(restarted), replace(report, updated=len(uids) - 1), uids[1:])
    with pytest.raises(TamperedEvent, match="v2: signature"):
        restarted.get(uids[0], Target)
    # The correction recorded on entry 0 follows its last record as signed.
    last = [restarted.mapper.check(s) for s in restarted.recorder.select_events(uids[0])[-2:]]
    assert last[1].prev == last[0].digest and last[1].envelope["payload"]["changes"] == {
        "credit_class": "C"
    }


def test_inspectors_resynced_are_read_from_kept_states_as_from_their_whole_history(
    registry, without_kept_states
):
    # Inspectors' rows re-synced round after round (name, qualifications, status), with a
    # conflict declared between rounds (a dictionary in the state): the re-sync from kept
    # states reports what the full fold gives, and the kept fold equals it.
    from ledger.registry.inspectors import Inspector, inspector_id

    from .test_import_registry import INSPECTOR_HEADERS

    app = registry.app

    def rows(round_: int) -> list[list[str]]:
        names = ("赵六", "赵陆", "赵禄", "赵六")
        quals = ("hdjs", "hdjs,hhgl", "hhgl")
        status = ("在岗", "暂停执法")
        return [
            [f"i-00{n}", names[(round_ + n) % 4], f"3204000{n}", "2030-06-30", "szy", "gqc",
             "是", quals[(round_ + n) % 3], status[(round_ // 2 + n) % 2]]
            for n in range(1, 4)
        ]  # fmt: skip

    def resync(round_: int, dry_run: bool = False) -> Any:
        data = csv_bytes(INSPECTOR_HEADERS, rows(round_))
        return import_file(registry, "inspectors", data, by=None, source="roster.csv",
                           dry_run=dry_run)  # fmt: skip

    assert not resync(0).problems
    uids = [inspector_id(f"i-00{n}") for n in range(1, 4)]
    assert _import(registry, [_row(0, "B")]).recorded == 1
    registry.declare_conflict("i-001", _uid(registry, 0), "亲属关系", "clerk-gqc")
    for round_ in range(1, 7):
        with without_kept_states():
            expected = resync(round_, dry_run=True)
        report = resync(round_)
        assert not report.problems and report.updated, round_
        assert report.changes == expected.changes
        folded = current_entries._folded(app, uids, Inspector)
        assert all(_same_state(folded[uid], app.get(uid, Inspector)) for uid in uids), round_
    assert folded[uids[0]].conflicts  # the declared conflict, through the kept state
    assert set(EntryStates(app).load(uids, Inspector)) == set(uids)


def test_an_entry_whose_state_json_would_not_give_back_is_not_kept(registry, caplog):
    # A state holding a tuple (JSON gives a list back) or a set is not kept: a kept state must
    # be the fold's exactly. Nothing is written; the entry is read whole next time.
    app = registry.app
    assert _import(registry, [_row(0, "B")]).recorded == 1
    uid = _uid(registry, 0)
    record = app.recorder.select_events(uid)[-1]
    digest = app.mapper.check(record).digest
    for odd in (("hdjs",), {"hdjs"}):
        entry = _full(app, uid)
        entry.items = odd
        with caplog.at_level(logging.WARNING, logger="ledger.registry.entry_states"):
            EntryStates(app).keep([(entry, record.state, digest)])
        assert uid.hex not in _kept(app)
    assert sum("的状态未能保存" in r.getMessage() for r in caplog.records) == 2
    EntryStates(app).keep([(_full(app, uid), record.state, digest)])  # as folded: kept
    assert set(EntryStates(app).load([uid], Target)) == {uid}


def test_after_a_key_rotation_every_kept_state_is_ignored_once_in_one_line(
    registry, store_env, signer, caplog
):
    # The ledger's key rotated: the kept states' seals were made with the old key's secret.
    # Each is ignored (one warning line for the batch, not one per entry), each entry read
    # whole with the old key's signatures, the right change recorded, new states kept.
    from ledger.application import LedgerApp

    uids = _five_rounds(registry)[:COMPANIES]  # an individual's reference is the key's too
    rotated = LedgerApp(
        store_env,
        SignerKey.generate("drawledger.test/ledger-2027"),
        signer.name,
        verifiers=[signer.verifier],
        embedded_sealing=False,
    )
    try:
        with caplog.at_level(logging.WARNING, logger="ledger.registry.entry_states"):
            report = _import(Registry(rotated), [_row(n, "C") for n in range(COMPANIES)])
        _recorded_right(Registry(rotated), report, uids)
        ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
        assert len(ignored) == 1 and f"and {len(uids) - 1} more" in ignored[0], ignored
        assert "seal does not match" in ignored[0]
        assert set(EntryStates(rotated).load(uids, Target)) == set(uids)
        assert not EntryStates(registry.app).load(uids, Target)  # the old key's: none now
    finally:
        rotated.close()
