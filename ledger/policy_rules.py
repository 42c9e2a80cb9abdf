"""What a policy document may say: every key it may hold and the legal range of each value.

A new policy version is checked whole before anything is recorded, and every problem is named
(``InvalidFields``): an unknown key (a typo is an error, not a silently ignored rule), a value
of the wrong type or out of its legal range (``publication.deadline_working_days`` beyond the
national 20 working days, a team of fewer than 2 inspectors), and a working-day table for a
year (``[calendar.years."YYYY"]``) whose dates are not in that year, that lists a day both as a
holiday and as a make-up working day, or that would silently replace a year chinesecalendar
already knows. Keys may be left out: the code that reads a rule falls back on its default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from verify.authority_rules import OPERATOR_ACT_NAMES
from verify.workdays import package_years

from .fields import FieldProblem, InvalidFields
from .registry import inspectors, targets
from .registry.officials import OFFICIAL_ROLES

NATIONAL_MAX_WORKING_DAYS = 20  # results are public within 20 working days (national rule)
MAX_TOKEN_DAYS = 365  # the longest life of an API token any policy allows (registry/tokens.py)

_Check = Callable[[Any], str | None]  # a problem's message, or None when the value is good


def _int(low: int, high: int) -> _Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be a whole number"
        if not low <= value <= high:
            return f"must be from {low} to {high}"
        return None

    return check


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty text"


def _texts(allowed: tuple[str, ...] | None = None, *, empty: bool = False) -> _Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "must be a list of texts"
        if not value and not empty:
            return "must not be empty"
        if allowed is not None and (unknown := [v for v in value if v not in allowed]):
            return f"{', '.join(unknown)} not one of {', '.join(allowed)}"
        return None

    return check


def _month_day(value: Any) -> str | None:
    try:
        date.fromisoformat(f"2000-{value}")  # a leap year: 02-29 is a day of some years
    except (TypeError, ValueError):
        return "must be a day of the year as 'MM-DD'"
    return None


def _weights(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be a table of credit class = weight"
    for cls, weight in value.items():
        if cls not in targets.CREDIT_CLASSES:
            return f"{cls!r} is not a credit class ({', '.join(targets.CREDIT_CLASSES)})"
        if _int(1, 10)(weight):
            return f"the weight of class {cls} must be a whole number from 1 to 10"
    return None


SECTIONS: dict[str, dict[str, _Check]] = {
    "plans": {
        "annual_report_by": _month_day,
        "annual_upload_by": _month_day,
        "monthly_report_day": _int(1, 28),
        "monthly_upload_day": _int(1, 28),
        "coverage_cycle_years": _int(1, 3),
        "coverage_cycle_years_many_targets": _int(1, 3),
        "monthly_rollover": _bool,
    },
    "frequency": {
        "max_inspections_per_entity_per_year": _int(1, 12),
        "risky_entities_exempt_from_cap": _bool,
        "risk_flags": _texts(targets.RISK_FLAGS, empty=True),
        "credit_class_weight": _weights,
    },
    "teams": {"min_inspectors": _int(2, 20)},  # at least 2 certified inspectors (national)
    # the days before a freeze whose registry changes a draw names (verify/recent_changes.py)
    # and how often one drawn team may be substituted before the audit names it
    # (verify/audit_substitutions.py)
    "draws": {"recent_change_days": _int(1, 366), "substitutions_per_team": _int(1, 20)},
    "participation": {
        "min_staff_percent": _int(0, 100),
        "min_agency_rounds_percent": _int(0, 100),
    },
    "eligibility": {
        "target_statuses": _texts(targets.STATUSES),
        "inspector_statuses": _texts(inspectors.STATUSES),
    },
    "publication": {
        "deadline_working_days": _int(1, NATIONAL_MAX_WORKING_DAYS),
        "national_max_working_days": _int(1, NATIONAL_MAX_WORKING_DAYS),
        "column": _text,
    },
    "authority": {
        "set_policy": _texts(OFFICIAL_ROLES),
        "bind_inspector": _texts(OFFICIAL_ROLES),
        "operator": _texts(OPERATOR_ACT_NAMES, empty=True),
        "operator_on_request": _texts(OPERATOR_ACT_NAMES, empty=True),
        "manage_witnesses": _texts(OFFICIAL_ROLES),
    },
    "tokens": {  # an API token's life in days (等保 2.0: credentials of limited life)
        "default_days": _int(1, MAX_TOKEN_DAYS),
        "max_days": _int(1, MAX_TOKEN_DAYS),
    },
}
TOP_LEVEL = ("version", "source", "inferred", "calendar", "leaders", *SECTIONS)
YEAR_KEYS = ("holidays", "workdays", "override", "source")


def check_document(document: Any) -> None:
    """Raise ``InvalidFields`` naming every problem of a policy document; return if it is good."""
    problems = document_problems(document)
    if problems:
        raise InvalidFields(problems)


def document_problems(document: Any) -> list[FieldProblem]:
    """Every problem of a policy document, in the order of its keys ([] if it is good)."""
    if not isinstance(document, dict):
        return [FieldProblem("policy", type(document).__name__, "must be a table")]
    problems: list[FieldProblem] = []

    def problem(field: str, value: Any, message: str) -> None:
        problems.append(FieldProblem(field, value, message))

    for key in document:
        if key not in TOP_LEVEL:
            problem(key, document[key], f"unknown key (a policy holds {', '.join(TOP_LEVEL)})")
    version = document.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > 100:
        problem("version", version, "must be a non-empty text naming this version (max 100)")
    if "source" in document and (message := _text(document["source"])):
        problem("source", document["source"], message)
    for name, rules in SECTIONS.items():
        _check_section(document, name, rules, problem)
    _check_together(document, problem)
    _check_inferred(document.get("inferred", []), problem)
    _check_calendar(document.get("calendar", {}), problem)
    _check_leaders(document.get("leaders", {}), problem)
    return problems


def _check_section(
    document: dict[str, Any],
    name: str,
    rules: dict[str, _Check],
    problem: Callable[[str, Any, str], None],
) -> None:
    section = document.get(name, {})
    if not isinstance(section, dict):
        problem(name, section, "must be a table")
        return
    for key, value in section.items():
        check = rules.get(key)
        if check is None:
            problem(f"{name}.{key}", value, f"unknown key (known: {', '.join(rules)})")
        elif message := check(value):
            problem(f"{name}.{key}", value, message)


def _check_together(document: dict[str, Any], problem: Callable[[str, Any, str], None]) -> None:
    """Rules between two values, each good on its own."""

    def value(section: str, key: str) -> Any:
        got = document.get(section, {})
        return got.get(key) if isinstance(got, dict) else None

    pairs = [  # (earlier, later): the later may not come before the earlier
        (("publication", "deadline_working_days"), ("publication", "national_max_working_days")),
        (("plans", "coverage_cycle_years"), ("plans", "coverage_cycle_years_many_targets")),
        (("plans", "monthly_report_day"), ("plans", "monthly_upload_day")),
        (("plans", "annual_report_by"), ("plans", "annual_upload_by")),
        (("tokens", "default_days"), ("tokens", "max_days")),
    ]
    for (s1, k1), (s2, k2) in pairs:
        first, second = value(s1, k1), value(s2, k2)
        if first is None or second is None:
            continue
        if SECTIONS[s1][k1](first) or SECTIONS[s2][k2](second):
            continue  # a value wrong on its own is named once, by its own check
        if first > second:
            problem(f"{s1}.{k1}", first, f"must not be more than {s2}.{k2} ({second})")


def _check_leaders(leaders: Any, problem: Callable[[str, Any, str], None]) -> None:
    """``[leaders] "<official code>" = ["<division>", ...]``: the divisions whose plans each
    leader in charge reviews (``verify/authority_rules.charge_of``)."""
    if not isinstance(leaders, dict):
        problem("leaders", leaders, 'must be a table of "<official code>" = [divisions]')
        return
    for code, divisions in leaders.items():
        if message := _texts()(divisions):
            problem(f"leaders.{code}", divisions, f"{message} (the divisions in their charge)")
        elif len(set(divisions)) != len(divisions):
            problem(f"leaders.{code}", divisions, "names a division twice")


def _check_inferred(inferred: Any, problem: Callable[[str, Any, str], None]) -> None:
    if _texts(empty=True)(inferred):
        problem("inferred", inferred, "must be a list of the keys whose values are inferred")
        return
    for name in inferred:
        section, _, key = name.partition(".")
        if key not in SECTIONS.get(section, {}):
            problem("inferred", name, "names no key of the policy")


def _check_calendar(calendar: Any, problem: Callable[[str, Any, str], None]) -> None:
    if not isinstance(calendar, dict) or set(calendar) - {"years"}:
        problem("calendar", calendar, 'must hold only the table years ([calendar.years."YYYY"])')
        return
    years = calendar.get("years", {})
    if not isinstance(years, dict):
        problem("calendar.years", years, 'must be tables [calendar.years."YYYY"]')
        return
    for year_text, table in years.items():
        _check_year(year_text, table, problem)


def _check_year(year_text: str, table: Any, problem: Callable[[str, Any, str], None]) -> None:
    where = f"calendar.years.{year_text}"
    if not (len(year_text) == 4 and year_text.isdigit() and 2004 <= int(year_text) <= 2100):
        problem(where, year_text, "must be a year from 2004 to 2100, written as '2027'")
        return
    if not isinstance(table, dict):
        problem(where, table, "must be a table with holidays and workdays")
        return
    year = int(year_text)
    for key in table:
        if key not in YEAR_KEYS:
            problem(f"{where}.{key}", table[key], f"unknown key (known: {', '.join(YEAR_KEYS)})")
    override = table.get("override", False)
    if not isinstance(override, bool):
        problem(f"{where}.override", override, "must be true or false")
    elif year in package_years() and not override:
        problem(
            where,
            year_text,
            f"chinesecalendar already knows {year}; a table that replaces its schedule must "
            "say override = true (and source = the State Council notice it follows)",
        )
    if "source" in table and (message := _text(table["source"])):
        problem(f"{where}.source", table["source"], message)
    holidays = _days(table, "holidays", year, where, problem)
    workdays = _days(table, "workdays", year, where, problem)
    if table.get("holidays") == []:
        problem(f"{where}.holidays", [], "must list the year's holidays (元旦 at least)")
    for day in sorted(holidays & workdays):
        problem(where, day.isoformat(), "is listed both as a holiday and as a make-up working day")
    for day in sorted(workdays):
        if day.weekday() < 5:
            problem(
                f"{where}.workdays",
                day.isoformat(),
                "is a weekday: workdays lists only the weekend days worked (调休)",
            )


def _days(
    table: dict[str, Any],
    key: str,
    year: int,
    where: str,
    problem: Callable[[str, Any, str], None],
) -> set[date]:
    """The dates of ``table[key]``, a list of 'YYYY-MM-DD' texts in ``year``; names each problem."""
    if key not in table:
        problem(f"{where}.{key}", None, "is missing (write [] for none)")
        return set()
    values = table[key]
    if not isinstance(values, list):
        problem(f"{where}.{key}", values, "must be a list of dates 'YYYY-MM-DD'")
        return set()
    days: set[date] = set()
    for value in values:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None:
            problem(f"{where}.{key}", str(value), "is not a quoted date 'YYYY-MM-DD'")
        elif day.year != year:
            problem(f"{where}.{key}", value, f"is not in {year}")
        elif day in days:
            problem(f"{where}.{key}", value, "is listed twice")
        else:
            days.add(day)
    return days
