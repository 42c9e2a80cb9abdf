"""The public column in headless Chromium against the running service: "check my company"
(查一查我的单位), and finding a draw from the front page.

A visitor opens a draw's page and types a credit code; the page computes the ticket in the
browser. Each verdict and ticket shown must equal what verify/sampler.py computes in Python.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.cli import main as drawledger
from api.public_column.pages import exclusion_reason
from ledger.application import LedgerApp
from ledger.draws.record import draw_record
from ledger.draws.service import Draws
from tests.ledger.workflow import reveal, with_ceremony
from verify.sampler import seed_hash, ticket_number, trim
from verify.uscc import check_character

from .conftest import serve

pytestmark = pytest.mark.browser

CLERK = "szc-clerk"


def _run_draw(draws: Draws, **spec: Any) -> tuple[dict[str, Any], list[str]]:
    draw = draws.open(
        with_ceremony({"division": "szc", "items": ["qsxk"], "team_size": 2, **spec}), CLERK
    )
    draws.freeze(draw, CLERK)
    reveal(draws, draw, CLERK)
    draws.select(draw, CLERK)
    return draw_record(draws, draw)


@pytest.fixture(scope="module")
def bureau(browser, tmp_path_factory):
    """The demo bureau with an unweighted draw and a weighted one (credit classes C and D
    only, so that every target there has more than one virtual id)."""
    data = tmp_path_factory.mktemp("column") / "bureau"
    assert drawledger(["demo", "--data", str(data), "--targets", "200", "--inspectors", "24"]) == 0
    app = LedgerApp.open(data)
    try:
        draws = Draws(app)
        plain, population = _run_draw(draws, counts={"all": 4})
        weighted, _ = _run_draw(draws, counts={"all": 3}, weighted=True, credit_classes=["C", "D"])
        per_class = app.policy_in_force()["frequency"]["credit_class_weight"]
        weights = {
            t.key: int(per_class[t.credit_class]) for t in draws.registry_at(None).targets.values()
        }
    finally:
        app.close()
    return {
        "data": data,
        "plain": plain,
        "population": population,
        "weighted": weighted,
        "weights": weights,
    }


@pytest.fixture(scope="module")
def site(bureau):
    yield from serve(bureau["data"])


def _ticket(manifest: dict[str, Any], code: str, weight: int | None = None) -> str:
    hashed = seed_hash(manifest["seed_revealed"]["seed"] + "/targets")
    if weight is None:
        return trim(ticket_number(code, hashed), 18)
    return trim(min(ticket_number(f"{code}#{n}", hashed) for n in range(1, weight + 1)), 18)


def _check(browser, site: str, manifest: dict[str, Any], typed: str) -> dict[str, str]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{site}/column/draws/{manifest['draw']}")
    browser.find_element(By.ID, "check-code").send_keys(typed)
    browser.find_element(By.ID, "check-button").click()
    box = WebDriverWait(browser, 10).until(
        lambda d: (b := d.find_element(By.ID, "check-result")).get_attribute("data-verdict") and b
    )
    return {
        "verdict": box.get_attribute("data-verdict"),
        "consistent": box.get_attribute("data-consistent"),
        "ticket": browser.find_element(By.ID, "check-ticket").text,
        "text": box.text,
    }


def _full_width(code: str) -> str:
    """As typed with a Chinese input method: full-width, lower case, ideographic spaces."""
    return "\u3000" + "".join(chr(ord(c) + 0xFEE0) for c in code.lower()) + " "


def test_a_selected_code_typed_full_width_is_found_selected_with_its_ticket(browser, site, bureau):
    plain = bureau["plain"]
    stratum = plain["targets_selected"]["strata"][0]
    chosen = stratum["selected"][-1]  # the threshold itself: ticket equal to it still counts
    shown = _check(browser, site, plain, _full_width(chosen["target"]))
    assert shown["verdict"] == "selected"
    assert shown["consistent"] == "true"
    assert shown["ticket"] == _ticket(plain, chosen["target"]) == chosen["ticket"]
    assert stratum["threshold"] in shown["text"]


def test_a_code_in_the_population_but_not_drawn_shows_its_ticket_above_the_threshold(
    browser, site, bureau
):
    plain = bureau["plain"]
    chosen = {s["target"] for s in plain["targets_selected"]["strata"][0]["selected"]}
    code = next(c for c in bureau["population"] if c not in chosen and ":" not in c)
    shown = _check(browser, site, plain, code)
    threshold = plain["targets_selected"]["strata"][0]["threshold"]
    assert shown["verdict"] == "not_selected"
    assert shown["consistent"] == "true"
    assert shown["ticket"] == _ticket(plain, code)
    assert shown["ticket"] > threshold
    assert f"阈值 {threshold}" in shown["text"]


def test_an_excluded_code_is_told_the_logged_reason(browser, site, bureau):
    plain = bureau["plain"]
    exclusions = plain["population_frozen"]["exclusions"]
    assert exclusions, "the demo bureau has targets out of business in scope"
    excluded = exclusions[0]
    shown = _check(browser, site, plain, excluded["target"])
    assert shown["verdict"] == "excluded"
    assert shown["ticket"] == _ticket(plain, excluded["target"])
    assert exclusion_reason(excluded["reason"]) in shown["text"]  # in Chinese


def test_a_code_outside_the_population_is_told_so(browser, site, bureau):
    plain = bureau["plain"]
    code = "91320400000000000" + check_character("91320400000000000")
    assert code not in {e["target"] for e in plain["population_frozen"]["exclusions"]}
    shown = _check(browser, site, plain, code)
    assert shown["verdict"] == "not_in_population"
    assert shown["ticket"] == _ticket(plain, code)


def test_a_code_with_a_wrong_check_character_is_refused_with_the_expected_one(
    browser, site, bureau
):
    plain = bureau["plain"]
    code = plain["targets_selected"]["strata"][0]["selected"][0]["target"]
    expected = check_character(code[:17])
    wrong = "0" if expected != "0" else "1"
    shown = _check(browser, site, plain, code[:17] + wrong)
    assert shown["verdict"] == "invalid"
    assert f"应为“{expected}”" in shown["text"]
    assert shown["ticket"] == ""


def test_in_a_weighted_draw_the_ticket_is_the_best_of_the_virtual_ids(browser, site, bureau):
    weighted, weights = bureau["weighted"], bureau["weights"]
    for chosen in weighted["targets_selected"]["strata"][0]["selected"]:
        code = chosen["target"]
        shown = _check(browser, site, weighted, code)
        assert shown["verdict"] == "selected"
        assert shown["consistent"] == "true"
        assert shown["ticket"] == _ticket(weighted, code, weights[code]) == chosen["ticket"]
        assert f"权重 {weights[code]}" in shown["text"]


def test_a_visitor_finds_a_draw_from_the_front_page_of_the_column(browser, site, bureau):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(site)  # / leads to the column
    assert browser.find_element(By.CSS_SELECTOR, "header .column").text == (
        "信用常州 常州市双随机检查公示专栏"
    )
    browser.find_element(By.LINK_TEXT, "随机抽取记录").click()
    wait = WebDriverWait(browser, 10)
    wait.until(lambda d: d.current_url.endswith("/column/draws"))  # the link's page, not this
    links = [a.get_attribute("href") for a in browser.find_elements(By.LINK_TEXT, "查看记录")]
    weighted, plain = (f"{site}/column/draws/{bureau[k]['draw']}" for k in ("weighted", "plain"))
    assert links.index(weighted) < links.index(plain)  # newest first
    browser.find_element(
        By.CSS_SELECTOR, f'a[href="/column/draws/{bureau["plain"]["draw"]}"]'
    ).click()
    wait.until(lambda d: d.current_url.endswith(f"/column/draws/{bureau['plain']['draw']}"))
    assert browser.find_element(By.ID, "draw-id").text == bureau["plain"]["draw"]
    assert (
        browser.find_element(By.ID, "seed-value").text == (bureau["plain"]["seed_revealed"]["seed"])
    )
