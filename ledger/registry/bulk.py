"""The bulk-import engine: check every row in full, then authority, then record it all at once.

Rows come numbered (a file's own row numbers, or 1, 2, … for a list), and every problem is
reported under its row's number (``reports.py``). Nothing is recorded while any row is bad
unless the caller skips the bad rows. The entries the rows name that exist already are read
(existence a batch at a time, in one query each); the importing official needs authority over
each row's division and each existing entry's current owner, or the whole file is refused
(Forbidden, one refusal naming the rows). Then new entries are registered, changed ones
corrected and unchanged ones counted (re-importing the same content records nothing new), and
everything is saved in one transaction: an import is recorded whole or not at all.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, cast
from uuid import UUID

from ..application import LedgerApp
from ..errors import Conflict, Forbidden
from ..fields import FieldProblem, InvalidFields
from ..mapper import SigningMapper
from ..storage import for_driver, is_postgres
from .authority import authorise, official_of
from .divisions import division_id
from .items import item_id
from .personal_data import Held, PersonalData
from .reports import ImportReport, RowProblem
from .targets import Target, target_id

BATCH = 1000
# Imports of at least this many rows sign in a helper process (ledger/signing.py), which takes
# about half a second to start: worth it for a large file, not for a form or a small sheet.
SIGN_AHEAD_ROWS = 10_000

Numbered = Iterable[tuple[int, dict[str, Any]]]
# A good row: its number, the row as given, its checked spec and the actor recording it.
Checked = tuple[int, dict[str, Any], dict[str, Any], dict[str, Any]]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a bulk import.

    An import keeps every checked row until the last one is recorded; each full collection
    walks all of them, which made a 100,000-row import about 30 % slower. What an import
    allocates holds no reference cycles, and the collector runs again afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def exists(app: LedgerApp, aggregate_id: UUID) -> bool:
    return bool(app.recorder.select_events(aggregate_id, limit=1))


def existing(app: LedgerApp, ids: list[UUID]) -> set[UUID]:
    """Which of these aggregates have events, in one query."""
    if not ids:
        return set()
    pg = is_postgres(app.recorder)
    marks = for_driver(", ".join(["?"] * len(ids)), pg)
    params = list(ids) if pg else [i.hex for i in ids]
    datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
    with datastore.transaction(commit=False) as c:
        c.execute(
            f"SELECT DISTINCT originator_id FROM {app.events_table} "
            f"WHERE originator_id IN ({marks})",
            params,
        )
        return {UUID(str(r["originator_id"])) for r in c.fetchall()}


def checked_rows(
    rows: Numbered,
    check: Callable[[int, dict[str, Any]], dict[str, Any]],
    report: ImportReport,
) -> list[Checked]:
    """Check every row's fields (``check(number, row)``: fields, known codes); problems go to
    the report under the row's number. Returns the good rows, their actor still to be found
    (``authorised``)."""
    valid: list[Checked] = []
    for number, row in rows:
        report.total += 1
        try:
            spec = check(number, row)
        except InvalidFields as e:
            report.problems += [
                RowProblem(number, p.field, p.field, p.value, p.message) for p in e.problems
            ]
            continue
        valid.append((number, row, spec, {}))
    return valid


def proceed(report: ImportReport, skip_invalid: bool) -> bool:
    """Whether to record the good rows: only if no row is bad, or the bad ones are skipped."""
    if report.problems and not skip_invalid:
        return False
    report.skipped = report.bad_rows
    return True


def current_records(app: LedgerApp, ids: list[UUID], cls: type[Any]) -> dict[UUID, Any]:
    """The entries these ids name that exist already, as they stand (existence a batch at a
    time, in one query each)."""
    records: dict[UUID, Any] = {}
    for start in range(0, len(ids), BATCH):
        for uid in existing(app, ids[start : start + BATCH]):
            records[uid] = app.get(uid, cls)
    return records


def authorised(
    app: LedgerApp,
    by: str | None,
    action: str,
    valid: list[Checked],
    ids: list[UUID],
    records: dict[UUID, Any],
    kind: str,
) -> list[Checked]:
    """The rows with the actor that records each: ``by`` needs authority over the row's
    division and, for a row that changes an existing entry, over the entry's current owner too
    (a row naming another division moves the entry: an act over both, ``authority_rules
    .moving``). Any row beyond that refuses the whole file: Forbidden naming the rows, the rule
    and the entries' owners; nothing is recorded."""
    official = official_of(app, by)
    decided: dict[tuple[str | None, str], dict[str, Any] | str] = {}
    refused: dict[str, list[str]] = {}  # message -> the rows it refuses
    rows = []
    for (number, row, spec, _), uid in zip(valid, ids, strict=True):
        record = records.get(uid)
        owner = None if record is None else record.division
        key = (owner, spec["division"])
        actor = decided.get(key)
        if actor is None:
            try:
                if owner is None:
                    actor = authorise(official, action, spec["division"]).to_json()
                else:
                    actor = authorise(official, action, owner, to=spec["division"]).to_json()
            except Forbidden as e:
                actor = str(e)
            decided[key] = actor
        if isinstance(actor, str):
            refused.setdefault(actor, []).append(f"{number} ({spec['code']})")
            continue
        rows.append((number, row, spec, actor))
    if refused:
        reasons = "; ".join(
            f"row{'s' if len(numbers) > 1 else ''} {_some(numbers)}: {message}"
            for message, numbers in refused.items()
        )
        raise Forbidden(f"the {kind} file is refused and nothing of it was recorded: {reasons}")
    return rows


def _some(numbers: list[str], shown: int = 10) -> str:
    more = len(numbers) - shown
    return ", ".join(numbers[:shown]) + (f" and {more} more" if more > 0 else "")


def refuse_existing(records: dict[UUID, Any], kind: str) -> None:
    """A registration (not an import) of an entry that exists is a conflict, never a
    correction: the caller sends a correction to change it."""
    for record in records.values():
        raise Conflict(
            f"{kind} {record.code} is registered already; send a correction to change it"
        )


def save_all(app: LedgerApp, pending: list[Any], kind: str) -> None:
    """Record an import's events in one transaction: all of them, or (when another command
    recorded one of the same entries meanwhile) none, with a 409 saying so."""
    if not pending:
        return
    try:
        app.save(*pending)
    except Conflict:
        raise Conflict(
            f"another command recorded some of the same {kind} at the same time; nothing of "
            "this import was recorded: import the file again"
        ) from None


def record_rows(
    app: LedgerApp,
    valid: list[Checked],
    ids: list[UUID],
    records: dict[UUID, Any],
    register: Callable[..., Any],
    change: Callable[..., None],
    report: ImportReport,
) -> None:
    """Register new entries, correct changed ones ("import"), count unchanged ones; one save."""
    pending = []
    for (_, _, spec, actor), uid in zip(valid, ids, strict=True):
        record = records.get(uid)
        if record is None:
            pending.append(register(spec, actor))
            report.recorded += 1
            continue
        changes = record.changes_to(spec)
        if changes:
            change(record, changes, "import", actor)
            pending.append(record)
            report.updated += 1
        else:
            report.unchanged += 1
    save_all(app, pending, report.kind)


def target_ids(people: PersonalData, valid: list[Checked]) -> list[UUID]:
    """The aggregate id of each checked target row; an individual's code becomes its
    pseudonymous reference first (personal data never goes into an event)."""
    ids = []
    for _, row, spec, _ in valid:
        if spec["kind"] == "individual":
            spec["code"] = people.reference(str(row.get("code")))
        ids.append(target_id(spec["kind"], spec["code"]))
    return ids


def record_targets(
    app: LedgerApp,
    people: PersonalData,
    valid: list[Checked],
    ids: list[UUID],
    records: dict[UUID, Target],
    source: str,
    report: ImportReport,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Record checked target rows in one transaction (``save_all``), with the signing helper
    for a large import. An individual's personal data goes to the erasable table, never into
    the event, and only once the events are saved (``PersonalData.store``): a failed save
    leaves none behind."""
    mapper = cast(SigningMapper, app.mapper)
    helper = mapper.signing_ahead() if len(valid) >= SIGN_AHEAD_ROWS else nullcontext(False)
    with helper as ahead:
        # Batch k is signed by the helper process while this thread builds batch k + 1;
        # without the helper, the save signs inline.
        pending: list[Target] = []
        held: list[Held] = []  # personal data rows, stored once the events are saved
        for start in range(0, len(valid), BATCH):
            batch: list[Target] = []
            for (_, row, spec, actor), tid in zip(
                valid[start : start + BATCH], ids[start : start + BATCH], strict=True
            ):
                batch += _target_change(
                    people, row, spec, actor, records.get(tid), source, report, held
                )
            if ahead:
                mapper.sign_ahead([e for t in batch for e in t.pending_events])
            pending += batch
            if progress and start:
                progress(start, len(valid))
        save_all(app, pending, "targets")
    people.store(held)
    if progress:
        progress(len(valid), len(valid))


def _target_change(
    people: PersonalData,
    row: dict[str, Any],
    spec: dict[str, Any],
    actor: dict[str, Any],
    record: Target | None,
    source: str,
    report: ImportReport,
    held: list[Held],
) -> list[Target]:
    if record is None:
        kept = None
        if spec["kind"] == "individual":
            person = {"identity": str(row.get("code")), "name": row.get("name")}
            kept, kept_row = people.commit(spec["code"], person)
            held.append(kept_row)
        report.recorded += 1
        return [
            Target.register(spec, source, actor, kept, tid=target_id(spec["kind"], spec["code"]))
        ]
    # A column the file leaves out keeps its value; a blank cell empties it.
    changes = {
        name: value
        for name, value in record.changes_to(spec).items()
        if name in row or (name == "permit" and any(k.startswith("permit_") for k in row))
    }
    if not changes:
        report.unchanged += 1
        return []
    record.update(changes, f"import from {source}", source, actor)
    report.updated += 1
    return [record]


class KnownCodes:
    """Caches which division and item codes exist, for checking many rows quickly."""

    def __init__(self, app: LedgerApp) -> None:
        self._app = app
        self._divisions: dict[str, bool] = {}
        self._items: dict[str, bool] = {}

    def division(self, code: str | None) -> bool:
        if code is None:
            return True
        if code not in self._divisions:
            self._divisions[code] = exists(self._app, division_id(code))
        return self._divisions[code]

    def item(self, code: str) -> bool:
        if code not in self._items:
            self._items[code] = exists(self._app, item_id(code))
        return self._items[code]

    def check_target(self, spec: dict[str, Any]) -> list[FieldProblem]:
        problems = []
        if not self.division(spec["division"]):
            problems.append(FieldProblem("division", spec["division"], "no such division"))
        for item in spec["items"]:
            if not self.item(item):
                problems.append(FieldProblem("items", item, f"no inspection item {item!r}"))
        return problems

    def check_inspector(self, spec: dict[str, Any]) -> list[FieldProblem]:
        problems = [
            FieldProblem(name, spec[name], f"no division or unit with code {spec[name]!r}")
            for name in ("division", "unit")
            if not self.division(spec[name])
        ]
        for item in spec["qualifications"]:
            if not self.item(item):
                problems.append(
                    FieldProblem("qualifications", item, f"no inspection item {item!r}")
                )
        return problems

    def check_item(self, spec: dict[str, Any]) -> list[FieldProblem]:
        return [
            FieldProblem(name, code, f"no division or unit with code {code!r}")
            for name, codes in (
                ("division", [spec["division"]]),
                ("executing_units", spec["executing_units"]),
            )
            for code in codes
            if not self.division(code)
        ]


__all__ = [
    "BATCH",
    "SIGN_AHEAD_ROWS",
    "KnownCodes",
    "Numbered",
    "authorised",
    "checked_rows",
    "current_records",
    "collector_paused",
    "existing",
    "exists",
    "proceed",
    "record_rows",
    "record_targets",
    "refuse_existing",
    "save_all",
    "target_ids",
]
