"""verify.merkle against RFC 6962 vectors and the transparency-dev/merkle proof probes."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest

from verify.errors import ProofError
from verify.merkle import (
    EMPTY_ROOT,
    CompactTree,
    Levels,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)


def _hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


@pytest.fixture(scope="module")
def rfc6962(vectors_dir: Path) -> dict[str, Any]:
    return json.loads((vectors_dir / "merkle_rfc6962.json").read_text())


@pytest.fixture(scope="module")
def leaves(rfc6962: dict[str, Any]) -> list[bytes]:
    return [leaf_hash(d) for d in _hexes(rfc6962["leaves_hex"])]


# --- RFC 6962 vectors ------------------------------------------------------------------------


def test_hash_primitives() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"L", b"R") == hashlib.sha256(b"\x01LR").digest()


def test_roots_for_sizes_0_to_8(rfc6962: dict[str, Any], leaves: list[bytes]) -> None:
    want = _hexes(rfc6962["roots_hex_by_size"])
    assert len(want) == 9
    for size, root in enumerate(want):
        assert root_from_leaf_hashes(leaves[:size]) == root, f"size {size}"


def test_rfc6962_inclusion(rfc6962_inclusion: dict[str, Any], leaves: list[bytes]) -> None:
    v = rfc6962_inclusion
    index, size, path, root = (
        v["index"],
        v["size"],
        _hexes(v["path_hex"]),
        bytes.fromhex(v["root_hex"]),
    )
    assert inclusion_proof(leaves[:size], index) == path
    assert Levels(leaves[:size]).inclusion_proof(index) == path
    verify_inclusion(leaves[index], index, size, path, root)


def test_rfc6962_consistency(rfc6962_consistency: dict[str, Any], leaves: list[bytes]) -> None:
    v = rfc6962_consistency
    old, new, proof = v["old_size"], v["new_size"], _hexes(v["proof_hex"])
    old_root, new_root = bytes.fromhex(v["old_root_hex"]), bytes.fromhex(v["new_root_hex"])
    assert root_from_leaf_hashes(leaves[:old]) == old_root
    assert root_from_leaf_hashes(leaves[:new]) == new_root
    assert consistency_proof(leaves[:new], old) == proof
    verify_consistency(old, new, old_root, new_root, proof)


# --- transparency-dev/merkle probes ----------------------------------------------------------


def test_inclusion_probe(inclusion_probe: dict[str, Any]) -> None:
    p = inclusion_probe
    args = (
        _b64(p["leafHash"]),
        p["leafIdx"],
        p["treeSize"],
        [_b64(h) for h in p["proof"] or []],
        _b64(p["root"]),
    )
    if p["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


def test_consistency_probe(consistency_probe: dict[str, Any]) -> None:
    p = consistency_probe
    args = (
        p["size1"],
        p["size2"],
        _b64(p["root1"]),
        _b64(p["root2"]),
        [_b64(h) for h in p["proof"] or []],
    )
    if p["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


# --- argument checking -----------------------------------------------------------------------


@pytest.mark.parametrize("index", [-1, 3, 4])
def test_inclusion_proof_index_out_of_range(leaves: list[bytes], index: int) -> None:
    with pytest.raises(ProofError, match="index"):
        inclusion_proof(leaves[:3], index)


@pytest.mark.parametrize("old_size", [-1, 0, 4])
def test_consistency_proof_old_size_out_of_range(leaves: list[bytes], old_size: int) -> None:
    with pytest.raises(ProofError, match="old_size"):
        consistency_proof(leaves[:3], old_size)


def test_errors_name_the_failed_check(leaves: list[bytes]) -> None:
    proof = inclusion_proof(leaves, 5)
    root = root_from_leaf_hashes(leaves)
    with pytest.raises(ProofError, match="expected a proof of 3 hashes"):
        verify_inclusion(leaves[5], 5, 8, proof[:2], root)
    with pytest.raises(ProofError, match="expected root"):
        verify_inclusion(leaves[4], 5, 8, proof, root)
    with pytest.raises(ProofError, match="index < size"):
        verify_inclusion(leaves[5], 8, 8, proof, root)
    cproof = consistency_proof(leaves, 3)
    old_root = root_from_leaf_hashes(leaves[:3])
    with pytest.raises(ProofError, match="expected old root"):
        verify_consistency(3, 8, root, root, cproof)
    with pytest.raises(ProofError, match="expected new root"):
        verify_consistency(3, 8, old_root, old_root, cproof)


# --- CompactTree -----------------------------------------------------------------------------


def test_compact_tree_matches_full_tree_and_resumes() -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(300)]
    tree = CompactTree()
    assert tree.root() == EMPTY_ROOT
    for size in range(1, 301):
        tree.append(hashes[size - 1])
        assert tree.size == size
        assert tree.root() == root_from_leaf_hashes(hashes[:size]), f"size {size}"
        resumed = CompactTree(tree.size, tree.frontier)
        assert resumed == tree
        if size < 300:
            resumed.append(hashes[size])
            assert resumed.root() == root_from_leaf_hashes(hashes[: size + 1])


def test_compact_tree_frontier_is_a_copy() -> None:
    tree = CompactTree()
    tree.append(leaf_hash(b"a"))
    tree.frontier.clear()
    assert tree.size == 1 and len(tree.frontier) == 1


@pytest.mark.parametrize(("size", "count"), [(0, 1), (1, 0), (3, 1), (5, 3), (-1, 0)])
def test_compact_tree_rejects_bad_frontier(size: int, count: int) -> None:
    with pytest.raises(ProofError):
        CompactTree(size, [EMPTY_ROOT] * count)


def test_compact_tree_rejects_short_hashes() -> None:
    with pytest.raises(ProofError):
        CompactTree(1, [b"short"])
    with pytest.raises(ProofError):
        CompactTree().append(b"short")


# --- random cross-check ----------------------------------------------------------------------


def _flip_each_bit_position(proof: list[bytes], rng: random.Random) -> list[list[bytes]]:
    """For each element, one copy of the proof with one random bit of that element flipped."""
    out = []
    for i, h in enumerate(proof):
        bit = rng.randrange(len(h) * 8)
        changed = bytearray(h)
        changed[bit // 8] ^= 1 << (bit % 8)
        out.append([*proof[:i], bytes(changed), *proof[i + 1 :]])
    return out


def test_random_proofs_verify_and_detect_bit_flips() -> None:
    rng = random.Random(20240601)
    hashes = [leaf_hash(rng.randbytes(rng.randrange(0, 40))) for _ in range(200)]
    roots = [root_from_leaf_hashes(hashes[:n]) for n in range(201)]
    sizes = sorted({1, 2, 3, 4, 7, 8, 9, 16, 17, 31, 32, 33, 200, *rng.sample(range(1, 201), 25)})
    for size in sizes:
        tree = hashes[:size]
        for index in sorted({0, size - 1, *rng.sample(range(size), min(size, 8))}):
            proof = inclusion_proof(tree, index)
            verify_inclusion(tree[index], index, size, proof, roots[size])
            for bad in _flip_each_bit_position(proof, rng):
                with pytest.raises(ProofError):
                    verify_inclusion(tree[index], index, size, bad, roots[size])
        for old in sorted({1, size, *rng.sample(range(1, size + 1), min(size, 8))}):
            proof = consistency_proof(tree, old)
            verify_consistency(old, size, roots[old], roots[size], proof)
            for bad in _flip_each_bit_position(proof, rng):
                with pytest.raises(ProofError):
                    verify_consistency(old, size, roots[old], roots[size], bad)
            if old < size:
                with pytest.raises(ProofError):
                    verify_consistency(old, size, roots[old], roots[size - 1], proof)


def test_every_proof_up_to_size_40() -> None:
    """Exhaustive for small trees: all indexes and all old sizes."""
    hashes = [leaf_hash(bytes([i])) for i in range(40)]
    roots = [root_from_leaf_hashes(hashes[:n]) for n in range(41)]
    for size in range(1, 41):
        for index in range(size):
            proof = inclusion_proof(hashes[:size], index)
            verify_inclusion(hashes[index], index, size, proof, roots[size])
        for old in range(1, size + 1):
            proof = consistency_proof(hashes[:size], old)
            verify_consistency(old, size, roots[old], roots[size], proof)


def test_levels_give_every_proof_and_root_the_recursive_definition_gives() -> None:
    """``Levels`` (every level hashed once) against ``inclusion_proof`` (the RFC's recursion,
    itself checked against the RFC 6962 vectors above), every index of every size to 70."""
    hashes = [leaf_hash(bytes([n])) for n in range(70)]
    for size in range(71):
        levels = Levels(hashes[:size])
        assert levels.root() == root_from_leaf_hashes(hashes[:size]), size
        for index in range(size):
            assert levels.inclusion_proof(index) == inclusion_proof(hashes[:size], index)
        with pytest.raises(ProofError):
            levels.inclusion_proof(size)
