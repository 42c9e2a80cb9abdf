"""Recording an import's checked rows, a batch at a time, inside its one transaction.

New entries are registered, changed ones corrected (with the reason naming the file) and
unchanged ones counted; each batch is saved in the import's held transaction
(``LedgerApp.one_transaction``), so the import is recorded whole or not at all, and the digest
of each row that now changes nothing is kept (``digests.py``). Large target imports sign in a
helper process, one batch ahead (``ledger/signing.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any, cast

from ..application import LedgerApp
from ..errors import Conflict
from ..mapper import SigningMapper
from .bulk import Checked
from .changes import changes, kept_by_command
from .digests import Kept, Known
from .personal_data import Held, PersonalData
from .reports import ImportReport
from .targets import Target, target_id

# Imports of at least this many rows sign in a helper process (ledger/signing.py), which takes
# about half a second to start: worth it for a large file, not for a form or a small sheet.
SIGN_AHEAD_ROWS = 10_000


def save_all(app: LedgerApp, pending: list[Any], kind: str, dry_run: bool = False) -> Sequence[Any]:
    """Record an import's events in one transaction: all of them, or (when another command
    recorded one of the same entries meanwhile) none, with a 409 saying so. A dry run records
    nothing. Returns the save's recordings (each event with its record and log position)."""
    if not pending or dry_run:
        return []
    try:
        return cast(Sequence[Any], app.save(*pending))
    except Conflict:
        raise Conflict(
            f"another command recorded some of the same {kind} at the same time; nothing of "
            "this import was recorded: import the file again"
        ) from None


def _keep(app: LedgerApp, checked: Checked, entry: Any, kind: str, kept: Kept) -> None:
    """Keep the row's digest if the row, applied to ``entry`` as it now stands, changes
    nothing: checked here by the very functions an import applies (``changes``,
    ``kept_by_command``), so a kept digest can only spare work."""
    if checked.digest is None:
        return
    if not changes(entry, checked.spec, checked.given) and not kept_by_command(
        entry, checked.row, kind, app
    ):
        assert checked.uid is not None
        kept.append((checked.digest, Known.of(checked.uid, checked.spec, checked.warnings)))


def record_rows(
    app: LedgerApp,
    valid: list[Checked],
    register: Callable[..., Any],
    change: Callable[..., None],
    reason: str,
    report: ImportReport,
    kept: Kept | None = None,
) -> Sequence[Any]:
    """Register new entries, correct changed ones (``reason``), count unchanged ones; one
    save (inside an import's one transaction: ``LedgerApp.one_transaction``). The digests of
    rows that now change nothing go to ``kept``; returns the save's recordings."""
    pending = []
    kept = [] if kept is None else kept
    for checked in valid:
        if checked.same:
            report.unchanged += 1
            continue
        if checked.record is None:
            entry = register(checked.spec, checked.actor)
            pending.append(entry)
            report.recorded += 1
        elif checked.changes:
            entry = checked.record
            change(entry, checked.changes, reason, checked.actor)
            pending.append(entry)
            report.updated += 1
        else:
            entry = checked.record
            report.unchanged += 1
        _keep(app, checked, entry, report.kind, kept)
    return save_all(app, pending, report.kind, report.dry_run)


def target_ids(people: PersonalData, valid: list[Checked]) -> None:
    """The aggregate id of each checked target row; an individual's code becomes its
    pseudonymous reference first (personal data never goes into an event)."""
    for checked in valid:
        spec = checked.spec
        if spec["kind"] == "individual":
            spec["code"] = people.reference(str(checked.row.get("code")))
        checked.uid = target_id(spec["kind"], spec["code"])


class TargetWriter:
    """Records checked target rows a batch at a time, inside the import's one transaction.

    Once an import has read ``SIGN_AHEAD_ROWS`` rows, or from its first batch when its file is
    expected to hold that many (``expected``: the rows' length hint, a file's estimated rows),
    a helper process signs batch k while this thread builds batch k + 1, and batch k is saved
    only then (its signatures ready). An individual's personal data goes to the erasable
    table, never into the event, and only once the transaction has committed (``held``,
    stored by the caller: ``PersonalData.store``)."""

    def __init__(
        self,
        app: LedgerApp,
        people: PersonalData,
        source: str,
        report: ImportReport,
        keep: Callable[[Kept, Sequence[Any]], None],
        expected: int = 0,
    ):
        self.app, self.people, self.source, self.report = app, people, source, report
        self.keep = keep  # told the digests of each batch, and its recordings, once it is saved
        self.mapper = cast(SigningMapper, app.mapper)
        self.stack = ExitStack()
        self.ahead = False
        self.previous: list[Target] = []
        self.previous_kept: Kept = []
        self.held: list[Held] = []  # personal data rows, stored once the events are committed
        self.kept: Kept = []
        self.expected = expected

    def __enter__(self) -> TargetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def batch(self, valid: list[Checked]) -> None:
        report = self.report
        large = max(report.total, self.expected) >= SIGN_AHEAD_ROWS
        if not self.ahead and large and not report.dry_run:
            self.ahead = bool(self.stack.enter_context(self.mapper.signing_ahead()))
        batch: list[Target] = []
        for checked in valid:
            batch += _target_change(self.app, self.people, checked, self.source, report, self)
        if self.ahead:
            self.mapper.sign_ahead([e for t in batch for e in t.pending_events])
        self.flush()
        self.previous, self.previous_kept, self.kept = batch, self.kept, []

    def flush(self) -> None:
        """Save the batch held back while the helper signed it, then keep its digests."""
        previous, self.previous = self.previous, []
        kept, self.previous_kept = self.previous_kept, []
        saved = save_all(self.app, previous, "targets", self.report.dry_run)
        if not self.report.dry_run:
            self.keep(kept, saved)


def _target_change(
    app: LedgerApp,
    people: PersonalData,
    checked: Checked,
    source: str,
    report: ImportReport,
    writer: TargetWriter,
) -> list[Target]:
    spec, record = checked.spec, checked.record
    if checked.same:
        report.unchanged += 1
        return []
    if record is None:
        kept = None
        if spec["kind"] == "individual" and not report.dry_run:
            person = {"identity": str(checked.row.get("code")), "name": checked.row.get("name")}
            kept, kept_row = people.commit(spec["code"], person)
            writer.held.append(kept_row)
        report.recorded += 1
        target = Target.register(spec, source, checked.actor, kept, tid=checked.uid)
        _keep(app, checked, target, "targets", writer.kept)
        return [target]
    if not checked.changes:
        report.unchanged += 1
        _keep(app, checked, record, "targets", writer.kept)
        return []
    record.update(checked.changes, f"import from {source}", source, checked.actor)
    report.updated += 1
    _keep(app, checked, record, "targets", writer.kept)
    return [record]


__all__ = [
    "SIGN_AHEAD_ROWS",
    "Kept",
    "TargetWriter",
    "record_rows",
    "save_all",
    "target_ids",
]
