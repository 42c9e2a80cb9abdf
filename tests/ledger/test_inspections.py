"""An inspection from notification to publication, as the division and its inspectors record it;
and every way of getting it wrong, each refused with nothing recorded."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from ledger.draws.service import Draws
from ledger.errors import BadInput, Conflict, Forbidden, NotFound
from ledger.export import export_bundle
from ledger.inspections.evidence import EvidenceStore
from ledger.inspections.service import Inspections
from ledger.publications.service import Publishing
from ledger.registry.identities import bound_official
from verify.bundle import read_bundle
from verify.bundle_lines import event_line, line_event
from verify.checks import verify_bundle
from verify.events import decode_record, encode_record
from verify.results import content_digest

from .test_draws import run_draw

TODAY = date(2026, 11, 25)


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=300, inspectors=30, today=TODAY)
    return ledger


@pytest.fixture
def drawn(bureau):
    draw, teams = run_draw(Draws(bureau, today=date(2026, 11, 1)))
    return draw, teams


@pytest.fixture
def inspections(bureau, tmp_path):
    return Inspections(bureau, EvidenceStore(tmp_path / "evidence"), today=lambda: TODAY)


def _events(ledger, aggregate):
    return [s.topic for s in ledger.recorder.select_events(aggregate)]


def _carried_out(inspections, draw, team, on="2026-11-10"):
    inspection = inspections.notify(
        {"source": str(draw), "target": team["target"], "notified_on": "2026-11-05"}, "szc-clerk"
    )
    inspections.carry_out(
        inspection, {"on": on, "method": "现场检查", "present": team["members"]}, "szc-clerk"
    )
    return inspection


def test_an_inspection_is_recorded_step_by_step_and_published_on_time(bureau, drawn, inspections):
    draw, teams = drawn
    team = teams[0]
    inspection = _carried_out(inspections, draw, team)
    member = team["members"][0]
    inspections.answer_checklist(
        inspection,
        {
            "answers": [
                {"question": q, "answer": "yes"}
                for q in inspections.questions(inspections.get(inspection))
            ],
            "recorded_by": member,
        },
        bound_official(bureau, member),
    )
    inspections.record_result(
        inspection,
        {"category": "no_problem", "findings": "", "recorded_by": member},
        bound_official(bureau, member),
    )
    inspections.record_confirmation(inspection, {"on": "2026-11-10"}, "szc-clerk")
    inspections.follow_up(inspection, {"kind": "none", "on": "2026-11-10"}, "szc-clerk")
    inspections.close(inspection, {"on": "2026-11-11"}, "szc-clerk")
    assert _events(bureau, inspection) == [
        "inspection.notified",
        "inspection.carried_out",
        "inspection.checklist_answered",
        "inspection.result_recorded",
        "inspection.confirmation_recorded",
        "inspection.followed_up",
        "inspection.closed",
    ]

    publication = Publishing(bureau, today=lambda: date(2026, 11, 18)).publish(
        inspection, "results", "szc-clerk"
    )
    record = Publishing(bureau).get(publication)
    assert record.content["category"] == {"code": "no_problem", "label": "未发现问题"}
    assert record.content["target"]["key"] == team["target"]
    assert record.content_digest == content_digest(record.content)
    stored = bureau.repository.get(publication)
    assert stored.status == "published"
    published = bureau.recorder.select_events(publication)[0]
    assert published.topic == "publication.published"
    # 2026-11-10 (Tue) + 7 working days = 2026-11-19 (Thu); published on the 18th: on time.
    payload = bureau.mapper.to_domain_event(published)
    assert (payload.deadline, payload.on_time, payload.working_days_allowed) == (
        "2026-11-19",
        True,
        7,
    )
    # No inspector's name or code is in the public content.
    assert not any(m in str(record.content) for m in team["members"])


def test_a_late_publication_is_allowed_but_recorded_as_late(bureau, drawn, inspections):
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    member = teams[0]["members"][1]
    inspections.record_result(
        inspection,
        {"category": "no_problem", "recorded_by": member},
        bound_official(bureau, member),
    )
    inspections.record_confirmation(inspection, {"on": "2026-11-10"}, "szc-clerk")
    publication = Publishing(bureau, today=lambda: date(2026, 11, 20)).publish(
        inspection, "results", "szc-clerk"
    )
    event = bureau.mapper.to_domain_event(bureau.recorder.select_events(publication)[0])
    assert (event.deadline, event.published_on, event.on_time) == (
        "2026-11-19",
        "2026-11-20",
        False,
    )


def test_a_result_by_someone_not_on_the_team_is_refused(bureau, drawn, inspections):
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    outsider = next(m for t in teams[1:] for m in t["members"] if m not in teams[0]["members"])
    # The operator records no result, in an outsider's name or any other (no policy lets it).
    with pytest.raises(Forbidden, match="operator may not record inspection.result"):
        inspections.record_result(
            inspection, {"category": "no_problem", "recorded_by": outsider}, None
        )
    # The official bound to an inspector not on the team may not record for it either.
    with pytest.raises(Forbidden, match="who is not on this inspection's team"):
        inspections.record_result(
            inspection, {"category": "no_problem"}, bound_official(bureau, outsider)
        )
    assert _events(bureau, inspection)[-1] == "inspection.carried_out"


def test_an_inspector_on_the_team_records_the_result_in_their_own_name(bureau, drawn, inspections):
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    member = teams[0]["members"][0]
    from ledger.registry.identities import bound_official
    from ledger.registry.service import Registry

    official = Registry(bureau).official(bound_official(bureau, member) or "")
    inspections.record_result(inspection, {"category": "problem_pending"}, official.code)
    with pytest.raises(Forbidden, match="may not inspection.notify"):
        inspections.notify(
            {"source": str(draw), "target": teams[1]["target"], "notified_on": "2026-11-05"},
            official.code,
        )
    event = bureau.mapper.to_domain_event(bureau.recorder.select_events(inspection)[-1])
    assert event.recorded_by == member  # the result names the roster inspector bound to them
    assert event.actor == {
        "official": official.code,
        "role": "inspector",
        "department": official.division,
    }


def test_unknown_category_and_fewer_than_two_present_are_bad_input(bureau, drawn, inspections):
    draw, teams = drawn
    inspection = inspections.notify(
        {"source": str(draw), "target": teams[0]["target"], "notified_on": "2026-11-05"},
        "szc-clerk",
    )
    with pytest.raises(BadInput, match="at least 2"):
        inspections.carry_out(
            inspection,
            {"on": "2026-11-10", "method": "现场检查", "present": teams[0]["members"][:1]},
            "szc-clerk",
        )
    inspections.carry_out(
        inspection,
        {"on": "2026-11-10", "method": "现场检查", "present": teams[0]["members"]},
        "szc-clerk",
    )
    with pytest.raises(BadInput, match="category"):
        inspections.record_result(
            inspection,
            {"category": "fine", "recorded_by": teams[0]["members"][0]},
            bound_official(bureau, teams[0]["members"][0]),
        )
    assert _events(bureau, inspection) == ["inspection.notified", "inspection.carried_out"]


def test_an_inspector_not_drawn_cannot_take_part(bureau, drawn, inspections):
    draw, teams = drawn
    inspection = inspections.notify(
        {"source": str(draw), "target": teams[0]["target"], "notified_on": "2026-11-05"},
        "szc-clerk",
    )
    stranger = next(m for t in teams[1:] for m in t["members"] if m not in teams[0]["members"])
    with pytest.raises(Forbidden, match="not on the drawn team"):
        inspections.carry_out(
            inspection,
            {
                "on": "2026-11-10",
                "method": "现场检查",
                "present": [teams[0]["members"][0], stranger],
            },
            "szc-clerk",
        )
    assert _events(bureau, inspection) == ["inspection.notified"]


def test_a_logged_substitute_takes_the_recused_inspectors_place(bureau, drawn, inspections):
    draw, teams = drawn
    team = teams[0]
    recused = team["members"][0]
    substitute = Draws(bureau).substitute(draw, team["target"], recused, "回避", "szc-clerk")
    inspection = inspections.notify(
        {"source": str(draw), "target": team["target"], "notified_on": "2026-11-05"}, "szc-clerk"
    )
    with pytest.raises(Forbidden, match="not on the drawn team"):
        inspections.carry_out(
            inspection,
            {"on": "2026-11-10", "method": "现场检查", "present": team["members"]},
            "szc-clerk",
        )
    present = [substitute, team["members"][1]]
    inspections.carry_out(
        inspection, {"on": "2026-11-10", "method": "现场检查", "present": present}, "szc-clerk"
    )
    assert inspections.get(inspection).present == sorted(present)


def test_a_target_that_was_not_drawn_has_no_inspection(bureau, drawn, inspections):
    draw, _ = drawn
    with pytest.raises(NotFound, match="was not drawn"):
        inspections.notify(
            {"source": str(draw), "target": "91320400MA1XXXXXXX", "notified_on": "2026-11-05"},
            "szc-clerk",
        )


def test_publication_before_confirmation_is_refused(bureau, drawn, inspections):
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    inspections.record_result(
        inspection,
        {"category": "no_problem", "recorded_by": teams[0]["members"][0]},
        bound_official(bureau, teams[0]["members"][0]),
    )
    with pytest.raises(Conflict, match="only after the inspected party confirmed"):
        Publishing(bureau).publish(inspection, "results", "szc-clerk")
    with pytest.raises(Conflict, match="no penalty decision"):
        Publishing(bureau).publish(inspection, "double_publicity", "szc-clerk")


def test_a_refusal_to_confirm_is_recorded_with_its_note_and_still_published(
    bureau, drawn, inspections
):
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    inspections.record_result(
        inspection,
        {"category": "serious_refusal", "recorded_by": teams[0]["members"][0]},
        bound_official(bureau, teams[0]["members"][0]),
    )
    with pytest.raises(BadInput, match="note"):
        inspections.record_confirmation(
            inspection, {"on": "2026-11-10", "confirmed": False}, "szc-clerk"
        )
    inspections.record_confirmation(
        inspection,
        {"on": "2026-11-10", "confirmed": False, "note": "负责人拒绝签字，两名检查人员在场见证"},
        "szc-clerk",
    )
    publication = Publishing(bureau, today=lambda: TODAY).publish(
        inspection, "results", "szc-clerk"
    )
    assert Publishing(bureau).get(publication).content["confirmed"] is False


def test_a_problem_is_followed_up_to_a_penalty_published_in_the_double_publicity_column(
    bureau, drawn, inspections
):
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    inspections.record_result(
        inspection,
        {"category": "problem_pending", "recorded_by": teams[0]["members"][0]},
        bound_official(bureau, teams[0]["members"][0]),
    )
    inspections.record_confirmation(inspection, {"on": "2026-11-10"}, "szc-clerk")
    with pytest.raises(Conflict, match="cannot be 'none'"):
        inspections.follow_up(inspection, {"kind": "none", "on": "2026-11-10"}, "szc-clerk")
    with pytest.raises(Conflict, match="'case_filed' follow-up first"):
        inspections.follow_up(
            inspection,
            {"kind": "penalty_decided", "on": "2026-11-12", "decision_number": "x", "penalty": "y"},
            "szc-clerk",
        )
    with pytest.raises(BadInput, match="case_number"):
        inspections.follow_up(inspection, {"kind": "case_filed", "on": "2026-11-11"}, "szc-clerk")
    inspections.follow_up(
        inspection,
        {"kind": "case_filed", "on": "2026-11-11", "case_number": "常水立〔2026〕12号"},
        "szc-clerk",
    )
    inspections.follow_up(
        inspection,
        {
            "kind": "penalty_decided",
            "on": "2026-11-16",
            "decision_number": "常水罚〔2026〕7号",
            "penalty": "罚款人民币二万元",
        },
        "szc-clerk",
    )
    publishing = Publishing(bureau, today=lambda: TODAY)
    publication = publishing.publish(inspection, "double_publicity", "szc-clerk")
    content = publishing.get(publication).content
    assert (content["decision_number"], content["case_number"]) == (
        "常水罚〔2026〕7号",
        "常水立〔2026〕12号",
    )
    event = bureau.mapper.to_domain_event(bureau.recorder.select_events(publication)[0])
    assert (event.start, event.deadline, event.on_time) == ("2026-11-16", "2026-11-25", True)


def test_a_second_penalty_decision_does_not_move_the_deadline_and_the_verifier_agrees(
    bureau, drawn, inspections, tmp_path
):
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    inspections.record_result(
        inspection, {"category": "problem_pending"}, bound_official(bureau, teams[0]["members"][0])
    )
    inspections.record_confirmation(inspection, {"on": "2026-11-10"}, "szc-clerk")
    inspections.follow_up(
        inspection,
        {"kind": "case_filed", "on": "2026-11-11", "case_number": "常水立〔2026〕13号"},
        "szc-clerk",
    )
    for on, number in (("2026-11-12", "常水罚〔2026〕8号"), ("2026-11-16", "常水罚〔2026〕9号")):
        decision = {
            "kind": "penalty_decided",
            "on": on,
            "decision_number": number,
            "penalty": "罚款",
        }
        inspections.follow_up(inspection, decision, "szc-clerk")
    publication = Publishing(bureau, today=lambda: TODAY).publish(
        inspection, "double_publicity", "szc-clerk"
    )
    event = bureau.mapper.to_domain_event(bureau.recorder.select_events(publication)[0])
    assert (event.start, event.deadline) == ("2026-11-12", "2026-11-23")
    export_bundle(bureau, tmp_path / "b.jsonl")
    report = verify_bundle(
        read_bundle(tmp_path / "b.jsonl"), pinned_keys=[str(bureau.signer.verifier)]
    )
    assert report.ok, report.to_json()


def test_a_correction_and_a_withdrawal_are_new_events_and_the_old_content_stays(
    bureau, drawn, inspections
):
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    inspections.record_result(
        inspection,
        {"category": "problem_corrected", "recorded_by": teams[0]["members"][0]},
        bound_official(bureau, teams[0]["members"][0]),
    )
    inspections.record_confirmation(inspection, {"on": "2026-11-10"}, "szc-clerk")
    inspections.follow_up(
        inspection,
        {"kind": "order_to_correct", "on": "2026-11-10", "correct_by": "2026-11-20"},
        "szc-clerk",
    )
    publishing = Publishing(bureau, today=lambda: TODAY)
    publication = publishing.publish(inspection, "results", "szc-clerk")
    first = publishing.get(publication).content_digest
    with pytest.raises(Conflict, match="exactly the content already published"):
        publishing.correct(publication, "重复", "szc-clerk")
    inspections.follow_up(inspection, {"kind": "corrected", "on": "2026-11-20"}, "szc-clerk")
    publishing.correct(publication, "整改完成，更新后续处理", "szc-clerk")
    corrected = bureau.mapper.to_domain_event(bureau.recorder.select_events(publication)[1])
    assert corrected.replaces == first
    assert corrected.content["follow_up"]["code"] == "corrected"
    publishing.withdraw(publication, "对象已注销，撤回公示", "szc-clerk")
    with pytest.raises(Conflict, match="withdrawn"):
        publishing.correct(publication, "again", "szc-clerk")
    assert _events(bureau, publication) == [
        "publication.published",
        "publication.corrected",
        "publication.withdrawn",
    ]


def test_evidence_is_stored_by_digest_and_a_mismatched_file_is_refused(bureau, drawn, inspections):
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    photo = b"\x89PNG\r\n\x1a\n" + b"site photo" * 100
    digest = hashlib.sha256(photo).hexdigest()
    with pytest.raises(BadInput, match="not the declared"):
        inspections.add_evidence(
            inspection, photo[:-1], digest, "image/png", "现场.png", "szc-clerk"
        )
    assert not (inspections.evidence.root / "sha256").exists()
    assert inspections.add_evidence(
        inspection, photo, digest, "image/png", "现场.png", "szc-clerk"
    ) == (
        digest,
        True,
    )
    assert inspections.add_evidence(
        inspection, photo, digest, "image/png", "again.png", "szc-clerk"
    ) == (
        digest,
        False,
    )
    assert inspections.evidence.get(digest) == photo
    assert inspections.get(inspection).evidence[digest]["size"] == len(photo)
    assert _events(bureau, inspection).count("inspection.evidence_added") == 1


def test_dates_in_the_future_and_before_the_notice_are_refused(bureau, drawn, inspections):
    draw, teams = drawn
    inspection = inspections.notify(
        {"source": str(draw), "target": teams[0]["target"], "notified_on": "2026-11-05"},
        "szc-clerk",
    )
    for on, rule in (
        ("2026-12-01", "in the future"),
        ("2026-11-01", "before the notice on 2026-11-05"),
    ):
        with pytest.raises(BadInput, match=rule):
            inspections.carry_out(
                inspection,
                {"on": on, "method": "现场检查", "present": teams[0]["members"]},
                "szc-clerk",
            )


def _published_world(bureau, drawn, inspections, tmp_path):
    draw, teams = drawn
    inspection = _carried_out(inspections, draw, teams[0])
    member = teams[0]["members"][0]
    photo = b"site photo " * 50
    inspections.add_evidence(
        inspection, photo, hashlib.sha256(photo).hexdigest(), "image/jpeg", "现场.jpg", "szc-clerk"
    )
    inspections.record_result(
        inspection, {"category": "no_problem"}, bound_official(bureau, member)
    )
    inspections.record_confirmation(inspection, {"on": "2026-11-10"}, "szc-clerk")
    Publishing(bureau, today=lambda: date(2026, 11, 20)).publish(inspection, "results", "szc-clerk")
    export_bundle(bureau, tmp_path / "b.jsonl")
    return tmp_path / "b.jsonl"


def test_the_verifier_rederives_teams_results_and_deadlines_and_checks_evidence_files(
    bureau, drawn, inspections, tmp_path
):
    path = _published_world(bureau, drawn, inspections, tmp_path)
    keys = [str(bureau.signer.verifier)]
    report = verify_bundle(
        read_bundle(path), pinned_keys=keys, evidence_dir=inspections.evidence.root
    )
    assert report.ok, report.to_json()
    step10, step11 = report.steps[9], report.steps[10]
    assert step10.detail.startswith("1 次检查，1 次公示（逾期 1 次；")
    assert step11.detail == "记录的 1 个文件中核验了 1 个，0 个未提供"

    # A supplied file that is not what was recorded fails step 11 at its event.
    (stored,) = [p for p in (inspections.evidence.root / "sha256").rglob("*") if p.is_file()]
    stored.write_bytes(b"another photo")
    report = verify_bundle(read_bundle(path), evidence_dir=inspections.evidence.root)
    assert [s.number for s in report.steps if not s.ok] == [11]
    assert "提供的文件为" in report.steps[10].failures[0].message


def _resign(path, bureau, event_type, change):
    """Rewrite the payload of the bundle's ``event_type`` event with ``change`` and sign it again
    with the ledger's own key (an operator holding the key); returns the event's position."""
    lines = path.read_bytes().split(b"\n")
    for n, line in enumerate(lines):
        found = line_event(line)
        if found is None:
            continue
        index, nid, stored = found
        event = decode_record(stored)
        if event.type == event_type:
            envelope = dict(event.envelope)
            envelope["payload"] = {**envelope["payload"], **change(envelope["payload"])}
            record, _ = encode_record(envelope, bureau.signer)
            lines[n] = event_line(index, nid, record)[:-1]
            position = index
    path.write_bytes(b"\n".join(lines))
    return position


def test_a_publication_claiming_to_be_on_time_when_it_was_late_fails_step_10(
    bureau, drawn, inspections, tmp_path
):
    path = _published_world(bureau, drawn, inspections, tmp_path)
    position = _resign(path, bureau, "publication.published", lambda p: {"on_time": True})
    report = verify_bundle(read_bundle(path))
    step10 = report.steps[9]
    assert [
        (f.position, "重新推算得 ('2026-11-19', 7, False)" in f.message) for f in step10.failures
    ] == [(position, True)]


def test_a_stranger_signed_into_the_team_present_fails_step_10_as_the_ledger_refuses_it(
    bureau, drawn, inspections, tmp_path
):
    _, teams = drawn
    stranger = next(m for t in teams[1:] for m in t["members"] if m not in teams[0]["members"])
    path = _published_world(bureau, drawn, inspections, tmp_path)

    def swap(payload):
        return {"present": [payload["present"][0], stranger]}

    position = _resign(path, bureau, "inspection.carried_out", swap)
    step10 = verify_bundle(read_bundle(path)).steps[9]
    assert [f.position for f in step10.failures if "not on the drawn team" in f.message] == [
        position
    ]


def test_in_a_joint_inspection_each_division_records_its_own_result_with_its_own_team(
    bureau, inspections, tmp_path
):
    from ledger.draws.joint import JointInspections

    draws = Draws(bureau, today=date(2026, 11, 1))
    draw, teams = run_draw(draws)
    joint = JointInspections(draws)
    joint.invite(draw, "szyc", "计划用水单位与取水单位重合", "szc-clerk")
    joint.accept(draw, "szyc", {"items": ["jsyy"], "team_size": 2}, "szyc-head")
    partner_teams = joint.assign(draw, "szyc", "szyc-clerk")
    target = teams[0]["target"]
    partner = next(t for t in partner_teams if t["target"] == target)

    lead = _carried_out(inspections, draw, teams[0])
    own = inspections.notify(
        {"source": str(draw), "target": target, "division": "szyc", "notified_on": "2026-11-05"},
        "szyc-clerk",
    )
    assert own != lead
    assert inspections.get(own).items == ["jsyy"]
    with pytest.raises(Forbidden, match="not on the drawn team"):
        inspections.carry_out(
            own,
            {"on": "2026-11-10", "method": "现场检查", "present": teams[0]["members"]},
            "szyc-clerk",
        )
    inspections.carry_out(
        own, {"on": "2026-11-10", "method": "现场检查", "present": partner["members"]}, "szyc-clerk"
    )
    inspections.record_result(
        own, {"category": "no_problem"}, bound_official(bureau, partner["members"][0])
    )
    with pytest.raises(Forbidden, match="division szyc"):
        inspections.record_confirmation(own, {"on": "2026-11-10"}, "szc-clerk")
    with pytest.raises(Conflict, match="drawn no inspectors"):
        inspections.notify(
            {"source": str(draw), "target": target, "division": "nsc", "notified_on": "2026-11-05"},
            "nsc-clerk",
        )
    export_bundle(bureau, tmp_path / "b.jsonl")
    report = verify_bundle(
        read_bundle(tmp_path / "b.jsonl"), pinned_keys=[str(bureau.signer.verifier)]
    )
    assert report.ok, report.to_json()
    assert report.steps[9].detail.startswith("2 次检查")


def test_a_complaint_driven_inspection_is_carried_out_by_qualified_inspectors_of_the_roster(
    bureau, inspections, tmp_path
):
    from verify.registry_state import fold

    state = fold(decode_record(n.state).envelope for n in bureau.notifications())
    target = next(t.key for t in state.targets.values() if t.division == "szc")
    record = Draws(bureau, today=date(2026, 11, 1)).record_non_random(
        {
            "division": "szc",
            "items": ["qsxk"],
            "targets": [target],
            "ground": "complaint",
            "reason": "12345 热线投诉：超许可取水",
            "legal_basis": "《中华人民共和国水法》第四十八条",
        },
        "szc-clerk",
    )
    qualified = sorted(
        c
        for c, i in state.inspectors.items()
        if "qsxk" in i.qualifications
        and i.status == "on_duty"
        and i.certificate["valid_until"] >= "2026-11-10"
    )
    unqualified = next(c for c, i in state.inspectors.items() if "qsxk" not in i.qualifications)
    inspection = inspections.notify(
        {"source": str(record), "target": target, "notified_on": "2026-11-05"}, "szc-clerk"
    )
    assert inspections.get(inspection).random is False
    with pytest.raises(Forbidden, match="not qualified for qsxk"):
        inspections.carry_out(
            inspection,
            {"on": "2026-11-10", "method": "现场检查", "present": [qualified[0], unqualified]},
            "szc-clerk",
        )
    inspections.carry_out(
        inspection,
        {"on": "2026-11-10", "method": "现场检查", "present": qualified[:2]},
        "szc-clerk",
    )
    export_bundle(bureau, tmp_path / "b.jsonl")
    keys = [str(bureau.signer.verifier)]
    assert verify_bundle(read_bundle(tmp_path / "b.jsonl"), pinned_keys=keys).ok
