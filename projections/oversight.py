"""What the legal office's and the auditors' pages show (``/legal``, docs/TRAIL.md): the rule
audit over the live ledger as of a position, and the coverage and participation figures of
its dashboards.

The findings are the verifier's own (``verify/rule_audit.py``, the functions the ledger calls),
judged over the log read and checked from its start up to the position: the same findings
``python -m verify BUNDLE --rules`` gives for an export taken then. An audit as of a position
never changes, so the last few are kept.

Who may read them: ``oversight.read`` in ``verify/authority_rules.py`` (auditors and the legal
office, every division's).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from ledger.application import LedgerApp
from ledger.as_of import ledger_as_of
from ledger.errors import NotFound
from ledger.labels import RULE_ASKS, RULE_LABELS
from ledger.person_refs import ref_key
from ledger.registry.authority import authorise
from ledger.registry.officials import Official
from ledger.registry.personal_data import PersonalData
from verify.authority_rules import role_for
from verify.finding_texts import finding_text
from verify.participation_rules import thresholds
from verify.rule_audit import audit_rules

READ = "oversight.read"
PERSONAL = "oversight.personal_data"
KEPT = 8  # audits kept, by position


class Oversight:
    """The rule audit and the dashboards of one ledger, read on behalf of an official."""

    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        self._audits: OrderedDict[tuple[int, int], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def findings(self, reader: Official, position: int) -> dict[str, Any]:
        """The rule audit's JSON form (``RuleAudit.to_json``) as of ``position``, with each
        rule's Chinese name (``names``) and what it asks in Chinese (``asks``), and each
        finding's Chinese text (its ``zh``, ``verify/finding_texts.py``)."""
        authorise(reader, READ)
        audit = self._audit(position)
        # the rules in Chinese (the verifier names them in English: RULES)
        return {**audit, "names": RULE_LABELS, "asks": RULE_ASKS, "position": position}

    def dashboards(self, reader: Official, position: int) -> dict[str, Any]:
        """Coverage per annual plan and participation per division and year, as of
        ``position``, with the policy's participation thresholds in force then."""
        authorise(reader, READ)
        audit = self._audit(position)
        coverage = [
            {**f, "percent": _percent(f["covered"], f["targets"])}
            for f in audit["figures"]
            if f["rule"] == "coverage"
        ]
        participation = [
            {
                **f,
                "staff_percent": _percent(f["staff_took_part"], f["staff"]),
                "agency_percent": _percent(f["rounds_with_agency_staff"], f["rounds"]),
            }
            for f in audit["figures"]
            if f["rule"] == "participation"
        ]
        staff, agency = thresholds(self.app_policy(position))
        return {
            "position": position,
            "as_of": audit["as_of"],
            "coverage": sorted(coverage, key=lambda f: (f["window"]["to"], f["division"])),
            "participation": sorted(participation, key=lambda f: (f["year"], f["division"])),
            "thresholds": {"staff_percent": staff, "agency_rounds_percent": agency},
        }

    def person(self, reader: Official, ref: str, commitment: str | None) -> dict[str, Any]:
        """What the page shows of the individual ``ref`` (a ``person-…`` reference) whose
        events commit to ``commitment``: their personal data for a reader holding
        ``oversight.personal_data`` (the legal office), else the commitment alone;
        ``erased`` when the data was erased (PIPL), or never stored."""
        authorise(reader, READ)
        shown: dict[str, Any] = {"ref": ref, "commitment": commitment, "data": None}
        if role_for(reader.roles, reader.division, PERSONAL, None) is None:
            return {**shown, "withheld": True, "erased": False}
        try:
            data, _ = PersonalData(self.app.recorder, ref_key(self.app)).reveal(ref)
        except NotFound:
            return {**shown, "withheld": False, "erased": True}
        return {**shown, "data": data, "withheld": False, "erased": False}

    def app_policy(self, position: int) -> dict[str, Any]:
        """The policy document in force at ``position``."""
        return dict(ledger_as_of(self.app, position).policy_in_force())

    def _audit(self, position: int) -> dict[str, Any]:
        lines, cosigned = self.app.sealer.cosigned_notes()
        kept = (position, lines)  # a witness's new cosignature may bound more times
        with self._lock:
            if kept in self._audits:
                self._audits.move_to_end(kept)
                return self._audits[kept]
        envelopes = ((p, event.envelope) for p, event in self.app.records(stop=position))
        found = audit_rules(envelopes, checkpoints=cosigned, whole_log=True)
        audit = found.to_json()
        for shown, finding in zip(audit["findings"], found.findings, strict=True):
            shown["zh"] = finding_text(finding)
        with self._lock:
            self._audits[kept] = audit
            while len(self._audits) > KEPT:
                self._audits.popitem(last=False)
        return audit


def _percent(part: int, whole: int) -> float | None:
    """A share for a chart, to one decimal (None for an empty whole); the rule itself is judged
    in whole numbers by ``verify/participation_rules.py``."""
    return None if not whole else round(part * 100 / whole, 1)
