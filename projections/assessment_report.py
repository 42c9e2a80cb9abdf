"""The annual assessment (``projections/assessment.py``) as people read it: a report in Chinese
as HTML (styles inline, nothing loaded from outside) and PDF (``projections/pdf.py``), and an
Excel workbook. Every figure keeps the ledger positions of the events behind it: listed in the
workbook's sheet 依据事件, linked in the HTML to each event's inclusion proof and each
division's responsibility trail, and listed in the PDF's appendix. Where the links lead is the
reader's (``Links``): the API's routes (``/proofs/inclusion?position=N``, ``/trail?division=D``,
for a client holding a bearer token) or the legal pages' (``/legal/acts/N``,
``/legal/trail/divisions/D``, opened with the browser session).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from ledger.application import LedgerApp
from ledger.errors import BadInput
from ledger.registry.officials import Official
from ledger.whole_files import whole_directory

from .assessment import FIGURES, assess
from .pdf import Section, pdf_bytes

FORMATS = ("json", "html", "pdf", "xlsx")
MEDIA = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Links:
    """Where the HTML report links an event (by ledger position) and a division's trail."""

    event: Callable[[int], str]
    division: Callable[[str], str]


API_LINKS = Links(
    event=lambda p: f"/proofs/inclusion?position={p}", division=lambda d: f"/trail?division={d}"
)
_KEPT = {True: "达标", False: "未达标", None: "周期未结束"}


def answer(
    app: LedgerApp,
    reader: Official | None,
    year: int | None,
    position: int,
    division: str | None = None,
    fmt: str = "json",
    links: Links = API_LINKS,
) -> tuple[int, bytes]:
    """The year assessed (``year``, or the default ``assess`` chose) and the assessment as one
    file of format ``fmt`` (json, html, pdf, xlsx), its HTML linking as ``links`` says."""
    if fmt not in FORMATS:
        raise BadInput(f"format {fmt!r}: must be one of {', '.join(FORMATS)}")
    report = assess(app, reader, year, position, division)
    return report["year"], render(report, fmt, links)


def render(report: dict[str, Any], fmt: str, links: Links = API_LINKS) -> bytes:
    if fmt == "html":
        return html_report(report, links).encode("utf-8")
    if fmt == "pdf":
        return pdf_report(report)
    if fmt == "xlsx":
        return xlsx_report(report)
    return json_report(report)


def write_files(report: dict[str, Any], out: Path) -> list[Path]:
    """The report in every format into the new or empty directory ``out``."""
    if out.exists() and any(out.iterdir()):
        raise BadInput(f"{out} is not empty: the assessment goes into a new directory")
    names = [f"assessment-{report['year']}.{fmt}" for fmt in FORMATS]
    with whole_directory(out) as being_written:  # all four or none (a kill leaves none)
        for name, fmt in zip(names, FORMATS, strict=True):
            (being_written / name).write_bytes(render(report, fmt))
    return [out / name for name in names]


def json_report(report: dict[str, Any]) -> bytes:
    return (json.dumps(report, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def title(report: dict[str, Any]) -> str:
    return f"{report['year']} 年度“双随机、一公开”监管工作考核"


def basis(report: dict[str, Any]) -> str:
    """What the report answers for: the position and the day its rules were judged on."""
    at = report["as_of"]
    return (
        f"截至账本位置 {at['position']}（规则按 {at['judged_on']} 判断）。每项数字均可追溯到所列"
        "账本位置的签名事件；以同一账本位置重新生成，结果相同。"
    )


def shown(figure: dict[str, Any]) -> str:
    """A figure as the report shows it: ``n``, or ``n / of（share）`` and its verdict."""
    if "note" in figure:
        return str(figure["note"])
    if "of" not in figure:
        return str(figure["value"])
    text = f"{figure['value']} / {figure['of']}（{figure['share']}）"
    if "minimum" in figure:
        text += f"，要求不低于 {figure['minimum']}"
    return f"{text}，{_KEPT[figure['kept']]}"


def rows(report: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(division code, division name, figure key, figure) in the report's order."""
    for d in report["divisions"]:
        for key in FIGURES:
            yield d["division"], d["name"], key, d["figures"][key]


# -- HTML ------------------------------------------------------------------------------------------

_CELL = "border:1px solid #999;padding:.25em .5em;vertical-align:top"
_HEAD = _CELL + ";background:#e8eef5;text-align:left"


def html_report(report: dict[str, Any], links: Links = API_LINKS) -> str:
    """One page in Chinese; every style inline, every link to this service's own endpoints
    (the API's or the legal pages', as ``links`` says)."""
    esc = html.escape
    parts = [
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{esc(title(report))}</title></head>",
        '<body style="font-family:sans-serif;margin:2em;color:#222">',
        f'<h1 style="font-size:1.4em">{esc(title(report))}</h1>',
        f"<p>{esc(basis(report))}</p>",
    ]
    for d in report["divisions"]:
        code = esc(d["division"])
        trail = esc(links.division(d["division"]))
        parts.append(
            f'<h2 style="font-size:1.15em;margin-top:1.5em">{esc(d["name"])}（{code}）'
            f' <a style="font-size:.8em" href="{trail}">责任追溯</a></h2>'
        )
        parts.append('<table style="border-collapse:collapse;font-size:90%">')
        parts.append(
            f'<tr><th style="{_HEAD}">指标</th><th style="{_HEAD}">数值</th>'
            f'<th style="{_HEAD}">统计口径</th><th style="{_HEAD}">依据事件（账本位置）</th></tr>'
        )
        for key, (name, counts) in FIGURES.items():
            figure = d["figures"][key]
            parts.append(
                f'<tr><td style="{_CELL}">{esc(name)}</td><td style="{_CELL}">'
                f'{esc(shown(figure))}</td><td style="{_CELL}">{esc(counts)}</td>'
                f'<td style="{_CELL}">{_links(figure["events"], links)}</td></tr>'
            )
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _links(positions: list[int], links: Links) -> str:
    if not positions:
        return "—"
    shown = " ".join(
        f'<a href="{html.escape(links.event(p))}" title="包含证明">{p}</a>' for p in positions
    )
    return f"<details><summary>{len(positions)} 个事件</summary>{shown}</details>"


# -- PDF -------------------------------------------------------------------------------------------


def pdf_report(report: dict[str, Any]) -> bytes:
    sections = [Section(paragraphs=[basis(report)])]
    for d in report["divisions"]:
        sections.append(
            Section(
                heading=f"{d['name']}（{d['division']}）",
                header=("指标", "数值", "统计口径"),
                rows=[(name, shown(d["figures"][k]), c) for k, (name, c) in FIGURES.items()],
                widths=(2, 2.5, 5),
            )
        )
    appendix = [
        (f"{name}（{code}）", FIGURES[key][0], ", ".join(map(str, f["events"])) or "—")
        for code, name, key, f in rows(report)
        if f["events"]
    ]
    sections.append(
        Section(
            heading="附：各项数字的依据事件（账本位置）",
            paragraphs=["每个账本位置的包含证明：GET /proofs/inclusion?position=位置。"],
            header=("处室", "指标", "账本位置"),
            rows=appendix,
            widths=(1.5, 2, 7),
        )
    )
    return pdf_bytes(title(report), sections)


# -- Excel -----------------------------------------------------------------------------------------


def xlsx_report(report: dict[str, Any]) -> bytes:
    """Sheets 考核汇总 (one row per division and figure), 依据事件 (one row per event behind a
    figure) and 说明 (what it answers for, what each figure counts)."""
    book = Workbook()
    bold = Font(bold=True)
    summary = book.active
    assert summary is not None
    summary.title = "考核汇总"
    summary.append(["处室代码", "处室", "指标代码", "指标", "数值", "总数", "比例", "结论"])
    for code, name, key, f in rows(report):
        kept = _KEPT[f["kept"]] if "kept" in f else f.get("note", "")
        summary.append(
            [code, name, key, FIGURES[key][0], f["value"], f.get("of"), f.get("share"), kept]
        )
    events = book.create_sheet("依据事件")
    events.append(["处室代码", "指标代码", "指标", "账本位置"])
    for code, _, key, f in rows(report):
        for position in f["events"]:
            events.append([code, key, FIGURES[key][0], position])
    about = book.create_sheet("说明")
    about.append(["标题", title(report)])
    about.append(["年度", report["year"]])
    about.append(["账本位置", report["as_of"]["position"]])
    about.append(["规则判断日", report["as_of"]["judged_on"]])
    about.append(["说明", basis(report)])
    for key, (name, counts) in FIGURES.items():
        about.append([key, name, counts])
    for sheet in (summary, events):
        for cell in sheet[1]:
            cell.font = bold
    out = BytesIO()
    book.save(out)
    return out.getvalue()
