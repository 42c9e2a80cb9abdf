"""What a sealing round reads: the stored records' positions and leaf hashes, in log order."""

from __future__ import annotations

from collections.abc import Iterator


class Sequenced:
    """(notification id, leaf hash) of stored records in log order, as two lists: ``ids`` and
    ``hashes``. Iterating gives the pairs. Not a list of pairs: a sealing round holds one of
    them per record, each a tuple the garbage collector tracks, and a round of thousands set
    off a full collection (~6 µs a record, most of the round's own cost); ints and bytes in a
    list are never tracked."""

    __slots__ = ("ids", "hashes")

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.hashes: list[bytes] = []

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        return zip(self.ids, self.hashes, strict=True)

    def pop_first(self) -> tuple[int, bytes]:
        return self.ids.pop(0), self.hashes.pop(0)
