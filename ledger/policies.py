"""The policy through the product: read the version in force (now or as of a position), list
every version, record a new one, and warn before the working-day calendar runs out.

Who may record the next version is named by the version in force (``[authority] set_policy``,
``admin`` when it names nobody), not by a table in the code; the ledger's operator (the CLI
with the data directory) acts as the system, as for every other operator act. Re-setting the
document in force records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from eventsourcing.persistence import Notification

from verify.authority_rules import policy_setters
from verify.workdays import WorkingCalendar

from .application import LedgerApp
from .errors import BadInput, NotFound
from .fields import FieldProblem, InvalidFields
from .inspections.service import china_today
from .policy import policy_digest, policy_id
from .policy_rules import document_problems
from .registry.authority import authorise, official_of

WARN_DAYS = 60  # the calendar warning shows from this many days before the calendar ends


@dataclass(frozen=True)
class Outcome:
    """What ``Policies.set`` did: ``recorded`` False when the document was the one in force."""

    version: str
    digest: str
    recorded: bool


class Policies:
    def __init__(self, app: LedgerApp, today: Callable[[], date] = china_today) -> None:
        self.app = app
        self.today = today

    # -- reading ----------------------------------------------------------------------------------

    def in_force(self, as_of: int | None = None) -> dict[str, Any]:
        """The version in force at position ``as_of`` (the head if None): version, digest,
        position, who set it and when, why, and the document. BadInput for a position outside
        the log; NotFound before the first version."""
        head = self.app.recorder.max_notification_id() or 0
        if as_of is not None and not 1 <= as_of <= head:
            raise BadInput(f"as_of {as_of}: the log has positions 1 to {head}")
        at = head if as_of is None else as_of  # one position, even while commands arrive
        last = None
        for notification in self.app.notifications(topics=["policy.set"], stop=at):
            last = notification
        if last is None:
            raise NotFound(f"no policy was in force at position {at}")
        return {**self._version(last), "as_of": at}

    def versions(self) -> list[dict[str, Any]]:
        """Every version in log order, without documents (read one with ``in_force``)."""
        return [
            {k: v for k, v in self._version(n).items() if k != "document"}
            for n in self.app.notifications(topics=["policy.set"])
        ]

    def _version(self, notification: Notification) -> dict[str, Any]:
        event: Any = self.app.domain_event(notification)
        return {
            "version": event.version,
            "digest": event.digest,
            "position": notification.id,
            "set_by": dict(event.actor),
            "set_at": event.timestamp.isoformat(),
            "reason": getattr(event, "reason", ""),
            "document": dict(event.document),
        }

    # -- recording --------------------------------------------------------------------------------

    def set(self, document: dict[str, Any], by: str | None, reason: str = "") -> Outcome:
        """Record ``document`` as the next version, acting as official ``by`` (None: the
        operator). Forbidden unless the version in force names one of ``by``'s roles;
        InvalidFields naming every problem (including a version name used before); nothing
        recorded, and ``recorded`` False, when the document is the one in force."""
        in_force = self.app.policy_in_force()
        official = official_of(self.app, by)
        setters = policy_setters(in_force)
        actor = authorise(official, "policy.set", roles=setters, policy=in_force)
        problems = document_problems(document)
        if not problems and policy_digest(document) == policy_digest(in_force):
            return Outcome(document["version"], policy_digest(document), recorded=False)
        version = document.get("version") if isinstance(document, dict) else None
        if isinstance(version, str) and policy_id(version) in self.app.repository:
            problems.append(
                FieldProblem(
                    "version",
                    version,
                    "is recorded already with another document; a new version needs a new name",
                )
            )
        if problems:
            raise InvalidFields(problems)
        self.app.set_policy(document, actor, reason.strip())
        return Outcome(version or "", policy_digest(document), recorded=True)

    # -- the calendar's horizon -------------------------------------------------------------------

    def calendar_warnings(self, policy: dict[str, Any] | None = None) -> list[dict[str, str]]:
        """The warning (Chinese and English) once today is within ``WARN_DAYS`` of the last day
        the calendar in force knows; empty before that."""
        if policy is None:
            try:
                policy = self.app.policy_in_force()
            except NotFound:  # a ledger not yet given its policy: nothing to warn about
                return []
        return calendar_warnings(policy, self.today())


def calendar_warnings(policy: dict[str, Any], today: date) -> list[dict[str, str]]:
    """``[]``, or one warning saying up to which day working days are known, which years'
    tables to add and how: ``calendar_ends`` within ``WARN_DAYS`` of that day, ``calendar_ended``
    once it has passed (publications whose deadline falls after it are refused now)."""
    known_until = WorkingCalendar.from_policy(policy).known_until()
    if today < known_until - timedelta(days=WARN_DAYS):
        return []
    years = missing_years(known_until, today)
    tables = "、".join(f'[calendar.years."{y}"]' for y in years)
    tables_en = ", ".join(f'[calendar.years."{y}"]' for y in years)
    years_zh = "、".join(str(y) for y in years)
    years_en = ", ".join(str(y) for y in years)
    schedules = "schedules" if len(years) > 1 else "schedule"
    if today <= known_until:
        year = years[0]
        return [
            {
                "code": "calendar_ends",
                "known_until": known_until.isoformat(),
                "year_to_add": str(year),
                "years_to_add": years_en,
                "zh": (
                    f"工作日历只到 {known_until.isoformat()}：请按国务院办公厅公布的 {year} 年"
                    f'部分节假日安排，在政策中增加 [calendar.years."{year}"]（holidays 放假日期、'
                    "workdays 调休上班日期），用 drawledger policy set 记录新版本；否则截止日期"
                    f"落在 {year} 年的公示将被拒绝（见 docs/POLICY.md）。"
                ),
                "en": (
                    f"The working-day calendar ends on {known_until.isoformat()}: add the State "
                    f'Council\'s {year} holiday schedule as [calendar.years."{year}"] (holidays, '
                    f"and workdays for the weekend days worked) to the policy and record it with "
                    f"'drawledger policy set'; until then every publication whose deadline falls "
                    f"in {year} is refused (docs/POLICY.md)."
                ),
            }
        ]
    return [
        {
            "code": "calendar_ended",
            "known_until": known_until.isoformat(),
            "year_to_add": str(years[0]),
            "years_to_add": years_en,
            "zh": (
                f"工作日历已于 {known_until.isoformat()} 结束：截止日期在此之后的公示现在都被拒绝，"
                "工作日和期限也无法计算。请按国务院办公厅公布的"
                f" {years_zh} 年部分节假日安排，在政策中增加 {tables}（holidays 放假日期、"
                "workdays 调休上班日期），用 drawledger policy set 记录新版本"
                "（见 docs/POLICY.md）；记录后即可公示，已过截止日期的记为逾期。"
            ),
            "en": (
                f"The working-day calendar ended on {known_until.isoformat()}: every publication "
                "whose deadline falls after it is refused now, and working days after it cannot "
                f"be counted. Add the State Council's {years_en} holiday {schedules} as "
                f"{tables_en} (holidays, and workdays for the weekend days worked) to the policy "
                "and record it with 'drawledger policy set' (docs/POLICY.md); then they can be "
                "published, "
                "those past their deadline as late."
            ),
        }
    ]


def missing_years(known_until: date, today: date) -> list[int]:
    """The years whose tables the calendar lacks up to ``today``'s: from the year after
    ``known_until`` to today's year, and the next year too once today is within ``WARN_DAYS``
    of its end (at least the year after ``known_until``)."""
    last = max(today.year, known_until.year + 1)
    if today >= date(today.year, 12, 31) - timedelta(days=WARN_DAYS):
        last = max(last, today.year + 1)
    return list(range(known_until.year + 1, last + 1))
