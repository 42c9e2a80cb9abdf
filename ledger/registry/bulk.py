"""The bulk-import engine: check every row in full, then record in batches.

Rows come numbered (a file's own row numbers, or 1, 2, … for a list), and every problem is
reported under its row's number (``reports.py``). Nothing is recorded while any row is bad
unless the caller skips the bad rows. Recording looks up which entries exist a batch at a time
in one query, registers the new ones, corrects the changed ones and counts the unchanged ones,
so that re-importing the same content records nothing new.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, cast
from uuid import UUID

from ..application import LedgerApp
from ..errors import Forbidden
from ..fields import FieldProblem, InvalidFields
from ..mapper import SigningMapper
from ..storage import for_driver, is_postgres
from .authority import authorise, official_of
from .divisions import division_id
from .items import item_id
from .personal_data import PersonalData
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
    app: LedgerApp,
    rows: Numbered,
    by: str | None,
    action: str,
    check: Callable[[int, dict[str, Any]], dict[str, Any]],
    report: ImportReport,
) -> list[Checked]:
    """Check every row (``check(number, row)``: fields, known codes; then authority);
    problems go to the report under the row's number. Returns the good rows."""
    official = official_of(app, by)
    valid = []
    for number, row in rows:
        report.total += 1
        try:
            spec = check(number, row)
            actor = authorise(official, action, spec["division"]).to_json()
        except InvalidFields as e:
            report.problems += [
                RowProblem(number, p.field, p.field, p.value, p.message) for p in e.problems
            ]
            continue
        except Forbidden as e:
            report.problems.append(
                RowProblem(number, "division", "division", row.get("division"), str(e))
            )
            continue
        valid.append((number, row, spec, actor))
    return valid


def proceed(report: ImportReport, skip_invalid: bool) -> bool:
    """Whether to record the good rows: only if no row is bad, or the bad ones are skipped."""
    if report.problems and not skip_invalid:
        return False
    report.skipped = report.bad_rows
    return True


def record_rows(
    app: LedgerApp,
    valid: list[Checked],
    make_id: Callable[[str], UUID],
    cls: type[Any],
    register: Callable[..., Any],
    change: Callable[..., None],
    report: ImportReport,
) -> None:
    """Register new entries, correct changed ones ("import"), count unchanged ones; one save."""
    pending = []
    for _, _, spec, actor in valid:
        uid = make_id(spec["code"])
        if not exists(app, uid):
            pending.append(register(spec, actor))
            report.recorded += 1
            continue
        record = app.get(uid, cls)
        changes = record.changes_to(spec)
        if changes:
            change(record, changes, "import", actor)
            pending.append(record)
            report.updated += 1
        else:
            report.unchanged += 1
    if pending:
        app.save(*pending)


def record_targets(
    app: LedgerApp,
    people: PersonalData,
    valid: list[Checked],
    source: str,
    report: ImportReport,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Record checked target rows in batches of ``BATCH``, with the signing helper for a large
    import. An individual's personal data goes to the erasable table, never into the event."""
    checked = []
    for _, row, spec, actor in valid:
        person = None
        if spec["kind"] == "individual":
            person = {"identity": str(row.get("code")), "name": row.get("name")}
            spec["code"] = people.reference(str(spec["code"]))
        checked.append((spec, {"actor": actor, "person": person, "given": set(row)}))
    mapper = cast(SigningMapper, app.mapper)
    helper = mapper.signing_ahead() if len(checked) >= SIGN_AHEAD_ROWS else nullcontext(False)
    with helper as ahead:
        # Batch k is signed by the helper process while this thread builds batch k + 1
        # and then stores batch k (signing.py); without the helper, each save signs inline.
        previous: list[Target] = []
        for start in range(0, len(checked) + BATCH, BATCH):
            chunk = checked[start : start + BATCH]
            pending: list[Target] = []
            if chunk:
                ids = [target_id(s["kind"], s["code"]) for s, _ in chunk]
                known = existing(app, ids)
                for tid, (spec, extra) in zip(ids, chunk, strict=True):
                    pending += _target_change(app, people, tid, spec, extra, source, report, known)
                if ahead:
                    mapper.sign_ahead([e for t in pending for e in t.pending_events])
            if previous:
                app.save(*previous)
            if progress and start:
                progress(min(start, len(checked)), len(checked))
            previous = pending
    if progress:
        progress(len(checked), len(checked))


def _target_change(
    app: LedgerApp,
    people: PersonalData,
    tid: UUID,
    spec: dict[str, Any],
    extra: dict[str, Any],
    source: str,
    report: ImportReport,
    known: set[UUID],
) -> list[Target]:
    person = extra["person"]
    if tid not in known:
        kept = None
        if person is not None:
            kept = people.keep(spec["code"], person)
        report.recorded += 1
        return [Target.register(spec, source, extra["actor"], kept, tid=tid)]
    record: Target = app.get(tid, Target)
    # A column the file leaves out keeps its value; a blank cell empties it.
    given = extra["given"]
    changes = {
        name: value
        for name, value in record.changes_to(spec).items()
        if name in given or (name == "permit" and any(k.startswith("permit_") for k in given))
    }
    if not changes:
        report.unchanged += 1
        return []
    record.update(changes, f"import from {source}", source, extra["actor"])
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
    "checked_rows",
    "collector_paused",
    "existing",
    "exists",
    "proceed",
    "record_rows",
    "record_targets",
]
