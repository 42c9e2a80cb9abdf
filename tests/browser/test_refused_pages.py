"""The legal pages refused, in headless Chromium against the running service: an official of
another division (a clerk, the administrator) who tries to log in, and a session whose official
is moved to another division as a clerk, read why in Chinese on a page — never a blank panel or
raw JSON — and are offered no link to a page their role cannot open; a record that does not
exist is a Chinese 404 page."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest

from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.demo.changzhou import ADMIN
from ledger.registry.service import Registry

from .conftest import replaced, serve

pytestmark = pytest.mark.browser
CJK = re.compile(r"[\u3400-\u9fff]")
NAVIGATION = ("/legal/dashboards", "/legal/findings", "/legal/assessment")


@pytest.fixture(scope="module")
def bureau(browser, tmp_path_factory):  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("refused") / "bureau"
    assert drawledger(["demo", "--data", str(data), "--targets", "40", "--registry-only"]) == 0
    app = LedgerApp.open(data)
    try:
        registry = Registry(app)
        codes = ("ggc-clerk", ADMIN, "szc-legal", "bgs-auditor")
        tokens = {code: registry.issue_token(code, ADMIN) for code in codes}
    finally:
        app.close()
    return {"data": data, "tokens": tokens}


@pytest.fixture(scope="module")
def site(bureau):  # type: ignore[no-untyped-def]
    yield from serve(bureau["data"])


def _log_in(browser: Any, site: str, token: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.delete_all_cookies()
    browser.get(f"{site}/legal/login")
    browser.find_element(By.ID, "token").send_keys(token)
    form_page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, "login-button").click()
    # The answer is a new page (refused: the form again, with its problem): wait until the
    # form's page is gone, not merely "complete" (it still was, before the answer came).
    wait = WebDriverWait(browser, 10)
    wait.until(replaced(form_page))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def _links(browser: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    return [a.get_attribute("href") or "" for a in browser.find_elements(By.TAG_NAME, "a")]


def _shows_chinese_not_json(browser: Any) -> str:
    from selenium.webdriver.common.by import By

    text = browser.find_element(By.TAG_NAME, "body").text
    assert CJK.search(text) and not text.lstrip().startswith("{"), text[:300]
    return str(text)


@pytest.mark.parametrize("code", ["ggc-clerk", ADMIN])
def test_an_official_of_another_division_is_refused_the_login_in_chinese(
    browser, site, bureau, code
):
    from selenium.webdriver.common.by import By

    _log_in(browser, site, bureau["tokens"][code])
    text = _shows_chinese_not_json(browser)
    problem = browser.find_element(By.ID, "login-problem").text
    assert problem.startswith("登录失败：") and "oversight.read" in problem
    assert "原文" not in problem
    assert not any(link.endswith(NAVIGATION) for link in _links(browser)), text
    assert browser.get_cookie("drawledger_legal") is None


def test_a_session_whose_official_moves_to_another_division_ends_in_a_chinese_403(
    browser, site, bureau
):
    from selenium.webdriver.common.by import By

    _log_in(browser, site, bureau["tokens"]["szc-legal"])
    browser.get(f"{site}/legal/findings")
    assert browser.find_elements(By.TAG_NAME, "nav")  # a reader of the pages: the navigation
    # The administrator makes the legal officer a clerk of another division (over the API).
    body = {"roles": ["clerk"], "division": "ggc", "reason": "调任工管处"}
    request = urllib.request.Request(
        f"{site}/officials/szc-legal/roles",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {bureau['tokens'][ADMIN]}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200

    browser.get(f"{site}/legal/findings")
    text = _shows_chinese_not_json(browser)
    assert "无权查看或办理" in text and "oversight.read" in text
    assert "分管领导可查阅其分管处室" in text  # where they may read instead (the new read rule)
    assert browser.find_element(By.ID, "problem").text
    assert not browser.find_elements(By.TAG_NAME, "nav")  # no page their role cannot open
    links = _links(browser)
    assert not any(link.endswith(NAVIGATION) for link in links), links
    assert any(link.endswith("/legal/login") for link in links)  # another token, yes


def test_a_record_that_does_not_exist_is_a_chinese_404_page(browser, site, bureau):
    from selenium.webdriver.common.by import By

    _log_in(browser, site, bureau["tokens"]["bgs-auditor"])
    browser.get(f"{site}/legal/trail/draws/no-such-draw")
    text = _shows_chinese_not_json(browser)
    assert "未找到" in text and "no-such-draw" in text, text[:300]
    assert browser.find_element(By.ID, "problem").text
    assert "请核对" in browser.find_element(By.ID, "problem-note").text


def test_a_bad_page_number_in_the_public_column_is_a_chinese_page_of_the_column(browser, site):
    """A visitor who types a bad page number (with a script in it) reads why on a page of the
    column, the script shown as text and never run, and goes back to the list by its link."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    browser.get(f"{site}/column/results?page=<script>alert(1)</script>")
    text = _shows_chinese_not_json(browser)
    problem = browser.find_element(By.ID, "problem").text
    assert problem.startswith("page（'<script>alert(1)</script>'）："), problem
    assert "HTTP 422" in browser.find_element(By.ID, "problem-note").text
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - the script was not run
    navigation = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav a")]
    assert "抽查结果公示" in navigation and "随机抽取记录" in navigation, text[:300]
    browser.find_element(By.ID, "back").click()
    assert browser.current_url == f"{site}/column/results"
    assert "请求有误" not in browser.find_element(By.TAG_NAME, "body").text
    assert browser.find_element(By.TAG_NAME, "h1").text == "抽查结果公示"
