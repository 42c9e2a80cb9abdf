"""The head of each aggregate's hash chain as step 4 walks the log: its last version, that
event's digest and its position, packed (issue 15: a verifier holds one head per aggregate, a
province's 1,000,000 targets among them, in < 512 MiB).

A head is not a tuple of three objects per aggregate (a 32-byte ``bytes``, two ``int``s and the
tuple: ~190 bytes with the mapping's slot) but a row number in the mapping and the row's fields
in three columns — digests one ``bytearray`` of 32 bytes a row, positions an ``array`` of 8 a
row, versions a list (a version is almost always a small number, one shared object). A head is
changed in place when its aggregate's next event comes.

Pure data: no I/O, standard library only.
"""

from __future__ import annotations

from array import array

DIGEST_SIZE = 32  # SHA-256


class ChainHeads:
    """aggregate -> (version, digest, position) of the last event of its chain, as a mapping
    that ``get``, sets by ``[]``, counts by ``len`` and empties by ``clear``."""

    __slots__ = ("_digests", "_positions", "_rows", "_versions")

    def __init__(self) -> None:
        self._rows: dict[str, int] = {}
        self._versions: list[int] = []
        self._positions = array("q")
        self._digests = bytearray()

    def get(self, aggregate: str) -> tuple[int, bytes, int] | None:
        row = self._rows.get(aggregate)
        if row is None:
            return None
        at = row * DIGEST_SIZE
        return (
            self._versions[row],
            bytes(self._digests[at : at + DIGEST_SIZE]),
            self._positions[row],
        )

    def __setitem__(self, aggregate: str, head: tuple[int, bytes, int]) -> None:
        version, digest, position = head
        if len(digest) != DIGEST_SIZE:
            raise ValueError(f"a chain's digest is {DIGEST_SIZE} bytes, not {len(digest)}")
        row = self._rows.get(aggregate)
        if row is None:
            self._rows[aggregate] = len(self._versions)
            self._versions.append(version)
            self._positions.append(position)
            self._digests += digest
            return
        at = row * DIGEST_SIZE
        self._versions[row] = version
        self._positions[row] = position
        self._digests[at : at + DIGEST_SIZE] = digest

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, aggregate: object) -> bool:
        return aggregate in self._rows

    def clear(self) -> None:
        """Free every head (no later step reads them)."""
        self._rows = {}
        self._versions = []
        self._positions = array("q")
        self._digests = bytearray()
