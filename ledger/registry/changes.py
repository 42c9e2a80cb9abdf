"""What an import row changes on an entry that exists: only what the row says.

A blank cell says nothing: it never erases a stored value. To empty a field, the cell holds the
clear marker ``<清空>`` (or ``<clear>``; docs/IMPORT.md). A field stored in parts (a target's
permit, an inspector's certificate, an item's legal basis) changes the parts its columns give
and keeps the others. A target's status and an inspector's declared conflicts are recorded by
their own commands, each with its reason: an import may repeat them (an export re-imported) but
not change them. Renaming a target that has been drawn is refused: the published draw shows the
name it was drawn under, so the rename is a correction with its reason
(``PATCH /targets/{id}``), not a cell in a file.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from verify.identity_rules import bound_move_refusal
from verify.registry_state import target_key

from ..application import LedgerApp
from ..errors import NotFound
from ..fields import FieldProblem
from .cells import CLEAR, blank, is_clear, unmarked
from .identities import bound_official
from .targets import Target

# The fields stored in parts: each part and the column that gives it.
PARTS: dict[str, dict[str, str]] = {
    "permit": {
        "number": "permit_number",
        "valid_from": "permit_valid_from",
        "valid_until": "permit_valid_until",
    },
    "certificate": {"number": "certificate_number", "valid_until": "certificate_valid_until"},
    "legal_basis": {"law": "law", "article": "article", "text": "basis_text"},
}


def changes(record: Any, spec: dict[str, Any], given: frozenset[str]) -> dict[str, Any]:
    """The fields of ``record`` that the row changes: those its cells give and that differ."""
    out = {}
    for name, value in record.changes_to(spec).items():
        parts = PARTS.get(name)
        if parts is None:
            if name in given:
                out[name] = value
            continue
        if not any(column in given for column in parts.values()):
            continue
        if isinstance(value, dict):
            stored = getattr(record, name) or {}
            value = {
                part: value.get(part) if column in given else stored.get(part)
                for part, column in parts.items()
            }
            if value == stored:
                continue
        out[name] = value
    return out


def kept_by_command(
    record: Any, row: dict[str, Any], kind: str, app: LedgerApp
) -> list[FieldProblem]:
    """A target's status or an inspector's conflicts that the row would change: refused, they
    are recorded by their own commands with a reason."""
    problems = []
    if kind == "targets" and not blank(row.get("status")):
        status = row["status"]
        if status != record.status:
            problems.append(
                FieldProblem(
                    "status",
                    status,
                    f"differs from the recorded status {record.status!r}: a status is changed "
                    "with its reason (POST /targets/{id}/status), not by an import",
                )
            )
    if kind == "inspectors" and "conflicts" in row and not blank(row.get("conflicts")):
        listed = sorted(set(_codes(row["conflicts"])))
        if listed != conflict_keys(app, record):
            problems.append(
                FieldProblem(
                    "conflicts",
                    listed,
                    "differs from the recorded conflicts: each is declared or withdrawn with "
                    "its reason (POST /inspectors/{code}/conflicts), not by an import",
                )
            )
    if kind == "inspectors" and not blank(row.get("unit")) and row["unit"] != record.unit:
        # A bound inspector stays in the unit of the official bound to them (identities.py).
        holder = bound_official(app, record.code)
        refusal = bound_move_refusal("inspector", record.code, holder, record.unit, row["unit"])
        if refusal is not None:
            problems.append(FieldProblem("unit", row["unit"], refusal))
    return problems


def new_entry_problems(row: dict[str, Any], kind: str) -> list[FieldProblem]:
    """A new target is registered in business, a new inspector without conflicts."""
    problems = []
    if kind == "targets" and not blank(row.get("status")) and row["status"] != "in_business":
        problems.append(
            FieldProblem("status", row["status"], "a new target is registered in business (在营)")
        )
    if kind == "inspectors" and not blank(row.get("conflicts")):
        problems.append(
            FieldProblem(
                "conflicts",
                row["conflicts"],
                "a new inspector has no declared conflicts yet: declare each with its reason",
            )
        )
    return problems


def _codes(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else str(value).split(",")


def conflict_keys(app: LedgerApp, record: Any) -> list[str]:
    """An inspector's declared conflicts as the targets' keys (credit code, or ``kind:code``)."""
    keys = []
    for target in record.conflicts:
        try:
            state: Any = app.get(UUID(target), Target)
            keys.append(target_key(state.kind, state.code))
        except NotFound:  # a conflict naming no target (the service never records one)
            keys.append(target)
    return sorted(keys)


def drawn_targets(app: LedgerApp) -> set[str]:
    """The keys of every target a draw has selected."""
    return {
        s["target"]
        for _, event in app.records(topics=["draw.targets_selected"])
        for stratum in event.envelope["payload"]["strata"]
        for s in stratum["selected"]
    }


def rename_problem(record: Any, new_name: Any) -> FieldProblem:
    return FieldProblem(
        "name",
        new_name,
        f"renames {record.name!r}, a target that has been drawn: the published draw names it; "
        "record the rename as a correction with its reason (POST /targets/{id}/corrections)",
    )


__all__ = [
    "CLEAR",
    "PARTS",
    "blank",
    "changes",
    "conflict_keys",
    "drawn_targets",
    "is_clear",
    "kept_by_command",
    "new_entry_problems",
    "rename_problem",
    "unmarked",
]
