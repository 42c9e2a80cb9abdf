"""Aggregate ids as the record pass holds them: one compact key per aggregate, and columns by
row (issue 15: a verifier holds state for each of a province's 1,000,000 aggregates in
< 512 MiB).

An aggregate id is a UUID written as text, 36 characters: a ``str`` of 88 bytes. ``packed``
gives the 16 bytes of a canonical one (lowercase hex, 8-4-4-4-12), a ``bytes`` of 56, and
any other id unchanged: a forged id that is not canonical (upper case, no hyphens, spaces)
stays text, so it never shares a key with the canonical id it resembles (a ``bytes`` never
equals a ``str``), and two canonical texts pack to two different keys (``unpacked`` gives the
text back exactly). So a packed mapping tells apart exactly the ids the text mapping did.

``rows`` (a dict) numbers each aggregate once, in order of first sight (``row_of``); a
``Column`` holds one value a row in a list (8 bytes a row instead of a mapping's entry of
~45): the chains' heads (``chain_heads.py``) and the authority replay's record owners and
target keys (``authority_log.py``) share one numbering in the record pass.

Pure data: standard library only.
"""

from __future__ import annotations

from typing import Any

AggregateKey = Any  # a packed id (16 bytes) or, when not canonical, the id as it was written


def packed(aggregate: Any) -> AggregateKey:
    """A canonical UUID text as its 16 bytes; anything else (a non-canonical or forged id, an
    id already packed) unchanged."""
    if type(aggregate) is not str or len(aggregate) != 36:
        return aggregate
    digits = aggregate.replace("-", "")
    # Four hyphens in all (36 - 32), each where the canonical form has one, and the 32 others
    # the lowercase hex of 16 bytes (``fromhex`` also reads upper case and skips spaces: the
    # bytes' own hex must give the digits back).
    if len(digits) != 32 or not (
        aggregate[8] == aggregate[13] == aggregate[18] == aggregate[23] == "-"
    ):
        return aggregate
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        return aggregate
    return raw if raw.hex() == digits else aggregate


def unpacked(key: AggregateKey) -> Any:
    """The id as the log writes it: a packed key's canonical text, anything else unchanged."""
    if type(key) is not bytes:
        return key
    h = key.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def row_of(rows: dict[AggregateKey, int], aggregate: AggregateKey) -> int:
    """The aggregate's row, numbered now if it has none yet."""
    row = rows.get(aggregate)
    if row is None:
        row = rows[aggregate] = len(rows)
    return row


_MISSING: Any = object()  # a row this column holds no value for


class Column:
    """aggregate -> value, as a mapping that ``get``s, sets by ``[]``, reads by ``[]`` (KeyError
    if none) and answers ``in``: the values in a list by the shared ``rows``' numbering."""

    __slots__ = ("_values", "rows")

    def __init__(self, rows: dict[AggregateKey, int] | None = None) -> None:
        self.rows: dict[AggregateKey, int] = {} if rows is None else rows
        self._values: list[Any] = []

    def get(self, aggregate: AggregateKey, default: Any = None) -> Any:
        try:
            row = self.rows.get(aggregate)
        except TypeError:  # an id that cannot be a key (a forged payload's list): none here
            return default
        if row is None or row >= len(self._values):
            return default
        value = self._values[row]
        return default if value is _MISSING else value

    def __getitem__(self, aggregate: AggregateKey) -> Any:
        value = self.get(aggregate, _MISSING)
        if value is _MISSING:
            raise KeyError(aggregate)
        return value

    def __contains__(self, aggregate: AggregateKey) -> bool:
        return self.get(aggregate, _MISSING) is not _MISSING

    def __setitem__(self, aggregate: AggregateKey, value: Any) -> None:
        self.put(row_of(self.rows, aggregate), value)

    def put(self, row: int, value: Any) -> None:
        """Set the value of a row already numbered in ``rows`` (``row_of``)."""
        values = self._values
        if row == len(values):  # the next row: as the record pass numbers them
            values.append(value)
            return
        if row >= len(values):
            values.extend([_MISSING] * (row + 1 - len(values)))
        values[row] = value

    def __len__(self) -> int:
        return sum(1 for v in self._values if v is not _MISSING)
