"""The registry office's pages (/office): a clerk imports a registry file from the browser —
logs in with a token, previews the file (every change field by field, nothing recorded), and
records the very file previewed — and the attackers: a file swapped between the preview and
the recording, a form posted from another site or without its CSRF field, an official who may
write no registry, a row of another division, a session cookie sent elsewhere."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.importing import import_file
from api.legal.session import COOKIE as LEGAL_COOKIE
from api.office.routes import OFFICE
from api.page_session import csrf_for

from .test_import_support import (
    TARGET_HEADERS_ZH,
    bad_credit_code,
    bureau,
    count_events,
    credit_code,
    csv_bytes,
    target_row,
    xlsx_bytes,
)

OWN = "http://testserver"


@pytest.fixture
def registry(ledger):
    """The bureau's registry on a new ledger (SQLite, then PostgreSQL), with a legal officer
    (who may write no registry)."""
    registry = bureau(ledger)
    registry.register_official(
        {"code": "legal-szc", "name": "法制员", "division": "szc", "roles": "legal_office"},
        None,
    )
    return registry


@pytest.fixture
def service(registry):
    app = create_app(registry.app)
    yield app
    app.state.read_models.close()


def _login(service: Any, registry: Any, code: str = "clerk-gqc") -> tuple[TestClient, str]:
    """A fresh browser (its own cookies) logged in as ``code``, and its session's CSRF field."""
    token = registry.issue_token(code, None)
    client = TestClient(service, follow_redirects=False)
    r = client.post("/office/login", data={"token": token}, headers={"Origin": OWN})
    assert r.status_code == 303, r.text
    return client, csrf_for(token)


def _post(client: TestClient, data: bytes, name: str = "targets.csv", **form: Any) -> Any:
    fields = {"kind": "targets", **{k: str(v) for k, v in form.items()}}
    return client.post(
        "/office/imports",
        data=fields,
        files={"file": (name, data)},
        headers={"Origin": OWN, "Accept": "text/html"},
    )


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_a_clerk_previews_a_file_then_records_the_file_previewed(service, registry):
    client, csrf = _login(service, registry)
    home = client.get("/office", headers={"Accept": "text/html"})
    assert home.status_code == 200 and "名录导入" in home.text and "空白模板" in home.text
    assert "/office/exports/targets" in home.text
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1), target_row(2)], "utf-8-sig")
    before = count_events(registry.app)

    preview = _post(client, data, csrf=csrf)

    assert preview.status_code == 200, preview.text
    digest = hashlib.sha256(data).hexdigest()
    assert f'name="expect" value="{digest}"' in preview.text  # the record form names the file
    assert "这是预览，尚未记录任何内容" in preview.text
    assert re.search(r'id="count-recorded">2<', preview.text)
    assert count_events(registry.app) == before  # a preview records nothing

    recorded = _post(client, data, csrf=csrf, mode="record", expect=digest)

    assert recorded.status_code == 200, recorded.text
    assert "已记录" in recorded.text and re.search(r'id="count-recorded">2<', recorded.text)
    registered = [r for _, r in registry.app.records(topics=["target.registered"])]
    assert len(registered) == 2
    assert {r.envelope["actor"]["official"] for r in registered} == {"clerk-gqc"}
    assert {r.envelope["payload"]["code"] for r in registered} == {credit_code(1), credit_code(2)}


def test_the_preview_shows_each_field_a_row_changes_before_and_after(service, registry):
    client, csrf = _login(service, registry)
    first = csv_bytes(TARGET_HEADERS_ZH, [target_row(1)])
    assert _post(client, first, csrf=csrf, mode="record", expect=_sha(first)).status_code == 200
    renamed = csv_bytes(TARGET_HEADERS_ZH, [target_row(1, grid="G-09", address="新地址1号")])
    before = count_events(registry.app)

    preview = _post(client, renamed, csrf=csrf)

    assert preview.status_code == 200, preview.text
    rows = re.findall(r"<tr><td>(\d+)</td><td[^>]*>([^<]+)</td><td>([^<]+)</td>"
                      r"<td>([^<]*)</td><td>([^<]*)</td></tr>", preview.text)  # fmt: skip
    assert ("2", credit_code(1), "网格", "G-07", "G-09") in rows
    assert ("2", credit_code(1), "地址", "江苏省常州市新北区滨河路1号", "新地址1号") in rows
    assert re.search(r'id="count-updated">1<', preview.text)
    assert count_events(registry.app) == before


def test_a_file_swapped_between_the_preview_and_the_recording_is_refused(service, registry):
    """The clerk previews one file, then (by mistake or not) records another: refused, 409,
    nothing recorded; the page says so in Chinese."""
    client, csrf = _login(service, registry)
    previewed = csv_bytes(TARGET_HEADERS_ZH, [target_row(1)])
    other = csv_bytes(TARGET_HEADERS_ZH, [target_row(1), target_row(3)])
    before = count_events(registry.app)

    swapped = _post(client, other, csrf=csrf, mode="record", expect=_sha(previewed))
    unpreviewed = _post(client, other, csrf=csrf, mode="record")

    for r in (swapped, unpreviewed):
        assert r.status_code == 409 and r.headers["content-type"].startswith("text/html")
        assert "所选文件与预览的文件不同" in _text(r.text) and "未记录任何内容" in r.text
    assert count_events(registry.app) == before


def test_bad_rows_are_listed_with_row_column_value_and_rule_and_nothing_is_recorded(
    service, registry
):
    client, csrf = _login(service, registry)
    rows = [target_row(1), target_row(2, code=bad_credit_code(2)), target_row(3, district="")]
    data = xlsx_bytes(TARGET_HEADERS_ZH, rows)
    before = count_events(registry.app)

    preview = _post(client, data, name="targets.xlsx", csrf=csrf)
    recorded = _post(client, data, name="targets.xlsx", csrf=csrf, mode="record",
                     expect=_sha(data))  # fmt: skip

    for r in (preview, recorded):
        assert r.status_code == 422
        text = _text(r.text)
        assert "文件有 2 处错误，未记录任何内容" in text
        assert bad_credit_code(2) in text and "统一社会信用代码" in text and "所属区" in text
        assert 'id="record-form"' not in r.text  # nothing to confirm
        assert not re.search(r"[a-z]{4,} [a-z]{4,} [a-z]{4,}", _cells(r.text, "problems"))
    assert count_events(registry.app) == before

    skipping = _post(client, data, name="targets.xlsx", csrf=csrf, skip_invalid="true")
    assert skipping.status_code == 200 and re.search(r'id="count-skipped">2<', skipping.text)
    assert 'name="skip_invalid" value="true"' in skipping.text  # the record form keeps it


def test_a_row_of_another_division_is_judged_as_over_the_api(service, registry):
    """The page imports as the official: a row of 河湖处 by 工管处's clerk is refused, named."""
    client, csrf = _login(service, registry)
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1, division="hhc")])
    before = count_events(registry.app)
    r = _post(client, data, csrf=csrf, mode="record", expect=_sha(data))
    assert r.status_code in (403, 422), r.text
    assert "hhc" in r.text and count_events(registry.app) == before


def test_a_form_from_another_site_or_without_its_csrf_field_imports_nothing(service, registry):
    client, csrf = _login(service, registry)
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1)])
    before = count_events(registry.app)
    fields = {"kind": "targets", "mode": "record", "expect": _sha(data)}
    for headers, form in [
        ({"Origin": "http://evil.example"}, {**fields, "csrf": csrf}),
        ({"Origin": OWN}, fields),
        ({"Origin": OWN}, {**fields, "csrf": csrf_for("another-token")}),
        ({}, {**fields, "csrf": csrf}),  # neither Origin nor Referer
    ]:
        r = client.post(
            "/office/imports", data=form, files={"file": ("t.csv", data)},
            headers={**headers, "Accept": "text/html"},
        )  # fmt: skip
        assert r.status_code == 403, (headers, form, r.text)
        assert "表单" in _text(r.text)
    assert count_events(registry.app) == before


def test_who_may_log_in_and_where_the_session_cookie_goes(service, registry):
    legal = registry.issue_token("legal-szc", None)
    client = TestClient(service, follow_redirects=False)
    refused = client.post("/office/login", data={"token": legal}, headers={"Origin": OWN})
    assert refused.status_code == 403 and "不能使用登记办理页面" in refused.text
    assert OFFICE.cookie not in refused.headers.get("set-cookie", "")

    clerk = registry.issue_token("clerk-gqc", None)
    r = client.post("/office/login", data={"token": clerk}, headers={"Origin": OWN})
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{OFFICE.cookie}=") and "Path=/office" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert r.headers["location"] == "/office"
    # the office's cookie opens no legal page, and the legal one no office page
    assert client.get("/legal", headers={"Accept": "text/html"}).status_code == 303
    other = TestClient(service, follow_redirects=False)
    other.cookies.set(LEGAL_COOKIE, clerk, path="/office")
    assert other.get("/office").status_code == 303  # to the login form
    # a login never sends the browser to another site
    away = client.post(
        "/office/login", data={"token": clerk, "next": "https://evil.example/"},
        headers={"Origin": OWN},
    )  # fmt: skip
    assert away.headers["location"] == "/office"


def test_without_a_session_every_page_sends_the_browser_to_log_in(service, registry):
    client = TestClient(service, follow_redirects=False)
    for path in ("/office", "/office/templates/targets"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/office/login")
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1)])
    before = count_events(registry.app)
    r = client.post("/office/imports", data={"kind": "targets"}, files={"file": ("t", data)},
                    headers={"Origin": OWN, "Accept": "text/html"})  # fmt: skip
    assert r.status_code == 401 and "需要登录" in r.text  # before the body is read
    assert count_events(registry.app) == before


def test_a_revoked_token_ends_the_session_at_the_next_click(service, registry):
    token = registry.issue_token("clerk-gqc", None)
    client = TestClient(service, follow_redirects=False)
    client.post("/office/login", data={"token": token}, headers={"Origin": OWN})
    assert client.get("/office").status_code == 200
    registry.revoke_token("clerk-gqc", token.split(".")[2], "a test: the clerk left", None)
    r = client.get("/office")
    assert r.status_code == 303 and r.headers["location"].startswith("/office/login")
    assert "Max-Age=0" in r.headers["set-cookie"]  # the stale cookie is cleared


def test_the_home_page_says_when_the_working_day_calendar_runs_out(service, registry):
    """From 60 days before the calendar's last day (chinesecalendar's 2026-12-31) the page
    tells the officer, as /health and the staff views do; before that it says nothing."""
    client, _ = _login(service, registry)
    policies = service.state.policies
    policies.today = lambda: date(2026, 12, 4)
    late = client.get("/office")
    assert "工作日历只到 2026-12-31" in _text(late.text) and 'id="calendar-warning"' in late.text
    policies.today = lambda: date(2026, 10, 1)
    assert 'id="calendar-warning"' not in client.get("/office").text


def test_the_divisions_export_downloads_and_previews_back_as_nothing_to_record(service, registry):
    client, csrf = _login(service, registry)
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1), target_row(2), target_row(3, "hhc")])
    import_file(registry, "targets", data, by=None, source="setup")  # the operator: both
    exported = client.get("/office/exports/targets")
    assert exported.status_code == 200 and exported.content[:2] == b"PK"
    assert exported.headers["registry-rows"] == "2"  # 工管处's two, not 河湖处's
    assert "targets-gqc.xlsx" in exported.headers["content-disposition"]
    before = count_events(registry.app)
    back = _post(client, exported.content, name="targets-gqc.xlsx", csrf=csrf)
    assert back.status_code == 200 and re.search(r'id="count-unchanged">2<', back.text)
    assert 'id="nothing"' in back.text and 'id="record-form"' not in back.text
    assert count_events(registry.app) == before


def test_the_template_downloads_with_the_session(service, registry):
    client, _ = _login(service, registry)
    r = client.get("/office/templates/targets")
    assert r.status_code == 200 and r.content[:2] == b"PK"  # an .xlsx is a zip
    assert "targets-template.xlsx" in r.headers["content-disposition"]


def test_the_pages_load_nothing_from_elsewhere_and_run_no_script(service, registry):
    client, csrf = _login(service, registry)
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1)])
    for r in (client.get("/office"), _post(client, data, csrf=csrf), client.get("/office/login")):
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert "<script" not in r.text
        for url in re.findall(r'(?:href|src|action)="([^"]+)"', r.text):
            assert url.startswith("/office"), url
    assert client.get("/office/static/office.css").status_code == 200


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cells(page: str, table: str) -> str:
    """The text of the last column of a table of the page (the problems' messages)."""
    found = re.search(rf'<table id="{table}">(.*?)</table>', page, re.S)
    assert found, table
    return " ".join(re.findall(r"<td>([^<]*)</td></tr>", found.group(1)))
