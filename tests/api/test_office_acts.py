"""The registry office's daily acts (/office/targets, /office/inspectors): a clerk finds a
target of their division and changes its status with a reason and a source, finds an inspector
and changes their status, declares and withdraws a conflict — each recorded by the service as
the clerk, the browser then sent (303) to the entry's page naming the ledger position — and the
attackers: a clerk of another division, a form without its CSRF field or from another site, a
reload of the result page, a conflict's reason looked for in the public column and in URLs."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.importing import import_file
from api.page_session import csrf_for
from ledger.registry.targets import target_id_of
from projections import queries
from verify.eligibility import eligible_target_statuses

from .test_import_support import (
    TARGET_HEADERS_ZH,
    bureau,
    count_events,
    credit_code,
    csv_bytes,
    target_row,
)
from .test_office_pages import OWN, _login

PAGE = {"Accept": "text/html"}
REASON = "该执法人员的配偶在该公司任职"  # private: the public sees a recusal, never why


@pytest.fixture
def registry(ledger):
    """The bureau with two targets of 工管处, one of 河湖处, and an inspector of 工管处."""
    registry = bureau(ledger)
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1), target_row(2), target_row(3, "hhc")])
    import_file(registry, "targets", data, by=None, source="setup")
    registry.register_inspector(
        {
            "code": "insp-gqc-01",
            "name": "周检",
            "certificate_number": "JS-0001",
            "certificate_valid_until": "2099-12-31",
            "unit": "gqc",
            "division": "gqc",
            "agency_staff": True,
            "qualifications": "hdjs",
        },
        "clerk-gqc",
    )
    return registry


@pytest.fixture
def service(registry):
    app = create_app(registry.app)
    yield app
    app.state.read_models.close()


def _post(client: TestClient, path: str, headers: dict[str, str] | None = None, **form: Any) -> Any:
    headers = {"Origin": OWN, **PAGE} if headers is None else {**headers, **PAGE}
    return client.post(f"/office{path}", data=form, headers=headers)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _status_form(csrf: str | None, **changes: Any) -> dict[str, Any]:
    form = {"target": credit_code(1), "status": "closed", "reason": "企业自行停业",
            "source": "常州市市场监管局公告〔2026〕12号", "csrf": csrf, **changes}  # fmt: skip
    return {k: v for k, v in form.items() if v is not None}


def _target_status(service: Any, code: str) -> str:
    rm = service.state.read_models
    rm.current()
    return str(queries.get_entry(rm.engine, "target", code)["status"])


def test_a_clerk_changes_a_targets_status_and_the_page_shows_what_was_recorded(service, registry):
    client, csrf = _login(service, registry)
    page = client.get(f"/office/targets?code={credit_code(1)}", headers=PAGE)
    assert page.status_code == 200, page.text
    text = _text(page.text)
    assert "常州市第1水利工程有限公司" in text and "在营" in text and "可被随机抽取" in text
    assert "工管处（gqc）" in text and "河道管理范围内建设项目检查" in text
    assert f'name="csrf" value="{csrf}"' in page.text
    before = count_events(registry.app)

    r = _post(client, "/targets/status", **_status_form(csrf))

    assert r.status_code == 303, r.text
    assert count_events(registry.app) == before + 1
    [(position, record)] = list(registry.app.records(topics=["target.status_changed"]))
    assert record.envelope["actor"]["official"] == "clerk-gqc"
    assert record.envelope["payload"]["reason"] == "企业自行停业"
    assert record.envelope["payload"]["source"] == "常州市市场监管局公告〔2026〕12号"
    assert r.headers["location"] == f"/office/targets?code={credit_code(1)}&recorded={position}"
    shown = client.get(r.headers["location"], headers=PAGE)
    assert shown.status_code == 200
    said = _text(shown.text)
    assert f"已记录：变更检查对象状态，账本位置 {position}" in said
    assert "已关闭停业" in _text(_cell(shown.text, "target-status"))
    assert "不在随机抽取范围内" in said  # the draw's eligibility follows the status
    assert f'id="event-{position}"' in shown.text and "企业自行停业" in said
    # the read model the draws' population is taken from has the new status
    assert _target_status(service, credit_code(1)) == "closed"
    assert "closed" not in eligible_target_statuses(registry.app.policy_in_force())


def test_reloading_the_page_after_the_redirect_records_nothing_more(service, registry):
    client, csrf = _login(service, registry)
    r = _post(client, "/targets/status", **_status_form(csrf))
    assert r.status_code == 303
    after = count_events(registry.app)
    for _ in range(3):  # the browser's reload repeats the GET the 303 led to
        assert client.get(r.headers["location"], headers=PAGE).status_code == 200
    assert count_events(registry.app) == after
    # resending the form itself is refused: the target is closed already (409, in Chinese)
    again = _post(client, "/targets/status", **_status_form(csrf))
    assert again.status_code == 409 and "未记录任何内容" in again.text
    assert count_events(registry.app) == after


def test_a_page_claims_no_act_for_a_position_that_is_not_this_entrys(service, registry):
    """``recorded=`` in a URL shows the entry's own event at that position only: a forged or
    stale link does not make the page say something was recorded."""
    client, _ = _login(service, registry)
    head = registry.app.recorder.max_notification_id()
    page = client.get(f"/office/targets?code={credit_code(1)}&recorded={head}", headers=PAGE)
    assert page.status_code == 200 and 'id="recorded"' not in page.text


def test_a_clerk_of_another_division_is_refused_and_nothing_is_recorded(service, registry):
    client, csrf = _login(service, registry, "clerk-hhc")
    before = count_events(registry.app)

    shown = client.get(f"/office/targets?code={credit_code(1)}", headers=PAGE)
    changed = _post(client, "/targets/status", **_status_form(csrf))
    conflict = _post(client, "/inspectors/conflicts", inspector="insp-gqc-01",
                     target=credit_code(1), reason=REASON, csrf=csrf)  # fmt: skip
    inspector = _post(client, "/inspectors/status", inspector="insp-gqc-01",
                      status="retired", reason="退休", csrf=csrf)  # fmt: skip

    for r in (shown, changed, conflict, inspector):
        assert r.status_code == 403, r.text
        assert r.headers["content-type"].startswith("text/html")
        assert "无权查看或办理" in r.text and "未记录任何内容" in r.text
        assert "gqc" in _text(r.text)  # which division's records they are
    assert count_events(registry.app) == before
    assert _target_status(service, credit_code(1)) == "in_business"
    # their own division's target they may change
    own = _post(client, "/targets/status", **_status_form(csrf, target=credit_code(3)))
    assert own.status_code == 303 and _target_status(service, credit_code(3)) == "closed"


def test_a_form_without_its_csrf_field_or_from_another_site_records_nothing(service, registry):
    client, csrf = _login(service, registry)
    before = count_events(registry.app)
    attempts = [
        ({"Origin": "http://evil.example"}, _status_form(csrf)),
        ({"Origin": OWN}, _status_form(None)),
        ({"Origin": OWN}, _status_form(csrf_for("another-token"))),
        ({}, _status_form(csrf)),  # neither Origin nor Referer
        ({"Referer": "http://evil.example/page"}, _status_form(csrf)),
    ]
    for headers, form in attempts:
        r = _post(client, "/targets/status", headers, **form)
        assert r.status_code == 403, (headers, form, r.text)
        assert "表单" in _text(r.text)
    for path, form in [
        ("/inspectors/conflicts", {"target": credit_code(1), "reason": REASON}),
        ("/inspectors/status", {"status": "retired", "reason": "退休"}),
    ]:
        r = _post(client, path, {"Origin": "http://evil.example"},
                  inspector="insp-gqc-01", csrf=csrf, **form)  # fmt: skip
        assert r.status_code == 403
        assert _post(client, path, inspector="insp-gqc-01", **form).status_code == 403
    assert count_events(registry.app) == before
    # a browser without the session is sent to log in, nothing recorded
    stranger = TestClient(service, follow_redirects=False)
    r = stranger.post("/office/targets/status", data=_status_form(csrf), headers={"Origin": OWN})
    assert r.status_code == 303 and r.headers["location"].startswith("/office/login")
    assert count_events(registry.app) == before


def test_a_reason_is_required_and_a_bad_status_is_refused_in_chinese(service, registry):
    client, csrf = _login(service, registry)
    before = count_events(registry.app)
    for form in (_status_form(csrf, reason="   "), _status_form(csrf, source=""),
                 _status_form(csrf, status="bankrupt")):  # fmt: skip
        r = _post(client, "/targets/status", **form)
        assert r.status_code == 422, r.text
        assert "请求有误" in r.text and "未记录任何内容" in r.text
    unknown = _post(client, "/targets/status", **_status_form(csrf, target=credit_code(9)))
    assert unknown.status_code == 404 and "未找到" in unknown.text
    assert count_events(registry.app) == before


def test_a_refusal_names_the_fields_as_the_form_does_and_leads_back(service, registry):
    """A blank reason is refused by the field's name on the form (理由), not the request's
    (reason); a code nobody registered is named as the clerk typed it, not as the id made from
    it; the problem page links back to the page the form was on."""
    client, csrf = _login(service, registry)
    form_page = f"{OWN}/office/targets?code={credit_code(1)}"
    came = {"Origin": OWN, "Referer": form_page}
    blank = _text(_post(client, "/targets/status", came, **_status_form(csrf, reason="  ")).text)
    assert "理由：" in blank and "reason" not in blank
    assert "返回上一页" in blank
    page = _post(client, "/targets/status", came, **_status_form(csrf, reason="  ")).text
    assert f'href="/office/targets?code={credit_code(1)}"' in page
    unknown = _post(client, "/targets/status", came, **_status_form(csrf, target=credit_code(9)))
    assert unknown.status_code == 404 and credit_code(9) in unknown.text
    assert str(target_id_of(credit_code(9))) not in unknown.text
    elsewhere = {"Origin": OWN, "Referer": "http://elsewhere.example/office/targets"}
    page = _post(client, "/targets/status", elsewhere, **_status_form(csrf, reason=" ")).text
    assert "返回上一页" not in page and 'href="/office"' in page


def test_a_clerk_changes_an_inspectors_status(service, registry):
    client, csrf = _login(service, registry)
    page = client.get("/office/inspectors?code=insp-gqc-01", headers=PAGE)
    assert page.status_code == 200 and "周检" in page.text and "在岗" in page.text

    r = _post(client, "/inspectors/status", inspector="insp-gqc-01", status="transferred",
              reason="调任其他单位", csrf=csrf)  # fmt: skip

    assert r.status_code == 303, r.text
    [(position, record)] = list(registry.app.records(topics=["inspector.updated"]))
    assert record.envelope["payload"]["changes"] == {"status": "transferred"}
    assert record.envelope["payload"]["reason"] == "调任其他单位"
    assert record.envelope["actor"]["official"] == "clerk-gqc"
    shown = client.get(r.headers["location"], headers=PAGE)
    assert f"账本位置 {position}" in _text(shown.text)
    assert "调离" in _text(_cell(shown.text, "inspector-status"))
    assert "不参加抽取" in _text(_cell(shown.text, "inspector-status"))


def test_a_conflict_is_declared_and_withdrawn_and_its_reason_never_reaches_a_url_or_the_public(
    service, registry
):
    client, csrf = _login(service, registry)
    urls: list[str] = []

    declared = _post(client, "/inspectors/conflicts", inspector="insp-gqc-01",
                     target=credit_code(1), reason=REASON, csrf=csrf)  # fmt: skip

    assert declared.status_code == 303, declared.text
    [(position, record)] = list(registry.app.records(topics=["inspector.conflict_declared"]))
    assert record.envelope["payload"]["reason"] == REASON
    assert record.envelope["actor"]["official"] == "clerk-gqc"
    urls.append(declared.headers["location"])
    page = client.get(declared.headers["location"], headers=PAGE)
    assert f"账本位置 {position}" in _text(page.text)
    assert credit_code(1) in _cell(page.text, "conflicts")  # named by its credit code
    assert REASON in page.text  # the keeper's own page shows it
    urls += re.findall(r'(?:href|action|src)="([^"]+)"', page.text)

    again = _post(client, "/inspectors/conflicts", inspector="insp-gqc-01",
                  target=credit_code(1), reason=REASON, csrf=csrf)  # fmt: skip
    assert again.status_code == 409 and "未记录任何内容" in again.text

    target = re.search(r'name="target" value="([^"]+)"', _cell(page.text, "conflicts"))
    assert target
    withdrawn = _post(client, "/inspectors/conflicts/withdraw", inspector="insp-gqc-01",
                      target=target.group(1), reason="配偶已离职", csrf=csrf)  # fmt: skip
    assert withdrawn.status_code == 303, withdrawn.text
    urls.append(withdrawn.headers["location"])
    after = client.get(withdrawn.headers["location"], headers=PAGE)
    assert 'id="no-conflicts"' in after.text and "撤回利害关系申报" in after.text
    assert len(list(registry.app.records(topics=["inspector.conflict_withdrawn"]))) == 1

    for url in urls:
        assert REASON not in unquote(url) and "配偶" not in unquote(url), url
    for text in _public_pages(service):
        assert REASON not in text and "配偶已离职" not in text


def test_the_acts_pages_load_nothing_from_elsewhere_and_run_no_script(service, registry):
    client, _ = _login(service, registry)
    for path in ("/office/targets", f"/office/targets?code={credit_code(1)}",
                 "/office/inspectors", "/office/inspectors?code=insp-gqc-01"):  # fmt: skip
        r = client.get(path, headers=PAGE)
        assert r.status_code == 200, (path, r.text)
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert "<script" not in r.text
        for url in re.findall(r'(?:href|src|action)="([^"]+)"', r.text):
            assert url.startswith("/office"), url
        assert 'method="get"' in r.text  # the find form
    assert client.get("/office/targets?code=91320400MA9999999X", headers=PAGE).status_code in (
        404,
        422,
    )


def _cell(page: str, element: str) -> str:
    """The HTML of the element with id ``element`` (a table or a cell)."""
    found = re.search(rf'<(\w+) id="{element}">(.*?)</\1>', page, re.S)
    assert found, element
    return found.group(2)


def _public_pages(service: Any) -> list[str]:
    """Every page of the public column reachable from its front page (bounded), and its feed."""
    visitor = TestClient(service)
    seen: set[str] = set()
    queue = ["/column", "/column/feed.json", "/column/feed.rss"]
    texts = []
    while queue and len(seen) < 200:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        r = visitor.get(path)
        assert r.status_code == 200, path
        texts.append(r.text)
        for link in re.findall(r'href="([^"]+)"', r.text):
            parts = urlsplit(html.unescape(link))
            if not parts.netloc and parts.path.startswith("/column"):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert len(texts) > 3
    return texts


def test_an_individual_is_found_by_their_reference_and_their_name_is_not_shown(service, registry):
    """An individual target (个人) is named by the pseudonymous reference the registry keeps,
    not their ID number; the page shows neither their name nor their ID number."""
    id_number = "320404199001011234"
    person = target_row(5, code=id_number, name="张某", kind="个人", permit_number="",
                        permit_valid_from="", permit_valid_until="", risk_flags="")  # fmt: skip
    import_file(registry, "targets", csv_bytes(TARGET_HEADERS_ZH, [person]), by=None, source="s")
    rm = service.state.read_models
    rm.current()
    found = queries.search_targets(rm.engine, kind="individual")["items"]
    [reference] = [t["code"] for t in found]
    assert id_number not in reference and reference.startswith("person-"), reference
    client, csrf = _login(service, registry)

    for typed in (reference, f"individual:{reference}"):
        page = client.get("/office/targets", params={"code": typed}, headers=PAGE)
        assert page.status_code == 200, (typed, page.text)
        assert "张某" not in page.text and id_number not in page.text
    r = _post(client, "/targets/status", **_status_form(csrf, target=reference, status="moved"))
    assert r.status_code == 303, r.text
    shown = client.get(r.headers["location"], headers=PAGE)
    assert "已迁出" in _text(_cell(shown.text, "target-status"))
    assert "张某" not in shown.text and id_number not in shown.text


def test_a_project_is_found_by_its_number_as_an_export_writes_it(service, registry):
    """A project target's code column holds its number alone (an export's ``常水许可…``):
    typed so, it is found, its status changed, and named in a conflict."""
    number = "常水许可〔2025〕7号"
    project = target_row(7, code=number, kind="项目", name="新北区跨河桥梁工程")
    import_file(registry, "targets", csv_bytes(TARGET_HEADERS_ZH, [project]), by=None, source="s")
    client, csrf = _login(service, registry)

    page = client.get("/office/targets", params={"code": number}, headers=PAGE)

    assert page.status_code == 200, page.text
    assert "新北区跨河桥梁工程" in page.text and f'value="project:{number}"' in page.text
    changed = _post(client, "/targets/status", **_status_form(csrf, target=number))
    assert changed.status_code == 303, changed.text
    declared = _post(client, "/inspectors/conflicts", inspector="insp-gqc-01", target=number,
                     reason=REASON, csrf=csrf)  # fmt: skip
    assert declared.status_code == 303, declared.text
    shown = client.get(declared.headers["location"], headers=PAGE)
    assert number in _cell(shown.text, "conflicts")
    missing = client.get("/office/targets", params={"code": "常水许可〔2025〕99号"}, headers=PAGE)
    assert missing.status_code == 404 and "未找到" in missing.text
