"""Reports in Chinese as PDF: the one writer of the dispute file's report and the annual
assessment's (docs/ASSESSMENT.md, "Why reportlab").

ReportLab draws Chinese text with the CID font ``STSong-Light`` of Adobe's Asian font packs,
which every PDF reader carries: the file names the font and holds no glyphs, so no font file
needs to be installed on the machine that writes it (a fresh Debian machine with only PyPI has
what it needs) and nothing is loaded from outside. Text stays text: a reader can search it and
``pypdf`` extracts it (the tests check the figures that way).

A table cell whose text fits its column on its lines is drawn as plain text in the cell's font;
only a cell that must wrap becomes a ``Paragraph`` (wrapping measures every character, several
times per table: most of a report's time when every cell was one). Long tables are cut into
tables of ``ROWS_PER_TABLE`` rows, each with the header, instead of one table split page by page
(each split measures the rest of the table again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=6)
_HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=17, spaceBefore=8)
_TEXT = ParagraphStyle("text", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK")
_CELL = ParagraphStyle("cell", fontName=FONT, fontSize=7.5, leading=9.5, wordWrap="CJK")
_PADDING = 6  # points left and right of a cell's text (reportlab's default)
ROWS_PER_TABLE = 30


@dataclass
class Section:
    """A part of a report: a heading, paragraphs of text, and a table (header row, rows)."""

    heading: str = ""
    paragraphs: Sequence[str] = ()
    header: Sequence[str] = ()
    rows: Sequence[Sequence[object]] = field(default_factory=list)
    widths: Sequence[float] | None = None  # relative column widths


def pdf_bytes(title: str, sections: Sequence[Section]) -> bytes:
    """The report as a PDF (A4 landscape): the title, then each section in order. The same
    content gives the same bytes (no creation time, no random document id)."""
    out = BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        invariant=1,
    )
    story: list[object] = [Paragraph(escape(title), _TITLE)]
    for section in sections:
        if section.heading:
            story.append(Paragraph(escape(section.heading), _HEADING))
        story.extend(Paragraph(escape(text), _TEXT) for text in section.paragraphs)
        if section.header:
            story.append(Spacer(1, 2 * mm))
            rows = list(section.rows)
            for start in range(0, max(len(rows), 1), ROWS_PER_TABLE):
                story.append(_table(section, rows[start : start + ROWS_PER_TABLE], doc.width))
    doc.build(story)
    return out.getvalue()


def _table(section: Section, rows: Sequence[Sequence[object]], width: float) -> Table:
    weights = section.widths or [1.0] * len(section.header)
    total = sum(weights)
    widths = [width * w / total for w in weights]
    header = [_cell(h, w) for h, w in zip(section.header, widths, strict=True)]
    body = [[_cell(c, w) for c, w in zip(row, widths, strict=True)] for row in rows]
    table = Table([header, *body], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), _CELL.fontSize),
                ("LEADING", (0, 0), (-1, -1), _CELL.leading),
                ("LEFTPADDING", (0, 0), (-1, -1), _PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
            ]
        )
    )
    return table


def _cell(value: object, width: float) -> str | Paragraph:
    """The cell's text as it is if each of its lines fits the column, else a wrapping
    paragraph."""
    text = str(value)
    room = width - 2 * _PADDING
    if all(pdfmetrics.stringWidth(line, FONT, _CELL.fontSize) <= room for line in text.split("\n")):
        return text
    return Paragraph(escape(text).replace("\n", "<br/>"), _CELL)
