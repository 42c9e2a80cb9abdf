"""The head of each aggregate's hash chain as step 4 walks the log: its last version, that
event's digest and its position, packed (issue 15: a verifier holds one head per aggregate, a
province's 1,000,000 targets among them, in < 512 MiB).

A head is not a tuple of three objects per aggregate (a 32-byte ``bytes``, two ``int``s and the
tuple: ~190 bytes with the mapping's slot) but a row number in the mapping and the row's fields
in three columns — digests one ``bytearray`` of 32 bytes a row, positions an ``array`` of 8 a
row, versions a list (a version is almost always a small number, one shared object). A head is
changed in place when its aggregate's next event comes. The row numbers (aggregate key -> row,
``aggregate_ids.row_of``) may be shared with other columns kept by aggregate (the authority
replay's, ``aggregate_ids.Column``): a row numbered there holds no head until one is set here.

Pure data: no I/O, standard library only.
"""

from __future__ import annotations

from array import array
from typing import Any

DIGEST_SIZE = 32  # SHA-256
_NO_DIGEST = bytes(DIGEST_SIZE)


class ChainHeads:
    """aggregate -> (version, digest, position) of the last event of its chain, as a mapping
    that ``get``, sets by ``[]``, counts by ``len`` and empties by ``clear``."""

    __slots__ = ("_count", "_digests", "_positions", "_rows", "_versions")

    def __init__(self, rows: dict[Any, int] | None = None) -> None:
        self._rows: dict[Any, int] = {} if rows is None else rows
        self._versions: list[int | None] = []  # None: a row numbered elsewhere, no head yet
        self._positions = array("q")
        self._digests = bytearray()
        self._count = 0  # rows holding a head

    @property
    def rows(self) -> dict[Any, int]:
        """aggregate -> row, to share with other columns by aggregate."""
        return self._rows

    def get(self, aggregate: Any) -> tuple[int, bytes, int] | None:
        row = self._rows.get(aggregate)
        if row is None:
            return None
        try:
            version = self._versions[row]
        except IndexError:  # numbered by another column, no head here
            return None
        if version is None:
            return None
        at = row * DIGEST_SIZE
        return (version, bytes(self._digests[at : at + DIGEST_SIZE]), self._positions[row])

    def __setitem__(self, aggregate: Any, head: tuple[int, bytes, int]) -> None:
        version, digest, position = head
        if len(digest) != DIGEST_SIZE:
            raise ValueError(f"a chain's digest is {DIGEST_SIZE} bytes, not {len(digest)}")
        versions = self._versions
        row = self._rows.get(aggregate)
        if row is None:
            row = self._rows[aggregate] = len(self._rows)
        if row == len(versions):
            versions.append(version)
            self._positions.append(position)
            self._digests += digest
            self._count += 1
            return
        if row > len(versions):  # rows numbered by another column in between: no heads
            missing = row - len(versions)
            versions.extend([None] * missing)
            self._positions.extend([0] * missing)
            self._digests += _NO_DIGEST * missing
            versions.append(version)
            self._positions.append(position)
            self._digests += digest
            self._count += 1
            return
        if versions[row] is None:
            self._count += 1
        at = row * DIGEST_SIZE
        versions[row] = version
        self._positions[row] = position
        self._digests[at : at + DIGEST_SIZE] = digest

    def __len__(self) -> int:
        return self._count

    def __contains__(self, aggregate: object) -> bool:
        return self.get(aggregate) is not None

    def clear(self) -> None:
        """Free every head (no later step reads them); a shared numbering is left to its other
        holders."""
        self._rows = {}
        self._versions = []
        self._positions = array("q")
        self._digests = bytearray()
        self._count = 0
