"""A joint inspection: the lead division invites, partners accept or decline, and each accepting
partner draws its own teams, as verifiably as the lead's."""

from __future__ import annotations

import pytest
from consistent_sampler import sampler

from ledger.draws.joint import JointInspections
from ledger.draws.record import draw_record
from ledger.draws.service import Draws
from ledger.errors import BadInput, Conflict, Forbidden
from ledger.export import export_bundle
from tests.ledger.workflow import reveal, with_ceremony
from tests.tamper.bundle_edits import EditableBundle, resigned
from verify.bundle import read_bundle
from verify.checks import verify_bundle
from verify.events import decode_record
from verify.registry_state import fold

LEAD = {"division": "szc", "items": ["qsxk"], "counts": {"all": 4}, "team_size": 2}
ACCEPT = {"items": ["jsyy"], "team_size": 2}


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=200, inspectors=40)
    return ledger


def selected_draw(draws):
    draw = draws.open(with_ceremony(LEAD), "szc-clerk")
    draws.freeze(draw, "szc-clerk")
    reveal(draws, draw, "szc-clerk")
    draws.select(draw, "szc-clerk")
    return draw


def test_an_accepting_partner_draws_its_own_teams_and_the_verifier_replays_them(bureau, tmp_path):
    draws = Draws(bureau)
    joint = JointInspections(draws)
    draw = selected_draw(draws)
    draws.assign(draw, "szc-clerk")
    # Inviting after the selection is fine: the partner draws for the selected targets.
    joint.invite(draw, "szyc", "计划用水单位与取水单位重合", "szc-clerk")
    joint.invite(draw, "nsc", "", "szc-head")
    joint.accept(draw, "szyc", ACCEPT, "szyc-head")
    joint.decline(draw, "nsc", "本月无同类检查任务", "nsc-clerk")
    teams = joint.assign(draw, "szyc", "szyc-clerk")

    # Its own roster, qualified for its own item, in its own seed domain (consistent-sampler).
    state = fold(decode_record(n.state).envelope for n in bureau.notifications())
    own = sorted(c for c, i in state.inspectors.items() if "szyc" in (i.division, i.unit))
    seed = draws.get(draw).seed
    assert [t["target"] for t in teams] == draws.selected_targets(draw)
    for team in teams:
        order = [
            i
            for _, i, _ in sampler(
                own, seed=f"{seed}/partner-inspectors/szyc/{team['target']}", output="tuple"
            )
        ]
        walked = order[: team["walked"]]
        skipped = [s["inspector"] for s in team["skips"]]
        assert [i for i in walked if i not in skipped] == team["members"]
        assert all("jsyy" in state.inspectors[m].qualifications for m in team["members"])
        assert len(team["members"]) == 2

    first = teams[0]
    substitute = joint.substitute(
        draw, "szyc", first["target"], first["members"][1], "回避：近亲属任职", "szyc-clerk"
    )
    assert substitute not in first["members"]

    manifest, _ = draw_record(draws, draw)
    partners = {p["division"]: p for p in manifest["partners"]}
    assert partners["nsc"]["status"] == "declined"
    assert partners["szyc"]["status"] == "assigned"
    assert partners["szyc"]["teams"][0]["members"] == [first["members"][0], substitute]
    assert [p["division"] for p in manifest["partner_invited"]] == ["szyc", "nsc"]

    export_bundle(bureau, tmp_path / "b.jsonl")
    report = verify_bundle(
        read_bundle(tmp_path / "b.jsonl"), pinned_keys=[str(bureau.signer.verifier)]
    )
    assert report.ok, report.to_json()


def test_partner_acts_out_of_turn_are_refused_naming_the_rule_and_record_nothing(bureau):
    draws = Draws(bureau)
    joint = JointInspections(draws)
    draw = draws.open(with_ceremony(LEAD), "szc-clerk")
    joint.invite(draw, "szyc", "", "szc-clerk")
    joint.accept(draw, "szyc", ACCEPT, "szyc-clerk")
    joint.invite(draw, "nsc", "", "szc-clerk")
    joint.decline(draw, "nsc", "人手不足", "nsc-head")
    recorded = len(bureau.recorder.select_events(draw))

    with pytest.raises(Conflict, match="has not selected the targets yet"):
        joint.assign(draw, "szyc", "szyc-clerk")
    with pytest.raises(Conflict, match="answered once"):
        joint.accept(draw, "szyc", ACCEPT, "szyc-clerk")
    with pytest.raises(Conflict, match="hhc was not invited to this draw"):
        joint.accept(draw, "hhc", {"items": ["hdcs"], "team_size": 2}, "hhc-clerk")
    with pytest.raises(Conflict, match="invited to this draw already"):
        joint.invite(draw, "szyc", "", "szc-clerk")
    with pytest.raises(BadInput, match="leads this draw"):
        joint.invite(draw, "szc", "", "szc-clerk")
    with pytest.raises(Forbidden, match="谁审批谁监管"):
        joint.invite(draw, "hhc", "", "ggc-clerk")  # only the lead division invites
    joint.invite(draw, "hhc", "", "szc-clerk")
    with pytest.raises(BadInput, match="belongs to division szc .executed by szjczd, szyfwzx"):
        joint.accept(draw, "hhc", {"items": ["qsxk"], "team_size": 2}, "hhc-clerk")
    with pytest.raises(Forbidden, match="谁审批谁监管"):
        joint.accept(draw, "hhc", {"items": ["hdcs"], "team_size": 2}, "szc-clerk")
    with pytest.raises(BadInput, match="says why"):
        joint.decline(draw, "hhc", " ", "hhc-clerk")
    assert len(bureau.recorder.select_events(draw)) == recorded + 1  # the one valid invitation

    draws.freeze(draw, "szc-clerk")
    reveal(draws, draw, "szc-clerk")
    draws.select(draw, "szc-clerk")
    with pytest.raises(Conflict, match="nsc cannot assign its inspectors: it declined"):
        joint.assign(draw, "nsc", "nsc-clerk")
    with pytest.raises(Conflict, match="has not accepted"):
        joint.assign(draw, "hhc", "hhc-clerk")
    joint.assign(draw, "szyc", "szyc-clerk")
    with pytest.raises(Conflict, match="assigned its inspectors already"):
        joint.assign(draw, "szyc", "szyc-clerk")
    with pytest.raises(Conflict, match="hhc cannot substitute an inspector: it has not accepted"):
        joint.substitute(draw, "hhc", "x", "y", "回避", "hhc-clerk")


def test_a_partners_team_rewritten_with_the_ledger_key_is_caught_at_its_event(bureau, tmp_path):
    draws = Draws(bureau)
    joint = JointInspections(draws)
    draw = selected_draw(draws)
    joint.invite(draw, "szyc", "", "szc-clerk")
    joint.accept(draw, "szyc", ACCEPT, "szyc-clerk")
    joint.assign(draw, "szyc", "szyc-clerk")
    export_bundle(bureau, tmp_path / "b.jsonl")

    bundle = EditableBundle.from_bytes((tmp_path / "b.jsonl").read_bytes())
    [position] = [
        p
        for p in bundle.positions_of(str(draw))
        if bundle.envelope(p)["type"] == "draw.partner_inspectors_assigned"
    ]
    payload = bundle.envelope(position)["payload"]
    teams = payload["teams"]
    teams[0]["members"] = list(reversed(teams[0]["members"]))  # a chosen order, not the draw's
    bundle.events[position].record = resigned(
        bundle.events[position].record, bureau.signer, payload={**payload, "teams": teams}
    )
    (tmp_path / "b.jsonl").write_bytes(bundle.to_bytes())

    step9 = verify_bundle(read_bundle(tmp_path / "b.jsonl")).steps[8]
    assert not step9.ok
    assert any(f.position == position and "处室 szyc 的检查组" in f.message for f in step9.failures)


def test_a_unit_that_executes_the_item_joins_with_its_own_inspectors(bureau, tmp_path):
    from ledger.registry.service import Registry

    Registry(bureau).register_official(
        {"code": "szjczd-head", "name": "支队长", "division": "szjczd", "roles": ["division_head"]},
        by="bgs-admin",
    )
    draws = Draws(bureau)
    joint = JointInspections(draws)
    draw = selected_draw(draws)
    lead = {t["target"]: set(t["members"]) for t in draws.assign(draw, "szc-clerk")}
    joint.invite(draw, "szjczd", "取水许可检查由支队参与执法", "szc-clerk")
    joint.accept(draw, "szjczd", {"items": ["qsxk"], "team_size": 2}, "szjczd-head")
    teams = joint.assign(draw, "szjczd", "szjczd-head")
    state = draws.registry_at(None)
    members = {m for t in teams for m in t["members"]}
    assert members and all(state.inspectors[m].unit == "szjczd" for m in members)
    # The detachment's inspectors may be on the lead's teams too: never both for one target.
    assert all(not lead[t["target"]] & set(t["members"]) for t in teams)
    for team in teams:
        for skip in team["skips"]:
            if skip["inspector"] in lead[team["target"]]:
                assert skip["reason"] == "on division szc's team for this target"
    export_bundle(bureau, tmp_path / "b.jsonl")
    keys = [str(bureau.signer.verifier)]
    assert verify_bundle(read_bundle(tmp_path / "b.jsonl"), pinned_keys=keys).ok


def test_an_answer_forged_for_a_division_never_invited_is_caught_at_its_event(bureau, tmp_path):
    draws = Draws(bureau)
    joint = JointInspections(draws)
    draw = selected_draw(draws)
    joint.invite(draw, "szyc", "", "szc-clerk")
    joint.decline(draw, "szyc", "人员不足", "szyc-clerk")
    export_bundle(bureau, tmp_path / "b.jsonl")

    bundle = EditableBundle.from_bytes((tmp_path / "b.jsonl").read_bytes())
    [position] = [
        p
        for p in bundle.positions_of(str(draw))
        if bundle.envelope(p)["type"] == "draw.partner_declined"
    ]
    payload = {**bundle.envelope(position)["payload"], "division": "hhc"}
    bundle.events[position].record = resigned(
        bundle.events[position].record, bureau.signer, payload=payload
    )
    (tmp_path / "b.jsonl").write_bytes(bundle.to_bytes())

    step9 = verify_bundle(read_bundle(tmp_path / "b.jsonl")).steps[8]
    assert [(f.position, f.message) for f in step9.failures] == [
        (position, "为处室 hhc 记录 partner_declined，而该处室未被邀请")
    ]


def test_an_acceptance_recorded_as_made_by_the_lead_division_is_caught_at_its_event(
    bureau, tmp_path
):
    draws = Draws(bureau)
    joint = JointInspections(draws)
    draw = selected_draw(draws)
    joint.invite(draw, "szyc", "", "szc-clerk")
    joint.accept(draw, "szyc", ACCEPT, "szyc-clerk")
    export_bundle(bureau, tmp_path / "b.jsonl")

    bundle = EditableBundle.from_bytes((tmp_path / "b.jsonl").read_bytes())
    [position] = [
        p
        for p in bundle.positions_of(str(draw))
        if bundle.envelope(p)["type"] == "draw.partner_accepted"
    ]
    actor = {"official": "szc-clerk", "role": "clerk", "department": "szc"}
    bundle.events[position].record = resigned(
        bundle.events[position].record, bureau.signer, actor=actor
    )
    (tmp_path / "b.jsonl").write_bytes(bundle.to_bytes())

    step9 = verify_bundle(read_bundle(tmp_path / "b.jsonl")).steps[8]
    assert [(f.position, f.message) for f in step9.failures] == [
        (position, "partner_accepted 由 szc 的 szc-clerk 所为；此处只能由处室 szyc 办理")
    ]
