"""Insiders who hold the ledger's key, or an operator who edits the store and re-signs: every
signature, chain and checkpoint then checks out, and only the authority replay can tell that an
act was outside its actor's authority. The verifier names each such event as a finding.

The history: the operator sets up the office and its admin; the admin creates 水政处 (szc) and
工管处 (ggc) and their officials; each division's clerk registers its own item and target; a ggc
clerk who leaves registers a target and is deactivated; ggc's clerk then corrects ggc's target.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ledger.export import export_bundle
from ledger.registry.service import Registry
from verify.keys import SignerKey

from .bundle_edits import EditableBundle, messages, positions, resealed, resigned
from .conftest import ORIGIN, sqlite_ledger

SZC_TARGET = "91320411MA1MB3K8XT"  # valid GB 32100 codes from ../shared/vectors/uscc.json
GGC_TARGET = "91320412250937656W"
LEAVERS_TARGET = "12320400466377512W"


def _item(code: str, division: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"{code} 监督检查",
        "law": "《中华人民共和国水法》",
        "article": "第四十八条",
        "division": division,
        "executing_units": [],
        "object_type": "取水单位和个人",
        "item_class": "key",
    }


def _target(code: str, division: str, item: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"常州示例公司{code[-4:]}",
        "address": "常州市新北区春江镇长江路1号",
        "district": "新北区",
        "division": division,
        "items": [item],
    }


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[SignerKey, bytes]:
    directory = tmp_path_factory.mktemp("authority")
    signer, app = sqlite_ledger(directory)
    try:
        registry = Registry(app)
        registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, by=None)
        admin = {"code": "admin", "name": "周敏", "division": "bgs", "roles": ["admin"]}
        registry.register_official(admin, by=None)
        for code, name, kind in [
            ("szc", "水政处", "aggregator"),
            ("ggc", "工管处", "business_division"),
        ]:
            registry.add_division({"code": code, "name": name, "kind": kind}, by="admin")
        for code, division in [("szc-clerk", "szc"), ("ggc-clerk", "ggc"), ("leaver", "ggc")]:
            data = {"code": code, "name": code, "division": division, "roles": ["clerk"]}
            registry.register_official(data, by="admin")
        registry.register_item(_item("qsxk", "szc"), by="szc-clerk")
        registry.register_item(_item("hdjs", "ggc"), by="ggc-clerk")
        registry.register_target(_target(SZC_TARGET, "szc", "qsxk"), by="szc-clerk")
        ggc_target, _ = registry.register_target(_target(GGC_TARGET, "ggc", "hdjs"), by="ggc-clerk")
        registry.register_target(_target(LEAVERS_TARGET, "ggc", "hdjs"), by="leaver")
        registry.deactivate_official("leaver", "left the bureau", by="admin")
        registry.update_target(
            ggc_target, {"name": "常州示例公司（更名）"}, "renamed", "api", by="ggc-clerk"
        )
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


def _position(bundle: EditableBundle, kind: str, **payload: Any) -> int:
    """The position of the one event of ``kind`` whose payload has these members."""
    [position] = [
        i
        for i in range(len(bundle.events))
        if bundle.envelope(i)["type"] == kind
        and all(bundle.envelope(i)["payload"].get(k) == v for k, v in payload.items())
    ]
    return position


def _verify(run_verify: Any, tmp_path: Path, bundle: EditableBundle, key: SignerKey) -> Any:
    path = tmp_path / "edited.bundle"
    path.write_bytes(bundle.to_bytes())
    return run_verify(path, "--key", str(key.verifier))


def _actor(official: str, role: str, department: str) -> dict[str, str]:
    return {"official": official, "role": role, "department": department}


def test_the_untouched_history_keeps_the_rules_and_lists_the_operators_acts(
    bundle, key, run_verify, tmp_path
):
    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 0, report
    authority = report["authority"]
    assert authority["findings"] == []
    assert authority["official_acts"] == len(bundle.events) - 4
    assert authority["operator_acts"] == {
        "ledger.created": [0],
        "policy.set": [1],
        "division.created": [2],
        "official.registered": [3],
    }
    assert authority["operator_positions"] == {  # the same events by ledger position (SQLite)
        "ledger.created": [1],
        "policy.set": [2],
        "division.created": [3],
        "official.registered": [4],
    }


def test_a_clerk_registering_a_target_in_another_division_is_a_finding_naming_the_event(
    bundle, key, run_verify, tmp_path
):
    position = _position(bundle, "target.registered", code=GGC_TARGET)
    resealed(bundle, key, {position: {"actor": _actor("szc-clerk", "clerk", "szc")}})

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 1
    assert report["intact"] is True  # every signature, chain and checkpoint holds
    assert report["rules_kept"] is False
    [finding] = report["authority"]["findings"]
    assert finding["event"] == position
    assert finding["type"] == "target.registered"
    assert finding["actor"] == _actor("szc-clerk", "clerk", "szc")
    assert "不能办理处室 ggc 的记录" in finding["message"]
    assert finding["needed"] == "target.write: clerk or division_head in division ggc"


def test_moving_another_divisions_target_into_ones_own_is_a_finding(
    bundle, key, run_verify, tmp_path
):
    """The import takeover of issue 11: hhc's clerk 'corrects' ggc's company into hhc."""
    position = _position(bundle, "target.updated")
    envelope = bundle.envelope(position)
    changes = {**envelope["payload"]["changes"], "division": "szc"}
    edit = {
        "actor": _actor("szc-clerk", "clerk", "szc"),
        "payload": {**envelope["payload"], "changes": changes},
    }
    resealed(bundle, key, {position: edit})

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 1
    assert report["intact"] is True
    [finding] = report["authority"]["findings"]
    assert finding["event"] == position
    assert "division ggc and szc" in finding["needed"]
    assert "不能办理处室 ggc 的记录" in finding["message"]


def test_an_official_acting_in_a_role_it_does_not_hold_is_a_finding(
    bundle, key, run_verify, tmp_path
):
    position = _position(bundle, "target.registered", code=GGC_TARGET)
    resealed(bundle, key, {position: {"actor": _actor("ggc-clerk", "division_head", "ggc")}})

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 1
    [finding] = report["authority"]["findings"]
    assert finding["event"] == position
    assert "ggc-clerk 没有角色 'division_head'（其角色：clerk）" in finding["message"]


def test_a_deactivated_official_acting_is_a_finding(bundle, key, run_verify, tmp_path):
    deactivated = _position(bundle, "official.deactivated")
    position = _position(bundle, "target.updated")
    assert position > deactivated
    resealed(bundle, key, {position: {"actor": _actor("leaver", "clerk", "ggc")}})

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 1
    [finding] = report["authority"]["findings"]
    assert finding["event"] == position
    assert f"工作人员 leaver 已于叶子 {deactivated} 停用" in finding["message"]


def test_the_same_official_before_deactivation_kept_the_rules(bundle):
    """The leaver's own registration came before the deactivation: not a finding (the history
    fixture verifies without findings), so the replay reads the roster as it stood then."""
    registered = _position(bundle, "target.registered", code=LEAVERS_TARGET)
    assert bundle.envelope(registered)["actor"] == _actor("leaver", "clerk", "ggc")
    assert registered < _position(bundle, "official.deactivated")


def test_someone_who_is_no_official_or_another_division_is_a_finding(
    bundle, key, run_verify, tmp_path
):
    registered = _position(bundle, "target.registered", code=SZC_TARGET)
    item = _position(bundle, "item.registered", code="hdjs")
    edits = {
        registered: {"actor": _actor("stranger", "clerk", "szc")},
        item: {"actor": _actor("ggc-clerk", "clerk", "szc")},  # names another division
    }
    resealed(bundle, key, edits)

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 1
    findings = {f["event"]: f["message"] for f in report["authority"]["findings"]}
    assert sorted(findings) == sorted(edits)
    assert "'stranger' 在此位置不是登记的工作人员" in findings[registered]
    assert "工作人员 ggc-clerk 属于处室 ggc，不是 'szc'" in findings[item]


def test_an_official_recording_what_only_the_operator_may_record_is_a_finding(
    bundle, key, run_verify, tmp_path
):
    admin = _actor("admin", "admin", "bgs")
    resealed(bundle, key, {0: {"actor": admin}, 1: {"actor": admin, "type": "tampernote.created"}})

    status, report = _verify(run_verify, tmp_path, bundle, key)

    assert status == 1
    assert report["intact"] is True
    first, second = report["authority"]["findings"]
    assert (first["event"], second["event"]) == (0, 1)
    assert "只有账本运营方可以记录 ledger.created" in first["message"]
    assert "没有权限规则涵盖它" in second["message"]


@pytest.mark.parametrize("anchored", [True, False])
def test_an_event_and_a_checkpoint_signed_by_a_header_key_the_first_event_did_not_name_fail(
    bundle, key, run_verify, tmp_path, anchored
):
    """Issue 11: an extra key in the header, an event and a checkpoint signed by it; without
    --key the verifier said "OK". Now that key signs nothing, anchored or not."""
    extra = SignerKey.generate(ORIGIN)
    bundle.header["keys"] = [*bundle.header["keys"], str(extra.verifier)]
    position = len(bundle.events) - 1  # the last event: only the last checkpoint covers it
    bundle.events[position].record = resigned(bundle.events[position].record, extra)
    by_extra = EditableBundle.from_bytes(bundle.to_bytes())
    resealed(by_extra, extra, {})
    bundle.checkpoints[-1] = by_extra.checkpoints[-1]  # the extra key seals it
    path = tmp_path / "extra.bundle"
    path.write_bytes(bundle.to_bytes())

    args = ("--key", str(key.verifier)) if anchored else ()
    status, report = run_verify(path, *args, anchored=anchored)

    assert status == 1
    assert report["ok"] is False
    assert positions(report, 3) == [position]
    # Pinned, the extra key is unknown; unpinned, the header lists it but it is never trusted.
    expected = "unknown key id" if anchored else f"由 {ORIGIN}+{extra.key_id.hex()} 签名"
    assert expected in messages(report, 3)
    assert extra.key_id.hex() in messages(report, 3)
    assert f"检查点 #{len(bundle.checkpoints)}：" in messages(report, 5)
    assert "expected a signature by a known key" in messages(report, 5)
