"""The registry over HTTP, as a bureau's officials use it: each with their own token, each act a
signed event, each refusal a problem+json body that names the field or the rule.

The service tests (tests/ledger/test_registry.py) run on both backends; these run on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.application import LedgerApp
from ledger.registry.inspectors import Inspector, inspector_id
from ledger.registry.targets import Target, target_id_of
from ledger.storage import persistence_env
from verify.events import decode_record
from verify.keys import SignerKey

WATER_USER = "91320411MA1MB3K8XT"  # valid GB 32100 codes from ../shared/vectors/uscc.json
OTHER_USER = "91320412250937656W"
PROBLEM = "application/problem+json"


@dataclass
class Bureau:
    client: TestClient
    app: LedgerApp
    tokens: dict[str, str]

    def post(self, path: str, who: str | None, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.post(path, json=body, headers=headers)

    def events(self, position: int) -> list[dict[str, Any]]:
        """The envelopes of the events from ``position`` on."""
        found = self.app.recorder.select_notifications(start=position, limit=100)
        return [decode_record(n.state).envelope for n in found]


def target(code: str = WATER_USER, **changes: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "常州示例化工有限公司",
        "district": "新北区",
        "grid": "新北区春江镇第1网格",
        "division": "szc",
        "items": ["qsxk"],
        "permit_number": "取水(常)字[2024]第00001号",
        "permit_valid_from": "2024-03-01",
        "permit_valid_until": "2029-02-28",
        **changes,
    }


def inspector(code: str = "insp-001", **changes: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "李明",
        "certificate_number": "苏执-3204-10001",
        "certificate_valid_until": "2099-12-31",
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
    "checklist": ["取水许可证是否在有效期内"],
    "method": ["on_site", "documentary"],
    "item_class": "key",
    "ratio_percent": 10,
}


@pytest.fixture
def bureau(tmp_path) -> Any:  # type: ignore[no-untyped-def]
    """The operator creates the office and its admin; the admin sets up the rest over HTTP."""
    signer = SignerKey.generate("drawledger.test/api")
    env = persistence_env("sqlite:///ledger.sqlite", tmp_path)
    app = LedgerApp(env, signer, signer.name, embedded_sealing=True)
    app.create_ledger()
    app.set_default_policy()
    client = TestClient(create_app(app))
    registry = client.app.state.registry  # type: ignore[attr-defined]
    registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, by=None)
    admin = {"code": "admin", "name": "周敏", "division": "bgs", "roles": ["admin"]}
    registry.register_official(admin, by=None)
    bureau = Bureau(client, app, {"admin": registry.issue_token("admin", by=None)})

    for code, name, kind in [
        ("szc", "水政处", "aggregator"),
        ("ggc", "工管处", "business_division"),
        ("szjczd", "常州市水政监察支队", "detachment"),
        ("szyfwzx", "常州市水资源服务中心", "service_centre"),
    ]:
        response = bureau.post("/divisions", "admin", {"code": code, "name": name, "kind": kind})
        assert response.status_code == 201, response.text
    for code, division, role in [
        ("szc-clerk", "szc", "clerk"),
        ("ggc-clerk", "ggc", "clerk"),
        ("szc-aggregator", "szc", "plan_aggregator"),
    ]:
        body = {"code": code, "name": code, "division": division, "roles": [role]}
        assert bureau.post("/officials", "admin", body).status_code == 201
        bureau.tokens[code] = bureau.post(f"/officials/{code}/tokens", "admin").json()["token"]
    assert bureau.post("/items", "szc-clerk", ITEM).status_code == 201
    hdjs = {**ITEM, "code": "hdjs", "name": "河道管理范围内建设项目监督检查", "division": "ggc"}
    assert bureau.post("/items", "ggc-clerk", hdjs).status_code == 201
    yield bureau
    app.close()


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


# -- targets -------------------------------------------------------------------------------------


def test_a_clerk_registers_a_target_of_their_division_and_gets_its_id_and_position(bureau):
    response = bureau.post("/targets", "szc-clerk", target())

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["warnings"] == []
    [event] = bureau.events(body["ledger_position"])
    assert event["type"] == "target.registered"
    assert event["aggregate"] == body["id"]
    token_id = bureau.tokens["szc-clerk"].split(".")[2]  # the credential the act was done with
    clerk = {"official": "szc-clerk", "role": "clerk", "department": "szc", "token": token_id}
    assert event["actor"] == clerk


def test_a_target_of_another_division_is_403_naming_the_rule(bureau):
    response = bureau.post("/targets", "szc-clerk", target(division="ggc", items=["hdjs"]))
    assert "谁审批谁监管" in assert_problem(response, 403)["detail"]


def test_closing_another_divisions_target_is_403_naming_the_rule(bureau):
    tid = bureau.post("/targets", "szc-clerk", target()).json()["id"]
    body = {"status": "closed", "reason": "r", "source": "s"}
    response = bureau.post(f"/targets/{tid}/status", "ggc-clerk", body)
    assert "谁审批谁监管" in assert_problem(response, 403)["detail"]


def test_an_invalid_credit_code_is_422_naming_the_field(bureau):
    response = bureau.post("/targets", "szc-clerk", target(code="91320411MA1MB3K8XU"))
    [problem] = assert_problem(response, 422)["problems"]
    assert problem["field"] == "code"
    assert "应为 'T'" in problem["message"]


def test_a_duplicate_target_is_409(bureau):
    assert bureau.post("/targets", "szc-clerk", target()).status_code == 201
    assert "已登记" in assert_problem(bureau.post("/targets", "szc-clerk", target()), 409)["detail"]


def test_an_unknown_division_or_item_is_422_naming_each(bureau):
    response = bureau.post("/targets", "szc-clerk", target(division="xyz", items=["zz"]))
    problems = assert_problem(response, 422)["problems"]
    assert {p["field"] for p in problems} == {"division", "items"}


def test_an_unknown_field_is_422_rather_than_silently_ignored(bureau):
    response = bureau.post("/targets", "szc-clerk", {**target(), "credit_clas": "B"})
    assert response.status_code == 422
    assert "credit_clas" in response.text


def test_a_correction_and_a_status_change_are_new_events_with_reason_and_source(bureau):
    tid = bureau.post("/targets", "szc-clerk", target()).json()["id"]
    correction = {
        "changes": {"credit_class": "C", "risk_flags": ["complaints"], "grid": None},
        "reason": "多次被投诉",
        "source": "12345热线",
    }
    corrected = bureau.post(f"/targets/{tid}/corrections", "szc-clerk", correction)
    assert corrected.status_code == 200, corrected.text
    status = {"status": "deregistered", "reason": "企业已注销", "source": "企业信用信息公示系统"}
    closed = bureau.post(f"/targets/{tid}/status", "szc-clerk", status)
    assert closed.status_code == 200, closed.text

    updated, changed = bureau.events(corrected.json()["ledger_position"])
    assert updated["type"] == "target.updated"
    assert updated["payload"] == {
        "changes": {"credit_class": "C", "grid": None, "risk_flags": ["complaints"]},
        "reason": "多次被投诉",
        "source": "12345热线",
    }
    assert changed["type"] == "target.status_changed"
    assert changed["payload"]["source"] == "企业信用信息公示系统"
    [registered] = [e for e in bureau.events(1) if e["type"] == "target.registered"]
    assert registered["payload"]["credit_class"] == "A"  # the registration stays as it was
    assert bureau.app.get(UUID(tid), Target).status == "deregistered"


def test_a_targets_acts_take_its_credit_code_as_its_reads_do(bureau):
    """Issue 14: a credit code works wherever a target is named — its status, its corrections,
    as GET /targets/{ref} and the conflicts; one nobody registered is a 404 naming the code as
    written, not the id made from it."""
    code = target()["code"]
    tid = bureau.post("/targets", "szc-clerk", target()).json()["id"]
    fix = {"changes": {"credit_class": "B"}, "reason": "信用复评", "source": "信用中国"}
    assert bureau.post(f"/targets/{code.lower()}/corrections", "szc-clerk", fix).status_code == 200
    close = {"status": "closed", "reason": "停业", "source": "公告"}
    assert bureau.post(f"/targets/{code}/status", "szc-clerk", close).status_code == 200
    assert bureau.app.get(UUID(tid), Target).status == "closed"
    assert bureau.app.get(UUID(tid), Target).credit_class == "B"
    unknown = "91320411MA1MB3K81T"
    missing = assert_problem(bureau.post(f"/targets/{unknown}/status", "szc-clerk", close), 404)
    assert unknown in missing["detail"]
    assert str(target_id_of(unknown)) not in missing["detail"]


def test_a_status_change_to_the_same_status_is_409(bureau):
    tid = bureau.post("/targets", "szc-clerk", target()).json()["id"]
    body = {"status": "in_business", "reason": "r", "source": "s"}
    assert_problem(bureau.post(f"/targets/{tid}/status", "szc-clerk", body), 409)


def test_an_individual_is_registered_without_any_personal_data_in_the_answer(bureau):
    person = target(code="DEMO320481000001", kind="individual", name="张三")
    response = bureau.post("/targets", "szc-clerk", person)
    assert response.status_code == 201, response.text
    assert "张三" not in response.text and "DEMO320481000001" not in response.text


def test_an_individuals_address_sent_in_a_correction_is_left_out_and_the_answer_says_so(bureau):
    """A correction that carries an individual's address (personal data the log never keeps)
    beside a real change records the change alone and tells the caller, in Chinese, that the
    address was left out: nothing sent is dropped silently."""
    person = target(code="DEMO320481000002", kind="individual", name="李四")
    registered = bureau.post("/targets", "szc-clerk", {**person, "address": "春江镇 1 号"})
    assert registered.status_code == 201, registered.text
    [left_out] = registered.json()["warnings"]
    assert "地址" in left_out and "原文" not in left_out
    tid = registered.json()["id"]

    correction = {
        "changes": {"grid": "新北区春江镇第2网格", "address": "春江镇 2 号"},
        "reason": "网格调整",
        "source": "网格员上报",
    }
    corrected = bureau.post(f"/targets/{tid}/corrections", "szc-clerk", correction)
    assert corrected.status_code == 200, corrected.text
    [warning] = corrected.json()["warnings"]
    assert warning == left_out  # the same words as the registration's
    [updated] = bureau.events(corrected.json()["ledger_position"])
    assert updated["payload"]["changes"] == {"grid": "新北区春江镇第2网格"}
    assert "春江镇 2 号" not in str(bureau.events(1))


def test_a_correction_without_anything_to_warn_about_answers_no_warnings(bureau):
    tid = bureau.post("/targets", "szc-clerk", target()).json()["id"]
    body = {"changes": {"credit_class": "B"}, "reason": "信用评价", "source": "信用办"}
    corrected = bureau.post(f"/targets/{tid}/corrections", "szc-clerk", body)
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["warnings"] == []


# -- inspectors ----------------------------------------------------------------------------------


def test_the_aggregator_adds_an_inspector_of_any_division(bureau):
    body = inspector(division="ggc", qualifications=["hdjs"], agency_staff=True)
    response = bureau.post("/inspectors", "szc-aggregator", body)
    assert response.status_code == 201, response.text
    assert response.json()["code"] == "insp-001"


def test_an_expired_certificate_is_422_naming_the_field(bureau):
    response = bureau.post(
        "/inspectors", "szc-aggregator", inspector(certificate_valid_until="2020-01-01")
    )
    [problem] = assert_problem(response, 422)["problems"]
    assert problem["field"] == "certificate_valid_until"
    assert "已于 2020-01-01 过期" in problem["message"]


def test_an_unknown_qualification_is_422(bureau):
    response = bureau.post("/inspectors", "szc-aggregator", inspector(qualifications=["zz"]))
    [problem] = assert_problem(response, 422)["problems"]
    assert (problem["field"], problem["value"]) == ("qualifications", "zz")


def test_a_transfer_is_recorded_as_a_correction(bureau):
    bureau.post("/inspectors", "szc-aggregator", inspector())
    body = {"changes": {"status": "transferred"}, "reason": "调离执法岗位"}
    response = bureau.post("/inspectors/insp-001/corrections", "szc-aggregator", body)
    assert response.status_code == 200, response.text
    [event] = bureau.events(response.json()["ledger_position"])
    assert event["payload"] == {"changes": {"status": "transferred"}, "reason": "调离执法岗位"}
    assert bureau.app.get(inspector_id("insp-001"), Inspector).status == "transferred"


def test_a_certificate_number_belongs_to_one_inspector_on_every_path(bureau):
    """Issue 14 ("two inspectors with the same certificate number are accepted"), played on the
    routes beside the import: a registration and a correction that would give one inspector a
    colleague's certificate are a 422 naming the holder, in Chinese, and record nothing; renewing
    one's own certificate is still a correction."""
    bureau.post("/inspectors", "szc-aggregator", inspector())
    colleague = inspector("insp-002", name="王强", certificate_number="苏执-3204-10002")
    assert bureau.post("/inspectors", "szc-aggregator", colleague).status_code == 201
    before = bureau.app.recorder.max_notification_id()

    twin = inspector("insp-003", name="赵刚")  # insp-001's certificate number
    detail = assert_problem(bureau.post("/inspectors", "szc-aggregator", twin), 422)["detail"]
    assert "执法人员 insp-001 的执法证号" in detail and "不得重复" in detail
    certificate = {"number": "苏执-3204-10001", "valid_until": "2099-12-31"}
    taken = {"changes": {"certificate": certificate}, "reason": "换发执法证"}
    response = bureau.post("/inspectors/insp-002/corrections", "szc-aggregator", taken)
    detail = assert_problem(response, 422)["detail"]
    assert "苏执-3204-10001" in detail and "执法人员 insp-001 的执法证号" in detail
    assert bureau.app.recorder.max_notification_id() == before

    certificate = {"number": "苏执-3204-10002", "valid_until": "2100-12-31"}
    renewed = {"changes": {"certificate": certificate}, "reason": "执法证换发"}
    response = bureau.post("/inspectors/insp-002/corrections", "szc-aggregator", renewed)
    assert response.status_code == 200, response.text


def test_a_conflict_of_interest_is_declared_and_withdrawn(bureau):
    tid = bureau.post("/targets", "szc-clerk", target()).json()["id"]
    bureau.post("/inspectors", "szc-aggregator", inspector())

    body = {"target_id": tid, "reason": "配偶在该单位任职"}
    declared = bureau.post("/inspectors/insp-001/conflicts", "szc-aggregator", body)
    assert declared.status_code == 201, declared.text
    assert declared.json()["target_id"] == tid
    assert_problem(bureau.post("/inspectors/insp-001/conflicts", "szc-aggregator", body), 409)

    path = f"/inspectors/insp-001/conflicts/{tid}/withdraw"
    withdrawn = bureau.post(path, "szc-aggregator", {"reason": "配偶已离职"})
    assert withdrawn.status_code == 200, withdrawn.text
    [event] = bureau.events(withdrawn.json()["ledger_position"])
    assert event["type"] == "inspector.conflict_withdrawn"
    assert event["payload"] == {"target": tid, "reason": "配偶已离职"}
    assert_problem(bureau.post(path, "szc-aggregator", {"reason": "again"}), 409)


def test_a_conflict_is_declared_and_withdrawn_by_the_targets_credit_code(bureau):
    """Issue 14: the conflict routes wanted the target's UUID where every other route takes
    its credit code; the code as an officer types it (lower case, full-width) names it too."""
    tid = bureau.post("/targets", "szc-clerk", target()).json()["id"]
    bureau.post("/inspectors", "szc-aggregator", inspector())

    typed = WATER_USER.lower().translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    body = {"target_id": typed, "reason": "配偶在该单位任职"}
    declared = bureau.post("/inspectors/insp-001/conflicts", "szc-aggregator", body)
    assert declared.status_code == 201, declared.text
    assert declared.json()["target_id"] == tid
    [event] = bureau.events(declared.json()["ledger_position"])
    assert event["payload"]["target"] == tid  # the log names the target as before: by its id
    again = {"target_id": tid, "reason": "重复申报"}
    assert_problem(bureau.post("/inspectors/insp-001/conflicts", "szc-aggregator", again), 409)

    path = f"/inspectors/insp-001/conflicts/{WATER_USER}/withdraw"
    withdrawn = bureau.post(path, "szc-aggregator", {"reason": "配偶已离职"})
    assert withdrawn.status_code == 200, withdrawn.text
    [event] = bureau.events(withdrawn.json()["ledger_position"])
    assert event["payload"] == {"target": tid, "reason": "配偶已离职"}


def test_a_conflict_with_an_unregistered_credit_code_is_404_recording_nothing(bureau):
    bureau.post("/inspectors", "szc-aggregator", inspector())
    before = bureau.app.recorder.max_notification_id()
    body = {"target_id": "91320411MA1MB3K8XT", "reason": "r"}
    response = bureau.post("/inspectors/insp-001/conflicts", "szc-aggregator", body)
    assert "91320411MA1MB3K8XT" in assert_problem(response, 404)["detail"]  # as it was written
    unknown = {**body, "target_id": "garbage!"}
    response = bureau.post("/inspectors/insp-001/conflicts", "szc-aggregator", unknown)
    assert "garbage!" in assert_problem(response, 404)["detail"]
    path = "/inspectors/insp-001/conflicts/91320411MA1MB3K8XT/withdraw"
    assert_problem(bureau.post(path, "szc-aggregator", {"reason": "r"}), 409)  # none declared
    assert bureau.app.recorder.max_notification_id() == before


def test_a_conflict_with_an_unknown_target_is_404(bureau):
    bureau.post("/inspectors", "szc-aggregator", inspector())
    body = {"target_id": "00000000-0000-0000-0000-000000000000", "reason": "r"}
    assert_problem(bureau.post("/inspectors/insp-001/conflicts", "szc-aggregator", body), 404)


# -- items and the list --------------------------------------------------------------------------


def test_a_clerk_may_not_add_or_withdraw_another_divisions_item(bureau):
    response = bureau.post("/items/hdjs/withdraw", "szc-clerk", {"reason": "r"})
    assert "谁审批谁监管" in assert_problem(response, 403)["detail"]
    assert bureau.post("/items/hdjs/withdraw", "ggc-clerk", {"reason": "并入"}).status_code == 200
    assert_problem(bureau.post("/items/hdjs/withdraw", "ggc-clerk", {"reason": "r"}), 409)


def test_only_the_aggregator_publishes_the_item_list(bureau):
    assert "计划汇总处室" in assert_problem(bureau.post("/item-lists", "szc-clerk"), 403)["detail"]
    response = bureau.post("/item-lists", "szc-aggregator")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["number"] == 1
    [event] = bureau.events(body["ledger_position"])
    assert (event["type"], event["payload"]["digest"]) == ("itemlist.published", body["digest"])


def test_an_item_with_an_unknown_executing_unit_is_422(bureau):
    body = {**ITEM, "code": "new", "executing_units": ["nowhere"]}
    [problem] = assert_problem(bureau.post("/items", "szc-clerk", body), 422)["problems"]
    assert problem["field"] == "executing_units"


# -- officials and tokens ------------------------------------------------------------------------


def test_no_token_is_401_and_a_foreign_token_is_403(bureau):
    response = bureau.client.post("/targets", json=target())
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    headers = {"Authorization": "Bearer not-a-token"}
    assert_problem(bureau.client.post("/targets", json=target(), headers=headers), 403)


def test_a_revoked_token_is_403(bureau):
    token = bureau.post("/officials/szc-clerk/tokens", "admin").json()
    assert token["official"] == "szc-clerk"
    bureau.tokens["second"] = token["token"]
    assert bureau.post("/targets", "second", target()).status_code == 201

    path = f"/officials/szc-clerk/tokens/{token['token_id']}/revoke"
    assert bureau.post(path, "admin", {"reason": "设备遗失"}).status_code == 200
    assert "吊销" in assert_problem(bureau.post("/targets", "second", target()), 403)["detail"]
    assert bureau.post("/targets", "szc-clerk", target(code=OTHER_USER)).status_code == 201


def test_a_deactivated_officials_token_is_403(bureau):
    response = bureau.post("/officials/ggc-clerk/deactivate", "admin", {"reason": "调离"})
    assert response.status_code == 200, response.text
    body = target(division="ggc", items=["hdjs"])
    assert "已停用" in assert_problem(bureau.post("/targets", "ggc-clerk", body), 403)["detail"]


def test_a_token_lends_no_role_or_division_its_official_no_longer_holds(bureau):
    """szc's clerk keeps their token after the admin moves them to ggc as an inspector (or
    takes the clerk role away): the token still names them, and lends neither the old role nor
    the old division; nothing is recorded."""
    moved = {"roles": ["inspector"], "division": "ggc", "reason": "调任执法支队"}
    assert bureau.post("/officials/szc-clerk/roles", "admin", moved).status_code == 200
    before = bureau.app.recorder.max_notification_id()
    detail = assert_problem(bureau.post("/targets", "szc-clerk", target()), 403)["detail"]
    assert "szc-clerk" in detail
    ggc = target(division="ggc", items=["hdjs"])
    assert_problem(bureau.post("/targets", "szc-clerk", ggc), 403)  # an inspector registers none
    assert bureau.app.recorder.max_notification_id() == before


def test_only_an_admin_manages_officials(bureau):
    body = {"code": "x", "name": "x", "division": "szc", "roles": ["admin"]}
    assert (
        "系统管理员" in assert_problem(bureau.post("/officials", "szc-clerk", body), 403)["detail"]
    )
    assert_problem(bureau.post("/officials/szc-clerk/tokens", "szc-clerk"), 403)


def test_roles_change_and_contacts_are_recorded_and_bad_roles_are_422(bureau):
    body = {"roles": ["clerk", "division_head"], "division": "szc", "reason": "升任"}
    assert bureau.post("/officials/szc-clerk/roles", "admin", body).status_code == 200
    assert_problem(
        bureau.post("/officials/szc-clerk/roles", "admin", {**body, "roles": ["x"]}), 422
    )
    contact = {"contact": "szc-clerk", "reason": "处室工作联系人"}
    response = bureau.post("/divisions/szc/contact", "admin", contact)
    assert response.status_code == 200, response.text
    [event] = bureau.events(response.json()["ledger_position"])
    assert event["payload"] == {"contact": "szc-clerk", "reason": "处室工作联系人"}
    assert_problem(bureau.post("/divisions/nope/contact", "admin", contact), 404)


def test_a_duplicate_division_or_official_is_409(bureau):
    division = {"code": "szc", "name": "水政处"}
    assert_problem(bureau.post("/divisions", "admin", division), 409)
    official = {"code": "szc-clerk", "name": "x", "division": "szc", "roles": ["clerk"]}
    assert_problem(bureau.post("/officials", "admin", official), 409)


def test_the_openapi_document_describes_the_registry_bodies(bureau):
    schema = bureau.client.get("/openapi.json").json()
    target_create = schema["components"]["schemas"]["TargetCreate"]
    assert "GB 32100" in target_create["properties"]["code"]["description"]
    assert target_create["properties"]["kind"]["enum"] == [
        "enterprise",
        "public_body",
        "project",
        "individual",
    ]
    assert "/inspectors/{code}/conflicts/{target_id}/withdraw" in schema["paths"]


def test_a_malformed_body_is_a_problem_naming_each_field(bureau):
    response = bureau.post("/targets", "szc-clerk", {**target(), "credit_clas": "B"})
    body = assert_problem(response, 422)
    assert any("credit_clas" in p["field"] for p in body["problems"])
