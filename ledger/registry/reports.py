"""The report of a registry import: one shape for the Registry, the CLI and the API.

A bad row is named by its row number as the caller gave it: the file's own row number for a
file (the header is row 1, blank rows count), 1, 2, … for rows given in a list. ``column`` is
the header the file used for the field (the field's name when there is no file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}, value {self.value!r}: {self.message}"


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

    @property
    def refused(self) -> bool:
        """Some rows were bad and no row was taken: the file was refused (or, skipping the bad
        rows, none was good)."""
        return bool(self.problems) and not (self.recorded or self.updated or self.unchanged)

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})

    def summary(self) -> str:
        return (
            f"{self.total} rows: recorded {self.recorded}, updated {self.updated}, "
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
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


__all__ = ["ImportReport", "RowProblem"]
