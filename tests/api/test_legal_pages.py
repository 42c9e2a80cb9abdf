"""The legal office's and auditors' pages (/legal) and the dispute file over HTTP (issue 12,
parts 3 and 7), as their users and their attackers meet them: every role on every page and
endpoint, the session cookie and its CSRF field, a proof a page shows checked with verify/
alone, the rule findings against the verifier's own audit of an export, and a dispute zip
checked offline by ``python -m verify dispute``."""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from api.legal.session import COOKIE, csrf_for
from ledger.application import LedgerApp
from ledger.demo.changzhou import ADMIN
from ledger.registry.service import Registry
from verify.authority_rules import PERMISSIONS, dispute_refusal
from verify.bundle import read_bundle
from verify.dispute import main as verify_dispute
from verify.finding_texts import finding_text
from verify.keys import parse_verifier_key
from verify.merkle import ProofError, leaf_hash, verify_inclusion
from verify.note import parse_checkpoint, verify_note
from verify.rule_audit import audit_bundle

OWN = "http://testserver"
ROLES = {
    "legal": "szc-legal",
    "auditor": "bgs-auditor",
    "clerk": "szc-clerk",
    "head": "szc-head",
    "inspector": "szjczd-inspector",
    "admin": ADMIN,
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Any:  # type: ignore[no-untyped-def]
    """A small demo year (SQLite), served in-process, with a token for each role."""
    data = tmp_path_factory.mktemp("legal") / "ledger"
    assert drawledger(["demo", "--data", str(data), "--targets", "60"]) == 0
    app = LedgerApp.open(data)
    registry = Registry(app)
    tokens = {role: registry.issue_token(code, ADMIN) for role, code in ROLES.items()}
    selected = next(app.records(topics=["draw.targets_selected"]))[1].envelope
    inspection = next(app.records(topics=["inspection.notified"]))[1].envelope["aggregate"]
    service = create_app(app)
    with TestClient(service, follow_redirects=False) as client:
        yield {
            "client": client,
            "app": app,
            "data": data,
            "tokens": tokens,
            "draw": selected["aggregate"],
            "code": selected["payload"]["strata"][0]["selected"][0]["target"],
            "inspection": inspection,
        }
    service.state.read_models.close()
    app.close()


def _bearer(demo: Any, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo['tokens'][role]}"}


def _login(demo: Any, role: str) -> TestClient:
    """A fresh client (its own cookie jar) logged in as ``role``."""
    client = TestClient(demo["client"].app, follow_redirects=False)
    r = client.post("/legal/login", data={"token": demo["tokens"][role]}, headers={"Origin": OWN})
    assert r.status_code == 303, r.text
    return client


def _pages(demo: Any) -> list[str]:
    return [
        "/legal",
        f"/legal/trail/draws/{demo['draw']}",
        f"/legal/trail/targets/{demo['code']}",
        "/legal/trail/officials/szc-clerk",
        "/legal/acts/5",
        "/legal/dashboards",
        "/legal/findings",
    ]


# -- who may read the pages and write dispute files --------------------------------------------


@pytest.mark.parametrize("role", ["clerk", "head", "inspector", "admin"])
def test_every_other_role_is_refused_every_page_the_login_and_the_dispute_file(demo, role):
    client = demo["client"]
    for page in _pages(demo):
        r = client.get(page, headers=_bearer(demo, role))
        assert r.status_code == 403, f"{role} on {page}: {r.status_code}"
        assert "oversight.read" in r.json()["detail"]
    # The login refuses them too, saying why, and keeps no session.
    r = client.post("/legal/login", data={"token": demo["tokens"][role]}, headers={"Origin": OWN})
    assert r.status_code == 403 and "oversight.read" in r.text
    assert COOKIE not in r.headers.get("set-cookie", "")
    body = {"subject": {"kind": "draw", "key": demo["draw"]}}
    r = client.post("/disputes", json=body, headers=_bearer(demo, role))
    assert r.status_code == 403 and "dispute.write" in r.json()["detail"]


def test_the_public_without_a_token_is_sent_to_the_login_and_gets_no_dispute_file(demo):
    client = TestClient(demo["client"].app, follow_redirects=False)
    for page in _pages(demo):
        r = client.get(page)
        assert r.status_code == 303 and r.headers["location"].startswith("/legal/login?next=")
    body = {"subject": {"kind": "draw", "key": demo["draw"]}}
    assert client.post("/disputes", json=body).status_code == 401
    # A forged or revoked token in the cookie is no session either.
    client.cookies.set(COOKIE, "dl1.c3pjLWxlZ2Fs.00000000.forged", path="/legal")
    r = client.get("/legal/dashboards")
    assert r.status_code == 303 and "/legal/login" in r.headers["location"]


@pytest.mark.parametrize("role", ["legal", "auditor"])
def test_the_legal_office_and_auditors_read_every_page_in_chinese(demo, role):
    client = _login(demo, role)
    for page in _pages(demo):
        r = client.get(page)
        assert r.status_code == 200, f"{role} on {page}: {r.text[:300]}"
        assert "北京时间" in r.text and r.headers["Ledger-As-Of"]
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        assert r.headers["Cache-Control"] == "no-store"
    # They read every division's acts: the trail of another division's official is whole.
    trail = client.get("/legal/trail/officials/hhc-clerk").text
    assert "hhc-clerk" in trail and "仅显示处室" not in trail


def test_the_assessment_is_one_click_from_the_pages_with_the_session_alone(demo):
    """The navigation's 年度考核 link opens the annual assessment with the session's cookie:
    ``GET /assessment`` wants a bearer token, which a link does not carry (it answered 401)."""
    client = _login(demo, "legal")
    home = client.get("/legal").text
    link = re.search(r'href="(/legal/assessment[^"]*)"', home)
    assert link is not None, "the pages link to the assessment"
    page = client.get(_unescape(link.group(1)))
    assert page.status_code == 200 and "监管工作考核" in page.text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Ledger-As-Of"]
    assert page.headers["content-type"].startswith("text/html")
    api = demo["client"].get(
        "/assessment", params={"format": "html"}, headers=_bearer(demo, "legal")
    )
    assert api.status_code == 200
    # The same report as the API's; only where its links lead differs (legal pages, below).
    assert _body(page.text) == _body(api.text)
    pdf = client.get("/legal/assessment", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    assert client.get("/legal/assessment", params={"format": "docx"}).status_code == 422
    clerk = demo["client"].get("/legal/assessment", headers=_bearer(demo, "clerk"))
    assert clerk.status_code == 403  # the pages are the legal office's and auditors'


def _body(html: str) -> str:
    return re.sub(r'href="[^"]*"', "", html[html.index("<body") :])


_LINK = re.compile(r'(?:href|src)="([^"#]*)"')
PER_KIND = 4  # pages crawled per kind of page (first two path segments): every link type, bounded


def _kind(url: str) -> str:
    return "/".join(url.split("?")[0].split("/")[:4])


# A value shown as Python writes it (a dict, a list, None) instead of in words (also read by
# test_offline_pages' crawl of the public column).
PYTHON_TEXT = re.compile(r">[^<]*(\{&#39;|\[&#39;|\bNone\b)[^<]*<")


# An English sentence shown as a page's text (a record's JSON, in braces, and titles aside).
ENGLISH_TEXT = re.compile(r">[^<{]*\b(the|of|is|not|and|was|were|must|with)\b [a-z][^<]*<")


def test_every_link_on_every_legal_page_opens_with_the_session(demo):
    """Crawl the legal pages from /legal with the session alone (as a browser: the cookie, no
    bearer token) and follow every same-site link on each page crawled — navigation, trails,
    acts, proofs, the dashboards, the findings, the assessment's event and division links —
    expecting no 401 (a route wanting a token a link cannot carry) and no 404, and no page
    showing a value as Python writes it (``{'law': …}``, ``None``) or English words. The
    crawl reads up to PER_KIND pages of each kind, so every kind of link is followed and the
    test stays bounded."""
    client = _login(demo, "legal")
    seeds = [*_pages(demo), f"/legal/trail/inspections/{demo['inspection']}"]
    queue, crawled, followed = list(seeds), set(), {}
    per_kind: dict[str, int] = {}
    while queue:
        url = queue.pop(0)
        if url in crawled:
            continue
        crawled.add(url)
        r = client.get(url)
        followed[url] = r.status_code
        assert r.status_code == 200, f"{url}: {r.status_code}"
        if not r.headers["content-type"].startswith("text/html"):
            continue
        leaked = PYTHON_TEXT.search(r.text) or ENGLISH_TEXT.search(r.text)
        assert leaked is None, f"{url} shows {leaked.group(0)[:120]!r}"
        for link in _LINK.findall(r.text):
            link = _unescape(link)
            if link.startswith("?"):
                link = url.split("?")[0] + link
            if not link.startswith("/") or link.startswith("//"):
                continue  # nothing on these pages leads to another site
            if link not in followed:
                status = client.get(link).status_code
                followed[link] = status
                assert status not in (401, 404), f"{url} links to {link}: {status}"
                assert status == 200, f"{url} links to {link}: {status}"
            crawlable = link.startswith("/legal") and "/static/" not in link
            if crawlable and "format=" not in link and link not in crawled:
                kind = _kind(link)
                if per_kind.get(kind, 0) < PER_KIND:
                    per_kind[kind] = per_kind.get(kind, 0) + 1
                    queue.append(link)
    kinds = {_kind(u) for u in followed}
    # The crawl reached every kind of page, and the assessment's links lead to legal pages.
    for kind in ("/legal/acts", "/legal/assessment", "/legal/trail/divisions", "/legal/trail/draws",
                 "/legal/trail/officials", "/legal/findings", "/legal/dashboards"):  # fmt: skip
        assert any(k.startswith(kind) for k in kinds), f"no link to {kind} was followed"
    assessment = client.get(next(u for u in followed if u.startswith("/legal/assessment"))).text
    assert "/proofs/inclusion" not in assessment and 'href="/trail' not in assessment
    assert re.search(r'href="/legal/acts/\d+\?as_of=\d+"', assessment)


def test_the_roles_decide_which_subjects_a_dispute_file_may_name(demo):
    """The legal office about anything; an auditor not about one official's acts (403 naming
    why); the page shows the button only where the role may press it."""
    client = demo["client"]
    body = {"subject": {"kind": "official", "key": "szc-clerk"}}
    refused = client.post("/disputes", json=body, headers=_bearer(demo, "auditor"))
    assert refused.status_code == 403
    assert "关于某一工作人员的行为的争议文件只能由法制处编写" in refused.json()["detail"]
    allowed = client.post("/disputes", json=body, headers=_bearer(demo, "legal"))
    assert allowed.status_code == 200 and allowed.headers["content-type"] == "application/zip"
    auditor, legal = _login(demo, "auditor"), _login(demo, "legal")
    official_page = "/legal/trail/officials/szc-clerk"
    assert 'id="dispute-button"' not in auditor.get(official_page).text
    assert 'id="dispute-button"' in legal.get(official_page).text
    assert 'id="dispute-button"' in auditor.get(f"/legal/trail/draws/{demo['draw']}").text
    # The rulebook says the same as the service.
    assert dispute_refusal(["auditor"], "official") and not dispute_refusal(["auditor"], "draw")
    assert dispute_refusal(["clerk"], "draw") and not dispute_refusal(["legal_office"], "official")


# -- the session: its cookie and its forms -------------------------------------------------------


def test_the_session_cookie_stays_on_the_legal_pages_and_is_out_of_scripts_reach(demo):
    r = demo["client"].post(
        "/legal/login", data={"token": demo["tokens"]["legal"]}, headers={"Origin": OWN}
    )
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "Path=/legal" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "expires" not in cookie.lower() and "max-age" not in cookie.lower()  # the session
    client = _login(demo, "legal")
    # The public column and the API never receive it.
    assert not client.cookies.jar or all(c.path == "/legal" for c in client.cookies.jar)
    assert client.get("/trail/officials/szc-clerk").status_code == 401  # not a session there
    # Logging out ends it.
    csrf = csrf_for(demo["tokens"]["legal"])
    out = client.post("/legal/logout", data={"csrf": csrf}, headers={"Origin": OWN})
    assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]


def test_a_forged_form_from_another_site_makes_no_dispute_file_and_logs_nobody_in(demo):
    client = _login(demo, "legal")
    form = {"kind": "draw", "key": demo["draw"], "csrf": csrf_for(demo["tokens"]["legal"])}
    evil = {"Origin": "http://evil.example"}
    assert client.post("/legal/disputes", data=form, headers=evil).status_code == 403
    # Without the csrf field, or with another session's, from the right origin: refused too.
    wrong = {**form, "csrf": csrf_for(demo["tokens"]["auditor"])}
    assert client.post("/legal/disputes", data=wrong, headers={"Origin": OWN}).status_code == 403
    bare = {k: v for k, v in form.items() if k != "csrf"}
    assert client.post("/legal/disputes", data=bare, headers={"Origin": OWN}).status_code == 403
    # No origin and no referer at all: refused.
    assert client.post("/legal/disputes", data=form).status_code == 403
    # Login CSRF: another site posting its own token into the victim's browser.
    fresh = TestClient(demo["client"].app, follow_redirects=False)
    r = fresh.post("/legal/login", data={"token": demo["tokens"]["auditor"]}, headers=evil)
    assert r.status_code == 403 and COOKIE not in r.headers.get("set-cookie", "")
    # The same form from the page itself works.
    ok = client.post("/legal/disputes", data=form, headers={"Referer": f"{OWN}/legal"})
    assert ok.status_code == 200 and ok.content[:2] == b"PK"


def test_a_login_never_sends_the_browser_to_another_site(demo):
    r = demo["client"].post(
        "/legal/login",
        data={"token": demo["tokens"]["legal"], "next": "//evil.example/legal"},
        headers={"Origin": OWN},
    )
    assert r.status_code == 303 and r.headers["location"] == "/legal"


# -- what the pages show -------------------------------------------------------------------------


def test_a_trail_page_links_each_act_to_its_official_its_records_and_a_proof_that_checks(demo):
    client = _login(demo, "auditor")
    page = client.get(f"/legal/trail/draws/{demo['draw']}").text
    head = client.get("/legal").headers["Ledger-As-Of"]
    proofs = re.findall(rf'href="/legal/acts/(\d+)\?as_of={head}"', page)
    assert proofs and f'href="/legal/trail/officials/szc-clerk?as_of={head}"' in page
    assert f'href="/legal/trail/targets/{demo["code"]}?as_of={head}"' in page
    position = int(proofs[-1])
    act = client.get(f"/legal/acts/{position}").text
    record = _unescape(re.search(r'<pre id="signed-record">(.*?)</pre>', act, re.S).group(1))
    note = _unescape(re.search(r'<pre id="checkpoint">(.*?)</pre>', act, re.S).group(1))
    index = int(re.search(r'id="leaf-index">(\d+)<', act).group(1))
    path = [base64.b64decode(h) for h in re.findall(r"<li>([A-Za-z0-9+/=]+)</li>", act)]
    key = parse_verifier_key((demo["data"] / "keys" / "ledger.pub").read_text().strip())
    checkpoint = parse_checkpoint(verify_note(note, [key])[0].text)
    leaf = leaf_hash(record.encode("utf-8"))
    verify_inclusion(leaf, index, checkpoint.size, path, checkpoint.root)  # raises if not
    # One byte changed in the record shown: the same proof no longer holds.
    changed = leaf_hash(record.replace("szc", "hhc", 1).encode("utf-8"))
    with pytest.raises(ProofError):
        verify_inclusion(changed, index, checkpoint.size, path, checkpoint.root)


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_pages_as_of_a_past_position_show_then_and_keep_it_in_their_links(demo):
    client = _login(demo, "legal")
    head = int(client.get("/legal").headers["Ledger-As-Of"])
    past = head // 3
    r = client.get(f"/legal/trail/officials/szc-clerk?as_of={past}")
    assert r.headers["Ledger-As-Of"] == str(past)
    positions = [int(p) for p in re.findall(r'<tr data-position="(\d+)"', r.text)]
    assert positions and max(positions) <= past
    assert f'href="/legal/acts/{positions[0]}?as_of={past}"' in r.text
    # An act after the position does not exist as of it; beyond the head is a 422.
    assert client.get(f"/legal/acts/{head}?as_of={past}").status_code == 404
    assert client.get(f"/legal/findings?as_of={head + 1}").status_code == 422
    early = client.get("/legal/dashboards?as_of=3").text
    assert "截至该位置尚无年度计划" in early


def test_the_findings_are_the_verifiers_own_audit_of_an_export(demo, tmp_path):
    """The page's findings over the live ledger equal ``python -m verify BUNDLE --rules`` over
    an export of the same log: the same rules, the same messages — shown in Chinese, the text the
    verifier prints (``finding_texts``), each with the verifier's English words as its title."""
    client = _login(demo, "auditor")
    page = client.get("/legal/findings")
    head = page.headers["Ledger-As-Of"]
    bundle = tmp_path / "bundle"
    assert drawledger(["export", "--data", str(demo["data"]), "--out", str(bundle)]) == 0
    expected = audit_bundle(read_bundle(bundle))
    shown = [
        (_unescape(english), _unescape(chinese))
        for english, chinese in re.findall(
            r'<li data-rule="\w+" title="([^"]*)"><strong>[^<]*</strong>：(.*?)\n', page.text
        )
    ]
    assert expected.findings, "the demo year has genuine findings (late plans)"
    assert shown == [(f.message, finding_text(f)) for f in expected.findings]
    assert all(re.search(r"[\u4e00-\u9fff]", chinese) for _, chinese in shown)
    assert f"账本位置 {head}" in page.text
    # integrity, apart from rules
    assert f"本页读取的账本位置 1 至 {head} 的每条记录均已逐条核验" in page.text


def test_the_dashboards_carry_the_audits_coverage_and_participation_figures(demo):
    client = _login(demo, "legal")
    page = client.get("/legal/dashboards").text
    assert '<script src="/legal/static/echarts.min.js"></script>' in page
    data = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S)
    figures = json.loads(data.group(1))
    assert figures["coverage"] and figures["participation"]
    for f in figures["participation"]:
        assert f["staff_percent"] == round(f["staff_took_part"] * 100 / f["staff"], 1)
    assert figures["thresholds"] == {"staff_percent": 50, "agency_rounds_percent": 30}
    assert client.get("/legal/static/echarts.min.js").status_code == 200


# -- the dispute file over HTTP ------------------------------------------------------------------


def test_the_dispute_zip_unzipped_verifies_offline_and_one_changed_byte_fails(demo, tmp_path):
    client = demo["client"]
    body = {"subject": {"kind": "target", "key": demo["code"].lower()}}
    r = client.post("/disputes", json=body, headers=_bearer(demo, "legal"))
    assert r.status_code == 200, r.text
    name = re.search(r'filename="(.+)\.zip"', r.headers["content-disposition"]).group(1)
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        assert {n.split("/")[0] for n in archive.namelist()} == {name}
        archive.extractall(tmp_path)
    out: Path = tmp_path / name
    key = str(demo["data"] / "keys" / "ledger.pub")
    assert verify_dispute([str(out), "--key", key]) == 0
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert demo["code"] in manifest  # the credit code as typed in lower case, normalised
    # One byte of one signed record changed (the line still well formed): caught.
    evidence = out / "evidence.jsonl"
    lines = evidence.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    record = bytearray(base64.b64decode(first["record"]))
    record[record.index(b'"type"') + 9] ^= 1
    first["record"] = base64.b64encode(bytes(record)).decode("ascii")
    evidence.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    assert verify_dispute([str(out), "--key", key]) == 1


def test_a_dispute_file_request_with_bad_input_says_what_is_wrong(demo):
    client, legal = demo["client"], _bearer(demo, "legal")
    cases = [
        ({"subject": {"kind": "planet", "key": "x"}}, 422, "kind"),
        ({"subject": {"kind": "draw", "key": "no-such-draw"}}, 404, "没有涉及"),
        ({"subject": {"kind": "draw", "key": demo["draw"]}, "as_of": 10**9}, 422, "as_of"),
        ({"subject": {"kind": "draw", "key": demo["draw"]}, "as_of": "1999-01-01"}, 422, "早于"),
        ({"subject": {"kind": "draw", "key": demo["draw"]}, "colour": "red"}, 422, "colour"),
    ]
    for body, status, said in cases:
        r = client.post("/disputes", json=body, headers=legal)
        assert r.status_code == status, (body, r.text)
        assert said in r.text, (body, r.text)
    # As of a date: the file says the position it stood for.
    dated = {"subject": {"kind": "draw", "key": demo["draw"]}, "as_of": _now_in_china()}
    r = client.post("/disputes", json=dated, headers=legal)
    assert r.status_code == 200, r.text
    sealed = demo["app"].sealer.latest().last_notification_id
    assert int(r.headers["Ledger-As-Of"]) == sealed  # every sealed event is before now


def _now_in_china() -> str:
    from datetime import datetime

    from verify.workdays import CHINA

    return datetime.now(CHINA).strftime("%Y-%m-%dT%H:%M:%S")


def test_a_browser_refused_a_page_reads_why_in_chinese_and_other_clients_get_the_problem(demo):
    client = demo["client"]
    html = {**_bearer(demo, "clerk"), "Accept": "text/html,application/xhtml+xml"}
    page = client.get("/legal/findings", headers=html)
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "无权查看或办理" in page.text and "oversight.read" in page.text
    problem = client.get("/legal/findings", headers=_bearer(demo, "clerk"))
    assert problem.headers["content-type"] == "application/problem+json"
    missing = client.get(
        "/legal/trail/draws/no-such-draw", headers={**_bearer(demo, "legal"), "Accept": "text/html"}
    )
    assert missing.status_code == 404 and "未找到" in missing.text


def test_a_fault_of_the_service_on_a_legal_page_is_a_chinese_page_to_a_browser(demo, monkeypatch):
    """A 500 reaches no middleware (Starlette answers it outermost): the error handlers' page
    hook shows it to a browser as a page; another client still gets the problem."""
    from projections.oversight import Oversight

    def broken(self: Oversight, *args: object, **kwargs: object) -> object:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Oversight, "dashboards", broken)
    client = TestClient(demo["client"].app, follow_redirects=False, raise_server_exceptions=False)
    client.post("/legal/login", data={"token": demo["tokens"]["legal"]}, headers={"Origin": OWN})
    page = client.get("/legal/dashboards", headers={"Accept": "text/html"})
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "服务出错" in page.text and 'id="problem"' in page.text
    assert "secret" not in page.text and "RuntimeError" not in page.text
    problem = client.get("/legal/dashboards")
    assert problem.status_code == 500
    assert problem.headers["content-type"] == "application/problem+json"


def test_a_revoked_token_ends_the_session_at_the_next_click(demo):
    client = _login(demo, "auditor")
    assert client.get("/legal/findings").status_code == 200
    registry = Registry(demo["app"])
    token_id = demo["tokens"]["auditor"].split(".")[2]
    registry.revoke_token("bgs-auditor", token_id, "a test: the auditor left", ADMIN)
    try:
        r = client.get("/legal/findings")
        assert r.status_code == 303 and r.headers["location"].startswith("/legal/login")
        assert "Max-Age=0" in r.headers["set-cookie"]  # the stale cookie is cleared
    finally:
        demo["tokens"]["auditor"] = registry.issue_token("bgs-auditor", ADMIN)


def test_an_individuals_personal_data_is_shown_to_the_legal_office_and_withheld_from_auditors(
    demo,
):
    app = demo["app"]
    payload = next(
        e.envelope["payload"]
        for _, e in app.records(topics=["target.registered"])
        if e.envelope["payload"]["kind"] == "individual"
    )
    ref = payload["code"]
    person = Registry(app).people.reveal(ref)[0]
    page = f"/legal/trail/targets/{ref}"
    legal = _login(demo, "legal").get(page).text
    assert person["name"] in legal and person["identity"] in legal
    auditor = _login(demo, "auditor").get(page).text
    assert person["name"] not in auditor and person["identity"] not in auditor
    assert payload["person"]["commitment"] in auditor and "仅法制处可见" in auditor
    # The rulebook says so: only the legal office reads personal data on these pages.
    assert PERMISSIONS["oversight.personal_data"] == ("legal_office",)


def test_an_individuals_trail_is_found_by_their_reference_in_the_api_too(demo):
    """A ``person-…`` reference is not a credit code: it is read as the individual's trail key
    ``individual:person-…`` (the trail API upper-cased it into a code no act touches: 404)."""
    ref = next(
        e.envelope["payload"]["code"]
        for _, e in demo["app"].records(topics=["target.registered"])
        if e.envelope["payload"]["kind"] == "individual"
    )
    r = demo["client"].get(f"/trail/targets/{ref}", headers=_bearer(demo, "auditor"))
    assert r.status_code == 200 and r.json()["items"][0]["type"] == "target.registered"


def test_a_page_asked_for_a_position_out_of_range_says_so(demo):
    client = _login(demo, "legal")
    for position in ("0", "-1", str(2**63), "x"):
        r = client.get(f"/legal/acts/{position}")
        assert r.status_code == 422 and "position" in r.text, (position, r.text)
    r = client.get("/legal/findings?as_of=1999-01-01")
    assert r.status_code == 422 and "早于账本的建立" in r.text
    assert client.get("/legal/trail/planets/x").status_code == 422


def test_the_dispute_zip_and_the_findings_on_both_stores(ledger, signer, tmp_path):
    """SQLite and PostgreSQL alike: a small registry (no year), a target's dispute file over
    HTTP verified offline, and the findings page as of the head."""
    from ledger.demo.bureau import build_demo

    summary = build_demo(ledger, targets=20, inspectors=8)
    registry = Registry(ledger)
    legal = registry.issue_token("szc-legal", summary.admin)
    code = next(
        p["code"]
        for _, e in ledger.records(topics=["target.registered"])
        if len((p := e.envelope["payload"])["code"]) == 18
    )
    ledger.seal()
    service = create_app(ledger)
    try:
        with TestClient(service, headers={"Authorization": f"Bearer {legal}"}) as client:
            r = client.post("/disputes", json={"subject": {"kind": "target", "key": code}})
            assert r.status_code == 200, r.text
            with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
                archive.extractall(tmp_path / "unzipped")
            [folder] = list((tmp_path / "unzipped").iterdir())
            key = tmp_path / "ledger.pub"
            key.write_text(str(signer.verifier) + "\n", encoding="utf-8")
            assert verify_dispute([str(folder), "--key", str(key)]) == 0
            page = client.get("/legal/findings")
            assert page.status_code == 200 and "规则审计发现" in page.text
    finally:
        service.state.read_models.close()


def test_a_trail_beyond_the_bounded_count_says_more_than_and_pages_on(demo, monkeypatch):
    """A trail with more acts than ``COUNTED_UP_TO`` says 超过 … 项行为 and gives no page count
    it did not make; its 下一页 links still reach every act, once each, as the counted pages do."""
    from api.legal import routes
    from projections import queries

    client = _login(demo, "legal")
    head = client.get("/legal").headers["Ledger-As-Of"]
    monkeypatch.setattr(routes, "PER_PAGE", 40)

    def walk() -> tuple[list[str], list[str]]:
        seen, texts, page = [], [], 1
        while True:
            text = client.get(f"/legal/trail/officials/szc-clerk?as_of={head}&page={page}").text
            texts.append(text)
            seen += re.findall(r'<tr data-position="(\d+)"', text)
            if f'page={page + 1}">下一页' not in text:
                return seen, texts
            page += 1

    expected, counted = walk()
    assert len(expected) > 40 and len(set(expected)) == len(expected)
    assert all(f"共 {len(expected)} 项行为" in text for text in counted)
    monkeypatch.setattr(queries, "COUNTED_UP_TO", 3)
    seen, bounded = walk()
    assert seen == expected
    for number, text in enumerate(bounded, 1):
        assert f"超过 3 项行为（截至账本位置 {head}），第 {number} 页。" in text
