"""The verifier's compact per-target state (issue 15: 1,000,000 targets in < 512 MiB) against
the plain structures it replaced: the chains' heads packed in columns (verify/chain_heads.py),
a target's registry record a named tuple with shared code tuples and no name in a verifier's
fold (verify/registry_state.py), the authority replay's shared scope pairs
(verify/authority_log.py). Each is driven through the same events as a plain dict or a plain
fold, written here as the old code was, and must give the same answers — a target changed many
times, moved between divisions, its items changed, a version too large for a machine word."""

from __future__ import annotations

import random
from typing import Any

import pytest

from verify.authority_log import AuthorityLog
from verify.chain_heads import ChainHeads
from verify.registry_state import RegistryState, TargetState, codes, fold

# --- the chains' heads ----------------------------------------------------------------------


def test_the_packed_heads_answer_as_a_dict_through_many_changes_of_many_chains():
    rng = random.Random(15)
    heads, plain = ChainHeads(), {}
    aggregates = [f"agg-{n}" for n in range(300)]
    for position in range(20_000):
        aggregate = rng.choice(aggregates[: 1 + position // 50])  # chains started over time
        seen = plain.get(aggregate)
        assert heads.get(aggregate) == seen
        version = seen[0] + 1 if seen else 1
        if rng.random() < 0.01:  # a forged version: far from the last, or beyond 64 bits
            version = rng.choice([version + 1000, 2**70, 1])
        head = (version, rng.randbytes(32), position)
        heads[aggregate] = head
        plain[aggregate] = head
    assert len(heads) == len(plain)
    for aggregate in [*aggregates, "never-seen"]:
        assert heads.get(aggregate) == plain.get(aggregate)
        assert (aggregate in heads) == (aggregate in plain)
    heads.clear()
    assert len(heads) == 0 and heads.get(aggregates[0]) is None


def test_a_head_with_a_digest_of_another_size_is_refused_not_stored_truncated():
    heads = ChainHeads()
    heads["a"] = (1, bytes(32), 0)
    with pytest.raises(ValueError, match="32 bytes"):
        heads["a"] = (2, bytes(31), 1)
    with pytest.raises(ValueError, match="32 bytes"):
        heads["b"] = (1, bytes(33), 2)
    assert heads.get("a") == (1, bytes(32), 0) and heads.get("b") is None and len(heads) == 1


def test_a_broken_link_deep_in_a_long_chain_names_the_version_and_position_it_follows():
    from verify.record_pass import RecordPass

    digests = [bytes([n]) * 32 for n in range(1, 41)]
    passed = RecordPass([], None)
    for version in range(1, 41):
        prev = None if version == 1 else digests[version - 2].hex()
        if version == 30:
            prev = "ab" * 32  # the 30th event links to a digest that is not the 29th's
        passed._chain(version - 1, _decoded(version, prev, digests[version - 1]), "target-1")
    failures = passed.chains.failures
    assert [f.position for f in failures] == [29]
    assert f"应为 {digests[28].hex()}（位置 28 处版本 29 的摘要）" in failures[0].message
    assert passed.last.get("target-1") == (40, digests[39], 39)


def _decoded(version: int, prev: str | None, digest: bytes) -> Any:
    from verify.record_pass import Decoded

    return Decoded("target.updated", "target-1", version, prev, digest, b"", (), None, True)


# --- the registry the draw replay folds ------------------------------------------------------


def _env(kind: str, aggregate: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "aggregate": aggregate, "payload": payload, "time": "2026-03-02T00:00Z"}


def _registered(n: int, division: str, items: list[str]) -> dict[str, Any]:
    return _env(
        "target.registered",
        f"t-{n}",
        {
            "kind": "enterprise" if n % 3 else "project",
            "code": f"9132040{n:011d}",
            "name": f"常州某单位{n}",
            "district": "武进区",
            "grid": None,
            "division": division,
            "items": items,
            "credit_class": "A",
            "risk_flags": ["complaints"] if n % 2 else [],
        },
    )


def _plain_fold(envelopes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The old fold: one dict of fields per target, every change applied to a copy."""
    fields = ("name", "district", "grid", "division", "items", "credit_class", "risk_flags")
    targets: dict[str, dict[str, Any]] = {}
    for e in envelopes:
        p = e["payload"]
        if e["type"] == "target.registered":
            key = p["code"] if p["kind"] == "enterprise" else f"{p['kind']}:{p['code']}"
            targets[e["aggregate"]] = {
                "aggregate": e["aggregate"],
                "key": key,
                "kind": p["kind"],
                **{f: p[f] for f in fields},
                "status": "in_business",
            }
        elif e["type"] == "target.updated":
            changes = {k: v for k, v in p["changes"].items() if k in fields}
            targets[e["aggregate"]] = {**targets[e["aggregate"]], **changes}
        elif e["type"] == "target.status_changed":
            targets[e["aggregate"]] = {**targets[e["aggregate"]], "status": p["status"]}
    return targets


def _history(seed: int) -> list[dict[str, Any]]:
    """Forty targets, then 2,000 changes: moves between divisions, item sets and risk flags
    changed and changed back, names, statuses; target 7 changed most of all."""
    rng = random.Random(seed)
    divisions, item_sets = ["szc", "jcc", "zfd"], [["qsxk"], ["qsxk", "hdgl"], ["hdgl"], []]
    envelopes = [_registered(n, rng.choice(divisions), rng.choice(item_sets)) for n in range(40)]
    for n in range(2000):
        aggregate = "t-7" if n % 3 == 0 else f"t-{rng.randrange(40)}"
        if rng.random() < 0.2:
            status = rng.choice(["closed", "in_business", "suspended"])
            envelopes.append(_env("target.status_changed", aggregate, {"status": status}))
            continue
        changes = rng.choice(
            [
                {"division": rng.choice(divisions)},
                {"items": list(rng.choice(item_sets))},
                {"risk_flags": rng.choice([[], ["complaints"], ["complaints", "accident"]])},
                {"name": f"改名{n}", "district": rng.choice(["武进区", "金坛区"])},
                {"division": rng.choice(divisions), "items": list(rng.choice(item_sets))},
                {"unknown_field": 1, "grid": f"网格{n % 4}"},
            ]
        )
        envelopes.append(_env("target.updated", aggregate, {"changes": changes}))
    return envelopes


@pytest.mark.parametrize("names", [True, False], ids=["ledger", "verifier"])
def test_the_compact_fold_gives_every_target_the_old_folds_fields(names):
    envelopes = _history(2026)
    state = fold(envelopes, names=names)
    expected = _plain_fold(envelopes)
    assert set(state.targets) == set(expected)
    for aggregate, target in state.targets.items():
        want = {**expected[aggregate]}
        want["items"], want["risk_flags"] = tuple(want["items"]), tuple(want["risk_flags"])
        if not names:
            want["name"] = None
        assert target._asdict() == want


def test_targets_listing_the_same_codes_share_one_tuple_and_a_change_to_one_leaves_the_other():
    state = fold(
        [_registered(1, "szc", ["qsxk", "hdgl"]), _registered(2, "jcc", ["qsxk", "hdgl"])],
        names=False,
    )
    one, two = state.targets["t-1"], state.targets["t-2"]
    assert one.items is two.items == ("qsxk", "hdgl")
    assert one.division is not None and state.targets["t-1"].name is None
    state.apply(_env("target.updated", "t-1", {"changes": {"items": ["hdgl"]}}))
    assert state.targets["t-1"].items == ("hdgl",)
    assert state.targets["t-2"].items == ("qsxk", "hdgl")  # the shared tuple is not changed
    assert codes(["qsxk", "hdgl"]) is two.items  # the order is kept: another order, another
    assert codes(["hdgl", "qsxk"]) == ("hdgl", "qsxk")


def test_a_copy_keeps_the_record_it_had_when_the_original_moves_the_target():
    state = fold([_registered(1, "szc", ["qsxk"])], names=False)
    before = state.copy()
    assert before.names is False
    state.apply(_env("target.updated", "t-1", {"changes": {"division": "jcc", "name": "x"}}))
    assert (before.targets["t-1"].division, state.targets["t-1"].division) == ("szc", "jcc")
    assert state.targets["t-1"].name is None  # a verifier's fold keeps no name, even a new one


def test_a_forged_item_list_that_cannot_be_shared_is_kept_as_it_is():
    forged = [{"code": "qsxk"}, ["x"]]
    state = fold([_registered(1, "szc", forged)], names=False)
    assert state.targets["t-1"].items == tuple(forged)
    assert codes("not a list") == "not a list"


def test_the_ledgers_state_and_the_verifiers_compare_equal_apart_from_names():
    envelopes = _history(7)
    ledger, verifier = fold(envelopes), fold(envelopes, names=False)
    assert ledger != verifier  # the names differ
    assert {a: t._replace(name=None) for a, t in ledger.targets.items()} == verifier.targets
    assert RegistryState(names=False) == RegistryState()  # the flag itself is not compared


def test_a_persisted_state_decodes_to_the_fold_it_was_encoded_from():
    from ledger.registry.state_store import decode, encode

    state = fold(_history(3))
    again = decode(encode(state))
    assert again == state
    assert all(type(t) is TargetState for t in again.targets.values())
    assert again.targets["t-7"].items is codes(list(state.targets["t-7"].items))


# --- the authority replay's scope --------------------------------------------------------------


def test_the_authority_scope_follows_a_target_moved_and_relisted_as_the_plain_map_did():
    rng = random.Random(4)
    log, plain = AuthorityLog(), {}
    for n in range(30):
        scope = (f"key-{n}", rng.choice(["szc", "jcc"]), rng.choice([["qsxk"], ["hdgl"]]))
        log.apply_scope("target.registered", f"t-{n}", scope)
        plain[f"key-{n}"] = (scope[1], tuple(scope[2]))
    for _ in range(500):
        n = rng.randrange(30)
        division = rng.choice(["szc", "jcc", None])
        listed = rng.choice([["qsxk"], ["hdgl", "qsxk"], [], None])
        log.apply_scope("target.updated", f"t-{n}", (None, division, listed))
        owner, carried = plain[f"key-{n}"]
        plain[f"key-{n}"] = (
            owner if division is None else division,
            carried if listed is None else tuple(listed),
        )
    keys = [f"key-{n}" for n in range(30)] + ["key-none"]
    found = log.scope([], keys)
    assert found is not None
    assert found[1] == {k: plain.get(k) for k in keys}
    shared = [log.targets[k] for k in keys[:-1] if log.targets[k] == ("szc", ("qsxk",))]
    assert len({id(p) for p in shared}) <= 1  # one pair for every target alike


def test_a_forged_division_that_cannot_be_a_key_is_folded_without_sharing():
    log = AuthorityLog()
    log.apply_scope("target.registered", "t-1", ("key-1", {"not": "a division"}, ["qsxk"]))
    assert log.targets["key-1"] == ({"not": "a division"}, ("qsxk",))


def test_a_forged_registration_folds_or_fails_as_the_old_fold_did():
    forged = _registered(1, "szc", ["qsxk"])
    forged["payload"]["kind"] = 5  # not a text: kept as it is, as before
    assert fold([forged], names=False).targets["t-1"].kind == 5
    del forged["payload"]["name"]
    with pytest.raises(KeyError):  # a registration without a name fails in either fold
        fold([forged], names=False)
