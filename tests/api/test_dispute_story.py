"""The dispute file's report read as a judge reads it (projections/dispute_story.py): before it,
the report listed each record's Chinese event name, official code and division code and nothing
of what the records say. Now it tells, from the file's own signed records, who made the plan, who
opened, froze and revealed the draw, the seed and how to replay it, whether the company was in
the population (and if not, why), what was selected, the team and who was passed over and why,
the visit, the result and the publication against its working-day deadline — each fact with the
ledger position of its record, in Chinese and China time, in the HTML and the PDF alike. An
individual is named by its pseudonymous reference only."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from api.cli import main as drawledger
from ledger.application import LedgerApp


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A demo year and, from its log, a target selected and inspected, one a draw excluded,
    and an individual."""
    data = tmp_path_factory.mktemp("story") / "ledger"
    assert drawledger(["demo", "--data", str(data)]) == 0
    app = LedgerApp.open(data)
    try:
        events = [e.envelope for _, e in app.records()]
    finally:
        app.close()
    inspected = {e["payload"]["target"] for e in events if e["type"] == "inspection.notified"}
    selected = next(
        (e, s["target"])
        for e in events
        if e["type"] == "draw.targets_selected"
        for st in e["payload"]["strata"]
        for s in st["selected"]
        # a company (its credit code): the test reads its name from its registration, which an
        # individual's (a pseudonymous reference, no name in the log) or a project's key is not
        if s["target"] in inspected and ":" not in s["target"]
    )
    excluded = next(
        x
        for e in events
        if e["type"] == "draw.population_frozen"
        for x in e["payload"]["exclusions"]
        if x["reason"].startswith("status is")
    )
    person = next(
        e["payload"]["code"]
        for e in events
        if e["type"] == "target.registered" and e["payload"]["kind"] == "individual"
    )
    return {
        "data": data,
        "events": events,
        "draw": selected[0]["aggregate"],
        "code": selected[1],
        "excluded": excluded["target"],
        "person": person,
    }


def _write(ledger: dict[str, Any], out: Path, code: str) -> tuple[str, str]:
    assert (
        drawledger(["dispute", "--data", str(ledger["data"]), "--target", code, "--out", str(out)])
        == 0
    )
    page = (out / "report.html").read_text(encoding="utf-8")
    text = re.sub(
        r"\s+", "", "".join(p.extract_text() for p in PdfReader(out / "report.pdf").pages)
    )
    return page, text


def _of(events: list[dict[str, Any]], kind: str, aggregate: str) -> dict[str, Any]:
    return next(e for e in events if e["type"] == kind and e["aggregate"] == aggregate)


def test_the_report_tells_plan_draw_team_visit_and_publication_from_the_records(ledger, tmp_path):
    page, pdf = _write(ledger, tmp_path / "file", ledger["code"])
    events, draw = ledger["events"], ledger["draw"]
    opened = _of(events, "draw.opened", draw)
    seed = _of(events, "draw.seed_revealed", draw)["payload"]["seed"]
    drafted = _of(events, "plan.drafted", opened["payload"]["plan"])
    [name] = [
        e["payload"]["name"]
        for e in events
        if e["type"] == "target.registered" and e["payload"]["code"] == ledger["code"]
    ]
    team = next(
        t
        for e in events
        if e["type"] == "draw.inspectors_assigned" and e["aggregate"] == draw
        for t in e["payload"]["teams"]
        if t["target"] == ledger["code"]
    )
    inspectors = {
        e["payload"]["code"]: e["payload"]["name"]
        for e in events
        if e["type"] == "inspector.registered"
    }
    published = next(
        e["payload"]
        for e in events
        if e["type"] == "publication.published"
        and e["payload"]["content"]["target"]["key"] == ledger["code"]
    )
    said = [
        "案情经过",
        f"{name}（{ledger['code']}）",
        "拟订计划",
        drafted["actor"]["official"],
        "是：在抽取总体中",
        f"种子{seed}",
        "如何重现抽取",
        f"python-mverifysample--seed{seed}",
        *(f"{inspectors[m]}（{m}）" for m in team["members"]),
        f"公示期限：自{published['start']}起{published['working_days_allowed']}个工作日",
        f"最迟{published['deadline']}",
    ]
    for words in said:
        assert words.replace(" ", "") in page.replace(" ", ""), words
        assert words.replace(" ", "") in pdf, words  # the PDF says the same


def test_each_fact_cites_a_record_of_the_file(ledger, tmp_path):
    out = tmp_path / "file"
    page, _ = _write(ledger, out, ledger["code"])
    story = page[page.index('id="story"') : page.index('id="records"')]
    cited = {int(p) for p in re.findall(r"<td>(\d+)</td></tr>", story)}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert cited and cited <= {r["position"] for r in manifest["records"]}


def test_an_excluded_company_is_told_why_in_chinese(ledger, tmp_path):
    page, pdf = _write(ledger, tmp_path / "file", ledger["excluded"])
    assert "否：被排除，原因：状态为“" in page
    assert "否：被排除，原因：状态为“" in pdf
    assert "status is" not in page and "status is" not in pdf
    assert "状态变更" in page  # the change that excluded it, with its reason and source


def test_an_individual_is_named_by_reference_only_and_a_bare_reference_is_found(ledger, tmp_path):
    out = tmp_path / "file"
    page, pdf = _write(ledger, out, ledger["person"])  # as on paper: person-…, no kind prefix
    with sqlite3.connect(ledger["data"] / "ledger.sqlite") as db:
        [(data,)] = db.execute("SELECT data FROM personal_data WHERE ref = ?", (ledger["person"],))
    person = json.loads(data)
    assert "仅以化名编号标识" in page and "不含该个人的姓名和身份证号码" in page
    for path in out.rglob("*"):
        if path.is_file():
            body = path.read_bytes()
            for secret in (person["name"], person["identity"]):
                assert secret.encode() not in body, (path.name, secret)
    assert person["name"] not in pdf and person["identity"] not in pdf


def test_nothing_in_english_utc_or_raw_codes_a_judge_cannot_read(ledger, tmp_path):
    page, pdf = _write(ledger, tmp_path / "file", ledger["code"])
    for text in (page, pdf):
        assert not re.search(r"\d{2}:\d{2}:\d{2}(\.\d+)?Z", text)  # UTC as recorded
        assert "UTC" not in text
        for english in ("not qualified", "status is", "recused", "no_problem", "on_site"):
            assert english not in text, english
    # every official is shown with their name, every division by its name
    records = page[page.index('id="records"') :]
    cells = re.findall(
        r"<tr>(?:<td[^>]*>[^<]*</td>){4}<td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td>", records
    )
    assert cells and all(
        "（" in who and "（" in division or who.startswith("账本运营方") for who, division in cells
    )
    # when the file stands as of, and when it was written, in China time
    assert "该位置的事件记录于北京时间" in page and "本材料写出于北京时间" in pdf
    # the hashes and positions a judge meets are explained where they are shown
    assert (
        "术语：账本位置是事件在账本中的顺序号" in page
        and "术语：账本位置是事件在账本中的顺序号" in pdf
    )
    assert "googleapis" not in page and "http://" not in page and "https://" not in page


def test_the_command_takes_as_of_as_a_china_time_date_or_moment_as_the_api_does(
    ledger, tmp_path, capsys
):
    from datetime import datetime, timedelta

    from verify.workdays import CHINA

    def write(as_of: str, code: str = ledger["code"]) -> tuple[int, str]:
        out = tmp_path / f"file-{len(list(tmp_path.iterdir()))}"
        capsys.readouterr()
        args = ["dispute", "--data", str(ledger["data"]), "--target", code, "--as-of", as_of]
        code = drawledger([*args, "--out", str(out)])
        return code, capsys.readouterr().err + (
            (out / "manifest.json").read_text(encoding="utf-8") if code == 0 else ""
        )

    first = datetime.fromisoformat(ledger["events"][0]["time"].replace("Z", "+00:00"))
    before = (first.astimezone(CHINA) - timedelta(days=1)).date().isoformat()
    code, said = write(before)
    assert code == 1 and "早于账本的建立" in said
    tomorrow = (datetime.now(CHINA) + timedelta(days=1)).date().isoformat()
    code, said = write(tomorrow)
    assert code == 1 and "在未来" in said
    code, said = write("0")
    assert code == 1 and "位置从 1 开始" in said
    # a moment in China time stands for the last event at or before it
    now = datetime.now(CHINA).strftime("%Y-%m-%dT%H:%M:%S")
    code, said = write(now)
    assert code == 0 and '"as_of": ' in said
    # an individual's reference typed full-width, as an input method gives it
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isalpha() else c for c in "person") + ledger[
        "person"
    ].removeprefix("person")
    code, said = write(now, wide)
    assert code == 0 and f"individual:{ledger['person']}" in said


def test_an_official_s_file_names_the_official(ledger, tmp_path):
    opened = _of(ledger["events"], "draw.opened", ledger["draw"])
    code = opened["actor"]["official"]
    [name] = [
        e["payload"]["name"]
        for e in ledger["events"]
        if e["type"] == "official.registered" and e["payload"]["code"] == code
    ]
    out = tmp_path / "file"
    assert (
        drawledger(
            ["dispute", "--data", str(ledger["data"]), "--official", code, "--out", str(out)]
        )
        == 0
    )
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"<td>工作人员</td><td>{name}（{code}）</td>" in page
