"""RFC 6962 / RFC 9162 Merkle tree over SHA-256: roots, proofs and their verification.

    leaf hash  = SHA-256(0x00 ‖ leaf data)
    node hash  = SHA-256(0x01 ‖ left ‖ right)
    empty tree = SHA-256("")

For n > 1 leaves, MTH(D[n]) = node_hash(MTH(D[0:k]), MTH(D[k:n])) where k is the largest
power of two smaller than n (RFC 9162 section 2.1.1). Proof generation follows RFC 9162
2.1.3.1 / 2.1.4.1 and verification follows 2.1.3.2 / 2.1.4.2. Every generated proof costs at
most O(n) hashing: each leaf is hashed into at most one sibling subtree.

Failure modes: every verification failure and every out-of-range argument raises
`ProofError` saying which check failed and what was expected and found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from .errors import ProofError

HASH_LEN = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Return SHA-256(0x00 ‖ data), the hash of one log entry."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 ‖ left ‖ right), the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH of hashes[lo:hi] (hi > lo), computed bottom-up without recursion.

    Pairing neighbours level by level and carrying an odd last node up unchanged gives the
    same tree as the RFC's left-balanced split, because the split point k is a power of two.
    """
    level = list(hashes[lo:hi])
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Return MTH of the given leaf hashes; the empty tree's root is EMPTY_ROOT."""
    return _subtree_root(hashes, 0, len(hashes)) if hashes else EMPTY_ROOT


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Return the RFC 9162 inclusion path of leaf `index` in the tree of all `hashes`.

    Raises ProofError unless 0 <= index < len(hashes).
    """
    n = len(hashes)
    if not 0 <= index < n:
        raise ProofError(f"inclusion proof: expected 0 <= index < size {n}, found index {index}")
    # Walk down from the root; each step records the sibling subtree the path skips.
    # The RFC lists the path bottom-up, hence the final reverse.
    path: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(_subtree_root(hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(_subtree_root(hashes, lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


class Levels:
    """Every level of the tree of ``hashes``, hashed once: then each inclusion proof costs
    O(log n) lookups instead of ``inclusion_proof``'s O(n) hashing — for writing many proofs
    against one tree (a dispute file, a page of the trail). Holds about 2n hashes.

    Level by level, neighbours are paired and an odd last node is carried up unchanged (the same
    tree as the RFC's left-balanced split, see ``_subtree_root``); so a node's sibling is its
    neighbour in its level, and a carried node has none there.
    """

    def __init__(self, hashes: Sequence[bytes]) -> None:
        self.size = len(hashes)
        self._levels = [list(hashes)]
        level = self._levels[0]
        while len(level) > 1:
            paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                paired.append(level[-1])
            self._levels.append(paired)
            level = paired

    def root(self) -> bytes:
        return self._levels[-1][0] if self.size else EMPTY_ROOT

    def leaf(self, index: int) -> bytes:
        """The hash given as leaf ``index``."""
        return self._levels[0][index]

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The RFC 9162 inclusion path of leaf ``index``, as ``inclusion_proof`` gives it."""
        if not 0 <= index < self.size:
            raise ProofError(
                f"inclusion proof: expected 0 <= index < size {self.size}, found index {index}"
            )
        path: list[bytes] = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index //= 2
        return path


def consistency_proof(hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Return the RFC 9162 consistency proof from size `old_size` to len(hashes).

    Raises ProofError unless 0 < old_size <= len(hashes): a proof from the empty tree is
    meaningless (RFC 9162 requires 0 < m). old_size == len(hashes) gives an empty proof.
    """
    n = len(hashes)
    if not 0 < old_size <= n:
        raise ProofError(
            f"consistency proof: expected 0 < old_size <= size {n}, found old_size {old_size}"
        )
    # SUBPROOF(m, D[lo:hi], b) unrolled; `complete` is the RFC's flag b, true while the
    # old tree is still the left edge of the current subtree.
    proof: list[bytes] = []
    lo, hi, m, complete = 0, n, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(_subtree_root(hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_subtree_root(hashes, lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(_subtree_root(hashes, lo, hi))
    proof.reverse()
    return proof


def _path_length(fn: int, sn: int) -> int:
    """Number of path elements the RFC 9162 verification loop consumes from (fn, sn)."""
    count = 0
    while sn:
        if fn & 1 or fn == sn:
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        fn, sn = fn >> 1, sn >> 1
        count += 1
    return count


def _check_elements(proof: Sequence[bytes], what: str) -> None:
    for i, p in enumerate(proof):
        if len(p) != HASH_LEN:
            raise ProofError(f"{what}: expected {HASH_LEN}-byte hashes, element {i} has {len(p)}")


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf hash `leaf` is at `index` in the tree of `size` leaves with `root`.

    RFC 9162 2.1.3.2. Returns None on success; raises ProofError if index >= size, the leaf
    or a proof element is not 32 bytes, the proof has the wrong length, or the computed root
    differs from `root`.
    """
    if not 0 <= index < size:
        raise ProofError(f"inclusion: expected 0 <= index < size {size}, found index {index}")
    if len(leaf) != HASH_LEN:
        raise ProofError(f"inclusion: expected a {HASH_LEN}-byte leaf hash, found {len(leaf)}")
    want = _path_length(index, size - 1)
    if len(proof) != want:
        raise ProofError(
            f"inclusion: expected a proof of {want} hashes for index {index} in size {size}, "
            f"found {len(proof)}"
        )
    _check_elements(proof, "inclusion")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if r != root:
        raise ProofError(
            f"inclusion: expected root {root.hex()}, computed {r.hex()} "
            f"(index {index}, size {size})"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (old_size, old_root) is a prefix of (new_size, new_root).

    RFC 9162 2.1.4.2. Equal sizes need an empty proof and equal roots. Raises ProofError if
    old_size > new_size, old_size is 0 (a proof from the empty tree is meaningless: RFC 9162
    requires 0 < first, and the transparency-dev probes reject it even with an empty proof),
    the proof has the wrong length or element size, or either computed root differs.
    """
    if not 0 <= old_size <= new_size:
        raise ProofError(
            f"consistency: expected 0 <= old_size <= new_size, found {old_size} > {new_size}"
        )
    if old_size == new_size and old_size != 0:
        if proof:
            raise ProofError(
                f"consistency: expected an empty proof for equal sizes, found {len(proof)} hashes"
            )
        if old_root != new_root:
            raise ProofError(
                f"consistency: equal sizes {old_size} need equal roots, found old "
                f"{old_root.hex()} and new {new_root.hex()}"
            )
        return
    if old_size == 0:
        raise ProofError("consistency: expected old_size > 0, found 0 (proof from the empty tree)")

    fn, sn = old_size - 1, new_size - 1
    # Step 4: skip the levels where the old tree's last node is a right child; the proof
    # then starts at the root of the old tree's largest right-edge perfect subtree.
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # Step 2: if old_size is a power of two that subtree is the whole old tree, whose root
    # the verifier already holds, so the proof omits it.
    old_is_pow2 = old_size & (old_size - 1) == 0
    want = _path_length(fn, sn) + (0 if old_is_pow2 else 1)
    if len(proof) != want:
        raise ProofError(
            f"consistency: expected a proof of {want} hashes from size {old_size} to "
            f"{new_size}, found {len(proof)}"
        )
    _check_elements(proof, "consistency")
    path = [old_root, *proof] if old_is_pow2 else list(proof)
    fr = sr = path[0]
    for c in path[1:]:
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if fr != old_root:
        raise ProofError(
            f"consistency: expected old root {old_root.hex()}, computed {fr.hex()} "
            f"(size {old_size} to {new_size})"
        )
    if sr != new_root:
        raise ProofError(
            f"consistency: expected new root {new_root.hex()}, computed {sr.hex()} "
            f"(size {old_size} to {new_size})"
        )


class CompactTree:
    """An append-only Merkle tree that keeps only its right-edge perfect subtree roots.

    The frontier holds one root per set bit of `size`, largest subtree first (left to
    right), so appending costs O(log n) hashes and the state is (size, frontier);
    `CompactTree(t.size, t.frontier)` resumes it. Raises ProofError if the frontier does not
    have popcount(size) hashes of 32 bytes.
    """

    def __init__(self, size: int = 0, frontier: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise ProofError(f"compact tree: expected size >= 0, found {size}")
        if len(frontier) != size.bit_count():
            raise ProofError(
                f"compact tree: expected {size.bit_count()} frontier hashes for size {size}, "
                f"found {len(frontier)}"
            )
        _check_elements(frontier, "compact tree frontier")
        self._size = size
        self._frontier = [bytes(h) for h in frontier]

    @property
    def size(self) -> int:
        return self._size

    @property
    def frontier(self) -> list[bytes]:
        """A copy of the right-edge subtree roots, left (largest) to right (smallest)."""
        return list(self._frontier)

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash. Each trailing 1 bit of size is a full subtree to merge with."""
        if len(leaf_hash) != HASH_LEN:
            raise ProofError(
                f"compact tree: expected a {HASH_LEN}-byte leaf hash, found {len(leaf_hash)}"
            )
        node, bits, frontier = leaf_hash, self._size, self._frontier
        while bits & 1:
            node = hashlib.sha256(b"\x01" + frontier.pop() + node).digest()  # node_hash
            bits >>= 1
        frontier.append(node)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """``append`` each of ``leaf_hashes`` in order (a sealing round's batch, in one loop)."""
        frontier, size, sha256 = self._frontier, self._size, hashlib.sha256
        try:
            for leaf in leaf_hashes:
                if len(leaf) != HASH_LEN:
                    raise ProofError(
                        f"compact tree: expected a {HASH_LEN}-byte leaf hash, found {len(leaf)}"
                    )
                node, bits = leaf, size
                while bits & 1:
                    node = sha256(b"\x01" + frontier.pop() + node).digest()  # node_hash
                    bits >>= 1
                frontier.append(node)
                size += 1
        finally:
            self._size = size

    def root(self) -> bytes:
        """Return MTH of all leaves appended so far (EMPTY_ROOT when empty)."""
        if not self._frontier:
            return EMPTY_ROOT
        r = self._frontier[-1]
        for h in reversed(self._frontier[:-1]):
            r = node_hash(h, r)
        return r

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactTree):
            return NotImplemented
        return self._size == other._size and self._frontier == other._frontier

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __repr__(self) -> str:
        return f"CompactTree(size={self._size}, root={self.root().hex()})"
