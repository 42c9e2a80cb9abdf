"""What the ``drawledger`` commands print of the ledger's reports, in Chinese: an import's bad
rows, changes, warnings and counts (``ledger/registry/reports.py``, whose English ``str`` is the
logged form). A rule's or warning's words are the service's (``api/problem_texts.rule_text``,
``warning_text``: ``ledger.error_texts``), so the CLI and an HTTP import say the same.
"""

from __future__ import annotations

from ledger.registry.reports import ImportReport, RowChange, RowProblem

from .problem_texts import rule_text, warning_text


def row_problem_text(problem: RowProblem) -> str:
    return (
        f"第 {problem.row} 行，列 {problem.column!r}，值 {problem.value!r}："
        f"{rule_text(problem.message)}"
    )


def row_change_text(change: RowChange) -> str:
    column = change.column or change.field
    return f"第 {change.row} 行，{change.code}：{column} {change.before!r} → {change.after!r}"


def summary_text(report: ImportReport) -> str:
    """The counts of an import (``ImportReport.summary`` in Chinese)."""
    would = "试运行，未记录任何内容：将记录" if report.dry_run else "已记录"
    return (
        f"共 {report.total} 行：{would} {report.recorded} 行，更新 {report.updated} 行，"
        f"未变 {report.unchanged} 行，跳过 {report.skipped} 行"
    )


__all__ = ["row_change_text", "row_problem_text", "rule_text", "summary_text", "warning_text"]
