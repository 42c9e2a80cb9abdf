"""The verifier's registry of targets as compact rows (verify/target_rows.py), played against by
an insider who edits one target hoping to move others, and by a forger whose payloads carry
keys and fields that a compact row could confuse: every record reads back exactly as the plain
fold (a dict of ``TargetState``) holds it, and the draw rules give the same answers over both.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from verify.aggregate_ids import packed, unpacked
from verify.eligibility import population
from verify.registry_state import RegistryState, TargetRows, TargetState
from verify.target_rows import PROFILE_BYTES


def _env(kind: str, aggregate: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "aggregate": aggregate, "payload": payload, "time": "2026-03-02T00:00Z"}


def _registered(aggregate: str, code: Any, **fields: Any) -> dict[str, Any]:
    payload = {
        "kind": "enterprise",
        "code": code,
        "name": "常州某某有限公司",
        "district": "武进区",
        "grid": "湖塘镇第1网格",
        "division": "szc",
        "items": ["qsxk"],
        "credit_class": "A",
        "risk_flags": [],
        **fields,
    }
    return _env("target.registered", aggregate, payload)


def _folds(envelopes: list[dict[str, Any]]) -> tuple[RegistryState, RegistryState]:
    """The plain fold (text ids, a dict of records) and the verifier's (packed ids, rows)."""
    plain, rows = RegistryState(names=False), RegistryState(names=False, packed_ids=True)
    for envelope in envelopes:
        plain.apply(envelope)
        rows.apply(envelope)
    return plain, rows


def _same(plain: RegistryState, rows: RegistryState) -> None:
    """Every record of ``rows`` equal to the plain fold's, field by field and type by type."""
    assert isinstance(rows.targets, TargetRows)
    assert [unpacked(a) for a in rows.targets] == list(plain.targets)
    for aggregate, target in rows.targets.items():
        want = plain.targets[unpacked(aggregate)]
        got = target._replace(aggregate=unpacked(target.aggregate))
        assert got == want
        assert [type(v) for v in got] == [type(v) for v in want]


def _by_keys(state: RegistryState, keys: list[Any]) -> dict[Any, TargetState]:
    """``targets_by_keys`` with each record's id as text (as the plain fold names it)."""
    found = state.targets_by_keys(keys)
    return {k: t._replace(aggregate=unpacked(t.aggregate)) for k, t in found.items()}


def _ids(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(n)]


def test_two_targets_sharing_a_profile_then_one_amended_leaves_the_other_as_it_was():
    one, two = _ids(2)
    plain, state = _folds([_registered(one, "91320400AAAAAAAAA1"), _registered(two, "91320400B2")])
    rows = state.targets
    assert isinstance(rows, TargetRows)
    first, second = rows._rows[packed(one)], rows._rows[packed(two)]
    assert isinstance(first, bytes) and isinstance(second, bytes)
    assert first[:PROFILE_BYTES] == second[:PROFILE_BYTES]  # one shared profile
    before = state.copy()
    for envelope in (
        _env("target.updated", one, {"changes": {"division": "jcc", "items": ["hdgl"]}}),
        _env("target.status_changed", one, {"status": "closed"}),
    ):
        plain.apply(envelope)
        state.apply(envelope)
    amended, other = rows[packed(one)], rows[packed(two)]
    assert (amended.division, amended.items, amended.status) == ("jcc", ("hdgl",), "closed")
    assert (other.division, other.items, other.status) == ("szc", ("qsxk",), "in_business")
    assert rows._rows[packed(two)] == second  # the other's row is untouched
    # A copy taken before sees neither change; the profile table it shares was not changed.
    kept = before.targets[packed(one)]
    assert (kept.division, kept.items, kept.status) == ("szc", ("qsxk",), "in_business")
    _same(plain, state)


def test_keys_read_back_exactly_a_forged_surrogate_and_non_text_keys_included():
    ids = _ids(6)
    codes: list[Any] = ["91320400X", "bad\ud800key", "", 913204, None, "91320400X"]
    plain, state = _folds([_registered(a, c) for a, c in zip(ids, codes, strict=True)])
    _same(plain, state)
    assert state.targets[packed(ids[1])].key == "bad\ud800key"
    assert state.targets[packed(ids[3])].key == 913204  # an int stays an int
    # The same answers by key: two registrations under one key give the last, as the plain.
    for keys in (["91320400X"], ["bad\ud800key", 913204, None, ""], ["913204", "nobody"]):
        assert _by_keys(state, keys) == plain.targets_by_keys(keys)
    assert state.targets_by_keys(["91320400X"])["91320400X"].aggregate == packed(ids[5])


def test_a_key_colliding_by_prefix_or_by_bytes_is_another_key():
    """A row is its profile's number then the key's bytes: a key that is another's bytes with
    more after, or another's prefix, or the same letters in another form, is not found for it."""
    ids = _ids(4)
    keys = ["91320400X", "91320400X\x00", "9132040", "９１３２０４００Ｘ"]
    plain, state = _folds([_registered(a, k) for a, k in zip(ids, keys, strict=True)])
    _same(plain, state)
    for key in keys:
        found = _by_keys(state, [key])
        assert list(found) == [key] and found == plain.targets_by_keys([key])
    assert state.targets_by_keys(["91320400"]) == {}


def test_fields_equal_but_of_another_type_are_not_merged_into_one_profile():
    """1, True and 1.0 are equal as dict keys: a profile holding them would read back as the
    first one met. Such a forged record is kept whole, exactly as it was written."""
    ids = _ids(5)
    forged: list[dict[str, Any]] = [
        {"district": 1},
        {"district": True},
        {"district": 1.0},
        {"items": [1]},
        {"items": [True]},
    ]
    plain, state = _folds(
        [_registered(a, f"k{n}", **f) for n, (a, f) in enumerate(zip(ids, forged, strict=True))]
    )
    _same(plain, state)
    assert type(state.targets[packed(ids[1])].district) is bool
    # (An item list [True] reads back as [1] in both folds alike: ``registry_state.codes``
    # shares one tuple of equal codes; no rule tells them apart.)


def test_a_forged_field_that_cannot_be_a_key_is_kept_whole_as_in_the_plain_fold():
    ids = _ids(3)
    forged: list[dict[str, Any]] = [
        {"division": {"not": "a division"}},
        {"items": [{"code": "qsxk"}, ["x"]]},
        {"district": ["武进区"]},
    ]
    plain, state = _folds(
        [_registered(a, f"k{n}", **f) for n, (a, f) in enumerate(zip(ids, forged, strict=True))]
    )
    _same(plain, state)
    assert state.targets[packed(ids[0])].division == {"not": "a division"}


def test_a_lookalike_id_reaches_no_row_and_an_update_under_it_fails_as_in_the_plain_fold():
    real = _ids(1)[0]
    plain, state = _folds([_registered(real, "91320400X")])
    forged = _env("target.updated", real.upper(), {"changes": {"division": "jcc"}})
    for s in (plain, state):
        with pytest.raises(KeyError):
            s.apply(forged)
    assert state.targets[packed(real)].division == "szc"
    assert real.upper() not in state.targets and state.targets.get(real.upper()) is None


def test_many_random_changes_read_back_as_the_plain_fold_with_the_same_populations():
    rng = random.Random(15)
    ids = _ids(300, seed=9)
    envelopes = []
    for n, aggregate in enumerate(ids):
        envelopes.append(
            _registered(
                aggregate,
                f"9132{rng.randrange(10**6):06d}" if n % 7 else f"{rng.randrange(50)}",
                kind=rng.choice(["enterprise", "project", "individual"]),
                district=rng.choice(["武进区", "新北区"]),
                grid=rng.choice(["第1网格", None]),
                division=rng.choice(["szc", "jcc"]),
                items=rng.choice([["qsxk"], ["qsxk", "hdgl"], ["hdgl", "qsxk"], []]),
                credit_class=rng.choice("ABCD"),
                risk_flags=rng.choice([[], ["complaints"]]),
            )
        )
    for _ in range(600):
        aggregate = rng.choice(ids)
        if rng.random() < 0.3:
            status = rng.choice(["in_business", "closed", "suspended"])
            envelopes.append(_env("target.status_changed", aggregate, {"status": status}))
            continue
        field, value = rng.choice(
            [
                ("division", rng.choice(["szc", "jcc"])),
                ("items", rng.choice([["qsxk"], ["hdgl"], []])),
                ("grid", rng.choice(["第2网格", None])),
                ("credit_class", rng.choice("ABCD")),
                ("name", "改名"),
            ]
        )
        envelopes.append(_env("target.updated", aggregate, {"changes": {field: value}}))
    envelopes.append(_registered(ids[0], "re-registered"))  # the same id again: replaced
    plain, state = _folds(envelopes)
    _same(plain, state)
    policy = {"frequency": {"max_inspections_per_entity_per_year": 1}}
    plain.selections[(plain.targets[ids[1]].key, 2026)] += 1
    state.selections[(plain.targets[ids[1]].key, 2026)] += 1
    for criteria in (
        {"division": "szc"},
        {"division": "jcc", "items": ["hdgl"], "kinds": ["project"]},
    ):
        for by in (None, "district", "grid", "credit_class", "kind"):
            assert population(state, criteria, policy, 2026, by) == population(
                plain, criteria, policy, 2026, by
            )
    keys = [t.key for t in plain.targets.values()][::3]
    assert state.targets_by_keys(keys) == {
        k: t._replace(aggregate=packed(t.aggregate)) for k, t in plain.targets_by_keys(keys).items()
    }


def test_a_record_stored_under_another_id_or_of_another_type_is_kept_whole():
    rows = TargetRows()
    target = TargetState("a", "k", "enterprise", None, "d", None, "szc", (), "A", ())
    rows["b"] = target  # its id is not the one it is stored under: read back as it was
    assert rows["b"] is target
    rows["a"] = target
    assert rows["a"] == target and rows["a"] is not target  # a row, rebuilt when read
    assert rows == {"a": target, "b": target} and len(rows) == 2
    del rows["b"]
    assert list(rows) == ["a"] and "b" not in rows


def test_a_population_judged_once_a_profile_gives_the_plain_folds_exclusions_and_strata():
    """A forger's draw stratifies by the key itself or by a field no record has, the policy
    caps the year and exempts the risky, and some records are kept whole (a forged grid): the
    population over rows, its rules judged once per profile, is the plain fold's."""
    rng = random.Random(27)
    ids = _ids(240, seed=11)
    envelopes = [
        _registered(
            aggregate,
            f"9132{n:06d}",
            grid=n if n % 40 == 0 else "第1网格",  # a grid that is no text: kept whole
            district=rng.choice(["武进区", "新北区"]),
            items=rng.choice([["qsxk"], ["qsxk", "hdgl"]]),
            credit_class=rng.choice("AB"),
            risk_flags=rng.choice([[], ["complaints"]]),
        )
        for n, aggregate in enumerate(ids)
    ]
    envelopes += [
        _env("target.status_changed", a, {"status": "closed"}) for a in rng.sample(ids, 30)
    ]
    plain, state = _folds(envelopes)
    _same(plain, state)
    assert any(type(r) is not bytes for r in state.targets._rows.values())  # some kept whole
    for target in rng.sample(list(plain.targets.values()), 80):
        for fold in (plain, state):
            fold.selections[(target.key, 2026)] += 1 + target.credit_class.count("A")
    for policy in (
        {},
        {"frequency": {"max_inspections_per_entity_per_year": 1}},
        {
            "frequency": {
                "max_inspections_per_entity_per_year": 2,
                "risk_flags": ["complaints"],
                "risky_entities_exempt_from_cap": True,
            },
            "eligibility": {"target_statuses": ["in_business", "closed"]},
        },
    ):
        for by in (None, "district", "credit_class", "status", "items", "key"):
            got = population(state, {"division": "szc"}, policy, 2026, by)
            assert got == population(plain, {"division": "szc"}, policy, 2026, by)
            assert got.exclusions and got.strata  # the rules did exclude, and some remain
    with pytest.raises(AttributeError):  # a field no record has: refused alike
        population(state, {"division": "szc"}, {}, 2026, "colour")
    with pytest.raises(AttributeError):
        population(plain, {"division": "szc"}, {}, 2026, "colour")
