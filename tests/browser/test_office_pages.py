"""The registry office's pages (/office) in headless Chromium against the running service: a
division's clerk logs in with a token, previews a changed registry file (the change shown field
by field, nothing recorded), chooses the same file again and records it; the style is the
service's own and nothing else is loaded. Then the clerk finds a target of their division by its
code, changes its status with a reason and a source, and reloads the page the 303 led to:
one event recorded, not two."""

from __future__ import annotations

import csv
from typing import Any

import pytest

from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.demo.changzhou import ADMIN
from ledger.registry.service import Registry

from .conftest import replaced, serve

pytestmark = pytest.mark.browser
CLERK = "ggc-clerk"


@pytest.fixture(scope="module")
def bureau(browser, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A small demo year, a clerk's token, and the clerk's division's targets exported with
    one grid changed (the file the clerk imports)."""
    root = tmp_path_factory.mktemp("office")
    data = root / "bureau"
    assert drawledger(["demo", "--data", str(data), "--targets", "60"]) == 0
    exported = root / "exported.csv"
    assert drawledger(["export-registry", "targets", "--data", str(data), "--out", str(exported),
                       "--division", "ggc"]) == 0  # fmt: skip
    with exported.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    grid = rows[0].index("网格")
    code, old = rows[1][0], rows[1][grid]
    rows[1][grid] = "G-99"
    changed = root / "ggc-targets.csv"
    with changed.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    app = LedgerApp.open(data)
    try:
        token = Registry(app).issue_token(CLERK, ADMIN)
        head = app.recorder.max_notification_id()
    finally:
        app.close()
    return {"data": data, "token": token, "file": changed, "code": code, "old": old, "head": head}


@pytest.fixture(scope="module")
def site(bureau):  # type: ignore[no-untyped-def]
    yield from serve(bureau["data"])


def _head(bureau: Any) -> int:
    app = LedgerApp.open(bureau["data"])
    try:
        return int(app.recorder.max_notification_id())
    finally:
        app.close()


def test_a_clerk_previews_a_changed_file_and_records_it(browser, site, bureau):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.delete_all_cookies()
    browser.get(f"{site}/office")  # not logged in: sent to the login form
    WebDriverWait(browser, 10).until(lambda d: "/office/login" in d.current_url)
    browser.find_element(By.ID, "token").send_keys(bureau["token"])
    browser.find_element(By.ID, "login-button").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/office"))
    assert CLERK in browser.find_element(By.ID, "who").text

    browser.find_element(By.ID, "file").send_keys(str(bureau["file"]))
    browser.find_element(By.ID, "preview-button").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.ID, "outcome"))
    assert "这是预览，尚未记录任何内容" in browser.find_element(By.ID, "outcome").text
    change = browser.find_element(By.ID, "changes").text
    assert bureau["code"] in change and "网格" in change and "G-99" in change
    assert bureau["old"] in change
    assert browser.find_element(By.ID, "count-updated").text == "1"
    assert _head(bureau) == bureau["head"]  # the preview recorded nothing

    browser.find_element(By.ID, "record-file").send_keys(str(bureau["file"]))
    preview = browser.find_element(By.ID, "outcome")
    browser.find_element(By.ID, "record-button").click()
    WebDriverWait(browser, 20).until(replaced(preview))  # the recording's page, not the preview's
    recorded = WebDriverWait(browser, 20, ignored_exceptions=[StaleElementReferenceException])
    recorded.until(lambda d: "已记录" in d.find_element(By.ID, "outcome").text)
    assert browser.find_element(By.ID, "count-updated").text == "1"
    assert _head(bureau) == bureau["head"] + 1  # one target.updated, by the clerk

    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(url.startswith(site) for url in loaded), loaded
    assert f"{site}/office/static/office.css" in loaded


def test_a_clerk_changes_a_targets_status_and_a_reload_records_nothing_more(browser, site, bureau):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.delete_all_cookies()
    browser.get(f"{site}/office/targets")
    WebDriverWait(browser, 10).until(lambda d: "/office/login" in d.current_url)
    browser.find_element(By.ID, "token").send_keys(bureau["token"])
    browser.find_element(By.ID, "login-button").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/office/targets"))
    browser.find_element(By.ID, "target-code").send_keys(bureau["code"])
    browser.find_element(By.ID, "find-target-button").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "target-status"))
    assert browser.find_element(By.ID, "target-status").text == "在营"
    head = _head(bureau)

    Select(browser.find_element(By.ID, "new-status")).select_by_visible_text("已注销")
    browser.find_element(By.ID, "status-reason").send_keys("企业已办理注销登记")
    browser.find_element(By.ID, "status-source").send_keys("国家企业信用信息公示系统")
    browser.find_element(By.ID, "status-button").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "recorded"))

    assert f"账本位置 {head + 1}" in browser.find_element(By.ID, "recorded").text
    assert browser.find_element(By.ID, "target-status").text == "已注销"
    assert f"recorded={head + 1}" in browser.current_url  # the page the 303 led to
    browser.refresh()  # a GET: nothing is posted again
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "recorded"))
    assert _head(bureau) == head + 1
