"""``as_of`` resolved to a position, and the ledger as it stood there (``ledger/as_of.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger.actors import SYSTEM
from ledger.as_of import CHINA, ledger_as_of, parse_as_of, resolve, time_at
from ledger.errors import BadInput
from ledger.policy import default_policy
from ledger.registry.divisions import Division, division_id
from ledger.registry.service import Registry


@pytest.mark.parametrize(
    ("text", "position", "utc"),
    [
        ("17", 17, None),
        (" 17 ", 17, None),
        ("2026-11-30", None, "2026-11-30T15:59:59.999999+00:00"),
        ("2026-11-30T10:00", None, "2026-11-30T02:00:00+00:00"),
        ("2026-11-30 10:00:05.25", None, "2026-11-30T02:00:05.250000+00:00"),
        ("2026-11-30T10:00Z", None, "2026-11-30T10:00:00+00:00"),
        ("2026-11-30T10:00+08:00", None, "2026-11-30T02:00:00+00:00"),
    ],
)
def test_the_forms_of_as_of(text, position, utc):
    moment = parse_as_of(text)
    assert moment.position == position
    assert (moment.at.isoformat() if moment.at else None) == utc


@pytest.mark.parametrize(
    "text", ["", "1.5", "2026-11", "2026/11/30", "2026-11-30T10", "20261130T1000", "now", "1e3"]
)
def test_anything_else_is_refused_naming_the_forms(text):
    with pytest.raises(BadInput, match="not a ledger position"):
        parse_as_of(text)


def test_every_moment_resolves_to_the_last_event_at_or_before_it(ledger):
    """The binary search agrees with reading the whole log, at every event's time and just
    before it."""
    registry = Registry(ledger)
    for n in range(12):
        registry.add_division(_division(f"d{n}", f"处{n}"), None)
    head = ledger.recorder.max_notification_id()
    times = {p: time_at(ledger, p) for p in range(1, head + 1)}
    now = datetime.now(UTC) + timedelta(seconds=1)
    for at in times.values():
        for moment in (at, at - timedelta(microseconds=1)):
            expected = max((p for p, t in times.items() if t <= moment), default=None)
            if expected is None:
                with pytest.raises(BadInput, match="before the ledger existed"):
                    resolve(ledger, _china(moment), now)
            else:
                assert resolve(ledger, _china(moment), now) == expected


def _division(code: str, name: str) -> dict[str, str]:
    return {"code": code, "name": name, "kind": "business_division"}


def _china(moment: datetime) -> str:
    return moment.astimezone(CHINA).replace(tzinfo=None).isoformat(timespec="microseconds")


def test_the_ledger_as_of_a_position_reads_only_what_was_recorded_by_then(ledger):
    registry = Registry(ledger)
    registry.add_division(_division("a1", "甲处"), None)
    p = ledger.recorder.max_notification_id()
    registry.add_division(_division("b2", "乙处"), None)
    second = dict(default_policy(), version="second")
    ledger.set_policy(second, SYSTEM)

    then = ledger_as_of(ledger, p)
    assert then.recorder.max_notification_id() == p
    assert [position for position, _ in then.records()] == list(range(1, p + 1))
    assert then.get(division_id("a1"), Division).name == "甲处"
    assert division_id("b2") not in then.repository
    assert division_id("b2") in ledger.repository
    assert then.policy_in_force()["version"] != "second"
    assert ledger.policy_in_force()["version"] == "second"
    assert then.records_of(division_id("b2")) == []


def test_the_ledger_as_of_a_position_records_nothing(ledger):
    then = ledger_as_of(ledger, 1)
    head = ledger.recorder.max_notification_id()
    with pytest.raises(BadInput, match="read-only"):
        Registry(then).add_division(_division("c3", "丙处"), None)
    assert ledger.recorder.max_notification_id() == head
    assert division_id("c3") not in ledger.repository
