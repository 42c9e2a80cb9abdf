"""The annual assessment (issue 12, part 6), as the city's legal office rates the divisions: a
demo year's figures are checked against counts this test makes itself from the log; each
figure lists the events behind it, and the listed events are of the kind the figure counts;
an earlier position answers with the figures of then; the report is Chinese in HTML (nothing
loaded from outside), PDF (its text read back with pypdf) and Excel (read back with openpyxl);
wrong years, divisions, positions and readers are refused with a clear answer."""

from __future__ import annotations

import io
import json
import shutil
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from api.app import create_app
from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.registry.service import Registry
from projections.assessment import FIGURES
from verify.workdays import CHINA


@pytest.fixture(scope="module")
def demo(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A small demo year (SQLite, 60 targets) served in-process, with tokens by official."""
    data = tmp_path_factory.mktemp("assessment") / "ledger"
    assert drawledger(["demo", "--data", str(data), "--targets", "60"]) == 0
    app = LedgerApp.open(data)
    client = TestClient(create_app(app))
    registry = Registry(app)
    tokens: dict[str, str] = {}

    def bearer(code: str) -> dict[str, str]:
        if code not in tokens:
            tokens[code] = registry.issue_token(code, None)
        return {"Authorization": f"Bearer {tokens[code]}"}

    log = [(p, e.envelope) for p, e in app.records()]
    annual = next(
        e for _, e in log if e["type"] == "plan.drafted" and e["payload"]["kind"] == "annual"
    )
    year = int(annual["payload"]["period"])  # the demo's year (this year, when it was built)
    yield {"data": data, "app": app, "client": client, "bearer": bearer, "log": log, "year": year}
    app.close()


def _key(kind: str, code: str) -> str:
    return code if kind in ("enterprise", "public_body") else f"{kind}:{code}"


def _independent(
    log: list[tuple[int, dict[str, Any]]], upto: int, YEAR: int
) -> dict[str, Counter[str]]:
    """The year's figures per division, counted here from the log up to ``upto`` with no
    code of the service or the verifier: what the assessment must agree with."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    plans: dict[str, dict[str, Any]] = {}
    periods: dict[str, str] = {}
    draws: dict[str, str] = {}
    inspections: dict[str, dict[str, Any]] = {}
    targets: dict[str, dict[str, Any]] = {}  # aggregate -> key, division, status
    staff: dict[str, dict[str, Any]] = {}  # aggregate -> code, division, status, agency
    for position, e in log:
        if position > upto:
            break
        kind, p, agg = e["type"], e["payload"], e["aggregate"]
        if kind == "plan.drafted":
            periods[agg] = p["period"]
        if kind == "plan.drafted" and p["period"].startswith(str(YEAR)):
            plans[agg] = {"division": p["division"], "kind": p["kind"], "withdrawn": False}
        elif kind == "plan.withdrawn" and agg in plans:
            plans[agg]["withdrawn"] = True
        elif kind == "plan.uploaded" and agg in plans:
            out[plans[agg]["division"]]["plans_uploaded"] += 1
            out[plans[agg]["division"]]["plans_uploaded_on_time"] += not p["late"]
        elif kind == "draw.opened" and periods[p["plan"]].startswith(str(YEAR)):
            draws[agg] = p["division"]  # every demo draw follows a plan: it counts in its year
            out[p["division"]]["draws_opened"] += 1
        elif kind == "draw.inspectors_assigned" and agg in draws:
            out[draws[agg]]["draws_completed"] += 1
        elif kind == "draw.abandoned" and agg in draws:
            out[draws[agg]]["draws_abandoned"] += 1
        elif kind == "target.registered":
            targets[agg] = {
                "key": _key(p["kind"], p["code"]),
                "division": p["division"],
                "status": "in_business",
            }
        elif kind == "target.status_changed":
            targets[agg]["status"] = p["status"]
        elif kind == "inspector.registered":
            staff[agg] = {
                "code": p["code"],
                "division": p["division"],
                "status": p["status"],
                "agency": p["agency_staff"],
            }
        elif kind == "inspector.updated":
            staff[agg].update(
                {k: v for k, v in p["changes"].items() if k in ("status", "division")}
            )
        elif kind == "inspection.notified":
            inspections[agg] = {**p, "on": None, "present": [], "confirmed": False, "pub": 0}
        elif kind == "inspection.carried_out":
            inspections[agg].update(on=p["on"], present=p["present"])
            if p["on"].startswith(str(YEAR)):
                division = inspections[agg]["division"]
                out[division]["inspections_done"] += 1
                random = inspections[agg]["random"]
                out[division]["inspections_random" if random else "inspections_directed"] += 1
        elif kind == "inspection.confirmation_recorded":
            inspections[agg]["confirmed"] = True
        elif kind == "inspection.followed_up" and p["kind"] == "case_filed":
            out[inspections[agg]["division"]]["cases_filed"] += p["on"].startswith(str(YEAR))
        elif kind == "publication.published" and p["published_on"].startswith(str(YEAR)):
            inspection = inspections[p["inspection"]]
            out[inspection["division"]]["results_published"] += 1
            out[inspection["division"]]["results_published_on_time"] += p["on_time"]
            inspection["pub"] += p["channel"] == "results"
    for plan in plans.values():
        out[plan["division"]]["plans_made"] += not plan["withdrawn"]
    codes = {s["code"]: s for s in staff.values()}
    done = [i for i in inspections.values() if i["on"] and i["on"].startswith(str(YEAR))]
    present = {c for i in done for c in i["present"]}
    annual = {p["division"] for p in plans.values() if p["kind"] == "annual" and not p["withdrawn"]}
    for division in {i["division"] for i in done} | annual:
        eligible = {
            t["key"]
            for t in targets.values()
            if t["division"] == division and t["status"] == "in_business"
        }
        visited = {i["target"] for i in done if i["division"] == division}
        out[division]["coverage"] = len(eligible & visited) if division in annual else 0
        out[division]["coverage_of"] = len(eligible) if division in annual else None
        on_duty = [s for s in staff.values() if s["division"] == division]
        on_duty = [s for s in on_duty if s["status"] == "on_duty"]
        out[division]["participation_staff"] = sum(s["code"] in present for s in on_duty)
        out[division]["participation_staff_of"] = len(on_duty)
        rounds: dict[str, bool] = {}
        for i in done:
            if i["division"] == division:
                agency = any(codes[c]["agency"] for c in i["present"] if c in codes)
                rounds[i["source"]] = rounds.get(i["source"], False) or agency
        out[division]["participation_agency_rounds"] = sum(rounds.values())
        out[division]["participation_agency_rounds_of"] = len(rounds)
        unpublished = [
            i for i in done if i["division"] == division and i["confirmed"] and not i["pub"]
        ]
        out[division]["results_overdue"] = len(unpublished)
    return out


def _china_year(time: str) -> int:
    return datetime.fromisoformat(time.replace("Z", "+00:00")).astimezone(CHINA).year


def _figures(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["division"]: d["figures"] for d in report["divisions"]}


def _get(demo, query: str, who: str = "szc-legal"):  # type: ignore[no-untyped-def]
    return demo["client"].get(f"/assessment?{query}", headers=demo["bearer"](who))


def _check_against_the_log(demo, report: dict[str, Any], upto: int) -> None:  # type: ignore[no-untyped-def]
    expected = _independent(demo["log"], upto, demo["year"])
    figures = _figures(report)
    assert set(figures) == {d for d, c in expected.items() if any(c.values())}
    types = {p: e["type"] for p, e in demo["log"]}
    for division, counts in expected.items():
        for key in FIGURES:
            figure = figures[division][key]
            assert figure["value"] == counts[key], (division, key, figure, counts[key])
            if f"{key}_of" in counts:
                assert figure["of"] == counts[f"{key}_of"], (division, key)
            # Traceable: the events named behind a figure exist by then and are of its kind.
            assert all(p <= upto for p in figure["events"])
            kinds = {types[p] for p in figure["events"]}
            assert kinds <= _KINDS[key], (key, kinds)
            if key not in ("coverage", "participation_staff", "participation_agency_rounds"):
                assert len(figure["events"]) == figure["value"], key


_KINDS = {
    "plans_made": {"plan.drafted"},
    "plans_uploaded": {"plan.uploaded"},
    "plans_uploaded_on_time": {"plan.uploaded"},
    "draws_opened": {"draw.opened"},
    "draws_completed": {"draw.inspectors_assigned"},
    "draws_abandoned": {"draw.abandoned"},
    "coverage": {"inspection.carried_out"},
    "inspections_done": {"inspection.carried_out"},
    "inspections_random": {"inspection.carried_out"},
    "inspections_directed": {"inspection.carried_out"},
    "participation_staff": {"inspection.carried_out"},
    "participation_agency_rounds": {"draw.opened", "directed.recorded"},
    "results_published": {"publication.published"},
    "results_published_on_time": {"publication.published"},
    "results_overdue": {"inspection.confirmation_recorded", "inspection.followed_up"},
    "cases_filed": {"inspection.followed_up"},
}


def test_the_figures_of_a_year_agree_with_counts_made_from_the_log(demo):
    YEAR = demo["year"]
    answer = _get(demo, f"year={YEAR}")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    head = demo["app"].recorder.max_notification_id()  # the demo's and a token's since
    assert report["as_of"]["position"] == head and answer.headers["Ledger-As-Of"] == str(head)
    _check_against_the_log(demo, report, head)
    szc = _figures(report)["szc"]
    # Without a year: the year (China time) of the position answered for, today's here.
    this_year = _china_year(demo["log"][-1][1]["time"])
    assert str(this_year) in _get(demo, "").text  # its report, or "nothing of that year"
    # The demo year has genuine things to find: a late plan, one late and one missing result.
    assert szc["plans_uploaded_on_time"]["value"] < szc["plans_uploaded"]["value"]
    assert szc["results_overdue"]["value"] == 1 and szc["cases_filed"]["value"] == 1
    assert szc["inspections_directed"]["value"] == 1
    # Coverage counts inspections carried out: every covered target was visited.
    assert 0 < szc["coverage"]["value"] < szc["coverage"]["of"]


def test_a_figure_answers_as_the_ledger_stood_at_an_earlier_position(demo, tmp_path):
    YEAR = demo["year"]
    log = demo["log"]
    last = max(p for p, e in log if e["type"] == "inspection.carried_out")
    inspection = dict(log)[last]["aggregate"]
    division = next(
        e for p, e in log if e["aggregate"] == inspection and e["type"] == "inspection.notified"
    )
    before = last - 1
    now, then = _get(demo, f"year={YEAR}"), _get(demo, f"year={YEAR}&as_of={before}")
    assert then.status_code == 200 and then.headers["Ledger-As-Of"] == str(before)
    assert then.json()["as_of"]["position"] == before
    code = division["payload"]["division"]
    done_now = _figures(now.json())[code]["inspections_done"]
    done_then = _figures(then.json())[code]["inspections_done"]
    assert done_then["value"] == done_now["value"] - 1
    assert last in done_now["events"] and last not in done_then["events"]
    _check_against_the_log(demo, then.json(), before)
    # The CLI answers the same as of the same position, and says which.
    out = tmp_path / "then"
    args = ["--data", str(demo["data"]), "--year", str(YEAR), "--as-of", str(before)]
    assert drawledger(["assessment", *args, "--out", str(out)]) == 0
    written = json.loads((out / f"assessment-{YEAR}.json").read_text(encoding="utf-8"))
    assert written == then.json()


def test_the_report_is_chinese_in_html_pdf_and_excel_and_keeps_its_events(demo):
    YEAR = demo["year"]
    report = _get(demo, f"year={YEAR}").json()
    szc = _figures(report)["szc"]

    page = _get(demo, f"year={YEAR}&format=html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "年度“双随机、一公开”监管工作考核" in text and "水政处" in text
    for name, _ in FIGURES.values():
        assert name in text
    assert "http://" not in text and "https://" not in text and "<link" not in text
    assert "<script" not in text and "src=" not in text  # nothing loaded, from anywhere
    for position in szc["inspections_done"]["events"]:
        assert f'href="/proofs/inclusion?position={position}"' in text
    assert 'href="/trail?division=szc"' in text
    # Event types by their Chinese names (ledger/labels.py), never as codes.
    assert (
        "实施检查" in text and "inspection.carried_out" not in text and "plan.drafted" not in text
    )

    pdf = _get(demo, f"year={YEAR}&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    words = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "水政处" in words and "实施检查（次）" in words and "按时公示（条）" in words
    coverage = szc["coverage"]
    assert f"{coverage['value']} / {coverage['of']}（{coverage['share']}）" in words
    assert str(szc["inspections_done"]["events"][0]) in words  # the appendix of positions
    assert "inspection.carried_out" not in words

    sheet = _get(demo, f"year={YEAR}&format=xlsx")
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content))
    summary = list(book["考核汇总"].iter_rows(min_row=2, values_only=True))
    shown = {(r[0], r[2]): r[4] for r in summary}
    for d in report["divisions"]:
        for key, figure in d["figures"].items():
            assert shown[(d["division"], key)] == figure["value"]
    listed = Counter((r[0], r[1]) for r in book["依据事件"].iter_rows(min_row=2, values_only=True))
    for d in report["divisions"]:
        for key, figure in d["figures"].items():
            assert listed[(d["division"], key)] == len(figure["events"])
    about = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True)}
    assert about["账本位置"] == report["as_of"]["position"] and about["年度"] == YEAR


def test_who_may_read_which_division(demo):
    YEAR = demo["year"]
    every = {"szc", "ggc", "szyc"}
    for who in ("szc-legal", "bgs-auditor", "bgs-admin"):
        answer = _get(demo, f"year={YEAR}", who)
        assert answer.status_code == 200, (who, answer.text)
        assert set(_figures(answer.json())) == every
    own = _get(demo, f"year={YEAR}", "szc-head")
    assert own.status_code == 200 and set(_figures(own.json())) == {"szc"}
    other = _get(demo, f"year={YEAR}&division=ggc", "szc-head")
    assert other.status_code == 403 and "assessment.read" in other.text
    for who in ("szc-clerk", "szjczd-inspector", "jld-leader-1", "szc-aggregator"):
        refused = _get(demo, f"year={YEAR}", who)
        assert refused.status_code == 403, (who, refused.text)
        assert "assessment.read" in refused.json()["detail"]
    assert demo["client"].get(f"/assessment?year={YEAR}").status_code == 401


@pytest.mark.parametrize(
    ("query", "status", "said"),
    [
        ("year={before}", 404, "无可考核的内容"),
        ("year={year}&division=nope", 404, "没有处室 'nope'"),
        ("year={year}&as_of=99999", 422, "超出其末尾"),
        ("year={year}&as_of=2020-01-01", 422, "as_of"),
        ("year=1999", 422, "year"),
        ("year={year}&format=docx", 422, "format"),
    ],
)
def test_bad_requests_say_what_is_wrong(demo, query, status, said):
    answer = _get(demo, query.format(year=demo["year"], before=demo["year"] - 1))
    assert answer.status_code == status, answer.text
    assert said in answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_the_command_refuses_with_one_line_and_writes_nothing(demo, tmp_path, capsys):
    YEAR = demo["year"]
    base = ["assessment", "--data", str(demo["data"]), "--out", str(tmp_path / "out")]
    for extra, said in (
        (["--year", str(YEAR - 1)], "无可考核的内容"),
        (["--year", str(YEAR), "--division", "nope"], "账本中没有处室 'nope'"),
        (["--year", str(YEAR), "--as-of", "99999"], "超出其末尾"),
    ):
        assert drawledger([*base, *extra]) == 1
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert not (tmp_path / "out").exists()
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("kept")
    assert drawledger([*base[:-1], str(full), "--year", str(YEAR)]) == 1
    assert "不是空文件夹" in capsys.readouterr().err and (full / "x").read_text() == "kept"


def test_the_files_of_the_command_are_the_http_answers(demo, tmp_path):
    YEAR = demo["year"]
    answer = _get(demo, f"year={YEAR}&format=html")
    pdf = _get(demo, f"year={YEAR}&format=pdf").content
    head = answer.headers["Ledger-As-Of"]
    out = tmp_path / "files"
    args = ["--data", str(demo["data"]), "--year", str(YEAR), "--as-of", head]
    assert drawledger(["assessment", *args, "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"assessment-{YEAR}.{x}" for x in ("html", "json", "pdf", "xlsx")]
    assert (out / f"assessment-{YEAR}.html").read_text(encoding="utf-8") == answer.text
    assert Path(out / f"assessment-{YEAR}.pdf").read_bytes() == pdf  # the same bytes: no time in it


def test_an_inspection_edited_in_the_database_stops_the_assessment(demo, tmp_path, capsys):
    """An operator with the data directory moves an inspection's date in the store, keeping its
    signature, to change a division's count: the assessment refuses, naming the edited event,
    rather than rate the division by it."""
    from tests.tamper.bundle_edits import with_payload_keeping_signature
    from tests.tamper.test_store_tampering import _drop_append_only_triggers, _execute

    copy = tmp_path / "copy"
    shutil.copytree(demo["data"], copy)
    app = LedgerApp.open(copy)
    try:
        n = next(iter(app.notifications(topics=["inspection.carried_out"])))
        edited = with_payload_keeping_signature(n.state, on=f"{demo['year'] - 1}-12-30")
        _drop_append_only_triggers(app)
        _execute(app, f"UPDATE {app.events_table} SET state = ? WHERE state = ?", (edited, n.state))
    finally:
        app.close()
    args = ["--data", str(copy), "--year", str(demo["year"]), "--out", str(tmp_path / "out")]
    assert drawledger(["assessment", *args]) == 1
    err = capsys.readouterr().err
    assert f"位置 {n.id} 的事件" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_in_january_the_default_is_the_year_just_ended_not_an_empty_one(demo, monkeypatch):
    # Asked without a year, the assessment was of the position's year: on 2 January it was
    # refused ("nothing to assess"), and the legal pages' link (which named this year by the
    # wall clock) led to that refusal, in the very weeks the year just ended is assessed.
    from api import as_of
    from projections import assessment

    client, bearer, year = demo["client"], demo["bearer"], demo["year"]
    whole = client.get(f"/assessment?year={year}", headers=bearer("szc-legal")).json()
    january = datetime(year + 1, 1, 2, 9, tzinfo=CHINA)
    for module in (assessment, as_of):  # the last event's time, wherever "this year" is read
        monkeypatch.setattr(module, "time_at", lambda _app, _position: january)
    answer = client.get("/assessment", headers=bearer("szc-legal"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == whole  # the year just ended, whole, as asked for by its number
    assert client.get(f"/assessment?year={year + 1}", headers=bearer("szc-legal")).status_code == (
        404  # asked for by its number, the new year is still refused: nothing to assess yet
    )
    xlsx = client.get("/assessment?format=xlsx", headers=bearer("szc-legal"))
    assert f"assessment-{year}.xlsx" in xlsx.headers["content-disposition"]
    monkeypatch.setattr(  # a year with nothing, and nothing earlier: refused in words
        assessment, "time_at", lambda _app, _position: datetime(year - 1, 6, 1, tzinfo=CHINA)
    )
    refused = client.get("/assessment", headers=bearer("szc-legal"))
    assert refused.status_code == 404 and "无可考核的内容" in refused.text
