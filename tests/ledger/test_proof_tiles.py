"""Inclusion proofs from the kept tile hashes (ledger/proof_tiles.py) are the proofs of the whole
tree, for every leaf and every signed size; an operator who edits a kept tile hash gets no wrong
proof: the tree over the tiles no longer has the signed root, and the tiles are hashed again."""

from __future__ import annotations

import pytest

from ledger.actors import SYSTEM
from ledger.policy import default_policy
from ledger.proof_tiles import TABLE, ProofTiles
from ledger.sealer import SealError
from ledger.storage import for_driver, is_postgres
from verify.merkle import Levels, inclusion_proof, verify_inclusion


@pytest.fixture
def sealed(ledger):  # type: ignore[no-untyped-def]
    """A ledger of 15 events, a checkpoint signed after each command (one per size)."""
    for n in range(13):
        ledger.set_policy({**default_policy(), "version": f"test/{n}"}, SYSTEM)
    return ledger


def _sizes(ledger) -> list[tuple[int, bytes]]:  # type: ignore[no-untyped-def]
    return [(c.size, c.root) for c in ledger.sealer.checkpoints()]


def test_every_proof_is_the_whole_tree_s_for_every_signed_size(sealed):
    tiles = ProofTiles(sealed.sealer, tile_bits=2)  # 4 leaves a tile: many tiles, a partial one
    sizes = _sizes(sealed)
    assert len(sizes) >= 3 and max(s for s, _ in sizes) > 8
    for size, root in sizes:
        leaves = sealed.sealer.leaf_hashes(size)
        tree = tiles.tree(size, root)
        for index in range(size):
            proof = tree.inclusion_proof(index)
            assert proof == inclusion_proof(leaves, index)
            verify_inclusion(leaves[index], index, size, proof, root)


def _set(ledger, sql: str, *args: object) -> None:  # type: ignore[no-untyped-def]
    with ledger.recorder.datastore.transaction(commit=True) as c:
        c.execute(for_driver(sql, is_postgres(ledger.recorder)), args)


def test_an_edited_tile_hash_is_caught_by_the_signed_root_and_hashed_again(sealed):
    size, root = _sizes(sealed)[-1]
    leaves = sealed.sealer.leaf_hashes(size)
    tiles = ProofTiles(sealed.sealer, tile_bits=2)
    tiles.tree(size, root)  # keeps the tiles
    _set(sealed, f"UPDATE {TABLE} SET hash = ? WHERE tile = ?", b"\x01" * 32, 1)
    tree = tiles.tree(size, root)
    assert [tree.inclusion_proof(i) for i in range(size)] == [
        inclusion_proof(leaves, i) for i in range(size)
    ]
    kept = ProofTiles(sealed.sealer, tile_bits=2)._kept(size >> 2)
    assert kept[1] != b"\x01" * 32  # hashed again from the leaves


def test_a_root_the_leaves_do_not_give_is_refused(sealed):
    size, _ = _sizes(sealed)[-1]
    with pytest.raises(SealError, match="do not give the signed root"):
        ProofTiles(sealed.sealer, tile_bits=2).tree(size, b"\x02" * 32)


def test_the_sealer_keeps_the_tiles_its_rounds_fill_before_any_proof_is_asked(sealed):
    """The tiles are hashed as the sealer seals (``Sealer.after_sealing``), not by the first
    dispute file: after a few more commands every full tile is kept, and each kept hash is the
    one the leaves give."""
    sealer = sealed.sealer
    sealer.after_sealing = ProofTiles(
        sealer, tile_bits=2
    ).keep_up  # 4 leaves a tile: a few fill some
    for n in range(6):
        sealed.set_policy({**default_policy(), "version": f"test/more/{n}"}, SYSTEM)
    size = sealer.latest().size
    kept = ProofTiles(sealer, tile_bits=2)._kept(size >> 2)
    leaves = sealer.leaf_hashes(size)
    assert sorted(kept) == list(range(size >> 2))
    for tile, hashed in kept.items():
        assert hashed == Levels(leaves[tile * 4 : tile * 4 + 4]).root()
