"""An event line's record as base64 text (``verify/bundle.py``): whether the text is the one
canonical spelling, and whether it may encode a key rotation, each told from the text alone
(the scan decodes only the records it must)."""

from __future__ import annotations

import base64

ROTATION = b'"type":"ledger.key_rotated"'


def encoded_marks(marker: bytes) -> tuple[bytes, ...]:
    """The base64 characters that ``marker`` alone determines, at each of its three possible
    alignments: base64 text holds one of them wherever its bytes hold ``marker``."""
    marks = []
    for skip in range(3):
        text = base64.b64encode(bytes(skip) + marker)
        marks.append(text[-(-8 * skip // 6) : 8 * (skip + len(marker)) // 6])
    return tuple(marks)


ROTATION_MARKS = encoded_marks(ROTATION)


def may_rotate(text: bytes) -> bool:
    """Whether base64 ``text`` may encode a key rotation (one of ``ROTATION_MARKS`` occurs in
    it). ``find``, not ``in``: ``in`` on bytes first tries its operand as an integer, raising
    and clearing a TypeError each time, which costs more than the search itself."""
    one, two, three = ROTATION_MARKS
    find = text.find
    return find(one) >= 0 or find(two) >= 0 or find(three) >= 0


_LAST_BEFORE_TWO_PADS = frozenset(b"AQgw")  # the trailing 4 bits zero
_LAST_BEFORE_ONE_PAD = frozenset(b"AEIMQUYcgkosw048")  # the trailing 2 bits zero


def canonical_base64(text: bytes) -> bool:
    """Whether ``text``, made only of the base64 alphabet with at most two '=' at its end (as
    ``_EVENT_LINE`` matches it), is canonical padded base64: a whole number of quanta and zero
    bits after the data, the one spelling ``b64decode_strict`` accepts, checked without
    decoding."""
    size = len(text)
    if size % 4:
        return False
    if not size or text[-1] != 61:  # 61: '='
        return True
    if text[-2] == 61:
        return text[-3] in _LAST_BEFORE_TWO_PADS
    return text[-2] in _LAST_BEFORE_ONE_PAD
