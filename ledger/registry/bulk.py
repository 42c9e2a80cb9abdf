"""The bulk-import engine: check every row in full, then authority, then record it all at once.

Rows come numbered (a file's own row numbers, or 1, 2, … for a list), and every problem is
reported under its row's number (``reports.py``). Nothing is recorded while any row is bad
unless the caller skips the bad rows. The entries the rows name that exist already are read
(existence a batch at a time, in one query each); the importing official needs authority over
each row's division and each existing entry's current owner, or the whole file is refused
(Forbidden, one refusal naming the rows). A row changes only what its cells give
(``changes.py``), each change listed in the report; then new entries are registered, changed
ones corrected and unchanged ones counted (re-importing the same content records nothing new),
and everything is saved in one transaction: an import is recorded whole or not at all. A dry
run does all of it but the save.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any
from uuid import UUID

from verify.authority_rules import PERMISSIONS
from verify.registry_state import target_key

from ..application import LedgerApp
from ..errors import Conflict, Forbidden
from ..fields import FieldProblem, Fields, InvalidFields
from .authority import authorise, official_of, operator_policy
from .cells import FileBatch
from .changes import (
    changes,
    drawn_targets,
    kept_by_command,
    new_entry_problems,
    rename_problem,
    unmarked,
)
from .checking_ahead import Parse, Prepared
from .digests import ImportDigests, Known
from .divisions import division_id
from .items import item_id
from .reports import ImportReport, RowChange, RowProblem

BATCH = 1000

Numbered = Iterable[tuple[int, dict[str, Any]]]


@dataclass(slots=True)
class Checked:
    """A good row: its number, the row as the parsers read it, the fields its cells give
    (``changes.unmarked``), its checked spec; then its entry's id, the entry as it stands (None
    for a new one), the fields the row changes on it and the actor recording it."""

    number: int
    row: dict[str, Any]
    given: frozenset[str]
    spec: dict[str, Any]
    uid: UUID | None = None
    record: Any = None
    changes: dict[str, Any] = field(default_factory=dict)
    actor: dict[str, Any] = field(default_factory=dict)
    digest: bytes | None = None  # the row's import digest (digests.py); None: never kept
    same: bool = False  # its digest says it changes nothing on the entry: not parsed or read
    warnings: tuple[str, ...] = ()  # what its checks warned of (kept with its digest)


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


def batches(rows: Numbered, size: int | None = None) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """The rows ``size`` (``BATCH``) at a time: an import holds one batch, never the file."""
    size = size or BATCH
    batch: list[tuple[int, dict[str, Any]]] = []
    for numbered in rows:
        batch.append(numbered)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


Claim = Callable[[int, dict[str, Any]], bool]


def checked_rows(
    rows: Iterable[tuple[int, dict[str, Any] | None]],
    check: Callable[..., dict[str, Any]],
    report: ImportReport,
    digests: ImportDigests | None = None,
    kind: str = "",
    claim: Claim | None = None,
    prepared: list[Prepared | None] | None = None,
) -> list[Checked]:
    """Check every row's fields (``check(number, row)``: formats and known codes, all of a
    row's problems at once, ``parsed``); problems go to the report under the row's number. A
    clear marker is read as an empty cell that the row gives (``changes.unmarked``).

    With ``digests``, each row's cells are hashed first and the batch's digests looked up
    (``digests.py``): a row known to change nothing on its entry is not parsed or checked
    (``same``), once ``claim(number, spec)`` has counted its entry for the file's duplicate
    check (False: the entry was named by an earlier row, and the row is checked in full, so
    that ``check`` reports the duplicate); the warnings kept with its digest are reported again.
    Individuals' rows get no digest to keep. With ``prepared`` (a row each, from the row helper
    of ``checking_ahead.py``), each row's digest, unmarked cells and format check are the
    helper's, made by the same functions: ``check(number, row, parse)`` takes the format
    check's outcome from it and does the rest (references, duplicates) here."""
    valid: list[Checked] = []
    read = rows if isinstance(rows, FileBatch) else None
    numbered: list[tuple[int, Any]] = list(rows)  # rows as dicts (None: a file's known row)
    row_digests: list[bytes | None] = [None] * len(numbered)
    known: dict[bytes, Known] = {}
    if read is not None and read.digests is not None:  # a file's rows, digested and looked
        if digests is not None:  # up as they were read (``sheets.Sheet.digested``)
            row_digests, known = list(read.digests), read.known
    elif read is not None:  # read for the row helper: the digests of their cells are its
        if digests is not None:
            if prepared is not None:
                row_digests = [None if p is None else p[0] for p in prepared]
            else:
                row_digests = list(read.cells_digests(digests.layouts))
            known = digests.known([d for d in row_digests if d is not None])
    elif digests is not None:
        if prepared is not None:
            row_digests = [None if p is None else p[0] for p in prepared]
        else:
            row_digests = [digests.of(kind, raw) for _, raw in numbered]
        known = digests.known([d for d in row_digests if d is not None])
    helped: Iterable[Prepared | None] = prepared or repeat(None, len(numbered))
    givens: dict[tuple[str, ...], frozenset[str]] = {}  # the helper's, one set each (most rows)
    index = -1
    for (number, given_row), digest, done in zip(numbered, row_digests, helped, strict=True):
        index += 1
        report.total += 1
        hit = known.get(digest) if digest is not None else None
        if hit is not None and claim is not None:
            spec = hit.spec()
            if claim(number, spec):
                report.warnings += [f"row {number}: {w}" for w in hit.warnings]
                valid.append(
                    # Its entry is not read: its id is not needed (``Known.uid`` makes it).
                    Checked(number, given_row or {}, frozenset(), spec, digest=digest, same=True)
                )
                continue
        if given_row is None:  # known, but its entry was named by an earlier row: checked
            assert read is not None
            given_row = read.convert(index)
        warned = len(report.warnings)
        try:
            if done is None:
                row, given = unmarked(given_row)
                spec = check(number, row)
            else:
                _, marked, names, ok, outcome = done
                row = given_row if marked is None else marked
                given = givens.get(names) or givens.setdefault(names, frozenset(names))
                spec = check(number, row, Parse(ok, outcome))
        except InvalidFields as e:
            report.problems += [
                RowProblem(number, p.field, p.field, p.value, p.message) for p in e.problems
            ]
            continue
        if spec.get("kind") == "individual":
            digest = None
        said: tuple[str, ...] = ()
        if len(report.warnings) > warned:
            mark = f"row {number}: "
            said = tuple([w.removeprefix(mark) for w in report.warnings[warned:]])
        valid.append(Checked(number, row, given, spec, digest=digest, warnings=said))
    return valid


def parsed(
    parse: Callable[[dict[str, Any]], dict[str, Any]],
    references: Callable[[dict[str, Any]], list[FieldProblem]],
    row: dict[str, Any],
) -> dict[str, Any]:
    """A row's spec, its codes checked against the registry; InvalidFields naming every
    problem of the row at once, format and references: a row whose format is bad has its
    division, unit, items and qualifications looked up too, as far as they can be read."""
    try:
        spec = parse(row)
    except InvalidFields as e:
        bad = {p.field for p in e.problems}
        more = [p for p in references(_codes_of(row)) if p.field not in bad]
        raise InvalidFields(e.problems + more) from None
    return referenced(spec, references)


def referenced(
    spec: dict[str, Any], references: Callable[[dict[str, Any]], list[FieldProblem]]
) -> dict[str, Any]:
    """A well-formed row's spec, its codes checked against the registry (InvalidFields)."""
    problems = references(spec)
    if problems:
        raise InvalidFields(problems)
    return spec


def _codes_of(row: dict[str, Any]) -> dict[str, Any]:
    """The codes a row names, read leniently (for the reference check of a row whose format is
    bad; a code that cannot be read is left out: its format problem is reported)."""
    f = Fields(row)
    codes: dict[str, Any] = {name: f.text(name) for name in ("division", "unit")}
    for name in ("items", "qualifications", "executing_units"):
        codes[name] = f.codes(name)
    return codes


def may_act(app: LedgerApp, by: str | None, action: str) -> None:
    """Forbidden, once for the whole file, if ``by`` holds no role that may ever ``action``
    (the operator: if the policy in force does not let it record ``action``)."""
    official = official_of(app, by)
    if official is None:
        authorise(None, action, policy=operator_policy(app))  # Forbidden naming the rule
    elif not any(r in official.roles for r in PERMISSIONS[action]):
        authorise(official, action)  # raises Forbidden naming the roles needed


def proceed(report: ImportReport, skip_invalid: bool) -> bool:
    """Whether to record the good rows: only if no row is bad, or the bad ones are skipped."""
    if report.problems and not skip_invalid:
        return False
    report.skipped = report.bad_rows
    return True


@dataclass
class Authority:
    """What ``authorised`` decided so far in one import: the actor or the refusal for each
    (owner, division), and the rows refused under each message."""

    decided: dict[tuple[str | None, str], dict[str, Any] | str] = field(default_factory=dict)
    refused: dict[str, list[str]] = field(default_factory=dict)

    def refuse(self, kind: str) -> None:
        """Forbidden naming the refused rows, if any row was beyond the official's authority."""
        if self.refused:
            reasons = "; ".join(
                f"row{'s' if len(numbers) > 1 else ''} {_some(numbers)}: {message}"
                for message, numbers in self.refused.items()
            )
            raise Forbidden(f"the {kind} file is refused and nothing of it was recorded: {reasons}")


def authorised(
    app: LedgerApp,
    by: str | None,
    action: str,
    valid: list[Checked],
    kind: str,
    authority: Authority | None = None,
) -> None:
    """Find the actor that records each row: ``by`` needs authority over the row's division
    and, for a row that changes an existing entry, over the entry's current owner too (a row
    naming another division moves the entry: an act over both, ``authority_rules.moving``).
    Any row beyond that refuses the whole file: Forbidden naming the rows, the rule and the
    entries' owners; nothing is recorded. Given an ``authority``, the refusals are collected
    in it (a file read a batch at a time) and ``Authority.refuse`` raises at the end."""
    whole = authority is None
    authority = Authority() if authority is None else authority
    decided, refused = authority.decided, authority.refused
    # Who judges, read only for an (owner, division) not yet decided in this import (the
    # decisions are kept for the whole import): on SQLite the policy in force is found by a
    # scan of the log, which each batch of 1,000 rows paid before.
    judge: list[tuple[Any, dict[str, Any] | None]] = []
    for checked in valid:
        spec = checked.spec
        if checked.same:  # unchanged: its owner is the division the row names
            owner: str | None = spec["division"]
        else:
            owner = None if checked.record is None else checked.record.division
        key = (owner, spec["division"])
        actor = decided.get(key)
        if actor is None:
            if not judge:
                official = official_of(app, by)
                judge.append((official, operator_policy(app, official)))  # None: an official
            official, policy = judge[0]
            try:
                if owner is None:
                    found = authorise(official, action, spec["division"], policy=policy)
                else:
                    found = authorise(official, action, owner, to=spec["division"], policy=policy)
                actor = found.to_json()
            except Forbidden as e:
                actor = str(e)
            decided[key] = actor
        if isinstance(actor, str):
            refused.setdefault(actor, []).append(f"{checked.number} ({spec['code']})")
            continue
        checked.actor = actor
    if whole:
        authority.refuse(kind)


def _some(numbers: list[str], shown: int = 10) -> str:
    more = len(numbers) - shown
    return ", ".join(numbers[:shown]) + (f" and {more} more" if more > 0 else "")


def refuse_existing(valid: list[Checked], kind: str) -> None:
    """A registration (not an import) of an entry that exists is a conflict, never a
    correction: the caller sends a correction to change it."""
    for checked in valid:
        if checked.record is not None or checked.same:
            raise Conflict(
                f"{kind} {checked.spec['code']} is registered already; send a correction to "
                "change it"
            )


def planned(
    app: LedgerApp,
    kind: str,
    valid: list[Checked],
    report: ImportReport,
    drawn_cache: dict[str, set[str]] | None = None,
) -> list[Checked]:
    """What each row changes (``changes.changes``: only what its cells give), each changed
    field listed in the report; rows that would change what an import may not (a status, a
    conflict, the name of a drawn target) are bad rows. ``drawn_cache`` keeps the drawn
    targets across the batches of one import."""
    good = []
    cache = {} if drawn_cache is None else drawn_cache
    for checked in valid:
        record = checked.record
        if checked.same:  # the kept digest: it changes nothing, as checked when it was kept
            good.append(checked)
            continue
        if record is None:
            problems = new_entry_problems(checked.row, kind)
        else:
            checked.changes = changes(record, checked.spec, checked.given)
            problems = kept_by_command(record, checked.row, kind, app)
            if kind == "targets" and "name" in checked.changes:
                if "drawn" not in cache:
                    cache["drawn"] = drawn_targets(app)
                if target_key(record.kind, record.code) in cache["drawn"]:
                    problems.append(rename_problem(record, checked.changes["name"]))
        if problems:
            report.problems += [
                RowProblem(checked.number, p.field, p.field, p.value, p.message) for p in problems
            ]
            continue
        report.changes += [
            RowChange(checked.number, record.code, name, getattr(record, name), value)
            for name, value in checked.changes.items()
        ]
        good.append(checked)
    return good


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
    "Claim",
    "Checked",
    "KnownCodes",
    "Numbered",
    "authorised",
    "may_act",
    "parsed",
    "planned",
    "checked_rows",
    "collector_paused",
    "exists",
    "proceed",
    "Authority",
    "batches",
    "refuse_existing",
]
