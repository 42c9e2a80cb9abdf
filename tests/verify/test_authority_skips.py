"""The authority replay calls the binding, shared-code, bound-move and directed-scope rules only
for the event types in ``_IDENTITY_JUDGED``: each rule must find nothing for every other type,
whatever the log holds and the event says, or the skip would hide a finding."""

from __future__ import annotations

import pytest

from verify.authority_log import AuthorityLog, OfficialState
from verify.authority_replay import _IDENTITY_JUDGED, _directed_problem
from verify.authority_rules import EVENT_ACTS
from verify.identity_replay import binding_problem, bound_move_problem, shared_code_problem


def _busy_log() -> AuthorityLog:
    """A log where every rule, asked about its own type, would find something."""
    log = AuthorityLog()
    log.codes["agg"] = "c1"
    log.officials["c1"] = OfficialState("szc", frozenset({"clerk", "inspector"}))
    log.officials["x"] = OfficialState("szc", frozenset({"clerk"}))
    log.units["x"] = "unit"
    log.units["c1"] = "unit"
    log.inspectors["agg"] = "x"
    log.bound["c1"] = "x"
    log.holder["x"] = "c1"
    return log


KINDS = sorted(set(EVENT_ACTS) | _IDENTITY_JUDGED | {"bench.target.registered", "witness.added"})
EXTRAS = [None, ("x", "ggc", ["clerk"]), ("ggc", ["clerk"]), "ggc", ("x",)]
IDENTITIES = [
    None,
    ("x", "other", None),
    ("x", None, None),
    (None, "ggc", ["i"]),
    ("ggc", ["i"], ["t"]),
]


@pytest.mark.parametrize("kind", KINDS)
def test_the_rules_skipped_find_nothing_outside_their_types(kind):
    judged = []
    for extra in EXTRAS:
        for identity in IDENTITIES:
            log = _busy_log()
            found = [
                binding_problem(log, kind, "agg", identity),
                shared_code_problem(log, kind, extra, identity),
                bound_move_problem(log, kind, "agg", extra, identity),
                _directed_problem(log, kind, identity),
            ]
            judged.append(any(f is not None for f in found))
    if kind not in _IDENTITY_JUDGED:
        assert not any(judged)


def test_each_type_judged_has_a_rule_that_finds_something():
    found = set()
    for kind in _IDENTITY_JUDGED:
        for extra in EXTRAS:
            for identity in IDENTITIES:
                log = _busy_log()
                if any(
                    f is not None
                    for f in (
                        binding_problem(log, kind, "agg", identity),
                        shared_code_problem(log, kind, extra, identity),
                        bound_move_problem(log, kind, "agg", extra, identity),
                        _directed_problem(log, kind, identity),
                    )
                ):
                    found.add(kind)
    assert found == _IDENTITY_JUDGED
