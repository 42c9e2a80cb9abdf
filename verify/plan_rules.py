"""A plan's deadlines and its coverage cycle, from the policy in force: written once.

The ledger records a plan's deadlines when it is drafted and judges each submission and upload
against them (``ledger/plans/aggregate.py``), and computes coverage over the cycle
(``ledger/plans/coverage.py``); the rule audit (``verify/audit_plans.py``) re-derives both from
the bundle with these same functions.

- Annual plan for year Y: reported to the aggregator (水政处) by ``plans.annual_report_by``
  (MM-DD, default 12-15) and uploaded by ``annual_upload_by`` (12-25), both of Y−1.
- Monthly plan for Y-MM: by ``monthly_report_day`` (20) and ``monthly_upload_day`` (25) of the
  month before.
- A division's targets are all to be inspected within ``plans.coverage_cycle_years`` (1), or a
  longer cycle a plan states, up to ``coverage_cycle_years_many_targets`` where targets are many;
  the cycle is the calendar years ending with the plan's year.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

# A plan's period: an annual plan names a year, a monthly one a month of a year; ASCII digits,
# no spaces, no other form (no quarters or half-years: plans have none), years 2000–2099.
FIRST_YEAR, LAST_YEAR = 2000, 2099
_PERIOD = {"annual": re.compile(r"[0-9]{4}"), "monthly": re.compile(r"([0-9]{4})-([0-9]{2})")}
PERIOD_FORMS = {"annual": "a year (2027)", "monthly": "a month of a year (2027-03)"}


def plan_period(kind: str, period: object) -> tuple[int, int | None]:
    """(year, month or None) of a plan's period; ValueError naming the rule if ``period`` is not
    a real year (annual) or month of a year (monthly), written exactly as ``PERIOD_FORMS``."""
    form = _PERIOD.get(kind)
    if form is None:
        raise ValueError(f"a plan is annual or monthly, not {kind!r}")
    if not isinstance(period, str) or form.fullmatch(period) is None:
        raise ValueError(
            f"{'an' if kind == 'annual' else 'a'} {kind} plan names {PERIOD_FORMS[kind]}, "
            "written exactly so "
            "(a four-digit year, a two-digit month, no spaces, nothing else)"
        )
    year = int(period[:4])
    month = int(period[5:]) if kind == "monthly" else None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"the year must be from {FIRST_YEAR} to {LAST_YEAR}")
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"there is no month {month:02d}: months are 01 to 12")
    return year, month


def plan_deadlines(kind: str, period: str, policy: Mapping[str, Any]) -> dict[str, str]:
    """``{"report_by", "upload_by"}`` (ISO dates) of a plan; ValueError for a bad period."""
    rules = policy.get("plans", {})
    year, month = plan_period(kind, period)
    if month is None:
        report = date.fromisoformat(f"{year - 1}-{rules.get('annual_report_by', '12-15')}")
        upload = date.fromisoformat(f"{year - 1}-{rules.get('annual_upload_by', '12-25')}")
    else:
        prev_year, prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
        report = date(prev_year, prev_month, int(rules.get("monthly_report_day", 20)))
        upload = date(prev_year, prev_month, int(rules.get("monthly_upload_day", 25)))
    return {"report_by": report.isoformat(), "upload_by": upload.isoformat()}


def cycle_bounds(policy: Mapping[str, Any]) -> tuple[int, int]:
    """(the default cycle in years, the longest a plan may state where targets are many)."""
    rules = policy.get("plans", {})
    default = int(rules.get("coverage_cycle_years", 1))
    return default, int(rules.get("coverage_cycle_years_many_targets", default))


def cycle_window(year: int, years: int) -> tuple[date, date]:
    """The first and last day of a cycle of ``years`` calendar years ending with ``year``."""
    return date(year - years + 1, 1, 1), date(year, 12, 31)
