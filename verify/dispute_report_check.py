"""Step 3 of the dispute check, on the report: what ``report.html`` shows of the records agrees
with the signed records (docs/DISPUTE.md).

The signed manifest proves the report is the one the ledger's operator wrote with the file; this
proves that, where the report states a checkable fact, the record it cites states it too — so a
report that misstates the records (an operator's error or a writer's bug, signed or not) is
caught, not only one edited afterwards:

- the record table (``table#acts``): one row per record of the file, in order, each with the
  record's position, its time in China time, its event type (the cell's ``title``) and digest;
- the story (``table.story``): each fact row names the ledger position of its record; every date
  and recorded time (China time), credit code, record id, SHA-256 value and ticket the row shows
  must be in that record (its time, or its envelope's text).

Prose the report adds around them (names, explanations, labels) is not checked: the report is
not evidence.

``report.pdf`` is held to ``report.html`` (its text read by ``pdf_text.py``): every date, time,
credit code, record id, SHA-256 value and ticket it shows must appear in the HTML's text, and
every record's digest must be in it (its record table is whole) — so the PDF a court prints
states no such fact the checked HTML does not.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from .events import SignedEvent
from .pdf_text import shown_text
from .workdays import china_time

REPORT = "report.html"
PDF = "report.pdf"
_SHOWN_MOMENT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
_MOMENT = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)（北京时间")
_FACTS = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # a record's id
    r"|(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])"  # a SHA-256 value, a seed
    r"|(?<![\d-])\d{4}-\d\d-\d\d(?![\d:])"  # a date
    r"|(?<![0-9A-Z])[0-9A-HJ-NP-RTUWXY]{18}(?![0-9A-Z])"  # a credit code
    r"|(?<![\d.])0\.\d{6,}"  # a ticket
)


class _Tables(HTMLParser):
    """Every table of a page: its attributes and its body rows, each cell as (attributes, text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[dict[str, str], list[list[tuple[dict[str, str], str]]]]] = []
        self._cell: tuple[dict[str, str], list[str]] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.tables.append((named, []))
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self.tables:
            self.tables[-1][1].append([])
        elif tag == "td" and self._in_body:
            self._cell = (named, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self.tables and self.tables[-1][1]:
            self.tables[-1][1][-1].append((self._cell[0], "".join(self._cell[1])))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[1].append(data)


def check_report(directory: Path, events: list[tuple[int, int, SignedEvent]]) -> list[str]:
    """Failures: where ``report.html`` in ``directory`` disagrees with the file's records
    ``events`` ((position, leaf index, event), as step 2 checked them). None for a file
    without the report (step 3's manifest check names a missing one)."""
    path = directory / REPORT
    if not path.is_file():
        return []
    parser = _Tables()
    try:
        page = path.read_text(encoding="utf-8")
        parser.feed(page)
    except UnicodeDecodeError as e:
        return [f"{REPORT} 无法读取：{e}"]
    by_position = {p: e for p, _, e in events}
    acts = [rows for attrs, rows in parser.tables if attrs.get("id") == "acts"]
    stories = [rows for attrs, rows in parser.tables if "story" in attrs.get("class", "").split()]
    failures = [] if len(acts) == 1 else [f"{REPORT} 没有（唯一的）事件记录表"]
    if len(acts) == 1:
        failures += _record_table(acts[0], events)
    for rows in stories:
        for row in rows:
            if len(row) == 3 and row[2][1].strip().isdigit():
                failures += _fact(row[0][1], row[1][1], int(row[2][1]), by_position)
    return failures + _pdf(directory / PDF, page, events)


def _pdf(path: Path, page: str, events: list[tuple[int, int, SignedEvent]]) -> list[str]:
    """Where ``report.pdf`` states a fact ``report.html`` does not, or leaves a record out."""
    if not path.is_file():
        return []
    lines = shown_text(path.read_bytes())
    if not lines:
        return [f"{PDF} 中读不出文字，无法与 {REPORT} 核对"]
    told = html.unescape(re.sub(r"<[^>]*>", "\n", page))
    shown = "\n".join(lines)
    facts = set(_FACTS.findall(shown)) | set(_SHOWN_MOMENT.findall(shown))
    failures = [f"{PDF} 所示 {fact} 不在 {REPORT} 中" for fact in sorted(facts) if fact not in told]
    glued = "".join(lines)  # a digest wrapped in its cell, whole again
    left_out = [str(p) for p, _, event in events if event.digest.hex() not in glued]
    if left_out:
        failures.append(f"{PDF} 缺少位置 {'、'.join(left_out[:10])} 的记录（其事件摘要不在其中）")
    return failures


def _record_table(
    rows: list[list[tuple[dict[str, str], str]]], events: list[tuple[int, int, SignedEvent]]
) -> list[str]:
    if len(rows) != len(events):
        return [f"{REPORT} 的事件记录表有 {len(rows)} 行，材料有 {len(events)} 条记录"]
    failures = []
    for n, (row, (position, _, event)) in enumerate(zip(rows, events, strict=True), 1):
        shown = [text.strip() for _, text in row]
        want = {
            1: (str(position), "账本位置"),
            2: (china_time(str(event.envelope["time"])), "时间（北京时间）"),
            7: (event.digest.hex(), "事件摘要"),
        }
        for column, (value, what) in want.items():
            if len(shown) <= column or shown[column] != value:
                got = shown[column] if len(shown) > column else "（无）"
                failures.append(f"{REPORT} 事件记录表第 {n} 行：{what}为 {got}，签名记录为 {value}")
        if len(row) > 3 and row[3][0].get("title") != event.type:
            failures.append(
                f"{REPORT} 事件记录表第 {n} 行：事件类型为 {row[3][0].get('title')}，"
                f"签名记录为 {event.type}"
            )
    return failures


def _fact(label: str, text: str, position: int, by_position: dict[int, SignedEvent]) -> list[str]:
    event = by_position.get(position)
    where = f"{REPORT} 案情经过“{label.strip()}”（位置 {position}）"
    if event is None:
        return [f"{where}：引用的位置不是材料中的记录"]
    failures = []
    recorded = china_time(str(event.envelope["time"]))
    for moment in _MOMENT.findall(text):
        if moment != recorded:
            failures.append(f"{where}：记录时间为 {moment}，签名记录为 {recorded}")
    envelope = json.dumps(event.envelope, ensure_ascii=False)
    for fact in _FACTS.findall(_MOMENT.sub("", text)):
        if fact not in envelope:
            failures.append(f"{where}：所示 {fact} 不在该位置的签名记录中")
    return failures
