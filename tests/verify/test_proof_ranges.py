"""The consistency proof step 6 checks is built from the log's own compact tree as the record
pass goes by (``record_pass.Ranges``): it must be the proof ``merkle.consistency_proof``
computes from all the leaves, for every pair of sizes."""

from __future__ import annotations

import hashlib

import pytest

from verify.merkle import CompactTree, consistency_proof, leaf_hash, verify_consistency
from verify.record_pass import Ranges, consistency_ranges


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(hashlib.sha256(i.to_bytes(4, "big")).digest()) for i in range(n)]


def test_the_proof_from_the_passing_tree_is_the_proof_from_all_leaves() -> None:
    leaves = _leaves(70)
    for new in range(1, 71):
        for old in range(1, new + 1):
            ranges, tree = Ranges(consistency_ranges(old, new)), CompactTree()
            for i, leaf in enumerate(leaves[:new]):
                ranges.add(i, leaf, tree)
                tree.append(leaf)
            proof = ranges.proof()
            assert proof == consistency_proof(leaves[:new], old), (old, new)
            before = CompactTree()
            for leaf in leaves[:old]:
                before.append(leaf)
            verify_consistency(old, new, before.root(), tree.root(), proof)


def test_a_range_not_aligned_as_a_proofs_is_refused() -> None:
    with pytest.raises(ValueError, match="not aligned"):
        Ranges([(1, 3)])
