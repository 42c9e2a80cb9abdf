"""Working days follow the State Council's holiday notices, including make-up working days (调休).

Expected dates come from the notices themselves (国务院办公厅关于2025年/2026年部分节假日安排的通知),
not from the code under test.
"""

from __future__ import annotations

from datetime import date

import pytest

from verify.errors import VerifyError
from verify.results import publication_deadline
from verify.workdays import UnknownYear, WorkingCalendar, china_date


def test_national_day_2025_and_its_make_up_saturday_are_counted_as_the_notice_says():
    # 2025: 1–8 October off; Sunday 28 September and Saturday 11 October are working days.
    calendar = WorkingCalendar()
    assert calendar.is_working_day(date(2025, 9, 28))
    assert not calendar.is_working_day(date(2025, 10, 8))
    assert calendar.is_working_day(date(2025, 10, 11))
    # Confirmed Tue 30 Sep: 9, 10, 11 (Sat, make-up), 13, 14, 15, 16 October.
    assert calendar.add_working_days(date(2025, 9, 30), 7) == date(2025, 10, 16)
    assert calendar.working_days_between(date(2025, 9, 30), date(2025, 10, 16)) == 7
    assert calendar.working_days_between(date(2025, 10, 16), date(2025, 9, 30)) == -7


def test_spring_festival_2026_holidays_push_a_deadline_past_the_week():
    # 2026: 15–23 February off; Saturdays 14 and 28 February are working days.
    calendar = WorkingCalendar()
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert calendar.add_working_days(date(2026, 2, 13), 0) == date(2026, 2, 13)


def test_a_year_the_package_does_not_know_is_an_error_never_a_weekend_guess():
    with pytest.raises(UnknownYear, match="no working-day calendar for 2027.*override"):
        WorkingCalendar().is_working_day(date(2027, 1, 4))
    with pytest.raises(UnknownYear):
        WorkingCalendar().add_working_days(date(2026, 12, 28), 7)  # runs into 2027


def test_the_policy_override_table_covers_a_new_year_and_replaces_a_known_one():
    overrides = {
        "2027": {"holidays": ["2027-01-01"], "workdays": ["2027-01-09"]},
        "2025": {"holidays": [], "workdays": []},  # a correction: only weekends off in 2025
    }
    calendar = WorkingCalendar.from_policy({"calendar": {"years": overrides}})
    assert not calendar.is_working_day(date(2027, 1, 1))  # a Friday, declared a holiday
    assert calendar.is_working_day(date(2027, 1, 9))  # a Saturday, declared a working day
    assert calendar.is_working_day(date(2027, 1, 4))
    assert calendar.is_working_day(date(2025, 10, 8))  # the override replaced the package
    assert calendar.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 5)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"20x7": {}}, "not a year"),
        ({"2027": {"holidays": ["2027-02-30"]}}, "not a date"),
        ({"2027": {"holidays": ["2028-01-01"]}}, "not in 2027"),
        ({"2027": {"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}}, "both"),
    ],
)
def test_a_malformed_override_table_is_refused_with_the_reason(overrides, message):
    with pytest.raises(VerifyError, match=message):
        WorkingCalendar(overrides)


def test_the_publication_deadline_uses_the_policy_and_never_exceeds_the_national_maximum():
    policy = {"publication": {"deadline_working_days": 7, "national_max_working_days": 20}}
    assert publication_deadline(date(2025, 9, 30), policy) == (date(2025, 10, 16), 7)
    too_long = {"publication": {"deadline_working_days": 30, "national_max_working_days": 20}}
    assert publication_deadline(date(2025, 9, 30), too_long)[1] == 20


def test_an_event_time_is_dated_in_china_time():
    assert china_date("2026-05-06T15:59:59.000000Z") == date(2026, 5, 6)
    assert china_date("2026-05-06T16:00:00.000000Z") == date(2026, 5, 7)
