"""Kept registry states equal a fresh fold of the log at their position, however they were made."""

from __future__ import annotations

from ledger.demo.bureau import build_demo
from ledger.registry.service import Registry
from ledger.registry.states import RegistryStates
from verify.events import decode_record
from verify.registry_state import RegistryState


def fresh_fold(app, position=None):
    state = RegistryState()
    for n in app.notifications():
        if position is not None and state.position >= position:
            break
        state.apply(decode_record(n.state).envelope)
    return state


def test_states_advanced_kept_or_folded_afresh_equal_a_fresh_fold(ledger):
    build_demo(ledger, targets=60, inspectors=10)
    states = RegistryStates(ledger)
    early = states.at(40)
    now = states.at(None)
    assert early == fresh_fold(ledger, 40) and now == fresh_fold(ledger)

    # New events: the newest state advances; what was handed out earlier does not change.
    registry = Registry(ledger)
    registry.update_inspector("insp-001", {"status": "retired"}, "退休", by="szc-aggregator")
    later = states.at(None)
    assert later == fresh_fold(ledger) and later.position == now.position + 1
    assert now == fresh_fold(ledger, now.position)
    assert later.inspectors["insp-001"].status == "retired"
    assert now.inspectors["insp-001"].status != "retired"
    # An older position than the newest is folded afresh; a kept one is the same object.
    assert states.at(30) == fresh_fold(ledger, 30)
    assert states.at(now.position) is now


def test_a_state_handed_out_keeps_its_records_when_later_events_change_them(ledger):
    from uuid import UUID

    build_demo(ledger, targets=60, inspectors=10)
    states = RegistryStates(ledger)
    before = states.at(None)
    target = next(t for t in before.targets.values() if t.status == "in_business")
    inspector = next(i for i in before.inspectors.values() if not i.conflicts)
    clerk = f"{target.division}-clerk"

    # Each kind of change the frontier folds in after the copy was taken: a status change, a
    # correction, a conflict declared, an inspector's correction.
    registry = Registry(ledger)
    registry.change_target_status(UUID(target.aggregate), "closed", "停业", "市场监管", by=clerk)
    registry.update_target(
        UUID(target.aggregate), {"district": "金坛区"}, "更正", "实地核查", by=clerk
    )
    registry.declare_conflict(
        inspector.code, UUID(target.aggregate), "亲属任职", by="szc-aggregator"
    )
    registry.update_inspector(inspector.code, {"status": "suspended"}, "停职", by="szc-aggregator")
    after = states.at(None)

    assert after == fresh_fold(ledger) and after.position == before.position + 4
    assert after.targets[target.aggregate].status == "closed"
    assert after.targets[target.aggregate].district == "金坛区"
    assert after.inspectors[inspector.code].conflicts == {target.aggregate}
    assert after.inspectors[inspector.code].status == "suspended"
    # The state taken before the changes is still the registry at its own position.
    assert before == fresh_fold(ledger, before.position)
    assert before.targets[target.aggregate] == target and target.status == "in_business"
    assert before.inspectors[inspector.code] == inspector and not inspector.conflicts
