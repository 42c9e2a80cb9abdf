"""Kept registry states equal a fresh fold of the log at their position, however they were made."""

from __future__ import annotations

from ledger.demo import build_demo
from ledger.registry import Registry
from ledger.registry_states import RegistryStates
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
