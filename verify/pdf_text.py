"""The text a PDF shows, read with the standard library alone: what the dispute check needs to
hold ``report.pdf`` to what ``report.html`` says (``dispute_report_check.py``).

It reads every stream (FlateDecode, after ASCII85Decode where the filter names it — as
reportlab writes a page's content) and in each the strings the text operators show (``Tj``,
``TJ``, ``'``, ``"``), literal ``(…)`` or hex ``<…>``, one string an item in order. A string
shown in a composite (``Type0``) font — the CID font ``STSong-Light`` of ``projections/pdf.py``,
encoded UCS-2 (``UniGB-UCS2-H``) — is decoded as UTF-16BE; any other as Latin-1. Nothing else
of PDF is understood (no positions, no other encodings): a PDF written otherwise yields little
text, which the check then says it cannot hold to the HTML.
"""

from __future__ import annotations

import base64
import re
import zlib

_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b(.*?)\bendobj", re.S)
_STREAM = re.compile(rb"<<((?:(?!<<).)*?)>>\s*stream\r?\n(.*?)\r?\n?endstream", re.S)
_NAME = re.compile(rb"/[^\s/\[\]()<>{}%]*")
_WORD = re.compile(rb"[^\s/\[\]()<>{}%]+")
_SHOW = {b"Tj", b"TJ", b"'", b'"'}
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
MAX_STREAM = 64 << 20  # a page's content inflated, at most


class _Shown(bytes):
    """A string operand (as against a name or a number)."""


def shown_text(pdf: bytes) -> list[str]:
    """Every string the PDF's text operators show, in the order of its streams."""
    wide = {
        m.group(1)
        for obj in _OBJECT.finditer(pdf)
        if b"/Type0" in obj.group(1) and (m := re.search(rb"/Name\s*/(\w+)", obj.group(1)))
    }
    out: list[str] = []
    for stream in _STREAM.finditer(pdf):
        content = _inflated(stream.group(1), stream.group(2))
        if content is not None:
            out += _strings(content, wide)
    return out


def _inflated(header: bytes, data: bytes) -> bytes | None:
    try:
        if b"/ASCII85Decode" in header:
            data = base64.a85decode(data.strip().removesuffix(b"~>"))
        if b"/FlateDecode" in header:
            inflater = zlib.decompressobj()
            data = inflater.decompress(data, MAX_STREAM)
    except (ValueError, zlib.error):
        return None
    return data if b"BT" in data else None


def _strings(content: bytes, wide: set[bytes]) -> list[str]:
    out: list[str] = []
    operands: list[bytes] = []
    font = b""
    i, end = 0, len(content)
    while i < end:
        c = content[i]
        if c in b" \t\r\n\f\x00[]":
            i += 1
        elif c == ord("%"):
            newline = content.find(b"\n", i)
            i = end if newline < 0 else newline
        elif c == ord("("):
            text, i = _literal(content, i + 1)
            operands.append(_Shown(text))
        elif content.startswith(b"<<", i) or content.startswith(b">>", i):
            i += 2
        elif c == ord("<"):
            close = content.find(b">", i)
            close = end if close < 0 else close
            digits = re.sub(rb"\s", b"", content[i + 1 : close])
            if re.fullmatch(rb"[0-9A-Fa-f]*", digits):
                operands.append(_Shown(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())))
            i = close + 1
        elif c == ord("/"):
            name = _NAME.match(content, i)
            assert name is not None
            operands.append(name.group()[1:])
            i = name.end()
        else:
            word = _WORD.match(content, i)
            if word is None:
                i += 1
                continue
            token, i = word.group(), word.end()
            if token[:1].isdigit() or token[:1] in b"+-.":
                operands.append(token)
                continue
            if token == b"Tf" and len(operands) >= 2:
                font = operands[-2]
            elif token in _SHOW:
                decode = "utf-16-be" if font in wide else "latin-1"
                pieces = [o.decode(decode, "replace") for o in operands if isinstance(o, _Shown)]
                out.append("".join(pieces))
            operands = []
    return out


def _literal(content: bytes, i: int) -> tuple[bytes, int]:
    """A literal string's bytes from just after its ``(``, and where it ends."""
    out = bytearray()
    depth, end = 1, len(content)
    while i < end:
        c = content[i]
        i += 1
        if c == ord("\\") and i < end:
            e = content[i]
            i += 1
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
            elif 0x30 <= e <= 0x37:
                digits = bytes([e])
                while len(digits) < 3 and i < end and 0x30 <= content[i] <= 0x37:
                    digits += content[i : i + 1]
                    i += 1
                out.append(int(digits, 8) & 0xFF)
            elif e in b"\r\n":  # a line continued
                if e == 13 and content[i : i + 1] == b"\n":
                    i += 1
            else:
                out.append(e)
        elif c == ord("("):
            depth += 1
            out.append(c)
        elif c == ord(")"):
            depth -= 1
            if depth == 0:
                return bytes(out), i
            out.append(c)
        else:
            out.append(c)
    return bytes(out), i
