"""The PDF text reader of the dispute check (verify/pdf_text.py) against reportlab, which
writes the reports, and against bytes nobody wrote: it reads what the writer drew, and never
fails on what it cannot read."""

from __future__ import annotations

import random
import zlib

from projections.pdf import Section, pdf_bytes
from verify.pdf_text import shown_text


def test_it_reads_what_the_reports_writer_draws():
    pdf = pdf_bytes(
        "争议材料：抽取 甲",
        [Section(heading="案情经过", paragraphs=["于 2026-12-04 公示（括号）\\ 反斜杠"])],
    )
    text = shown_text(pdf)
    assert "争议材料：抽取 甲" in text
    assert "案情经过" in text
    assert any("于 2026-12-04 公示（括号）\\ 反斜杠" in line for line in text)


def test_bytes_it_cannot_read_give_no_text_and_no_error():
    rng = random.Random(7)
    stream = b"BT (\\101\\102) Tj <4G> Tj <414> Tj [(a) 3 (b)] TJ /F9 1 Tf (unclosed"
    odd = b"<< /Filter /FlateDecode >>\nstream\n" + zlib.compress(stream) + b"\nendstream"
    assert shown_text(odd) == ["AB", "", "A@", "ab"]
    for _ in range(200):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        shown_text(b"stream\n" + junk + b"\nendstream")
        shown_text(junk)
