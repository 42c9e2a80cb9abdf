"""Reports in Chinese as PDF: the one writer of the dispute file's report and the annual
assessment's (docs/ASSESSMENT.md, "Why reportlab").

ReportLab draws Chinese text with the CID font ``STSong-Light`` of Adobe's Asian font packs,
which every PDF reader carries: the file names the font and holds no glyphs, so no font file
needs to be installed on the machine that writes it (a fresh Debian machine with only PyPI has
what it needs) and nothing is loaded from outside. Text stays text: a reader can search it and
``pypdf`` extracts it (the tests check the figures that way).
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
            story.append(_table(section, doc.width))
    doc.build(story)
    return out.getvalue()


def _table(section: Section, width: float) -> Table:
    header = [Paragraph(escape(str(h)), _CELL) for h in section.header]
    body = [[Paragraph(escape(str(c)), _CELL) for c in row] for row in section.rows]
    weights = section.widths or [1.0] * len(section.header)
    total = sum(weights)
    table = Table([header, *body], colWidths=[width * w / total for w in weights], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
