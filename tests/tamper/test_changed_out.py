"""(9) A freeze's ``changed_out``: the companies a registry change just before the freeze took out
of the draw, recorded in the signed freeze and recomputed by the verifier from the bundle's log
(``verify/recent_changes.py``, the rule the service uses too).

The attacker controls the service: a clerk moved a friend's company out of the draw's district
just before the freeze, and the operator (holding the ledger's key) re-signs the freeze without
it, relinks every later event and re-signs every checkpoint, so that the bundle's integrity
holds. The verifier folds the registry, sees the change and names the target left out.
"""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

import pytest

from ledger.draws.service import Draws
from ledger.export import export_bundle
from ledger.registry.service import Registry
from tests.ledger.workflow import reveal, with_ceremony
from verify.bundle import read_bundle
from verify.checks import verify_bundle
from verify.eligibility import matches

from .bundle_edits import EditableBundle, resealed

CLERK = "szc-clerk"
DISTRICT = "新北区"
SPEC = {"division": "szc", "items": ["qsxk"], "counts": {"all": 3}, "team_size": 2}
CRITERIA = {"division": "szc", "items": ["qsxk"], "districts": [DISTRICT]}


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=200, inspectors=24)
    return ledger


def _friend(state: Any) -> tuple[str, str]:
    """The friend's company: the first the draw over CRITERIA would draw (key, aggregate)."""
    return min(
        (t.key, agg)
        for agg, t in state.targets.items()
        if matches(t, CRITERIA) and t.status == "in_business"
    )


def _steered(bureau: Any) -> tuple[str, UUID]:
    """The clerk moves a friend's company out of the district just before the draw; the
    draw is frozen, revealed and selected. (the friend's key, the draw)"""
    registry, draws = Registry(bureau), Draws(bureau)
    friend_key, friend = _friend(draws.registry_at(None))
    registry.update_target(UUID(friend), {"district": "武进区"}, "地址更正", "工商登记", CLERK)
    draw = draws.open(with_ceremony({**SPEC, "districts": [DISTRICT]}), CLERK)
    draws.freeze(draw, CLERK)
    reveal(draws, draw, CLERK)
    draws.select(draw, CLERK)
    return friend_key, draw


def _freeze_leaf(bundle: EditableBundle, draw: UUID) -> int:
    [leaf] = [
        i
        for i in bundle.positions_of(str(draw))
        if bundle.envelope(i)["type"] == "draw.population_frozen"
    ]
    return leaf


def _forged(bureau: Any, tmp_path: Any, draw: UUID, edit: Any) -> tuple[int, list[str]]:
    """The bundle with the freeze's payload edited by ``edit`` and everything re-signed with
    the ledger's key: (the freeze's leaf, step 9's failures at it); integrity holds."""
    path = tmp_path / "b.jsonl"
    export_bundle(bureau, path)
    bundle = EditableBundle.from_bytes(path.read_bytes())
    leaf = _freeze_leaf(bundle, draw)
    payload = copy.deepcopy(bundle.envelope(leaf)["payload"])
    edit(payload)
    resealed(bundle, bureau.signer, {leaf: {"payload": payload}})
    forged = tmp_path / "forged.jsonl"
    forged.write_bytes(bundle.to_bytes())
    report = verify_bundle(read_bundle(forged))
    assert all(step.ok for step in report.steps[:8]), "the re-signed bundle's integrity holds"
    return leaf, [f.message for f in report.steps[8].failures if f.position == leaf]


def test_a_steered_company_left_out_of_changed_out_by_the_key_holder_is_named(bureau, tmp_path):
    friend, draw = _steered(bureau)
    frozen = Draws(bureau).app.records_of(draw)[1].envelope["payload"]
    assert friend in {t["target"] for t in frozen["changed_out"]}
    path = tmp_path / "honest.jsonl"
    export_bundle(bureau, path)
    assert verify_bundle(read_bundle(path)).steps[8].ok  # the service's list is the verifier's

    def left_out(payload: dict[str, Any]) -> None:
        payload["changed_out"] = [t for t in payload["changed_out"] if t["target"] != friend]

    _, failures = _forged(bureau, tmp_path, draw, left_out)
    assert any(f"changed_out 漏列了 {friend}" in m for m in failures), failures


def test_a_target_added_to_changed_out_or_a_change_altered_is_named(bureau, tmp_path):
    friend, draw = _steered(bureau)

    def added(payload: dict[str, Any]) -> None:
        change = {"type": "target.updated", "position": 1, "time": "x", "changed": ["district"]}
        payload["changed_out"].append({"target": "9132000000000000XX", "changes": [change]})

    _, failures = _forged(bureau, tmp_path, draw, added)
    assert any("changed_out 多列了 9132000000000000XX" in m for m in failures), failures

    def altered(payload: dict[str, Any]) -> None:
        [listed] = [t for t in payload["changed_out"] if t["target"] == friend]
        listed["changes"][0]["changed"] = ["name"]  # a rename, as if harmless

    _, failures = _forged(bureau, tmp_path, draw, altered)
    assert any(f"changed_out 中 {friend}：记录为" in m for m in failures), failures


def test_a_window_narrowed_to_leave_the_change_out_is_named(bureau, tmp_path):
    """The key holder shortens the recorded window to a minute, so that the change falls
    outside it, and drops the company: the window is not the policy's."""
    friend, draw = _steered(bureau)

    def narrowed(payload: dict[str, Any]) -> None:
        payload["recent_change_days"] = 0
        payload["changed_since"] = "2999-01-01T00:00:00.000000Z"
        payload["changed_out"] = []

    _, failures = _forged(bureau, tmp_path, draw, narrowed)
    assert any("记录为 0 天，冻结时有效的规则为 30 天" in m for m in failures), failures
    assert any("自 '2999-01-01T00:00:00.000000Z' 起，短于冻结" in m for m in failures), failures
    assert not any("漏列" in m for m in failures)  # over the window it claims, nothing is left


def test_a_freeze_that_lists_nothing_verifies_and_the_verifier_notes_the_change(bureau, tmp_path):
    """A freeze recorded before freezes listed recent changes verifies as before; so does one
    the key holder re-signed without the lists, to pass for such a freeze: either way step 9's
    notes name what the log gives over 30 days, the steered company included."""
    friend, draw = _steered(bureau)

    def old(payload: dict[str, Any]) -> None:
        for name in ("changed_out", "changed_odds", "recent_change_days", "changed_since"):
            del payload[name]

    leaf, failures = _forged(bureau, tmp_path, draw, old)
    assert failures == []
    step = verify_bundle(read_bundle(tmp_path / "forged.jsonl")).steps[8]
    notes = [n.message for n in step.notes if n.position == leaf]
    assert any("冻结未列出近期登记变更" in n and f"使 {friend} 退出了抽取" in n for n in notes)


def test_a_company_weighed_down_just_before_a_weighted_draw_is_named(bureau, tmp_path):
    """In a weighted draw the clerk lowers a friend's credit class (D weighs 3, A 1) just
    before the freeze: it stays in the draw with a third of its odds. The freeze lists it in
    ``changed_odds``; re-signed without it, the verifier names it."""
    registry, draws = Registry(bureau), Draws(bureau)
    state = draws.registry_at(None)
    friend_key, friend = min(
        (t.key, agg)
        for agg, t in state.targets.items()
        if matches(t, CRITERIA) and t.status == "in_business" and t.credit_class == "D"
    )
    registry.update_target(UUID(friend), {"credit_class": "A"}, "信用修复", "信用中国", CLERK)
    draw = draws.open(with_ceremony({**SPEC, "weighted": True}), CLERK)
    draws.freeze(draw, CLERK)
    frozen = draws.app.records_of(draw)[1].envelope["payload"]
    [listed] = [t for t in frozen["changed_odds"] if t["target"] == friend_key]
    assert (listed["weight"], listed["changes"][0]["changed"]) == ([3, 1], ["credit_class"])
    assert friend_key not in {t["target"] for t in frozen["changed_out"]}

    def left_out(payload: dict[str, Any]) -> None:
        payload["changed_odds"] = [t for t in payload["changed_odds"] if t["target"] != friend_key]

    _, failures = _forged(bureau, tmp_path, draw, left_out)
    assert any(f"changed_odds 漏列了 {friend_key}" in m for m in failures), failures


def test_an_inspector_left_out_of_roster_changed_by_the_key_holder_is_named(bureau, tmp_path):
    """The pool stacked before the freeze (the demo's roster itself joined within the window)
    is listed in ``roster_changed``; re-signed without one inspector, the verifier names it."""
    _, draw = _steered(bureau)
    frozen = Draws(bureau).app.records_of(draw)[1].envelope["payload"]
    first = frozen["roster_changed"][0]["inspector"]

    def left_out(payload: dict[str, Any]) -> None:
        payload["roster_changed"] = payload["roster_changed"][1:]

    _, failures = _forged(bureau, tmp_path, draw, left_out)
    assert any(f"roster_changed 漏列了 {first}" in m for m in failures), failures


def test_an_interest_left_out_of_interests_declared_by_the_key_holder_is_named(bureau, tmp_path):
    """A strict inspector's interest in the friend's company, declared just before the freeze,
    is listed in ``interests_declared``; re-signed without it, the verifier names its position."""
    registry, draws = Registry(bureau), Draws(bureau)
    state = draws.registry_at(None)
    _, friend = _friend(state)
    strict = next(c for c, i in sorted(state.inspectors.items()) if i.division == "szc")
    registry.declare_conflict(strict, UUID(friend), "近亲属", CLERK)
    declared = bureau.recorder.max_notification_id()
    draw = draws.open(with_ceremony({**SPEC, "districts": [DISTRICT]}), CLERK)
    draws.freeze(draw, CLERK)

    def left_out(payload: dict[str, Any]) -> None:
        payload["interests_declared"] = [
            i for i in payload["interests_declared"] if i["position"] != declared
        ]

    _, failures = _forged(bureau, tmp_path, draw, left_out)
    assert any(f"interests_declared 漏列了 {declared}" in m for m in failures), failures


def test_a_freeze_that_drops_one_of_its_lists_is_named(bureau, tmp_path):
    """The key holder keeps ``changed_out`` but drops ``interests_declared`` (the lists came
    together: a freeze that records one records all four)."""
    _, draw = _steered(bureau)
    _, failures = _forged(bureau, tmp_path, draw, lambda p: p.pop("interests_declared"))
    assert "冻结列出了 changed_out，却没有列出 interests_declared" in failures, failures
