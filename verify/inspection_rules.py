"""Who may carry out an inspection on its day: the rules of the team present, written once.

The ledger applies them before it records ``inspection.carried_out`` (and a result or checklist);
the verifier applies them again to the bundle (docs/FORMAT.md, step 10b-c). They read plain
facts — codes, dates as ``YYYY-MM-DD`` strings, the policy document — and an inspector as any
record with ``status``, ``certificate`` and ``qualifications`` (the ledger's aggregate, or the
verifier's ``InspectorState``).

The rules (DOMAIN.md, "Draws, inspections, results, publication"; DESIGN.md, steps 5-6):

- at least the policy's ``teams.min_inspectors`` different inspectors take part (the notice: at
  least 2 certified inspectors per inspection), nobody counted twice;
- each one present is on the roster; for a drawn target, on the drawn team as amended by logged
  substitutions; for a directed (non-random) inspection, qualified for every one of its items;
- each one present is on duty, with an enforcement certificate valid on the day (a certificate
  valid until that very day still counts);
- a result or checklist is recorded by an inspector who was present.

Each refusal says which rule it broke (``Refusal.kind``), so that the ledger can answer with the
right error and the verifier with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# The notice: at least two certified inspectors per inspection; the policy may raise it.
DEFAULT_MIN_INSPECTORS = 2
ON_DUTY = "on_duty"

# The kinds of refusal, in the order the checks run for one inspector.
NOT_ON_ROSTER = "not_on_roster"
NOT_ON_TEAM = "not_on_team"
NOT_QUALIFIED = "not_qualified"
NOT_ON_DUTY = "not_on_duty"
CERTIFICATE_INVALID = "certificate_invalid"


class InspectorFacts(Protocol):
    """What these rules read of an inspector."""

    @property
    def status(self) -> str: ...

    @property
    def certificate(self) -> Mapping[str, Any]: ...

    @property
    def qualifications(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Refusal:
    kind: str
    message: str


def min_inspectors(policy: Mapping[str, Any]) -> int:
    """The policy's ``teams.min_inspectors``, or the notice's 2 when the policy omits it."""
    return int(policy.get("teams", {}).get("min_inspectors", DEFAULT_MIN_INSPECTORS))


def drawn_team_problem(team_size: int, policy: Mapping[str, Any]) -> str | None:
    """Why a draw (or a joint inspection's partner) may not ask for teams of ``team_size``, or
    None: a team drawn smaller than the policy's minimum could never carry out the inspection."""
    minimum = min_inspectors(policy)
    if team_size < minimum:
        return f"teams of {team_size}: the policy in force asks at least {minimum} inspectors"
    return None


def team_size_problem(present: Sequence[str], policy: Mapping[str, Any]) -> str | None:
    """Why the inspectors present are too few (or one is named twice), or None."""
    minimum = min_inspectors(policy)
    different = len(set(present))
    if different < minimum or different != len(present):
        return (
            f"at least {minimum} different certified inspectors take part in an inspection; "
            f"got {list(present)}"
        )
    return None


def certificate_valid_on(certificate: Mapping[str, Any], day: str) -> bool:
    """Whether an enforcement certificate is valid on ``day``: its ``valid_until`` is that day
    or later. A certificate without a date is not valid."""
    valid_until = certificate.get("valid_until") or ""
    return bool(valid_until) and valid_until >= day


def presence_refusal(
    code: str,
    inspector: InspectorFacts | None,
    *,
    on: str,
    random: bool,
    team: Sequence[str] | None,
    items: Sequence[str],
) -> Refusal | None:
    """Why inspector ``code`` may not take part in the inspection on ``on``, or None.

    ``inspector`` is their roster record (None: not on the roster). For a drawn target
    (``random``), ``team`` is the drawn team as amended by logged substitutions (None when the
    target has no drawn team, a failure its notification reports); for a directed inspection the
    inspector must be qualified for every one of ``items``.
    """
    if inspector is None:
        return Refusal(NOT_ON_ROSTER, f"no inspector {code} in the roster")
    if random and team is not None and code not in team:
        return Refusal(
            NOT_ON_TEAM,
            f"inspector {code} is not on the drawn team ({', '.join(team)}) "
            "nor a logged substitute",
        )
    if not random:
        missing = [i for i in items if i not in inspector.qualifications]
        if missing:
            return Refusal(
                NOT_QUALIFIED, f"inspector {code} is not qualified for {', '.join(missing)}"
            )
    if inspector.status != ON_DUTY:
        return Refusal(NOT_ON_DUTY, f"inspector {code} is {inspector.status}, not on duty")
    if not certificate_valid_on(inspector.certificate, on):
        valid_until = inspector.certificate.get("valid_until")
        expired = f"expired on {valid_until}" if valid_until else "states no validity date"
        return Refusal(
            CERTIFICATE_INVALID,
            f"inspector {code}'s enforcement certificate {expired}, "
            f"so it is not valid for the inspection on {on}",
        )
    return None


def recorder_problem(recorded_by: str, present: Sequence[str]) -> str | None:
    """Why ``recorded_by`` may not record what the inspection found (a result, the checklist),
    or None: only an inspector present at it may."""
    if recorded_by not in present:
        return (
            f"{recorded_by} was not on the team present at this inspection "
            f"({', '.join(present)}): only they may record what it found"
        )
    return None


def directed_problem(
    target: str, division: str, source: str, record_division: str, record_targets: Sequence[str]
) -> Refusal | None:
    """Why a directed (non-random) record ``source`` does not cover inspecting ``target`` by
    ``division``, or None: it must name the target and be the division's own."""
    if target not in record_targets:
        return Refusal("not_named", f"target {target} is not named in directed inspection {source}")
    if division != record_division:
        return Refusal(
            "other_division", f"directed inspection {source} is for division {record_division}"
        )
    return None


def method_problem(method: str, methods: Sequence[str]) -> str | None:
    """None if ``method`` is one of the inspection items' own methods (``Item.method``), else
    why not: an inspection is carried out only the way its items say it may be."""
    if method in methods:
        return None
    return (
        f"{method!r} is not a method of this inspection's items (they allow {', '.join(methods)})"
    )


def checklist_problem(answered: Sequence[str], questions: Sequence[str]) -> str | None:
    """None if ``answered`` answers each of the items' own checklist ``questions`` exactly once
    and nothing else, else what is missing, unknown or answered twice."""
    if not questions:
        return "this inspection's items have no checklist questions: there is nothing to answer"
    problems = []
    twice = sorted({q for q in answered if list(answered).count(q) > 1})
    unknown = [q for q in dict.fromkeys(answered) if q not in questions]
    missing = [q for q in questions if q not in answered]
    if missing:
        problems.append(f"not answered: {'; '.join(missing)}")
    if unknown:
        problems.append(f"not a question of this inspection's items: {'; '.join(unknown)}")
    if twice:
        problems.append(f"answered more than once: {'; '.join(twice)}")
    return ", ".join(problems) or None


STEP_ORDER_RULE = "no step of an inspection is dated before the step it follows"


def step_order_problem(day: str, after: tuple[str, str] | None) -> str | None:
    """None unless ``day`` (YYYY-MM-DD) is before ``after`` = (the day of the step it follows,
    what that step is); the ledger refuses such a step, the rule audit finds it."""
    if after is None or not after[0] or day >= after[0]:
        return None
    return f"{day} is before {after[1]} on {after[0]}: {STEP_ORDER_RULE}"
