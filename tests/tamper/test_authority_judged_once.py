"""The authority replay judges one (type, actor, division) once and looks the answer up after
(``AuthorityLog.permitted``), and folds a target's registration in one step
(``AuthorityLog.register_target``). Neither may let an act through that the full judgement
refuses: a judgement made while a clerk held their role must not carry over once the role is
revoked, the official deactivated or moved, or the policy changes who leads what; one made for
one division must not answer for another. A random history judged with the shortcuts and
without them gives the same findings and the same registry.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from verify.aggregate_ids import packed
from verify.authority_facts import Facts, facts
from verify.authority_replay import AuthorityReplay, replay_authority

OPERATOR = {"official": "drawledger", "role": "system", "department": "drawledger"}


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def _actor(official: str, role: str, department: str) -> dict[str, str]:
    return {"official": official, "role": role, "department": department}


def _event(
    event_type: str, aggregate: str, actor: dict[str, Any], **payload: Any
) -> dict[str, Any]:
    return {
        "type": event_type,
        "aggregate": _id(aggregate),
        "actor": actor,
        "payload": payload,
        "time": "2026-12-03T08:00:00.000000Z",
    }


def _register(code: str, division: str, *roles: str) -> dict[str, Any]:
    return _event(
        "official.registered", f"official-{code}", OPERATOR, code=code, division=division,
        name=code, roles=list(roles),
    )  # fmt: skip


def _roles(code: str, division: str, *roles: str) -> dict[str, Any]:
    return _event(
        "official.roles_changed", f"official-{code}", OPERATOR, division=division,
        roles=list(roles),
    )  # fmt: skip


def _target(n: int, by: dict[str, Any], division: Any, items: Any = ("hdjs",)) -> dict[str, Any]:
    items = list(items) if isinstance(items, tuple) else items
    return _event(
        "target.registered", f"target-{n}", by, code=f"9132040{n:011d}", kind="enterprise",
        division=division, items=items,
    )  # fmt: skip


def _policy(by: dict[str, Any], leaders: dict[str, list[str]]) -> dict[str, Any]:
    return _event("policy.set", "policy", by, document={"leaders": leaders})


def _judged(envelopes: list[dict[str, Any]]) -> dict[int, str]:
    events = [(n, e["type"], e["aggregate"], facts(e)) for n, e in enumerate(envelopes)]
    return {f.position: f.message for f in replay_authority(events).findings}


CLERK = _actor("clerk-s", "clerk", "szc")
ADMIN = _actor("admin-1", "admin", "bgs")
SETUP = [
    _policy(OPERATOR, {}),
    _register("admin-1", "bgs", "admin"),
    _register("clerk-s", "szc", "clerk"),
]


def test_a_revoked_clerks_later_registration_is_still_a_finding():
    """Judged permitted twice in szc (the second by the lookup), the clerk loses the role: the
    next registration in szc is a finding; given the role back, the clerk may again."""
    found = _judged(
        [
            *SETUP,
            _target(1, CLERK, "szc"),
            _target(2, CLERK, "szc"),
            _roles("clerk-s", "szc"),
            _target(3, CLERK, "szc"),
            _roles("clerk-s", "szc", "clerk"),
            _target(4, CLERK, "szc"),
        ]
    )
    assert sorted(found) == [6], found
    assert "没有角色 'clerk'" in found[6]


def test_a_deactivated_or_moved_clerks_later_registration_is_still_a_finding():
    moved = _judged(
        [
            *SETUP,
            _target(1, CLERK, "szc"),
            _roles("clerk-s", "jcc", "clerk"),
            _target(2, CLERK, "szc"),
        ]
    )
    assert sorted(moved) == [5] and "属于处室 jcc，不是 'szc'" in moved[5], moved
    gone = _event("official.deactivated", "official-clerk-s", OPERATOR)
    deactivated = _judged([*SETUP, _target(1, CLERK, "szc"), gone, _target(2, CLERK, "szc")])
    assert sorted(deactivated) == [5] and "已于叶子 4 停用" in deactivated[5], deactivated


def test_a_judgement_for_ones_own_division_does_not_answer_for_another():
    """Permitted in szc, looked up once: the same clerk, type and role in jcc is judged (a
    finding), and an act on jcc's record after the clerk's own is a finding too."""
    jcc_clerk = _actor("clerk-j", "clerk", "jcc")
    status = _event("target.status_changed", "target-9", CLERK, status="closed")
    found = _judged(
        [
            *SETUP,
            _register("clerk-j", "jcc", "clerk"),
            _target(1, CLERK, "szc"),
            _target(2, CLERK, "szc"),
            _target(3, CLERK, "jcc"),
            _target(9, jcc_clerk, "jcc"),
            _event("target.status_changed", "target-1", CLERK, status="closed"),
            status,
        ]
    )
    assert sorted(found) == [6, 9], found
    assert all("不能办理处室 jcc 的记录" in found[n] for n in (6, 9))


def test_a_new_policy_taking_a_division_from_a_leader_ends_their_reviews_there():
    """A leader reviews szc's plan under the policy putting szc in their charge; the admin sets
    a policy that does not: the leader's next review of an szc plan is a finding."""
    leader = _actor("leader-l", "leader_in_charge", "bgs")
    draft = [_event("plan.drafted", f"plan-{n}", CLERK, division="szc") for n in (1, 2, 3)]
    review = [_event("plan.reviewed", f"plan-{n}", leader, opinion="同意") for n in (1, 2, 3)]
    found = _judged(
        [
            *SETUP,
            _register("leader-l", "bgs", "leader_in_charge"),
            _policy(ADMIN, {"leader-l": ["szc"]}),
            *draft,
            review[0],
            review[1],
            _policy(ADMIN, {}),
            review[2],
        ]
    )
    assert sorted(found) == [11], found
    assert "不能办理处室 szc 的记录" in found[11]


def test_a_forged_actor_or_division_that_cannot_be_a_key_is_judged_not_looked_up():
    found = _judged(
        [
            *SETUP,
            _target(1, CLERK, "szc"),
            _target(2, _actor(["clerk-s"], "clerk", "szc"), "szc"),  # type: ignore[arg-type]
            _target(3, CLERK, ["szc"]),
            _target(4, _actor("clerk-s", "clerk", ["szc"]), "szc"),  # type: ignore[arg-type]
        ]
    )
    assert sorted(found) == [4, 5, 6], found


# -- a random history, judged with the shortcuts and without them ---------------------------------


class _Forgetful(set):  # type: ignore[type-arg]
    """A ``permitted`` that keeps nothing: every act judged in full."""

    def add(self, item: Any) -> None:
        return None


def _without_shortcuts() -> AuthorityReplay:
    replay = AuthorityReplay()
    log = replay._log
    log.permitted = _Forgetful()

    def register_target(aggregate: Any, scope: Any) -> None:  # the general folds, as before
        log.apply(-1, "target.registered", "new", aggregate, scope[1])
        log.apply_scope("target.registered", aggregate, scope)

    log.register_target = register_target  # type: ignore[method-assign]
    return replay


def _random_history(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Officials acting mostly as they are registered (so many acts are permitted and looked
    up), sometimes claiming another role or division, or forged; their roles and divisions,
    the policy's leaders and deactivations changing now and then between their acts."""
    divisions = ["szc", "jcc", "bgs"]
    roles = ["clerk", "division_head", "leader_in_charge", "inspector"]
    held = {c: (rng.choice(divisions), rng.choice(roles)) for c in ("ca", "cb", "hc", "ld")}
    out = [*SETUP, *(_register(c, d, r) for c, (d, r) in held.items())]
    for _ in range(count):
        code = rng.choice(list(held))
        division, role = held[code]
        actor = _actor(code, role, division)
        if rng.random() < 0.15:
            actor = _actor(code, rng.choice(roles), rng.choice(divisions))
        elif rng.random() < 0.05:
            actor = dict(actor, official=[code]) if rng.random() < 0.5 else OPERATOR
        named = division if rng.random() < 0.7 else rng.choice(divisions)
        roll = rng.random()
        if roll < 0.4:
            where: Any = rng.choice([named] * 8 + [None, ["szc"], 7])
            items: Any = rng.choice([("hdjs",), ("hdjs", "qsgl"), "hdjs", None])
            out.append(_target(rng.randrange(60), actor, where, items))
        elif roll < 0.55:
            target = f"target-{rng.randrange(60)}"
            out.append(_event("target.status_changed", target, actor, status="closed"))
        elif roll < 0.65:
            changes = {"division": named} if rng.random() < 0.5 else {}
            target = f"target-{rng.randrange(60)}"
            out.append(_event("target.updated", target, actor, changes=changes))
        elif roll < 0.75:
            plan = f"plan-{rng.randrange(10)}"
            out.append(_event("plan.drafted", plan, actor, division=named))
        elif roll < 0.9:
            plan = f"plan-{rng.randrange(10)}"
            out.append(_event("plan.reviewed", plan, actor, opinion="同意"))
        elif roll < 0.94:
            held[code] = (rng.choice(divisions), rng.choice(roles))
            out.append(_roles(code, held[code][0], *rng.sample(roles, rng.randrange(3))))
            out.append(_roles(code, *held[code]) if rng.random() < 0.7 else out[-1])
        elif roll < 0.96:
            out.append(_event("official.deactivated", f"official-{code}", OPERATOR))
        elif roll < 0.98:
            out.append(_policy(ADMIN, {code: rng.sample(divisions, rng.randrange(3))}))
        else:
            held[code] = (rng.choice(divisions), rng.choice(roles))
            out.append(_register(code, *held[code]))
    return out


def _state(replay: AuthorityReplay, aggregates: list[str]) -> Any:
    log = replay._log
    owners = [log.owner.get(a) for a in aggregates]
    keys = [log.target_keys.get(a) for a in aggregates]
    return owners, keys, dict(log.targets)


def test_a_random_history_gets_the_same_findings_and_registry_with_the_shortcuts_and_without():
    for seed in range(12):
        rng = random.Random(seed)
        history = _random_history(rng, 400)
        events: list[tuple[int, str, str, Facts]] = [
            (n, e["type"], e["aggregate"], facts(e)) for n, e in enumerate(history)
        ]
        fast, full = AuthorityReplay(), _without_shortcuts()
        kept = 0  # the most judgements the lookup held at once
        for event in events:
            fast.add(*event)
            full.add(*event)
            kept = max(kept, len(fast._log.permitted))
        got, want = fast.report.to_json(), full.report.to_json()
        assert got == want, seed
        assert 20 < len(want["findings"]) < 380, seed  # both kinds of outcome, many times
        assert want["official_acts"] > 300, seed
        aggregates = sorted({e[2] for e in events})
        keys = [packed(a) for a in aggregates]
        assert _state(fast, keys) == _state(full, keys), seed
        assert kept >= 2, seed  # the lookup was used


def test_facts_read_each_payload_once_as_the_two_readers_did():
    """``facts`` reads a payload through one reader an event type (``_READ``): what it gives is
    what ``_EXTRACT`` and ``_IDENTITY`` give, for payloads well formed, partial and forged."""
    from verify.authority_facts import _EXTRACT, _IDENTITY, _READ

    rng = random.Random(7)
    values: list[Any] = ["szc", "9132040000000000001", "enterprise", "project", None, 7, ["x"]]
    members = ["division", "code", "kind", "items", "changes", "inspection", "roles", "unit"]
    members += ["document", "verifier_key", "key", "from_index", "inspector", "present"]
    members += ["recorded_by", "executing_units", "targets"]
    assert set(_READ) == {*_EXTRACT, *_IDENTITY}
    for kind, read in _READ.items():
        extract, identity = _EXTRACT.get(kind), _IDENTITY.get(kind)
        for _ in range(200):
            payload = {m: rng.choice(values) for m in rng.sample(members, rng.randrange(8))}
            if rng.random() < 0.3:
                payload["changes"] = {"division": rng.choice(values), "unit": "u"}
            want = (
                extract(payload) if extract is not None else None,
                identity(payload) if identity is not None else None,
            )
            assert read(payload) == want, (kind, payload)
    witness = _event("witness.added", "w", ADMIN, key="k")
    assert facts(witness)[3:5] == (("k", witness["time"]), None)
    assert facts(_event("no.such_type", "x", ADMIN, division="szc"))[3:5] == (None, None)
