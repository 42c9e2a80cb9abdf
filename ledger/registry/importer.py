"""One registry import: numbered rows of one kind, checked, authorised, planned and recorded.

The steps are ``bulk.py``'s: every row checked in full (format and references at once), the
entries the rows name read, authority over each (one 403 for the file), what each row changes
(only what its cells give, ``changes.py``), then everything saved in one transaction, or
nothing while any row is bad (unless the bad rows are skipped), or nothing at all in a dry run.
Within a file a code, and among inspectors a certificate number, names one entry only.
"""

from __future__ import annotations

import operator
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from ..application import LedgerApp
from ..errors import BadInput, NotFound
from ..fields import FieldProblem, InvalidFields
from . import bulk, checking_ahead, current_entries, identities, recording
from .checking_ahead import Parse
from .digests import ImportDigests, Kept
from .entry_states import EntryStates
from .inspectors import Inspector, inspector_id, parse_inspector
from .items import Item, item_id, parse_item
from .layouts import KINDS
from .personal_data import PersonalData
from .reports import ImportReport, RowProblem, prefix
from .targets import Target, parse_target

Progress = Callable[[int, int], None]
Check = Callable[..., dict[str, Any]]  # (row number, row[, the row helper's format check])
REPEATED = "duplicate of row {row}"
ACTIONS = {"targets": "target.write", "inspectors": "inspector.write", "items": "item.write"}
# SQLite's page cache for the held transaction of an import of at least ``LARGE_IMPORT_ROWS``
# rows by its length hint (as the helpers'; ``transactions._Held``), instead of its own 2 MiB,
# which one batch's events alone fill: the random inserts into the kept digests' and the
# events' B-trees find their pages in memory. Bounded whatever the file's size.
LARGE_IMPORT_ROWS = 10_000
LARGE_IMPORT_CACHE_MIB = 32


class _NothingRecorded(Exception):
    """A file with bad rows (not skipped): the held transaction is rolled back."""


def import_rows(
    app: LedgerApp,
    people: PersonalData,
    kind: str,
    rows: bulk.Numbered,
    by: str | None,
    *,
    source: str,
    skip_invalid: bool,
    progress: Progress | None,
    today: date,
    create_only: bool,
    dry_run: bool,
) -> ImportReport:
    """Import numbered rows of ``kind`` (the steps above) a batch at a time, in one
    transaction (``LedgerApp.one_transaction``): memory holds one batch, never the file. Once a
    bad row is met (and bad rows are not skipped), or a row beyond the official's authority,
    nothing more is built, the rest is only checked, and the transaction is rolled back at the
    end. The report names every problem by its row and lists every field a row changes.
    ``source`` is recorded with each target and names the file in every correction's reason;
    ``progress`` is told rows recorded and rows read so far."""
    if kind not in KINDS:
        raise BadInput(f"registry {kind!r} is not one of {', '.join(KINDS)}")
    action = ACTIONS[kind]
    bulk.may_act(app, by, action)  # one refusal for the file, before any row is read
    report = ImportReport(kind, dry_run=dry_run)
    digests = ImportDigests(app)
    kept_states = EntryStates(app)
    check, claim = _checker(app, kind, report, today)
    authority = bulk.Authority()
    drawn: dict[str, set[str]] = {}
    cls = {"targets": Target, "inspectors": Inspector, "items": Item}[kind]
    reason = f"import from {source}"

    def keep(kept: Kept, saved: Sequence[Any]) -> None:
        digests.keep(current, kept, saved)
        digests.forget_superseded(current, saved)  # the changed entries' older kept rows

    # A file's estimated rows (``Sheet.__length_hint__``): a large one signs in the helper
    # from its first batch.
    expected = operator.length_hint(rows)
    writer = recording.TargetWriter(app, people, source, report, keep, expected)
    # A large target file's rows are digested and format-checked one batch ahead in the row
    # helper, on the other core (``checking_ahead.py``); a small one's, or another kind's, here.
    helper = checking_ahead.RowHelper(kind)
    ahead = kind == "targets" and expected >= checking_ahead.CHECK_AHEAD_ROWS
    # A file's rows (``sheets.Sheet``) are digested as its reader gave them and looked up
    # before their cells are read: a known row's are not (``Sheet.digested``); those of a
    # batch that goes to the row helper are digested there.
    digested = getattr(rows, "digested", None)
    read = (
        digested(digests.known, bulk.BATCH, digests.layouts, helper.takes if ahead else None)
        if digested is not None
        else bulk.batches(rows)
    )
    numbered = helper.ahead(read) if ahead else ((b, None) for b in read)
    try:
        with bulk.collector_paused(), app.one_transaction() as current, writer, helper:
            if expected >= LARGE_IMPORT_ROWS:
                current.cache_mib = LARGE_IMPORT_CACHE_MIB
            for batch, prepared in numbered:
                valid = bulk.checked_rows(batch, check, report, digests, kind, claim, prepared)
                if sum(checked.same for checked in valid) * 2 > len(batch):
                    helper.unneeded()  # mostly rows known unchanged: not worth the helper's work
                _identify(people, kind, valid)
                current_entries.current_records(app, valid, cls, kept_states)
                bulk.authorised(app, by, action, valid, kind, authority)
                if create_only:
                    bulk.refuse_existing(valid, kind.rstrip("s"))
                valid = bulk.planned(app, kind, valid, report, drawn)
                if kind == "targets":
                    valid = _same_individuals(people, valid, report)
                if authority.refused or (report.problems and not skip_invalid):
                    continue  # every problem in one report; nothing more is built
                if kind == "targets":
                    writer.batch(valid)
                else:
                    kept: Kept = []
                    register, change = (
                        (Inspector.register, Inspector.update)
                        if kind == "inspectors"
                        else (Item.register, Item.amend)
                    )
                    saved = recording.record_rows(
                        app, valid, register, change, reason, report, kept
                    )
                    if not dry_run:
                        keep(kept, saved)
                if progress:
                    progress(report.recorded + report.updated + report.unchanged, report.total)
            report.problems.sort(key=lambda p: p.row)
            authority.refuse(kind)  # Forbidden: rolled back
            if report.problems and not skip_invalid:
                raise _NothingRecorded
            writer.flush()
            report.skipped = report.bad_rows
    except _NothingRecorded:
        report.recorded = report.updated = report.unchanged = 0
        return report
    if not dry_run:
        people.store(writer.held)  # only once the events are committed
    return report


def _identify(people: PersonalData, kind: str, valid: list[bulk.Checked]) -> None:
    """Each checked row's entry id (an individual's by its pseudonymous reference); a row
    known unchanged by its digest came with its entry's id."""
    parsed = [checked for checked in valid if not checked.same]
    if kind == "targets":
        recording.target_ids(people, parsed)
        return
    make_id = inspector_id if kind == "inspectors" else item_id
    for checked in parsed:
        checked.uid = make_id(checked.spec["code"])


def _same_individuals(
    people: PersonalData, valid: list[bulk.Checked], report: ImportReport
) -> list[bulk.Checked]:
    """Rows naming a recorded individual by another name are bad rows: the log keeps only a
    commitment to an individual's name, which an import cannot correct (it was kept silently
    before)."""
    good = []
    for checked in valid:
        record = checked.record
        if record is not None and record.kind == "individual" and "name" in checked.given:
            try:
                kept = people.reveal(record.code)[0].get("name")
            except NotFound:
                kept = None  # erased: nothing to compare the name with
            name = unicodedata.normalize("NFKC", str(checked.row.get("name") or "")).strip()
            if kept is not None and name != kept:
                message = (
                    f"differs from the individual's recorded name {prefix(kept)!r}: an "
                    "individual's name is personal data that an import does not correct"
                )
                report.problems.append(RowProblem(checked.number, "name", "name", name, message))
                continue
        good.append(checked)
    return good


def _entry(spec: dict[str, Any]) -> str:
    """The entry a row names, for the file's duplicate check: a target by its kind and code."""
    return f"{spec['kind']}:{spec['code']}" if "kind" in spec else spec["code"]


def _checker(
    app: LedgerApp, kind: str, report: ImportReport, today: date
) -> tuple[Check, bulk.Claim]:
    """How one row of ``kind`` is checked: its fields and references (``bulk.parsed``), and
    that no earlier row of the file names the same entry (or, for inspectors, the same
    certificate); and the claim of a row known unchanged by its digest on its entry (False
    if an earlier row named it: the row is then checked, and reported as a duplicate)."""
    known = bulk.KnownCodes(app)
    seen: dict[str, int] = {}

    def claim(number: int, spec: dict[str, Any]) -> bool:
        key = _entry(spec)
        if key in seen:
            return False
        seen[key] = number
        return True

    def once(number: int, key: str, name: str, value: Any, message: str) -> None:
        if key in seen:
            raise InvalidFields([FieldProblem(name, value, message.format(row=seen[key]))])
        seen[key] = number

    if kind == "targets":

        def check_target(
            number: int, row: dict[str, Any], checked: Parse | None = None
        ) -> dict[str, Any]:
            warnings: list[str] = []
            if checked is not None and checked.ok:
                # The row helper found its format good: the rest of ``bulk.parsed`` (the codes
                # it names), without wrapping the helper's outcome as a parse to call.
                good: Any = checked.outcome
                spec, warnings = good
                spec = bulk.referenced(spec, known.check_target)
            else:
                read = parse_target if checked is None else checked  # the helper's problems

                def parse(row: dict[str, Any]) -> dict[str, Any]:
                    spec, said = read(row)
                    warnings.extend(said)
                    return spec

                spec = bulk.parsed(parse, known.check_target, row)
            report.warnings += [f"row {number}: {w}" for w in warnings]
            once(number, _entry(spec), "code", spec["code"], REPEATED)
            return spec

        return check_target, claim
    if kind == "items":

        def check_item(number: int, row: dict[str, Any]) -> dict[str, Any]:
            spec = bulk.parsed(parse_item, known.check_item, row)
            once(number, _entry(spec), "code", spec["code"], REPEATED)
            return spec

        return check_item, claim
    holders: dict[str, str] | None = None

    def check_inspector(number: int, row: dict[str, Any]) -> dict[str, Any]:
        nonlocal holders
        recorded = _recorded_certificate(app, row.get("code"))
        spec = bulk.parsed(
            lambda r: parse_inspector(r, today, recorded), known.check_inspector, row
        )
        if recorded is None:  # a new inspector's code must not be another official's
            shared = identities.inspector_code_problem(app, spec["code"])
            if shared is not None:
                raise InvalidFields([FieldProblem("code", spec["code"], shared)])
        once(number, _entry(spec), "code", spec["code"], REPEATED)
        certificate = spec["certificate"]["number"]
        holders = certificate_holders(app) if holders is None else holders
        holder = holders.get(certificate)
        if holder is not None and holder != spec["code"]:
            message = f"is the certificate of inspector {holder}: certificate numbers are unique"
            raise InvalidFields([FieldProblem("certificate_number", certificate, message)])
        message = "is the certificate number of row {row} too: certificate numbers are unique"
        once(number, "certificate:" + certificate, "certificate_number", certificate, message)
        return spec

    return check_inspector, claim


def _recorded_certificate(app: LedgerApp, code: Any) -> dict[str, Any] | None:
    """The certificate recorded for an inspector code, if it is registered."""
    if not isinstance(code, str) or not code.strip():
        return None
    key = inspector_id(unicodedata.normalize("NFKC", code).strip())
    if not bulk.exists(app, key):
        return None
    record: Inspector = app.get(key, Inspector)
    return dict(record.certificate)


def certificate_holders(app: LedgerApp) -> dict[str, str]:
    """Each recorded enforcement certificate number and the inspector holding it now."""
    numbers: dict[str, str] = {}  # inspector code → its certificate number
    codes: dict[str, str] = {}  # aggregate → inspector code
    for _, event in app.records(topics=["inspector.registered", "inspector.updated"]):
        envelope = event.envelope
        payload = envelope["payload"]
        if envelope["type"] == "inspector.registered":
            codes[envelope["aggregate"]] = payload["code"]
            numbers[payload["code"]] = payload["certificate"]["number"]
        elif "certificate" in payload["changes"]:
            code = codes[envelope["aggregate"]]
            numbers[code] = payload["changes"]["certificate"]["number"]
    return {number: code for code, number in numbers.items()}


__all__ = ["ACTIONS", "certificate_holders", "import_rows"]
