"""An insider with the ledger's key re-signs a bundle so that an official acts as an inspector
they are not: every signature, chain and checkpoint holds, and the authority replay names the
event (issue 11, part 2)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ledger.demo.bureau import build_demo
from ledger.demo.changzhou import ADMIN
from ledger.draws.service import Draws
from ledger.export import export_bundle
from ledger.inspections.service import Inspections
from ledger.registry.identities import bound_official
from ledger.registry.officials import Official, official_id
from ledger.registry.service import Registry
from tests.ledger.test_draws import run_draw
from verify.keys import SignerKey

from .bundle_edits import EditableBundle, last_of, resealed, verified
from .conftest import sqlite_ledger

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[SignerKey, bytes, dict[str, Any]]:
    """The demo bureau (every roster inspector with a bound account), one draw, and one
    inspection whose result the account of the team's first member records."""
    directory = tmp_path_factory.mktemp("identity")
    signer, app = sqlite_ledger(directory)
    try:
        build_demo(app, targets=120, inspectors=24, today=TODAY)
        draw, teams = run_draw(Draws(app, today=date(2026, 11, 1)))
        team = teams[0]
        service = Inspections(app, today=lambda: TODAY)
        spec = {"source": str(draw), "target": team["target"], "notified_on": "2026-11-05"}
        inspection = service.notify(spec, "szc-clerk")
        present = team["members"]
        carried = {"on": "2026-11-10", "method": "现场检查", "present": present}
        service.carry_out(inspection, carried, "szc-clerk")
        recorder = bound_official(app, present[0])
        service.record_result(inspection, {"category": "no_problem"}, recorder)
        others = [m for t in teams[1:] for m in t["members"] if m not in present]
        # A bound account's roles and a bound inspector's name corrected, each in place (the
        # moves below are forged into these).
        registry = Registry(app)
        account = app.get(official_id(recorder), Official)
        registry.change_official_roles(
            recorder, ["inspector", "clerk"], account.division, "兼任内勤", ADMIN
        )
        registry.update_inspector(present[1], {"name": "更正后的姓名"}, "更正", "szc-aggregator")
        facts = {
            "present": present,
            "recorder": recorder,
            "outsider": bound_official(app, others[0]),
        }
        out = directory / "ledger.bundle"
        export_bundle(app, out)
        return signer, out.read_bytes(), facts
    finally:
        app.close()


def _bundle(history: tuple[SignerKey, bytes, dict[str, Any]]) -> EditableBundle:
    return EditableBundle.from_bytes(history[1])


_last = last_of
_verify = verified


def test_the_untouched_bundle_keeps_the_identity_rules(history, run_verify, tmp_path):
    status, report = _verify(run_verify, tmp_path, _bundle(history), history[0])
    assert status == 0, report
    assert report["authority"]["findings"] == []
    result = _bundle(history).envelope(_last(_bundle(history), "inspection.result_recorded"))
    assert result["actor"]["official"] == history[2]["recorder"]
    assert result["payload"]["recorded_by"] == history[2]["present"][0]


def test_an_unbound_official_recording_a_result_is_a_finding(history, run_verify, tmp_path):
    """The issue's borrowed identity: an inspector-role account bound to nobody records."""
    bundle = _bundle(history)
    position = _last(bundle, "inspection.result_recorded")
    actor = {"official": "szjczd-inspector", "role": "inspector", "department": "szjczd"}
    resealed(bundle, history[0], {position: {"actor": actor}})

    status, report = _verify(run_verify, tmp_path, bundle, history[0])

    assert status == 1
    assert report["intact"] is True
    [finding] = report["authority"]["findings"]
    assert finding["event"] == position
    assert "szjczd-inspector is bound to no roster inspector" in finding["message"]


def test_an_official_bound_to_an_inspector_off_the_team_is_a_finding(history, run_verify, tmp_path):
    bundle = _bundle(history)
    position = _last(bundle, "inspection.result_recorded")
    outsider = history[2]["outsider"]
    official = next(
        bundle.envelope(i)["payload"]
        for i in range(len(bundle.events))
        if bundle.envelope(i)["type"] == "official.registered"
        and bundle.envelope(i)["payload"]["code"] == outsider
    )
    actor = {"official": outsider, "role": "inspector", "department": official["division"]}
    resealed(bundle, history[0], {position: {"actor": actor}})

    status, report = _verify(run_verify, tmp_path, bundle, history[0])

    assert status == 1
    [finding] = report["authority"]["findings"]
    assert finding["event"] == position
    assert "who is not on this inspection's team" in finding["message"]


def test_a_result_in_a_colleagues_name_is_a_finding(history, run_verify, tmp_path):
    bundle = _bundle(history)
    position = _last(bundle, "inspection.result_recorded")
    envelope = bundle.envelope(position)
    colleague = history[2]["present"][1]
    payload = {**envelope["payload"], "recorded_by": colleague}
    resealed(bundle, history[0], {position: {"payload": payload}})

    status, report = _verify(run_verify, tmp_path, bundle, history[0])

    assert status == 1
    [finding] = report["authority"]["findings"]
    assert finding["event"] == position
    assert f"却以 {colleague} 的名义记录" in finding["message"]


def test_a_binding_to_another_units_inspector_is_a_finding(history, run_verify, tmp_path):
    bundle = _bundle(history)
    kinds = [bundle.envelope(i)["type"] for i in range(len(bundle.events))]
    bindings = [i for i, kind in enumerate(kinds) if kind == "official.bound_to_inspector"]
    units = {
        bundle.envelope(i)["payload"]["code"]: bundle.envelope(i)["payload"]["unit"]
        for i in range(len(bundle.events))
        if bundle.envelope(i)["type"] == "inspector.registered"
    }
    # The first binding rewritten to name an inspector of another unit, not bound yet (the
    # last one bound, whose own binding is then moved onto the first inspector).
    first = bindings[0]
    mine = bundle.envelope(first)["payload"]["inspector"]
    theirs = next(
        bundle.envelope(i)["payload"]["inspector"]
        for i in reversed(bindings)
        if units[bundle.envelope(i)["payload"]["inspector"]] != units[mine]
    )
    swapped = {
        i: {"payload": {**bundle.envelope(i)["payload"], "inspector": mine}}
        for i in bindings
        if bundle.envelope(i)["payload"]["inspector"] == theirs
    }
    edits = {first: {"payload": {**bundle.envelope(first)["payload"], "inspector": theirs}}}
    resealed(bundle, history[0], {**edits, **swapped})

    status, report = _verify(run_verify, tmp_path, bundle, history[0])

    assert status == 1
    messages = [f["message"] for f in report["authority"]["findings"] if f["event"] == first]
    assert messages and "bound only to an inspector of their own unit" in messages[0]


def test_an_account_under_a_roster_inspectors_code_is_a_finding(history, run_verify, tmp_path):
    """The issue's borrowed identity as a re-signed bundle: the account registered for a roster
    inspector is given the inspector's own code."""
    bundle = _bundle(history)
    position = _last(bundle, "official.registered")
    envelope = bundle.envelope(position)
    inspector = next(
        bundle.envelope(i)["payload"]["inspector"]
        for i in range(position, len(bundle.events))
        if bundle.envelope(i)["type"] == "official.bound_to_inspector"
        and bundle.envelope(i)["aggregate"] == envelope["aggregate"]
    )
    resealed(
        bundle, history[0], {position: {"payload": {**envelope["payload"], "code": inspector}}}
    )

    status, report = _verify(run_verify, tmp_path, bundle, history[0])

    assert status == 1
    messages = [f["message"] for f in report["authority"]["findings"] if f["event"] == position]
    assert messages == [
        f"official code {inspector} is the code of roster inspector {inspector}: "
        "official codes and roster inspector codes never coincide; an official is linked to "
        "the inspector they are only by official.bound_to_inspector"
    ]


@pytest.mark.parametrize("who", ["official", "inspector"])
def test_moving_a_bound_official_or_inspector_elsewhere_is_a_finding(
    history, run_verify, tmp_path, who
):
    """The binding's division and unit must match for as long as it holds: an account bound to
    a detachment inspector 'moved' into 工管处, or the bound inspector into another unit, each
    forged into a correction the ledger recorded in place."""
    bundle = _bundle(history)
    kind = "official.roles_changed" if who == "official" else "inspector.updated"
    position = _last(bundle, kind)
    payload = bundle.envelope(position)["payload"]
    if who == "official":
        payload = {**payload, "division": "ggc"}
    else:
        payload = {**payload, "changes": {**payload["changes"], "unit": "szyfwzx"}}
    resealed(bundle, history[0], {position: {"payload": payload}})

    status, report = _verify(run_verify, tmp_path, bundle, history[0])

    assert status == 1
    messages = [f["message"] for f in report["authority"]["findings"] if f["event"] == position]
    assert messages, report["authority"]["findings"]
    assert "is bound to" in messages[0] and "may not move" in messages[0]
