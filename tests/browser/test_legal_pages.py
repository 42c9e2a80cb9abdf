"""The legal pages (/legal) in headless Chromium against the running service: logging in with a
token, following a trail's link to an act's inclusion proof, a chart drawn by the ECharts the
service serves itself (nothing else loaded), and the "make a dispute file" button downloading
a zip that ``python -m verify dispute`` checks."""

from __future__ import annotations

import time
import zipfile
from typing import Any

import pytest

from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.demo.changzhou import ADMIN
from ledger.registry.service import Registry
from verify.dispute import main as verify_dispute

from .conftest import serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def bureau(browser, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A small demo year, a legal-office token and one of its draws."""
    data = tmp_path_factory.mktemp("legal") / "bureau"
    assert drawledger(["demo", "--data", str(data), "--targets", "60"]) == 0
    app = LedgerApp.open(data)
    try:
        token = Registry(app).issue_token("szc-legal", ADMIN)
        draw = next(app.records(topics=["draw.targets_selected"]))[1].envelope["aggregate"]
    finally:
        app.close()
    return {"data": data, "token": token, "draw": draw}


@pytest.fixture(scope="module")
def site(bureau):  # type: ignore[no-untyped-def]
    yield from serve(bureau["data"])


@pytest.fixture(scope="module")
def logged_in(browser, site, bureau) -> Any:  # type: ignore[no-untyped-def]
    """The browser, logged in through the login form (once for the module)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.delete_all_cookies()
    browser.get(f"{site}/legal/dashboards")  # not logged in: sent to the login form
    WebDriverWait(browser, 10).until(lambda d: "/legal/login" in d.current_url)
    browser.find_element(By.ID, "token").send_keys(bureau["token"])
    browser.find_element(By.ID, "login-button").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/legal/dashboards"))
    yield browser
    browser.delete_all_cookies()


def test_logging_in_keeps_the_token_in_an_httponly_cookie_of_the_legal_pages_only(logged_in, site):
    [cookie] = logged_in.get_cookies()
    assert cookie["path"] == "/legal" and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "expiry" not in cookie  # gone with the browser session
    assert logged_in.execute_script("return document.cookie") == ""  # out of scripts' reach
    assert "szc-legal" in logged_in.page_source  # the page names who is logged in


def test_a_trail_link_leads_to_the_acts_inclusion_proof(logged_in, site, bureau):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    logged_in.get(f"{site}/legal")
    logged_in.find_element(By.ID, "find-entity").send_keys("随机抽取")
    logged_in.find_element(By.ID, "find-key").send_keys(bureau["draw"])
    logged_in.find_element(By.ID, "find-button").click()
    trail = f"/legal/trail/draws/{bureau['draw']}"
    WebDriverWait(logged_in, 10).until(lambda d: trail in d.current_url)  # the form's navigation
    rows = logged_in.find_elements(By.CSS_SELECTOR, "#acts tbody tr")
    assert rows
    position = rows[0].get_attribute("data-position")
    rows[0].find_element(By.CLASS_NAME, "proof").click()
    WebDriverWait(logged_in, 10).until(lambda d: f"/legal/acts/{position}" in d.current_url)
    assert logged_in.find_element(By.ID, "leaf-index").text.isdigit()
    assert logged_in.find_elements(By.CSS_SELECTOR, "#proof-path li")
    assert "drawledger.local" in logged_in.find_element(By.ID, "checkpoint").text


def test_the_charts_are_drawn_by_the_services_own_echarts_and_nothing_else_loads(logged_in, site):
    from selenium.webdriver.support.ui import WebDriverWait

    logged_in.get(f"{site}/legal/dashboards")
    for chart in ("coverage-chart", "participation-chart"):
        WebDriverWait(logged_in, 10).until(
            lambda d, c=chart: d.find_element("id", c).get_attribute("data-rendered") == "true"
        )
        assert logged_in.execute_script(
            "return document.querySelectorAll(arguments[0]).length", f"#{chart} canvas"
        )
    assert logged_in.execute_script("return echarts.version")
    loaded = logged_in.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
    )
    assert f"{site}/legal/static/echarts.min.js" in loaded
    assert all(url.startswith(site) for url in loaded), loaded


def test_the_dispute_button_downloads_a_file_that_verifies_offline(
    logged_in, site, bureau, tmp_path
):
    from selenium.webdriver.common.by import By

    logged_in.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    logged_in.get(f"{site}/legal/trail/draws/{bureau['draw']}")
    logged_in.find_element(By.ID, "dispute-button").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [p for p in tmp_path.glob("dispute-draw-*.zip")]
        if done and not list(tmp_path.glob("*.crdownload")):
            break
        time.sleep(0.2)
    [downloaded] = list(tmp_path.glob("dispute-draw-*.zip"))
    with zipfile.ZipFile(downloaded) as archive:
        archive.extractall(tmp_path / "unzipped")
    [folder] = list((tmp_path / "unzipped").iterdir())
    key = str(bureau["data"] / "keys" / "ledger.pub")
    assert verify_dispute([str(folder), "--key", key]) == 0
