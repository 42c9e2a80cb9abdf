"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

An 18-character code over the 31-symbol alphabet ``0-9 A-H J-N P-R T U W-Y`` (no I, O, S, V, Z).
Position 18 is a check character: with values 0..30 and weights 3^(i-1) mod 31 for positions
1..17, ``check = (31 − Σ value·weight mod 31) mod 31``. Positions 9..17 carry the older GB 11714
organisation code, whose own check digit some issued codes fail: that is a warning, not an error.
"""

from __future__ import annotations

import re
import unicodedata
from operator import mul

from .errors import FormatError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_FIRST17 = re.compile(f"[{ALPHABET}]{{17}}")
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_ORG_VALUE = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


class CreditCodeError(FormatError):
    """Not a valid unified social credit code; the message says which rule failed."""


def normalise(text: str) -> str:
    """NFKC (full-width digits and letters from Chinese input methods), strip, upper-case."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def check_character(first17: str) -> str:
    if len(first17) != 17:
        raise ValueError(f"a check character is computed over 17 characters, got {first17!r}")
    total = sum(map(mul, map(_VALUE.__getitem__, first17), _WEIGHTS))  # Σ value·weight
    return ALPHABET[(31 - total % 31) % 31]


def validate(text: str) -> str:
    """Return the canonical code, or raise CreditCodeError saying what is wrong."""
    code = normalise(text)
    if len(code) != 18:
        raise CreditCodeError(f"credit code {text!r}: expected 18 characters, got {len(code)}")
    if not _FIRST17.fullmatch(code, 0, 17):  # then say which character is wrong
        position, c = next((p, c) for p, c in enumerate(code, start=1) if c not in _VALUE)
        raise CreditCodeError(
            f"credit code {code}: character {c!r} at position {position} is not in the "
            "GB 32100 alphabet (0-9 and A-Y without I, O, S, V, Z)"
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise CreditCodeError(
            f"credit code {code}: check character is {code[17]!r}, expected {expected!r}"
        )
    return code


def organisation_code_warning(code: str) -> str | None:
    """A warning if positions 9..17 fail the GB 11714 check (issued codes sometimes do)."""
    org = code[8:17]
    try:
        if len(org) != 9:
            raise KeyError(org)
        total = sum(map(mul, map(_ORG_VALUE.__getitem__, org[:8]), _ORG_WEIGHTS))
    except KeyError:
        return f"credit code {code}: positions 9-16 are not a GB 11714 organisation code"
    value = 11 - total % 11
    expected = {10: "X", 11: "0"}.get(value, str(value))
    if org[8] != expected:
        return (
            f"credit code {code}: organisation code check digit is {org[8]!r}, GB 11714 "
            f"expects {expected!r} (kept: some issued codes fail this check)"
        )
    return None
