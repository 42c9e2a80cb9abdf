"""Our canonical JSON against the rfc8785 package, an outside reference implementation."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.errors import FormatError
from verify.events import _parse_canonical, canonical

SAFE = 2**53 - 1
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-SAFE, max_value=SAFE)
    | st.text(),  # every code point, astral characters, controls and quotes included
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_canonical_equals_rfc8785_for_every_float_free_value(value):
    try:
        expected = bytes(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError:
        with pytest.raises((FormatError, rfc8785.CanonicalizationError, UnicodeEncodeError)):
            canonical(value)
        return
    assert canonical(value) == expected


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_reading_accepts_exactly_the_canonical_bytes(obj):
    try:
        raw = bytes(rfc8785.dumps(obj))
    except rfc8785.CanonicalizationError:
        return
    assert _parse_canonical(raw) == obj
    with pytest.raises(FormatError):
        _parse_canonical(b"{ " + raw[1:])  # the same value, one insignificant space more


def test_keys_are_ordered_by_utf16_code_units_not_code_points():
    # U+FF5E sorts after U+1F600 in UTF-16 (0xFF5E > 0xD83D) but before it by code point.
    obj = {"\U0001f600": 1, "\uff5e": 2}
    assert canonical(obj) == bytes(rfc8785.dumps(obj))
    assert canonical(obj).index("\U0001f600".encode()) < canonical(obj).index("\uff5e".encode())


def test_floats_and_unsafe_integers_are_refused():
    with pytest.raises(FormatError, match="floats"):
        canonical({"ratio": 0.5})
    with pytest.raises(FormatError, match="outside"):
        canonical({"n": 2**53})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b' {"a":1}', "canonical form"),  # leading white space: JSON, not canonical
        (b'{"a":1} ', "canonical form"),  # trailing white space
        (b'{"a":1}{"b":2}', "not JSON: Extra data"),
        (b"", "not JSON"),
        (b'{"a":"\\u00e9"}', "canonical form"),  # an escape JCS does not write
        (b'{"a":"\\ud83d\\ude00"}', "canonical form"),  # an astral character escaped
        ('{"\uff5e":2,"\U0001f600":1}'.encode(), "canonical form"),  # code-point key order
        (b'{"b":1,"a":2}', "canonical form"),
        (b'{"a":1.0}', "non-integer"),
        (b'{"a":9007199254740992}', "outside"),
        (b'{"a":"\xff"}', "not JSON"),  # not UTF-8
    ],
)
def test_reading_refuses_every_other_spelling_naming_why(raw, message):
    with pytest.raises(FormatError, match=message):
        _parse_canonical(raw)


def test_reading_accepts_astral_characters_in_their_utf16_key_order():
    obj = {"\U0001f600": "\U0001f600", "\uff5e": 2}
    assert _parse_canonical(bytes(rfc8785.dumps(obj))) == obj


@pytest.mark.parametrize(
    "astral", ["\U00010000", "\U0001f600", "\U00040000", "\U00080000", "\U000c0000", "\U0010ffff"]
)
def test_every_astral_lead_byte_sends_the_text_to_rfc8785(astral):
    """An astral character in a key, whichever lead byte (0xF0-0xF4) spells it: its keys sort
    by UTF-16 code units (a surrogate, 0xD800-0xDBFF, before U+FF5E), which the standard
    library's code-point order does not give. The text in code-point order, which the C
    encoder's comparison would accept, is refused; the RFC 8785 order is accepted."""
    obj = {astral: 1, "\uff5e": 2}
    canonical_bytes = bytes(rfc8785.dumps(obj))
    assert canonical_bytes.index(astral.encode()) < canonical_bytes.index("\uff5e".encode())
    assert _parse_canonical(canonical_bytes) == obj
    code_point_order = json.dumps(
        obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode()
    assert code_point_order != canonical_bytes
    with pytest.raises(FormatError, match="canonical form"):
        _parse_canonical(code_point_order)
