"""The authority replay judges the ledger operator's acts and the directed-inspection scope
(issue 11): an operator with the data directory and the signing key who rewrites the log and
re-signs every record keeps every signature, chain and checkpoint intact, and still cannot pass
off an act the policy did not let it record, a request by an official who had no right to ask,
or a directed inspection outside its division's charge.

The history: the operator sets up the office and its admin; the admin creates 水政处 (szc) and
工管处 (ggc) and their officials; each division registers its item (ggc's executed jointly by
szc) and szc its target; the operator registers ggc's target on ggc's head's written request;
ggc's clerk records a directed inspection of that target under ggc's item; the admin then sets
a policy that lets the operator record nothing on its own, and creates 河湖处 (hhc).
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.actors import Request, on_request
from ledger.draws.service import Draws
from ledger.export import export_bundle
from ledger.policies import Policies
from ledger.registry.officials import Official, official_id
from ledger.registry.service import Registry
from verify.authority_rules import OPERATOR
from verify.keys import SignerKey

from .bundle_edits import EditableBundle, resealed
from .conftest import sqlite_ledger
from .test_authority_replay import (
    GGC_TARGET,
    SZC_TARGET,
    _actor,
    _item,
    _position,
    _target,
    _verify,
)

REQUEST = "工管处关于登记检查对象的函〔2026〕5号"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[SignerKey, bytes]:
    directory = tmp_path_factory.mktemp("operator")
    signer, app = sqlite_ledger(directory)
    try:
        registry = Registry(app)
        registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, by=None)
        admin = {"code": "admin", "name": "周敏", "division": "bgs", "roles": ["admin"]}
        registry.register_official(admin, by=None)
        for code, name, kind in [("szc", "水政处", "aggregator"), ("ggc", "工管处", "other_unit")]:
            registry.add_division({"code": code, "name": name, "kind": kind}, by="admin")
        for code, division, role in [
            ("szc-clerk", "szc", "clerk"),
            ("ggc-clerk", "ggc", "clerk"),
            ("ggc-head", "ggc", "division_head"),
        ]:
            data = {"code": code, "name": code, "division": division, "roles": [role]}
            registry.register_official(data, by="admin")
        registry.register_item(_item("qsxk", "szc"), by="szc-clerk")
        registry.register_item({**_item("hdjs", "ggc"), "executing_units": ["szc"]}, by="ggc-clerk")
        registry.register_target(_target(SZC_TARGET, "szc", "qsxk"), by="szc-clerk")
        head = app.get(official_id("ggc-head"), Official)
        with on_request(Request(head, REQUEST)):
            registry.register_target(_target(GGC_TARGET, "ggc", "hdjs"), by=None)
        directed = {
            "division": "ggc",
            "items": ["hdjs"],
            "targets": [GGC_TARGET],
            "ground": "complaint",
            "reason": "12345 热线投诉：违规建设",
            "legal_basis": "《中华人民共和国河道管理条例》第十一条",
        }
        Draws(app).record_non_random(directed, "ggc-clerk")
        closed = {**app.policy_in_force(), "version": "closed-operator"}
        closed["authority"] = {"operator": [], "operator_on_request": ["target.write"]}
        Policies(app).set(closed, "admin", "运维人员不得自行操作")
        registry.add_division({"code": "hhc", "name": "河湖处", "kind": "other_unit"}, by="admin")
        out = directory / "ledger.bundle"
        export_bundle(app, out)
        return signer, out.read_bytes()
    finally:
        app.close()


@pytest.fixture
def bundle(history: tuple[SignerKey, bytes]) -> EditableBundle:
    return EditableBundle.from_bytes(history[1])


@pytest.fixture
def key(history: tuple[SignerKey, bytes]) -> SignerKey:
    return history[0]


def _finding(report: dict[str, Any]) -> dict[str, Any]:
    assert report["intact"] is True, report  # only the rules can catch the edit
    [finding] = report["authority"]["findings"]
    return finding  # type: ignore[no-any-return]


def test_the_untouched_history_keeps_the_rules_with_the_operators_request_judged(
    bundle, key, run_verify, tmp_path
):
    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 0, report
    assert report["authority"]["findings"] == []
    registered = _position(bundle, "target.registered", code=GGC_TARGET)
    assert bundle.envelope(registered)["actor"] == {
        **OPERATOR,
        "on_request_of": "ggc-head",
        "request": REQUEST,
    }
    assert report["authority"]["operator_acts"]["target.registered"] == [registered]


def test_an_operators_registration_stripped_of_its_request_is_a_finding(
    bundle, key, run_verify, tmp_path
):
    position = _position(bundle, "target.registered", code=GGC_TARGET)
    resealed(bundle, key, {position: {"actor": dict(OPERATOR)}})

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 1
    finding = _finding(report)
    assert finding["event"] == position
    assert "只能依有权办理的工作人员的书面请求记录" in finding["message"]
    assert "未写明请求人" in finding["message"]


@pytest.mark.parametrize(
    ("requester", "why"),
    [
        ("szc-clerk", "请求人 szc-clerk 无权办理：处室 szc 的 clerk"),
        ("admin", "请求人 admin 无权办理：角色 admin 无权记录"),
        ("stranger", "请求人 'stranger' 不是本账本登记的工作人员"),
    ],
)
def test_a_request_by_someone_without_the_right_is_a_finding(
    bundle, key, run_verify, tmp_path, requester, why
):
    """The operator may not launder an act through a request of the wrong official."""
    position = _position(bundle, "target.registered", code=GGC_TARGET)
    actor = {**OPERATOR, "on_request_of": requester, "request": REQUEST}
    resealed(bundle, key, {position: {"actor": actor}})

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 1
    finding = _finding(report)
    assert finding["event"] == position
    assert finding["actor"]["on_request_of"] == requester
    assert why in finding["message"]


def test_an_operators_act_after_the_policy_closed_it_is_a_finding(
    bundle, key, run_verify, tmp_path
):
    """The same act the operator recorded alone before the new policy is judged by the policy
    in force at its own position."""
    position = _position(bundle, "division.created", code="hhc")
    resealed(bundle, key, {position: {"actor": dict(OPERATOR)}})

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 1
    finding = _finding(report)
    assert finding["event"] == position
    assert "现行制度不允许账本运营方记录 division.created" in finding["message"]
    assert "[authority] operator：无" in finding["needed"]


def test_an_operator_recording_an_inspection_or_a_directed_record_is_a_finding(
    bundle, key, run_verify, tmp_path
):
    position = _position(bundle, "directed.recorded")
    resealed(bundle, key, {position: {"actor": dict(OPERATOR)}})

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 1
    finding = _finding(report)
    assert finding["event"] == position
    assert "现行制度不允许账本运营方记录 directed.recorded" in finding["message"]


@pytest.mark.parametrize(
    ("items", "targets", "why"),
    [
        (["qsxk"], [SZC_TARGET], "item qsxk belongs to division szc, and ggc is not among"),
        (["hdjs"], [SZC_TARGET], f"target {SZC_TARGET} is in the charge of division szc"),
        (["no-such-item"], [GGC_TARGET], "'no-such-item' is not a listed inspection item"),
        (["hdjs"], ["91320400000000000X"], "is not in the registry"),
    ],
)
def test_a_directed_inspection_outside_the_divisions_charge_is_a_finding(
    bundle, key, run_verify, tmp_path, items, targets, why
):
    """Issue 11's cross-division directed inspection (ggc under szc's item, of szc's company),
    forged into the log and re-signed: the replay judges it with the ledger's own rule."""
    position = _position(bundle, "directed.recorded")
    payload = {**bundle.envelope(position)["payload"], "items": items, "targets": targets}
    resealed(bundle, key, {position: {"payload": payload}})

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 1
    finding = _finding(report)
    assert finding["event"] == position
    assert why in finding["message"]
    assert "directed_refusal" in finding["needed"]


def test_a_joint_item_lets_its_executing_unit_direct_an_inspection_of_the_owners_target(
    bundle, key, run_verify, tmp_path
):
    """The rule's other side: szc executes ggc's hdjs jointly, so szc's clerk may name hdjs
    and ggc's target carrying it: no finding (the replay is not a blanket refusal)."""
    position = _position(bundle, "directed.recorded")
    payload = {**bundle.envelope(position)["payload"], "division": "szc"}
    resealed(
        bundle, key, {position: {"payload": payload, "actor": _actor("szc-clerk", "clerk", "szc")}}
    )

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 0, report["authority"]["findings"]
