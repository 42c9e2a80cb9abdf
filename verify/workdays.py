"""Working days in China: the State Council's holidays and make-up working days (调休).

The years the PyPI package ``chinesecalendar`` knows come from it; the policy's override table
(``[calendar.years."2027"]`` with ``holidays`` and ``workdays`` lists) covers years it does not
know, and corrects a year it does (an override replaces the package for that whole year; the
ledger records one for a known year only when it says ``override = true``). A date
in a year that neither knows is an error that says so — never a guess from weekends alone,
because a deadline counted over an unknown Spring Festival would be wrong by a week.

Deadlines count working days *after* a date: the 1st working day after a Friday is the next
Monday (if that is a working day). Publication dates are China Standard Time (UTC+8, no daylight
saving), because the deadline is a date in China, while event times are UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import chinese_calendar
from chinese_calendar import constants as _package_table

from .errors import VerifyError

CHINA = timezone(timedelta(hours=8), "CST")
MAX_COUNTED_DAYS = 366 * 2  # a deadline of 20 working days never spans more than this


class UnknownYear(VerifyError):
    """A date whose year neither chinesecalendar nor the policy's override table covers."""


class WorkingCalendar:
    """``chinesecalendar`` plus the policy's per-year overrides."""

    def __init__(self, overrides: Mapping[str, Mapping[str, Iterable[str]]] | None = None) -> None:
        self._years: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
        for year_text, table in (overrides or {}).items():
            year = _year(year_text)
            holidays = frozenset(_day(d, year, "holidays") for d in table.get("holidays", ()))
            workdays = frozenset(_day(d, year, "workdays") for d in table.get("workdays", ()))
            both = holidays & workdays
            if both:
                raise VerifyError(
                    f"calendar override {year}: {min(both)} is listed as both holiday and workday"
                )
            self._years[year] = (holidays, workdays)

    @classmethod
    def from_policy(cls, policy: Mapping[str, Any]) -> WorkingCalendar:
        return cls(policy.get("calendar", {}).get("years", {}))

    def known_until(self) -> date:
        """The last day up to which this calendar knows every working day: the end of
        chinesecalendar's last year, extended by each following year the overrides cover
        without a gap (a 2029 table does not help while 2028 is missing)."""
        year = package_years()[-1]
        while year + 1 in self._years:
            year += 1
        return date(year, 12, 31)

    def is_working_day(self, day: date) -> bool:
        override = self._years.get(day.year)
        if override is not None:
            holidays, workdays = override
            return day in workdays or (day.weekday() < 5 and day not in holidays)
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            raise UnknownYear(
                f"no working-day calendar for {day.year}: chinesecalendar "
                f"{_package_version()} does not know it and the policy has no override for it "
                f'(add [calendar.years."{day.year}"] holidays = [...], workdays = [...])'
            ) from None

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
        if days < 0:
            raise ValueError("a number of working days cannot be negative")
        day, counted = start, 0
        for _ in range(MAX_COUNTED_DAYS):
            if counted == days:
                return day
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        raise ValueError(f"{days} working days after {start} is too far")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        if (end - start).days > MAX_COUNTED_DAYS:
            raise ValueError(f"{start} to {end} is too long to count working days")
        return sum(
            self.is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1)
        )


def package_years() -> range:
    """The years the installed chinesecalendar knows (2004-2026 for 1.11.0)."""
    known = [*_package_table.holidays, *_package_table.workdays]
    return range(min(known).year, max(known).year + 1)


def china_date(utc_time: str) -> date:
    """The date in China of an event's UTC time (``2026-05-06T17:30:00.000000Z`` → 2026-05-07)."""
    return _in_china(utc_time).date()


def china_time(utc_time: str) -> str:
    """An event's UTC time as China time to the second (``…T17:30:00.5Z`` → ``2026-05-07
    01:30:00``), as reports and the dispute check show it."""
    return _in_china(utc_time).strftime("%Y-%m-%d %H:%M:%S")


def _in_china(utc_time: str) -> datetime:
    moment = datetime.fromisoformat(utc_time.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA)


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise VerifyError(f"calendar override: {text!r} is not a year") from None
    if not 1900 < year < 3000:
        raise VerifyError(f"calendar override: {year} is not a plausible year")
    return year


def _day(text: str, year: int, field: str) -> date:
    try:
        day = date.fromisoformat(text)
    except (TypeError, ValueError):
        raise VerifyError(f"calendar override {year} {field}: {text!r} is not a date") from None
    if day.year != year:
        raise VerifyError(f"calendar override {year} {field}: {text} is not in {year}")
    return day


def _package_version() -> str:
    return str(getattr(chinese_calendar, "__version__", "(version unknown)"))
