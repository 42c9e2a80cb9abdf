"""A clerk who wants a friend's company left out of a draw (or an inspector off its case), each
way docs/STEERING.md lists, played against the demo bureau: each attempt is refused, or the
signed freeze names it (``changed_out``) and the verifier recomputes what it names.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from ledger.actors import SYSTEM
from ledger.draws.record import draw_record
from ledger.draws.service import Draws
from ledger.errors import Conflict
from ledger.export import export_bundle
from ledger.fields import InvalidFields
from ledger.policy_rules import check_document
from ledger.registry.service import Registry
from tests.ledger import test_draw_attacks
from tests.ledger.workflow import reveal, with_ceremony
from verify.bundle import read_bundle
from verify.checks import verify_bundle
from verify.eligibility import matches
from verify.recent_changes import window_start

CLERK = "szc-clerk"
DISTRICT = "新北区"


clock = test_draw_attacks.clock  # the events' clock, moved by the test


@pytest.fixture
def bureau(demo_ledger):  # type: ignore[no-untyped-def]
    ledger, _ = demo_ledger(targets=200, inspectors=24)
    return ledger


SPEC = {"division": "szc", "items": ["qsxk"], "counts": {"all": 3}, "team_size": 2}
CRITERIA = {"division": "szc", "items": ["qsxk"], "districts": [DISTRICT]}


def _drawable(draws: Draws, n: int) -> list[tuple[str, UUID]]:
    """``n`` companies of the district a draw over CRITERIA would draw: (key, aggregate)."""
    state = draws.registry_at(None)
    found = sorted(
        (t.key, UUID(agg))
        for agg, t in state.targets.items()
        if matches(t, CRITERIA) and t.status == "in_business"
    )
    return found[:n]


def _freeze(draws: Draws) -> tuple[UUID, dict[str, Any], list[str]]:
    draw = draws.open(with_ceremony({**SPEC, "districts": [DISTRICT]}), CLERK)
    draws.freeze(draw, CLERK)
    manifest, population = draw_record(draws, draw)
    return draw, manifest, population


def _listed(manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {t["target"]: t["changes"] for t in manifest["changed_out"]}


def _step9_ok(ledger: Any, tmp_path: Any) -> bool:
    path = tmp_path / "bundle.jsonl"
    export_bundle(ledger, path)
    step = verify_bundle(read_bundle(path)).steps[8]
    assert step.ok, [f.message for f in step.failures]
    return True


def _move(registry: Registry, target: UUID, changes: dict[str, Any]) -> None:
    registry.update_target(target, changes, "更正", "工商登记", CLERK)


def test_the_window_is_the_policy_in_force_at_the_freeze(bureau, clock, tmp_path):
    """Under a policy of 10 days, a company moved out 15 days before the freeze is not named
    and one moved 1 hour before is; the freeze records the 10 days. Under the next version (30
    days) the next freeze names both. The verifier agrees with both freezes."""
    registry, draws = Registry(bureau), Draws(bureau)
    (early_key, early), (late_key, late) = _drawable(draws, 2)
    document = bureau.policy_in_force()
    bureau.set_policy({**document, "version": "w/10", "draws": {"recent_change_days": 10}}, SYSTEM)
    _move(registry, early, {"district": "武进区"})
    clock[0] += timedelta(days=15)
    _move(registry, late, {"district": "武进区"})
    clock[0] += timedelta(hours=1)

    _, manifest, _ = _freeze(draws)
    frozen = manifest["population_frozen"]
    assert (manifest["recent_change_days"], frozen["recent_change_days"]) == (10, 10)
    assert frozen["changed_since"] == window_start(frozen["time"], 10)
    assert late_key in _listed(manifest) and early_key not in _listed(manifest)

    bureau.set_policy({**document, "version": "w/30", "draws": {"recent_change_days": 30}}, SYSTEM)
    _, manifest, _ = _freeze(draws)
    assert manifest["recent_change_days"] == 30
    assert {early_key, late_key} <= set(_listed(manifest))
    assert _step9_ok(bureau, tmp_path)


def test_a_window_outside_the_policys_range_is_refused():
    for days in (0, 367, "30"):
        with pytest.raises(InvalidFields, match="draws.recent_change_days"):
            check_document({"version": "x", "draws": {"recent_change_days": days}})


def test_a_company_changed_out_and_restored_right_after_the_freeze_stays_named(
    bureau,
    tmp_path,
):
    """Out just before the freeze, back right after it (or after the draw): the signed freeze
    named it when it was out, and the restoration does not take it off the record. Out and back
    both before the freeze leaves the company in the population: the draw was not steered."""
    registry, draws = Registry(bureau), Draws(bureau)
    (friend_key, friend), (other_key, other) = _drawable(draws, 2)
    _move(registry, friend, {"district": "武进区"})
    _move(registry, other, {"district": "武进区"})
    _move(registry, other, {"district": DISTRICT})
    draw, manifest, population = _freeze(draws)
    _move(registry, friend, {"district": DISTRICT})  # restored once the population is frozen
    reveal(draws, draw, CLERK)
    draws.select(draw, CLERK)

    manifest, population = draw_record(draws, draw)
    assert friend_key not in population and friend_key in _listed(manifest)
    assert other_key in population and other_key not in _listed(manifest)
    assert _step9_ok(bureau, tmp_path)


def test_two_steps_inside_the_window_are_all_named(bureau):
    """A harmless correction first (a credit class), then the status that takes the company
    out; or moved out and then moved again: every change of the window is named."""
    registry, draws = Registry(bureau), Draws(bureau)
    (first_key, first), (second_key, second) = _drawable(draws, 2)
    now = draws.registry_at(None).target_by_key()[first_key].credit_class
    _move(registry, first, {"credit_class": "B" if now != "B" else "C"})
    registry.change_target_status(first, "moved", "迁出", "现场核实", CLERK)
    _move(registry, second, {"district": "武进区"})
    _move(registry, second, {"district": "天宁区"})
    _, manifest, _ = _freeze(draws)
    listed = _listed(manifest)
    assert [c["changed"] for c in listed[first_key]] == [["credit_class"], ["status"]]
    assert [c["changed"] for c in listed[second_key]] == [["district"], ["district"]]


def test_an_uploaded_plan_cannot_be_amended_once_its_targets_are_known(bureau):
    """Changing the plan's scope after a target is known: a draw follows an uploaded plan,
    and an uploaded plan is never amended (its draws' criteria are signed at their opening)."""
    from datetime import date

    from ledger.plans.service import Plans
    from tests.ledger.test_plans import PLAN
    from tests.ledger.workflow import uploaded_plan

    plan = uploaded_plan(bureau, {**PLAN, "counts": {"all": 3}}, date(2026, 12, 1))
    draws = Draws(bureau)
    draw = draws.open(with_ceremony({**SPEC, "plan": str(plan)}), CLERK)
    draws.freeze(draw, CLERK)
    reveal(draws, draw, CLERK)
    draws.select(draw, CLERK)
    with pytest.raises(Conflict, match="amend"):
        Plans(bureau).amend(plan, {"items": ["gcjs"]}, "改范围", CLERK)


def test_conflicts_declared_once_the_targets_are_known_do_not_change_the_walk(bureau):
    """The seed is out and the targets selected; the clerk has every szc inspector declare an
    interest in the friend's company, to pick its team by hand. The walk reads the registry as
    frozen, so the team is the one the seed gives, no one skipped as recused; an inspector
    leaves only by a recorded substitution (the record names who replaced whom), and who comes
    in is the walk's next, not the clerk's choice."""
    registry, draws = Registry(bureau), Draws(bureau)
    draw = draws.open(with_ceremony(SPEC), CLERK)
    draws.freeze(draw, CLERK)
    reveal(draws, draw, CLERK)
    key = draws.select(draw, CLERK)[0]["selected"][0]["target"]
    state = draws.registry_at(None)
    aggregate = UUID(state.target_by_key()[key].aggregate)
    for code, inspector in sorted(state.inspectors.items()):
        if inspector.division == "szc":
            registry.declare_conflict(code, aggregate, "亲属", CLERK)
    team = next(t for t in draws.assign(draw, CLERK) if t["target"] == key)
    assert len(team["members"]) == SPEC["team_size"]
    assert not [s for s in team["skips"] if s["reason"].startswith("recused")]
    out = team["members"][0]
    substitute = draws.substitute(draw, key, out, "回避", CLERK)
    manifest, _ = draw_record(draws, draw)
    [sub] = manifest["inspector_substituted"]
    assert (sub["replaced"], sub["substitute"]) == (out, substitute) and "reason" not in sub


def test_a_company_moved_to_a_larger_stratum_just_before_the_draw_is_named(bureau, tmp_path):
    """A draw stratified by district takes 1 company of each district: the clerk moves a
    friend's company from the smallest district to the largest, where its odds are lowest. It
    is still drawn, so ``changed_out`` says nothing; ``changed_odds`` names it with both
    strata, and the verifier agrees."""
    registry, draws = Registry(bureau), Draws(bureau)
    scope = {"division": "szc", "items": ["qsxk"]}
    by_district: dict[str, list[tuple[str, UUID]]] = {}
    for agg, t in draws.registry_at(None).targets.items():
        if matches(t, scope) and t.status == "in_business":
            by_district.setdefault(t.district, []).append((t.key, UUID(agg)))
    small, large = sorted(by_district, key=lambda d: (len(by_district[d]), d))[
        :: len(by_district) - 1
    ]
    friend_key, friend = min(by_district[small])
    _move(registry, friend, {"district": large})
    counts = {district: 1 for district in by_district}
    draw = draws.open(with_ceremony({**SPEC, "stratify_by": "district", "counts": counts}), CLERK)
    draws.freeze(draw, CLERK)
    manifest, population = draw_record(draws, draw)
    assert friend_key in population and friend_key not in _listed(manifest)
    [moved] = [t for t in manifest["changed_odds"] if t["target"] == friend_key]
    assert (moved["stratum"], moved["weight"]) == ([small, large], [1, 1])
    assert _step9_ok(bureau, tmp_path)


def test_a_plans_draw_narrowed_to_leave_a_district_out_is_a_rule_finding(bureau, tmp_path):
    """The plan names the item and a count; the clerk opens its draw over every district but
    the friend's. Nothing refuses it (a month may well draw one district), but the verifier's
    rule audit names the draw as narrower than its plan, with what it was narrowed to; a draw
    over the plan's whole scope is not named."""
    from datetime import date

    from tests.ledger.test_plans import PLAN
    from tests.ledger.workflow import uploaded_plan

    draws = Draws(bureau)
    plan = uploaded_plan(bureau, {**PLAN, "counts": {"all": 6}}, date(2026, 12, 1))
    districts = sorted({t.district for t in draws.registry_at(None).targets.values()})
    others = [d for d in districts if d != DISTRICT]
    narrowed = draws.open(with_ceremony({**SPEC, "plan": str(plan), "districts": others}), CLERK)
    whole = draws.open(with_ceremony({**SPEC, "plan": str(plan)}), CLERK)
    path = tmp_path / "bundle.jsonl"
    export_bundle(bureau, path)
    notes = [n.message for n in verify_bundle(read_bundle(path)).steps[8].notes]
    [named] = [n for n in notes if "只抽计划" in n]
    assert str(narrowed) in named and f"districts {'、'.join(others)}" in named
    assert not [n for n in notes if str(whole) in n]


def test_an_inspector_pool_stacked_just_before_the_freeze_is_named(bureau, tmp_path):
    """The clerk takes a strict inspector off the walks (suspended) and qualifies a friendly
    one for the draw's item just before the freeze: the roster is frozen as they left it, so
    the freeze's ``roster_changed`` names both, with whether the walks could take each at the
    freeze. (The demo registered its roster within the window: every inspector the walks can
    take is named too, as joining it.)"""
    registry, draws = Registry(bureau), Draws(bureau)
    on_duty = sorted(
        (code, i) for code, i in draws.registry_at(None).inspectors.items() if i.status == "on_duty"
    )
    strict = next(c for c, i in on_duty if i.division == "szc" and "qsxk" in i.qualifications)
    friendly, unqualified = next((c, i) for c, i in on_duty if "qsxk" not in i.qualifications)
    registry.update_inspector(strict, {"status": "suspended"}, "停职", CLERK)
    qualified = [*unqualified.qualifications, "qsxk"]
    clerk = f"{unqualified.division}-clerk"
    registry.update_inspector(friendly, {"qualifications": qualified}, "取得资格", clerk)
    draw = draws.open(with_ceremony(SPEC), CLERK)
    draws.freeze(draw, CLERK)
    manifest, _ = draw_record(draws, draw)
    named = {t["inspector"]: t for t in manifest["roster_changed"]}
    assert not named[strict]["walkable"] and named[friendly]["walkable"]
    assert named[strict]["changes"][-1]["changed"] == ["status"]
    assert named[friendly]["changes"][-1]["changed"] == ["qualifications"]
    assert manifest["population_frozen"]["roster_changed"] == manifest["roster_changed"]
    assert _step9_ok(bureau, tmp_path)


def test_an_interest_declared_to_keep_an_inspector_off_a_company_is_named(bureau, tmp_path):
    """Before the freeze nobody knows the selection, but the clerk can still keep a strict
    inspector off the friend's company for good: declare the inspector's (false) interest in
    it. The walks skip the inspector for it as recused; the freeze's ``interests_declared``
    names the declaration, an interest withdrawn before the freeze is not named, and the
    verifier agrees."""
    registry, draws = Registry(bureau), Draws(bureau)
    (friend_key, friend), (other_key, other) = _drawable(draws, 2)
    inspectors = draws.registry_at(None).inspectors
    strict = next(c for c, i in sorted(inspectors.items()) if i.division == "szc")
    registry.declare_conflict(strict, friend, "近亲属", CLERK)
    registry.declare_conflict(strict, other, "近亲属", CLERK)
    registry.withdraw_conflict(strict, other, "申报有误", CLERK)
    _, manifest, _ = _freeze(draws)
    named = [(i["inspector"], i["target"]) for i in manifest["interests_declared"]]
    assert (strict, friend_key) in named and (strict, other_key) not in named
    assert _step9_ok(bureau, tmp_path)
