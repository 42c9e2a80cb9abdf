"""`make test-future` runs the date-sensitive tests with the clock after the working-day
calendar's end (libfaketime; docs/POLICY.md, "Testing after the calendar ends"). This checks
that the fake date really reaches the run — this process, a child process like the import's
helpers and the service a browser test starts, and a thread — so that a run whose clock was not
faked (faketime missing from the process, a cleaned environment) fails instead of passing at
the real date. Skipped outside that target (it sets DRAWLEDGER_TEST_FUTURE to its date)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import date

import pytest

from ledger.inspections.service import china_today

FUTURE = os.environ.get("DRAWLEDGER_TEST_FUTURE", "")

pytestmark = pytest.mark.skipif(not FUTURE, reason="only under `make test-future`")


def _expected() -> date:
    return date.fromisoformat(FUTURE.split()[0])


def test_the_clock_of_this_process_a_thread_and_a_child_process_is_the_fake_date():
    assert china_today() == _expected()
    seen: list[date] = []
    thread = threading.Thread(target=lambda: seen.append(china_today()))
    thread.start()
    thread.join()
    assert seen == [_expected()]
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ledger.inspections.service import china_today; print(china_today())",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert child.stdout.strip() == _expected().isoformat()


def test_the_fake_date_lies_after_the_working_day_calendar_ends():
    from ledger.policy import default_policy
    from verify.workdays import WorkingCalendar

    assert _expected() > WorkingCalendar.from_policy(default_policy()).known_until()
