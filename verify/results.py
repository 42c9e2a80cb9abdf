"""Inspection results and their publication: the national categories and the deadline rule.

Shared by the ledger (which applies them when a result is recorded or published) and the
verifier (which re-derives every publication's content digest, deadline and on-time flag from
the bundle, docs/FORMAT.md step 10).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from .events import canonical
from .workdays import WorkingCalendar

# The national result categories (双随机抽查结果类别), in the order of the national scheme.
CATEGORIES: dict[str, str] = {
    "no_problem": "未发现问题",
    "problem_pending": "发现问题待后续处理",
    "problem_corrected": "发现问题已责令改正",
    "no_relevant_activity": "未发现开展本次抽查涉及的经营活动",
    "closed_or_liquidating": "已关闭停业或正在组织清算",
    "serious_refusal": "不配合检查情节严重",
    "deregistered": "注销",
    "revoked": "被吊销",
    "cancelled": "被撤销",
    "moved_away": "迁出",
}
# Categories that say a problem was found: their follow-up is never "none".
PROBLEM_CATEGORIES = ("problem_pending", "problem_corrected", "serious_refusal")

FOLLOW_UPS: dict[str, str] = {
    "none": "无需后续处理",
    "order_to_correct": "责令改正",
    "corrected": "已改正",
    "case_filed": "立案查处",
    "transferred": "移送其他部门",
    "penalty_decided": "作出行政处罚决定",
}

CHANNELS: dict[str, str] = {
    "results": "双随机抽查结果公示",
    "double_publicity": "双公示（行政处罚）",
}

CONTENT_DOMAIN = b"drawledger/publication/v1\n"


def content_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the domain tag and the canonical JSON of a publication's content."""
    return hashlib.sha256(CONTENT_DOMAIN + canonical(dict(content))).hexdigest()


# The deadline's defaults when the policy omits them: 7 working days (inferred), never more than
# the national rule's 20 (DOMAIN.md).
DEFAULT_DEADLINE_WORKING_DAYS = 7
DEFAULT_NATIONAL_MAX_WORKING_DAYS = 20


def publication_deadline(start: date, policy: Mapping[str, Any]) -> tuple[date, int]:
    """The last day (China time) to publish what was confirmed on ``start``, and the number of
    working days allowed: the policy's ``publication.deadline_working_days``, never more than its
    ``national_max_working_days``. Raises UnknownYear for a year without a calendar."""
    rules = policy.get("publication", {})
    allowed = int(rules.get("deadline_working_days", DEFAULT_DEADLINE_WORKING_DAYS))
    ceiling = int(rules.get("national_max_working_days", DEFAULT_NATIONAL_MAX_WORKING_DAYS))
    allowed = min(allowed, ceiling)
    return WorkingCalendar.from_policy(policy).add_working_days(start, allowed), allowed


def deadline_start(
    channel: str, confirmed_on: str | None, follow_ups: Sequence[Mapping[str, Any]]
) -> str | None:
    """The date a publication's deadline counts from, or None while there is nothing to publish:
    for ``results``, the day the inspected party confirmed the result (or refused to); for the
    双公示 column (``double_publicity``), the day of the first penalty decision among the
    inspection's ``follow_ups`` (each with ``kind`` and ``on``)."""
    if channel == "results":
        return confirmed_on
    return next((str(f["on"]) for f in follow_ups if f["kind"] == "penalty_decided"), None)


def publication_terms(start: str, published_on: str, policy: Mapping[str, Any]) -> dict[str, Any]:
    """What a publication records of its deadline: the ``deadline`` counted from ``start``, the
    ``working_days_allowed``, and whether publishing on ``published_on`` is ``on_time`` (on the
    deadline day itself still is). Raises UnknownYear for a year without a calendar."""
    deadline, allowed = publication_deadline(date.fromisoformat(start), policy)
    return {
        "deadline": deadline.isoformat(),
        "working_days_allowed": allowed,
        "on_time": published_on <= deadline.isoformat(),
    }
