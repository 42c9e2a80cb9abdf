"""Participation: who of a division's enforcement staff took part, and in how many rounds
agency (机关) staff did (DOMAIN.md, "Plans").

The notice: at least ``participation.min_staff_percent`` (50, *inferred*) of a division's
enforcement staff actually take part in inspections, and agency staff take part in at least
``participation.min_agency_rounds_percent`` (30, *inferred*) of its enforcement rounds. The
policy document holds both thresholds (``ledger/policy_default.toml``, checked by
``ledger/policy_rules.py``); the defaults below apply only when a policy omits them.

The ledger cannot refuse an act for these rules — a share is known only when the year is over —
so they are judged by the rule audit (``verify/audit_cycle.py``) and the annual assessment.
Shares are compared in whole numbers (``part × 100 < percent × whole``), never as floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_MIN_STAFF_PERCENT = 50
DEFAULT_MIN_AGENCY_ROUNDS_PERCENT = 30


def thresholds(policy: Mapping[str, Any]) -> tuple[int, int]:
    """(min_staff_percent, min_agency_rounds_percent) of the policy, or the defaults."""
    rules = policy.get("participation", {})
    return (
        int(rules.get("min_staff_percent", DEFAULT_MIN_STAFF_PERCENT)),
        int(rules.get("min_agency_rounds_percent", DEFAULT_MIN_AGENCY_ROUNDS_PERCENT)),
    )


def below(part: int, whole: int, percent: int) -> bool:
    """Whether ``part`` of ``whole`` is less than ``percent`` per cent (an empty whole is not)."""
    return whole > 0 and part * 100 < percent * whole


def staff_problem(took_part: int, staff: int, policy: Mapping[str, Any]) -> str | None:
    """Why too few of a division's ``staff`` enforcement officers took part, or None."""
    said = "{part} of its {whole} enforcement staff took part in an inspection"
    return _short(took_part, staff, thresholds(policy)[0], said)


def agency_rounds_problem(with_agency: int, rounds: int, policy: Mapping[str, Any]) -> str | None:
    """Why too few of a division's enforcement ``rounds`` had agency staff, or None."""
    said = "agency (机关) staff took part in {part} of its {whole} enforcement rounds"
    return _short(with_agency, rounds, thresholds(policy)[1], said)


def _short(part: int, whole: int, minimum: int, said: str) -> str | None:
    if not below(part, whole, minimum):
        return None
    return (
        f"{said.format(part=part, whole=whole)} ({_percent(part, whole)}); "
        f"the policy asks at least {minimum}%"
    )


def _percent(part: int, whole: int) -> str:
    return f"{part * 100 // whole}%" if whole else "n/a"
