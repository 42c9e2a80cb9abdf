"""Inclusion proofs against a signed checkpoint without hashing the whole tree: the hashes of
full tiles (aligned blocks of ``2**TILE_BITS`` leaves) kept beside the log.

A tile that is full never changes (the log is append-only), and in an RFC 6962 tree every
aligned full block is a node: so the tree of ``size`` leaves is the tree over its tiles' hashes
(the last, partial tile hashed from its leaves), and a leaf's inclusion proof is its path inside
its tile followed by its tile's path in the tree of tiles (``verify.merkle.Levels`` for both).
Writing a dispute file then reads one tile of leaf hashes per proof and the kept tile hashes,
instead of every leaf hash of the log; and a checked read of the sealed prefix compares each
page's records, a tile at a time, with the kept tile hashes instead of hashing the whole prefix
first (``vouching.py``).

The ``seal_tiles`` table is a cache, not part of the log, kept up by the sealer after each round
(``keep_up``); tiles still missing from it (a row deleted, a failed round) are hashed from
the sealed leaves and kept. Before any proof is given, the tree over the kept tiles must have the
signed checkpoint's root, and each tile read must hash to its kept hash: a row an operator edited
(or one from another log) fails that, the table is emptied and every tile hashed again from the
leaves; if the root still differs, ``SealError`` (the leaves themselves are not the signed ones).
"""

from __future__ import annotations

import logging
from typing import Any

from verify.merkle import Levels

from .sealer import LEAVES_TABLE, Sealer, SealError
from .storage import for_driver, is_postgres, schema_transaction

TABLE = "seal_tiles"
TILE_BITS = 8  # 256 leaves a tile: a proof reads 256 leaf hashes and hashes 255 nodes
log = logging.getLogger(__name__)


class ProofTiles:
    """The kept tile hashes of one sealer's tree."""

    def __init__(self, sealer: Sealer, tile_bits: int = TILE_BITS) -> None:
        self.sealer = sealer
        self.bits = tile_bits
        self._kept_below = 0  # every full tile below this one is kept (keep_up)
        self.recorder: Any = sealer.recorder  # the SQLite or PostgreSQL recorder: its datastore
        self._pg = is_postgres(self.recorder)
        blob = "BYTEA" if self._pg else "BLOB"
        with schema_transaction(self.recorder) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (tile_bits INTEGER NOT NULL, "
                f"tile BIGINT NOT NULL, hash {blob} NOT NULL, PRIMARY KEY (tile_bits, tile))"
            )

    def keep_up(self, size: int) -> int:
        """Hash and keep every full tile of the first ``size`` leaves not kept yet (the sealer
        calls it after each round: a dispute file's first proofs then hash nothing, and a
        service that starts on a ledger sealed before tiles were kept hashes them all in its
        first round). Returns how many it hashed."""
        full = size >> self.bits
        if full <= self._kept_below:
            return 0
        statement = f"SELECT tile FROM {TABLE} WHERE tile_bits = ? AND tile >= ? AND tile < ?"
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(for_driver(statement, self._pg), (self.bits, self._kept_below, full))
            kept = {int(r["tile"]) for r in c.fetchall()}
        missing = [t for t in range(self._kept_below, full) if t not in kept]
        if missing:
            self._hash_tiles(missing)
        self._kept_below = full
        return len(missing)

    def tree(self, size: int, root: bytes) -> TiledTree:
        """The tree of the first ``size`` leaves, whose root the signed checkpoint of that size
        names (``root``); SealError if the sealed leaves do not give it."""
        top = self._top(size, root)
        if top is None:
            log.warning(
                "保存的证明瓦片得不出已签名的根：重新计算 (proof tiles do not give the root)"
            )
            self._forget()
            top = self._top(size, root, kept=False)  # (also where they could not be forgotten)
            if top is None:
                raise SealError(f"the sealed leaves do not give the signed root of size {size}")
        return TiledTree(self, size, top)

    def leaves(self, lo: int, hi: int) -> list[bytes]:
        """The sealed leaf hashes ``lo`` to ``hi - 1``."""
        statement = (
            f"SELECT leaf_hash FROM {LEAVES_TABLE} WHERE leaf_index >= ? AND leaf_index < ? "
            "ORDER BY leaf_index"
        )
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(for_driver(statement, self._pg), (lo, hi))
            # A row at a time: fetchall made every row object at once, thousands at the end of
            # a sealing round, enough to set off a full collection of the process's heap.
            found = [bytes(r["leaf_hash"]) for r in (c if self._pg else c.sqlite_cursor)]
        if len(found) != hi - lo:
            raise SealError(f"expected sealed leaves {lo} to {hi - 1}, found {len(found)}")
        return found

    def first_leaf_from(self, position: int) -> tuple[int, int] | None:
        """(leaf index, position) of the first event sealed at or after ledger ``position``, or
        None if none is sealed there yet."""
        statement = (
            f"SELECT leaf_index, notification_id FROM {LEAVES_TABLE} "
            "WHERE notification_id >= ? ORDER BY notification_id LIMIT 1"
        )
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(for_driver(statement, self._pg), (position,))
            row = c.fetchone()
        return None if row is None else (int(row["leaf_index"]), int(row["notification_id"]))

    def _top(self, size: int, root: bytes, *, kept: bool = True) -> Levels | None:
        """The tree over the tiles of ``size`` leaves (the missing full ones hashed and kept;
        without ``kept``, every one hashed from the leaves), or None if its root is not
        ``root``."""
        full = size >> self.bits
        kept_tiles = self._kept(full) if kept else {}
        missing = [t for t in range(full) if t not in kept_tiles]
        if missing:
            kept_tiles.update(self._hash_tiles(missing))
        units = [kept_tiles[t] for t in range(full)]
        if size > full << self.bits:
            units.append(Levels(self.leaves(full << self.bits, size)).root())
        top = Levels(units)
        return top if top.root() == root else None

    def _kept(self, full: int) -> dict[int, bytes]:
        statement = f"SELECT tile, hash FROM {TABLE} WHERE tile_bits = ? AND tile < ?"
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(for_driver(statement, self._pg), (self.bits, full))
            return {int(r["tile"]): bytes(r["hash"]) for r in c.fetchall()}

    def _hash_tiles(self, tiles: list[int]) -> dict[int, bytes]:
        """Hash the full ``tiles`` from their leaves and keep them (runs of tiles read at once)."""
        width = 1 << self.bits
        hashed: dict[int, bytes] = {}
        run: list[int] = []
        for tile in [*tiles, -1]:
            if run and (tile != run[-1] + 1 or len(run) >= 256):
                leaves = self.leaves(run[0] * width, (run[-1] + 1) * width)
                for n, t in enumerate(run):
                    hashed[t] = Levels(leaves[n * width : (n + 1) * width]).root()
                run = []
            if tile >= 0:
                run.append(tile)
        statement = (
            f"INSERT INTO {TABLE} (tile_bits, tile, hash) VALUES (?, ?, ?) "
            "ON CONFLICT (tile_bits, tile) DO NOTHING"
        )
        try:
            with self.recorder.datastore.transaction(commit=True) as c:
                for t, h in hashed.items():
                    c.execute(for_driver(statement, self._pg), (self.bits, t, h))
        except Exception as e:  # a cache: a failure costs hashing them again next time
            log.warning("证明瓦片未能保存，下次重新计算：%s (proof tiles not kept)", e)
        return hashed

    def _forget(self) -> None:
        """Drop the kept tiles (a cache: a store that refuses, gone read-only or a user allowed
        to read only, leaves them, and ``tree`` hashes every tile again in memory)."""
        try:
            with self.recorder.datastore.transaction(commit=True) as c:
                c.execute(
                    for_driver(f"DELETE FROM {TABLE} WHERE tile_bits = ?", self._pg), (self.bits,)
                )
        except Exception as e:
            log.warning("证明瓦片未能清除，本次在内存中重新计算：%s (proof tiles not dropped)", e)


class TiledTree:
    """Inclusion proofs in the tree of ``size`` leaves, as ``verify.merkle.Levels`` gives them."""

    def __init__(self, tiles: ProofTiles, size: int, top: Levels) -> None:
        self.tiles, self.size, self._top = tiles, size, top
        self._inner: dict[int, Levels] = {}  # each tile read and checked once per tree

    def tile_hash(self, tile: int) -> bytes:
        """The hash of tile ``tile`` (the root of its leaves, the last one's possibly fewer than
        a full tile's) that the signed root was checked with."""
        return self._top.leaf(tile)

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The RFC 9162 inclusion path of leaf ``index``; SealError if its tile's leaves do not
        hash to the tile's hash the signed root was checked with."""
        bits = self.tiles.bits
        tile = index >> bits
        lo = tile << bits
        inner = self._inner.get(tile)
        if inner is None:
            inner = Levels(self.tiles.leaves(lo, min(lo + (1 << bits), self.size)))
            if inner.root() != self._top.leaf(tile):
                raise SealError(
                    f"the sealed leaves of tile {tile} do not hash to the signed tree's"
                )
            self._inner[tile] = inner
        return inner.inclusion_proof(index - lo) + self._top.inclusion_proof(tile)
