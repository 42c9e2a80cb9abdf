"""The registry service as a bureau uses it, on SQLite and PostgreSQL: who may record what, and
how every registration, correction and status change becomes a signed event."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.errors import BadInput, Conflict, Forbidden, NotFound
from ledger.fields import InvalidFields
from ledger.registry.inspectors import Inspector, inspector_id
from ledger.registry.items import list_digest
from ledger.registry.service import Registry
from ledger.registry.targets import Target, target_id
from verify.events import decode_record

WATER_USER = "91320411MA1MB3K8XT"  # valid GB 32100 codes from ../shared/vectors/uscc.json
OTHER_USER = "91320412250937656W"
WATER_WORKS = "12320400466377512W"
TODAY = date(2026, 6, 1)


def water_user(code: str = WATER_USER, **changes: object) -> dict[str, object]:
    return {
        "code": code,
        "name": "常州示例化工有限公司",
        "legal_representative": "王强",
        "address": "常州市新北区春江镇长江路1号",
        "district": "新北区",
        "grid": "新北区春江镇第1网格",
        "division": "szc",
        "items": ["qsxk"],
        "permit_number": "取水(常)字[2024]第00001号",
        "permit_valid_from": "2024-03-01",
        "permit_valid_until": "2029-02-28",
        **changes,
    }


def inspector(code: str = "insp-001", **changes: object) -> dict[str, object]:
    return {
        "code": code,
        "name": "李明",
        "certificate_number": f"苏执-3204-{code}",  # unique: one per inspector
        "certificate_valid_until": "2028-12-31",
        "unit": "szjczd",
        "division": "szc",
        "qualifications": ["qsxk"],
        **changes,
    }


ITEM = {
    "code": "qsxk",
    "name": "取水许可监督检查",
    "law": "《中华人民共和国水法》",
    "article": "第四十八条",
    "division": "szc",
    "executing_units": ["szyfwzx", "szjczd"],
    "object_type": "取水单位和个人",
    "item_class": "key",
}


@pytest.fixture
def registry(ledger) -> Registry:  # type: ignore[no-untyped-def]
    """A bureau: the operator creates the office and its admin; the admin does the rest."""
    registry = Registry(ledger)
    registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, by=None)
    official = {"code": "admin", "name": "周敏", "division": "bgs", "roles": ["admin"]}
    registry.register_official(official, by=None)
    for code, name, kind in [
        ("szc", "水政处", "aggregator"),
        ("ggc", "工管处", "business_division"),
        ("szjczd", "常州市水政监察支队", "detachment"),
        ("szyfwzx", "常州市水资源服务中心", "service_centre"),
    ]:
        registry.add_division({"code": code, "name": name, "kind": kind}, by="admin")
    for code, division, roles in [
        ("szc-clerk", "szc", ["clerk"]),
        ("ggc-clerk", "ggc", ["clerk"]),
        ("szc-aggregator", "szc", ["plan_aggregator"]),
        ("auditor", "bgs", ["auditor"]),
    ]:
        data = {"code": code, "name": code, "division": division, "roles": roles}
        registry.register_official(data, by="admin")
    registry.register_item(ITEM, by="szc-clerk")
    hdjs = {**ITEM, "code": "hdjs", "name": "河道管理范围内建设项目监督检查", "division": "ggc"}
    registry.register_item(hdjs, by="ggc-clerk")
    return registry


def events_of(registry: Registry, aggregate_id):  # type: ignore[no-untyped-def]
    """The decoded envelopes of one record's events, oldest first."""
    return [
        decode_record(s.state).envelope for s in registry.app.recorder.select_events(aggregate_id)
    ]


# -- targets -------------------------------------------------------------------------------------


def test_a_clerk_registers_a_target_of_their_division_and_the_event_names_them(registry):
    tid, warnings = registry.register_target(water_user(), by="szc-clerk")

    assert warnings == []
    assert tid == target_id("enterprise", WATER_USER)
    [created] = events_of(registry, tid)
    assert created["type"] == "target.registered"
    assert created["actor"] == {"official": "szc-clerk", "role": "clerk", "department": "szc"}
    assert created["payload"]["permit"]["valid_until"] == "2029-02-28"


def test_a_registered_target_is_the_aggregate_and_event_the_librarys_create_builds():
    from ledger.registry.targets import parse_target

    spec, _ = parse_target(water_user())
    actor = {"official": "szc-clerk", "role": "clerk", "department": "szc"}
    tid = target_id("enterprise", WATER_USER)
    ours = Target.register(spec, "import", actor)
    library = Target._create(
        Target.Created, id=tid, actor=actor, person=None, source="import", **spec
    )

    def without_times(obj: object) -> dict[str, object]:
        skip = {"timestamp", "_created_on", "_modified_on", "_pending_events"}
        return {k: v for k, v in vars(obj).items() if k not in skip}

    assert without_times(ours) == without_times(library) and ours.version == library.version == 1
    [event], [expected] = ours.pending_events, library.pending_events
    assert type(event) is type(expected) and without_times(event) == without_times(expected)
    assert ours.created_on == event.timestamp == ours.modified_on
    with pytest.raises(TypeError):  # the event's own constructor still refuses a stray field
        Target._create_with_id(Target.Created, tid, colour="red", **spec)


def test_a_code_typed_in_full_width_lower_case_is_normalised_before_it_is_checked(registry):
    tid, _ = registry.register_target(water_user(code=" ９１３２０４１１ma1mb3k8xt "), "szc-clerk")
    assert registry.app.get(tid, Target).code == WATER_USER


def test_an_invalid_credit_code_is_refused_with_the_field_and_the_rule_named(registry):
    with pytest.raises(InvalidFields) as refused:
        registry.register_target(water_user(code="91320411MA1MB3K8XU"), by="szc-clerk")
    [problem] = refused.value.problems
    assert problem.field == "code"
    assert "check character" in problem.message
    assert len(list(registry.app.notifications(topics=["target.registered"]))) == 0


def test_unknown_division_and_item_are_each_named(registry):
    with pytest.raises(InvalidFields) as refused:
        registry.register_target(water_user(division="nope", items=["qsxk", "zz"]), None)
    assert {p.field for p in refused.value.problems} == {"division", "items"}


def test_an_import_with_a_row_of_another_division_is_refused_whole_naming_row_and_rule(registry):
    rows = [water_user(), water_user(code=OTHER_USER, division="ggc", items=["hdjs"])]
    with pytest.raises(Forbidden) as refused:
        registry.import_targets(rows, "szc-clerk", "import.csv", skip_invalid=True)

    message = str(refused.value)
    assert f"row 2 ({OTHER_USER})" in message and "division ggc" in message
    assert "谁审批谁监管" in message and "nothing of it was recorded" in message
    assert not list(registry.app.notifications(topics=["target.registered"]))


def test_a_clerk_registering_a_target_of_another_division_is_forbidden(registry):
    with pytest.raises(Forbidden, match="谁审批谁监管"):
        registry.register_target(water_user(division="ggc", items=["hdjs"]), by="szc-clerk")


def test_registering_the_same_target_again_is_a_conflict(registry):
    registry.register_target(water_user(), by="szc-clerk")
    with pytest.raises(Conflict, match="registered already"):
        registry.register_target(water_user(), by="szc-clerk")


def test_registering_an_existing_code_with_other_details_is_a_conflict(registry):
    registry.register_target(water_user(), by="szc-clerk")
    with pytest.raises(Conflict):
        registry.register_target(water_user(name="另一家公司"), by="szc-clerk")


def test_corrections_and_status_changes_are_new_events_with_reason_and_source(registry):
    tid, _ = registry.register_target(water_user(), by="szc-clerk")
    registry.update_target(
        tid,
        {"credit_class": "C", "risk_flags": ["complaints"]},
        "多次被投诉",
        "12345热线",
        "szc-clerk",
    )
    registry.change_target_status(tid, "closed", "已停产关闭", "属地网格巡查", by="szc-clerk")

    created, updated, closed = events_of(registry, tid)
    assert created["payload"]["credit_class"] == "A"  # the registration is never edited
    assert updated["type"] == "target.updated"
    assert updated["payload"] == {
        "changes": {"credit_class": "C", "risk_flags": ["complaints"]},
        "reason": "多次被投诉",
        "source": "12345热线",
    }
    assert closed["type"] == "target.status_changed"
    assert (closed["payload"]["reason"], closed["payload"]["source"]) == (
        "已停产关闭",
        "属地网格巡查",
    )
    target = registry.app.get(tid, Target)
    assert (target.status, target.credit_class) == ("closed", "C")


def test_another_division_may_not_correct_or_close_a_target(registry):
    tid, _ = registry.register_target(water_user(), by="szc-clerk")
    with pytest.raises(Forbidden, match="谁审批谁监管"):
        registry.change_target_status(tid, "closed", "r", "s", by="ggc-clerk")
    with pytest.raises(Forbidden):
        registry.update_target(tid, {"grid": "x"}, "r", "s", by="ggc-clerk")
    assert len(events_of(registry, tid)) == 1


def test_a_renewed_permit_is_recorded_as_a_correction(registry):
    tid, _ = registry.register_target(water_user(), by="szc-clerk")
    renewed = {"permit_number": "取水(常)字[2029]第00007号", "permit_valid_until": "2034-02-28"}
    registry.update_target(tid, renewed, "取水许可延续", "取水许可证", by="szc-clerk")
    assert registry.app.get(tid, Target).permit["number"] == "取水(常)字[2029]第00007号"


def test_reimporting_the_same_rows_records_nothing_new(registry):
    rows = [water_user(), water_user(code=WATER_WORKS, kind="public_body", name="某水厂")]
    first = registry.import_targets(rows, "szc-clerk", "import.csv")
    size = registry.app.recorder.max_notification_id()
    again = registry.import_targets(rows, "szc-clerk", "import.csv")

    assert (first.recorded, again.recorded, again.unchanged) == (2, 0, 2)
    assert registry.app.recorder.max_notification_id() == size


def test_an_individual_target_is_in_the_log_only_as_a_reference_and_a_commitment(registry):
    person = {"kind": "individual", "code": "DEMO320481000001", "name": "张三"}
    report = registry.import_targets([water_user(**person)], "szc-clerk", "import.csv")
    assert report.recorded == 1

    ref = registry.people.reference("DEMO320481000001")
    target = registry.app.get(target_id("individual", ref), Target)
    [stored] = registry.app.recorder.select_events(target.id)
    assert "张三".encode() not in stored.state
    assert b"DEMO320481000001" not in stored.state
    assert set(target.person) == {"ref", "commitment"}
    data, _ = registry.people.reveal(ref)
    assert data["name"] == "张三"


def test_registering_an_individual_returns_the_id_of_the_recorded_target(registry):
    person = {"kind": "individual", "code": "DEMO320481000001", "name": "张三"}
    tid, _ = registry.register_target(water_user(**person), by="szc-clerk")
    assert registry.app.get(tid, Target).kind == "individual"


# -- inspectors ----------------------------------------------------------------------------------


def test_an_expired_certificate_is_refused(registry):
    expired = inspector(certificate_valid_until="2026-05-31")
    report = registry.import_inspectors([expired], "szc-aggregator", today=TODAY)

    [problem] = report.problems
    assert problem.field == "certificate_valid_until"
    assert "expired on 2026-05-31" in problem.message
    assert report.recorded == 0
    with pytest.raises(InvalidFields, match="expired"):
        registry.register_inspector(inspector(certificate_valid_until="2020-01-01"), None)


def test_a_certificate_that_expired_since_it_was_recorded_does_not_block_the_same_roster(registry):
    roster = [inspector(certificate_valid_until="2026-12-31")]
    assert registry.import_inspectors(roster, "szc-aggregator", today=TODAY).recorded == 1
    later = date(2027, 3, 1)

    again = registry.import_inspectors(roster, "szc-aggregator", today=later)
    assert (again.problems, again.recorded, again.unchanged) == ([], 0, 1)
    # A retirement is recorded although the certificate has expired meanwhile ...
    registry.import_inspectors([{**roster[0], "status": "retired"}], "szc-aggregator", today=later)
    assert registry.app.get(inspector_id("insp-001"), Inspector).status == "retired"
    # ... but a new or changed certificate must be valid.
    changed = {**roster[0], "certificate_number": "苏执-9", "status": "retired"}
    refused = registry.import_inspectors([changed], "szc-aggregator", today=later)
    assert "expired on 2026-12-31" in refused.problems[0].message


def test_the_aggregator_keeps_the_whole_roster_a_clerk_only_their_divisions(registry):
    registry.register_inspector(
        inspector(division="ggc", qualifications=["hdjs"]), "szc-aggregator"
    )
    registry.register_inspector(inspector("insp-002"), by="szc-clerk")
    with pytest.raises(Forbidden, match="谁审批谁监管"):
        registry.import_inspectors([inspector("insp-003", division="ggc")], "szc-clerk")

    registered = registry.app.notifications(topics=["inspector.registered"])
    assert [decode_record(n.state).envelope["payload"]["code"] for n in registered] == [
        "insp-001",
        "insp-002",
    ]


def test_an_unknown_qualification_or_unit_is_refused(registry):
    with pytest.raises(InvalidFields) as refused:
        registry.register_inspector(
            inspector(unit="nowhere", qualifications=["zz"]), "szc-aggregator"
        )
    assert {p.field for p in refused.value.problems} == {"unit", "qualifications"}


def test_a_transfer_is_a_correction_event_and_a_bad_status_is_refused(registry):
    registry.register_inspector(inspector(), by="szc-aggregator")
    registry.update_inspector(
        "insp-001", {"status": "transferred"}, "调离执法岗位", "szc-aggregator"
    )

    assert registry.app.get(inspector_id("insp-001"), Inspector).status == "transferred"
    updated = events_of(registry, inspector_id("insp-001"))[-1]
    assert updated["payload"] == {"changes": {"status": "transferred"}, "reason": "调离执法岗位"}
    with pytest.raises(InvalidFields, match="status"):
        registry.update_inspector("insp-001", {"status": "gone"}, "r", "szc-aggregator")


def test_an_inspector_correction_is_checked_like_a_registration(registry):
    registry.register_inspector(inspector(), by="szc-aggregator")
    with pytest.raises((InvalidFields, Forbidden)):
        registry.update_inspector("insp-001", {"qualifications": ["zz"]}, "r", "szc-clerk")
    with pytest.raises((InvalidFields, Forbidden)):
        registry.update_inspector("insp-001", {"division": "ggc"}, "r", "szc-clerk")
    expired = {"certificate": {"number": "x", "valid_until": "2001-01-01"}}
    with pytest.raises(InvalidFields):
        registry.update_inspector("insp-001", expired, "r", "szc-clerk")


def test_a_declared_conflict_is_recorded_and_can_be_withdrawn_with_a_reason(registry):
    tid, _ = registry.register_target(water_user(), by="szc-clerk")
    registry.register_inspector(inspector(), by="szc-aggregator")
    registry.declare_conflict("insp-001", tid, "配偶在该单位任职", by="szc-aggregator")
    assert registry.app.get(inspector_id("insp-001")).conflicts == {str(tid): "配偶在该单位任职"}
    with pytest.raises(Conflict, match="already"):
        registry.declare_conflict("insp-001", tid, "again", by="szc-aggregator")

    registry.withdraw_conflict("insp-001", tid, "配偶已离职", by="szc-aggregator")
    types = [e["type"] for e in events_of(registry, inspector_id("insp-001"))]
    assert types[-2:] == ["inspector.conflict_declared", "inspector.conflict_withdrawn"]
    assert registry.app.get(inspector_id("insp-001")).conflicts == {}
    with pytest.raises(Conflict, match="no declared conflict"):
        registry.withdraw_conflict("insp-001", tid, "again", by="szc-aggregator")


def test_a_conflict_with_a_target_that_does_not_exist_is_refused(registry):
    registry.register_inspector(inspector(), by="szc-aggregator")
    with pytest.raises(NotFound):
        registry.declare_conflict(
            "insp-001", target_id("enterprise", OTHER_USER), "r", "szc-aggregator"
        )


# -- items and the published list ----------------------------------------------------------------


def test_only_the_aggregator_publishes_and_a_withdrawn_item_leaves_the_next_list(registry):
    with pytest.raises(Forbidden, match="plan_aggregator"):
        registry.publish_item_list(by="szc-clerk")
    number, digest = registry.publish_item_list(by="szc-aggregator")
    first = registry.published_item_list()
    assert (first["number"], first["digest"]) == (number, digest)
    assert [i["code"] for i in first["items"]] == ["hdjs", "qsxk"]
    assert list_digest(first["items"]) == digest

    registry.withdraw_item("hdjs", "并入其他事项", by="ggc-clerk")
    registry.publish_item_list(by="szc-aggregator")
    second = registry.published_item_list()
    assert second["number"] == 2
    assert [i["code"] for i in second["items"]] == ["qsxk"]


def test_nothing_published_yet_is_not_found(registry):
    with pytest.raises(NotFound, match="no item list"):
        registry.published_item_list()


def test_a_clerk_may_not_withdraw_another_divisions_item(registry):
    with pytest.raises(Forbidden, match="谁审批谁监管"):
        registry.withdraw_item("hdjs", "r", by="szc-clerk")


# -- officials and tokens ------------------------------------------------------------------------


def test_a_token_authenticates_until_it_is_revoked(registry):
    token = registry.issue_token("szc-clerk", by="admin")
    assert registry.authenticate(token).code == "szc-clerk"
    registry.revoke_token("szc-clerk", token.split(".")[2], "离岗", by="admin")
    with pytest.raises(Forbidden, match="revoked"):
        registry.authenticate(token)


def test_a_deactivated_official_may_no_longer_act_or_authenticate(registry):
    tid, _ = registry.register_target(water_user(), by="szc-clerk")
    token = registry.issue_token("szc-clerk", by="admin")
    registry.deactivate_official("szc-clerk", "调离", by="admin")
    with pytest.raises(Forbidden, match="deactivated"):
        registry.authenticate(token)
    with pytest.raises(Forbidden, match="deactivated"):
        registry.change_target_status(tid, "closed", "r", "s", by="szc-clerk")


def test_only_an_admin_manages_officials_and_roles_must_exist(registry):
    with pytest.raises(Forbidden, match="admin"):
        registry.issue_token("szc-clerk", by="szc-clerk")
    with pytest.raises(BadInput, match="roles"):
        registry.change_official_roles("szc-clerk", ["boss"], "szc", "r", by="admin")
    registry.change_official_roles("szc-clerk", ["clerk", "division_head"], "szc", "升任", "admin")
    assert registry.official("szc-clerk").roles == ["clerk", "division_head"]


def test_a_division_names_its_contact_person(registry):
    from ledger.registry.divisions import Division, division_id

    registry.name_contact("szc", "szc-clerk", "处室工作联系人", by="admin")
    assert registry.app.get(division_id("szc"), Division).contact == "szc-clerk"
    with pytest.raises(InvalidFields):
        registry.name_contact("szc", "nobody", "r", by="admin")


def test_an_import_without_a_column_or_with_a_blank_cell_keeps_that_field_the_marker_empties_it(
    registry,
):
    from ledger.registry.targets import Target, target_id

    row = water_user()
    registry.import_targets([{**row, "grid": "G-7"}], "szc-clerk", "first.csv")
    partial = {k: v for k, v in row.items() if k != "grid"}
    report = registry.import_targets([partial], "szc-clerk", "partial.csv")
    assert report.unchanged == 1 and report.updated == 0
    tid = target_id("enterprise", row["code"])
    assert registry.app.get(tid, Target).grid == "G-7"
    report = registry.import_targets([{**row, "grid": None}], "szc-clerk", "blank.csv")
    assert (report.updated, report.unchanged) == (0, 1)
    assert registry.app.get(tid, Target).grid == "G-7"
    report = registry.import_targets([{**row, "grid": "<清空>"}], "szc-clerk", "clear.csv")
    assert report.updated == 1
    assert [(c.field, c.before, c.after) for c in report.changes] == [("grid", "G-7", None)]
    assert registry.app.get(tid, Target).grid is None
