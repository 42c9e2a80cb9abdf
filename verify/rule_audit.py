"""The rule audit (``python -m verify BUNDLE --rules``): were the rules of the policy kept?

Integrity (steps 1-11) asks whether the ledger is the one its key wrote; the authority replay
whether each actor was entitled to act. The audit asks whether what was done kept the rules —
and a ledger can be intact and still show rules broken: a late plan or publication, a recusal
not honoured, a division whose staff did not take part. The ledger allows some of these
(recorded as late, say) and refuses others (a forged bundle can still hold them). Each is a
*finding* naming the events behind it (position, type, id), never an integrity failure.

One pass in log order folds what every rule family reads (``verify/audit_log.py``): the
registry as it stood before each event, the drawn teams, the inspections and the plans. The
families judge with the rulebook's own functions, the ones the ledger calls:

- ``audit_inspections``: frequency caps, team sizes and composition, recusals, qualifications,
  certificates valid on the day;
- ``audit_deadlines``: plan deadlines, publication deadlines in working days, plan bounds;
- ``audit_cycle``: coverage in the cycle (inspections carried out, not selections) and
  participation (staff who inspected, rounds with agency staff);
- ``audit_selections``: every selected target inspected by the end of its plan's period;
- ``audit_steps``: no inspection step dated before the step it follows;
- ``audit_substitutions``: no drawn team substituted more often than the policy allows;
- ``audit_times``: no event timed before the one it follows, nor against what the witnesses'
  cosignatures saw (a bundle's checkpoints: ``audit_bundle``).

Rules judged over a year or a cycle (coverage, participation, publications still due) are
judged against ``as_of``: the China date of the bundle's last event unless the caller names
one. A cycle or year not over by then is reported as a figure, not a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from .audit_cycle import Cycle
from .audit_deadlines import Deadlines
from .audit_inspections import Visits
from .audit_log import RULES, AuditLog, EventRef, Family, RuleAudit, close_years, fold
from .audit_selections import Selections
from .audit_steps import StepDates
from .audit_substitutions import Substitutions
from .audit_times import EventTimes
from .bundle import Bundle, BundleFile
from .errors import VerifyError
from .events import decode_record
from .workdays import china_date

__all__ = ["RULES", "RuleAudit", "audit_bundle", "audit_rules"]


def audit_rules(
    envelopes: Iterable[tuple[int, dict[str, Any]]],
    *,
    as_of: date | None = None,
    also: Sequence[Family] = (),
    checkpoints: Sequence[str] = (),
    leaves: Mapping[int, int] | None = None,
    whole_log: bool = False,
) -> RuleAudit:
    """Audit ``(position, envelope)`` pairs in log order (undecodable events left out).
    ``also``: more families folded in the same pass after the audit's own (the annual
    assessment's tally reads the audit's log and findings in its ``finish``); ``checkpoints``:
    the notes whose witness cosignatures bound the events' times, matched by each event's leaf
    index: its position in a bundle (whose positions are leaf indexes), ``leaves[position]``
    (a dispute file's records), or with ``whole_log`` (every event of the ledger from its first,
    positions with gaps on PostgreSQL) how many events came before it.
    """
    families: Sequence[Family] = (
        Visits(),
        Deadlines(),
        Cycle(),
        Selections(),
        StepDates(),
        Substitutions(),
        *also,
    )
    audit, log = RuleAudit(), AuditLog()
    times = EventTimes(checkpoints, leaves, counted=whole_log)
    last: date | None = None
    for position, envelope in envelopes:
        day = china_date(envelope["time"])
        last = day
        close_years(log, day.year)
        ref = EventRef(position, envelope["type"], envelope["aggregate"])
        payload = envelope["payload"]
        for family in families:
            family.judge(ref, payload, log, audit)
        times.see(ref, envelope, audit)
        fold(log, ref, envelope)
    judged_on = as_of or last or date.today()
    audit.as_of = judged_on.isoformat()
    for family in families:
        family.finish(log, audit, judged_on)
    times.finish(audit)
    audit.findings.sort(key=lambda f: (f.events[0].position if f.events else -1, f.rule))
    return audit


def audit_bundle(bundle: Bundle | BundleFile, *, as_of: date | None = None) -> RuleAudit:
    """Audit every event of a bundle that decodes (integrity is the other steps' business), in
    one pass over its records (a file is read again, as a stream)."""
    return audit_rules(_decoded(bundle.iter_records()), as_of=as_of, checkpoints=bundle.checkpoints)


def _decoded(records: Iterable[bytes]) -> Iterable[tuple[int, dict[str, Any]]]:
    for position, record in enumerate(records):
        try:
            yield position, decode_record(record).envelope
        except VerifyError:
            continue
