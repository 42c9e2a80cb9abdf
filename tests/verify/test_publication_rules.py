"""When a result must be published, as the ledger records it and the verifier re-derives it.

DOMAIN.md: once confirmed, results are pushed within 7 working days (inferred; the national rule
is at most 20) to the public column; penalties go to the 双公示 column. Working days follow the
State Council's holiday notices (国务院办公厅关于2025年/2026年部分节假日安排的通知), make-up working
days included; the expected dates below are counted by hand from those notices.
"""

from __future__ import annotations

import pytest

from verify.results import deadline_start, publication_terms
from verify.workdays import UnknownYear

POLICY = {"publication": {"deadline_working_days": 7, "national_max_working_days": 20}}


def test_a_result_counts_from_the_day_the_party_confirmed_it():
    assert deadline_start("results", "2025-09-30", []) == "2025-09-30"


def test_a_result_not_yet_confirmed_has_nothing_to_publish():
    assert deadline_start("results", None, [{"kind": "none", "on": "2025-09-30"}]) is None


def test_a_penalty_counts_from_its_first_decision_not_from_a_later_one():
    follow_ups = [
        {"kind": "order_to_correct", "on": "2025-09-01"},
        {"kind": "case_filed", "on": "2025-09-10"},
        {"kind": "penalty_decided", "on": "2025-09-30"},
        {"kind": "penalty_decided", "on": "2025-10-20"},
    ]
    assert deadline_start("double_publicity", "2025-08-30", follow_ups) == "2025-09-30"


def test_a_case_filed_without_a_penalty_decision_has_nothing_for_the_double_publicity_column():
    follow_ups = [{"kind": "case_filed", "on": "2025-09-10"}]
    assert deadline_start("double_publicity", "2025-08-30", follow_ups) is None


def test_seven_working_days_across_national_day_2025_and_its_make_up_saturday():
    # Confirmed Tue 30 Sep 2025; 1-8 Oct off; Sat 11 Oct worked: 9, 10, 11, 13, 14, 15, 16 Oct.
    terms = publication_terms("2025-09-30", "2025-10-16", POLICY)
    assert terms == {"deadline": "2025-10-16", "working_days_allowed": 7, "on_time": True}
    assert publication_terms("2025-09-30", "2025-10-17", POLICY)["on_time"] is False


def test_seven_working_days_across_the_spring_festival_2026():
    # Confirmed Fri 13 Feb 2026; Sat 14 Feb worked; 15-23 Feb off; Sat 28 Feb worked:
    # 14, 24, 25, 26, 27, 28 Feb and Mon 2 Mar.
    terms = publication_terms("2026-02-13", "2026-02-20", POLICY)
    assert terms == {"deadline": "2026-03-02", "working_days_allowed": 7, "on_time": True}
    assert publication_terms("2026-02-13", "2026-03-03", POLICY)["on_time"] is False


def test_publishing_on_the_day_of_confirmation_is_on_time():
    assert publication_terms("2025-09-30", "2025-09-30", POLICY)["on_time"] is True


def test_a_policy_may_not_allow_more_than_the_national_twenty_working_days():
    generous = {"publication": {"deadline_working_days": 30, "national_max_working_days": 20}}
    assert publication_terms("2025-09-30", "2025-10-01", generous)["working_days_allowed"] == 20


def test_a_policy_that_omits_the_deadline_gets_seven_working_days():
    assert publication_terms("2025-09-30", "2025-10-16", {})["working_days_allowed"] == 7
    assert publication_terms("2025-09-30", "2025-10-16", {})["deadline"] == "2025-10-16"


def test_a_deadline_running_into_a_year_without_a_calendar_fails_loudly():
    # chinesecalendar knows up to 2026; 7 working days after 28 Dec 2026 run into 2027.
    with pytest.raises(UnknownYear):
        publication_terms("2026-12-28", "2027-01-05", POLICY)
