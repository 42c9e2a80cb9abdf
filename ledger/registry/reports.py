"""The report of a registry import: one shape for the Registry, the CLI and the API.

A bad row is named by its row number as the caller gave it: the file's own row number for a
file (the header is row 1, blank rows count), 1, 2, … for rows given in a list. ``column`` is
the header the file used for the field (the field's name when there is no file). A value is
quoted by its first ``SHOWN`` characters at most, so that a huge cell never makes a huge report.
A row that changes an entry that exists lists each field it changes (``RowChange``), before
(``dry_run``: a preview, nothing recorded) or as it is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import bounded

SHOWN = 40  # characters of a value quoted in a report


def prefix(value: Any) -> Any:
    """A value as a report quotes it: text cut to its first ``SHOWN`` characters (marked …)."""
    if isinstance(value, str) and len(value) > SHOWN:
        return value[:SHOWN] + "…"
    if isinstance(value, list | tuple) and len(value) > SHOWN:
        return [prefix(v) for v in value[:SHOWN]] + ["…"]
    if isinstance(value, list | tuple):
        return [prefix(v) for v in value]
    return value


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    field: str
    value: Any
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", prefix(self.value))
        object.__setattr__(self, "message", bounded(self.message))  # values it quotes, cut

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}, value {self.value!r}: {self.message}"


@dataclass(frozen=True)
class RowChange:
    """A field a row changes on an entry that exists: its value before and after."""

    row: int
    code: str
    field: str
    before: Any
    after: Any
    column: str = ""  # the header the file used (the field's name when there is no file)

    def __post_init__(self) -> None:
        object.__setattr__(self, "before", prefix(self.before))
        object.__setattr__(self, "after", prefix(self.after))

    def __str__(self) -> str:
        column = self.column or self.field
        return f"row {self.row}, {self.code}: {column} {self.before!r} → {self.after!r}"


@dataclass
class ImportReport:
    kind: str
    total: int = 0
    recorded: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # bad rows left out when the good rows were recorded (skip_invalid)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    dry_run: bool = False  # a preview: the counts say what would be recorded; nothing was

    @property
    def refused(self) -> bool:
        """Some rows were bad and no row was taken: the file was refused (or, skipping the bad
        rows, none was good)."""
        return bool(self.problems) and not (self.recorded or self.updated or self.unchanged)

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})

    def summary(self) -> str:
        would = "dry run, nothing recorded: would record" if self.dry_run else "recorded"
        return (
            f"{self.total} rows: {would} {self.recorded}, updated {self.updated}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "total": self.total,
            "recorded": self.recorded,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "problems": [
                {
                    "row": p.row,
                    "column": p.column,
                    "field": p.field,
                    "value": _jsonable(p.value),
                    "message": p.message,
                }
                for p in self.problems
            ],
            "warnings": self.warnings,
            "changes": [
                {
                    "row": c.row,
                    "code": c.code,
                    "field": c.field,
                    "column": c.column or c.field,
                    "before": _jsonable(c.before),
                    "after": _jsonable(c.after),
                }
                for c in self.changes
            ],
            "dry_run": self.dry_run,
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


__all__ = ["SHOWN", "ImportReport", "RowChange", "RowProblem", "prefix"]
