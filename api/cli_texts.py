"""What the ``drawledger`` commands print of the ledger's reports, in Chinese: an import's bad
rows, changes, warnings and counts (``ledger/registry/reports.py``, whose English ``str`` is the
logged form). A rule's or warning's words come from ``ledger.error_texts`` where a pattern
matches them, else they are shown as the ledger wrote them.
"""

from __future__ import annotations

import re

from ledger.error_texts import error_text, field_text
from ledger.registry.reports import ImportReport, RowChange, RowProblem

_ROW = re.compile(r"row (?P<row>\d+): (?P<rest>.*)", re.DOTALL)


def rule_text(message: str) -> str:
    """A field's rule or a domain error's message in Chinese, or as written if not in the
    tables."""
    return field_text(message) or error_text(message) or message


def row_problem_text(problem: RowProblem) -> str:
    return (
        f"第 {problem.row} 行，列 {problem.column!r}，值 {problem.value!r}："
        f"{rule_text(problem.message)}"
    )


def row_change_text(change: RowChange) -> str:
    column = change.column or change.field
    return f"第 {change.row} 行，{change.code}：{column} {change.before!r} → {change.after!r}"


def warning_text(warning: str) -> str:
    """A warning (``row N: …`` for a row's) in Chinese."""
    match = _ROW.fullmatch(warning)
    if match is None:
        return rule_text(warning)
    return f"第 {match['row']} 行：{rule_text(match['rest'])}"


def summary_text(report: ImportReport) -> str:
    """The counts of an import (``ImportReport.summary`` in Chinese)."""
    would = "试运行，未记录任何内容：将记录" if report.dry_run else "已记录"
    return (
        f"共 {report.total} 行：{would} {report.recorded} 行，更新 {report.updated} 行，"
        f"未变 {report.unchanged} 行，跳过 {report.skipped} 行"
    )
