"""Steps 3 and 4 in one pass over the bundle's records, a chunk at a time, holding no record
longer than its chunk: memory independent of the bundle's size.

As each chunk goes by its records are decoded, then their signatures checked in a loop of
their own (in ``--jobs`` processes, a bounded number of chunks in flight); then, record by
record, its aggregate's chain is extended (step 4 keeps one (version, digest, position) per
aggregate), its leaf hash appended to a compact Merkle tree (RFC 6962 compact range: O(log n)
hashes) whose root is kept at every size a checkpoint names (steps 5 and 8) and whose subtrees
of the consistency proof step 6 needs are kept as they complete, and what later steps need of
it is folded in: the keys that signed (as runs of positions), the witness events, the
authority replay. Nothing of a record is kept beyond that.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from hashlib import sha256 as _sha256
from typing import Any, NamedTuple

from .aggregate_ids import packed
from .authority_facts import KEY_INTRODUCTIONS, Facts, facts
from .authority_replay import AuthorityReplay
from .chain_heads import ChainHeads
from .errors import VerifyError
from .events import SignedEvent, check_signature, decode_parts, unknown_key
from .key_trust import KEY_REVOCATIONS, KeyHistory
from .keys import VerifierKey, parse_verifier_key
from .merkle import CompactTree, node_hash
from .report import Failure, Step
from .witnesses import WITNESS_EVENTS

CHUNK_RECORDS = 4096  # records handed to a worker at once
CHUNK_BYTES = 4 << 20  # ... or fewer, when they are large
REPLAYED = ("draw.", "inspection.", "publication.")  # what steps 9-11 read
_SIGNED_APART = frozenset((*KEY_INTRODUCTIONS, *KEY_REVOCATIONS, *WITNESS_EVENTS))  # see _signed


class Decoded(NamedTuple):
    """What step 3 learns of one event, small enough to send between processes."""

    type: str
    aggregate: str
    version: int
    prev: str | None
    digest: bytes
    key_id: bytes
    facts: Facts  # what the authority replay and the key check need
    error: str | None = None
    decoded: bool = True


_NO_FACTS: Facts = (None, None, None, None, None, None, None)


def check_records(
    records: Sequence[bytes], keys: dict[bytes, VerifierKey] | list[str]
) -> list[Decoded]:
    """Step 3 on a chunk of records: each record's form and digest first, then every
    signature in one loop. Apart, each loop keeps its own working set in the caches: Ed25519's
    tables and OpenSSL's state on one side, the JSON parse and re-encoding on the other
    (interleaved record by record they evict each other's, which cost ~25 µs an event on
    this machine, as much as the verifier's own work; docs/PERFORMANCE.md, session 10)."""
    if isinstance(keys, list):  # in a worker process: keys arrive as text
        keys = {k.key_id: k for k in map(parse_verifier_key, keys)}
    out: list[Decoded] = []
    append = out.append
    new = tuple.__new__  # Decoded(...) without the named tuple's Python-level __new__
    signed: list[tuple[int, bytes, bytes, bytes]] = []  # (index in out, key id, digest, sig)
    sign = signed.append
    for record in records:
        try:
            env, _, digest, key_id, signature = decode_parts(record)
        except VerifyError as e:
            append(Decoded("", "", 0, None, b"", b"", _NO_FACTS, str(e), decoded=False))
            continue
        sign((len(out), key_id, digest, signature))
        append(
            new(
                Decoded,
                (
                    env["type"],
                    env["aggregate"],
                    env["version"],
                    env["prev"],
                    digest,
                    key_id,
                    facts(env),
                    None,  # error: set below if the signature does not verify
                    True,  # decoded
                ),
            )
        )
    get = keys.get
    for n, key_id, digest, signature in signed:
        key = get(key_id)
        if key is None or not key.verify(digest, signature):
            try:  # the failure's message, as the ledger words it
                check_signature(SignedEvent({}, b"", digest, key_id, signature), keys)
            except VerifyError as e:  # still decoded: the chain check can walk through it
                out[n] = out[n]._replace(error=str(e))
    return out


def chunks(records: Iterable[bytes]) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    size = 0
    for record in records:
        chunk.append(record)
        size += len(record)
        if len(chunk) >= CHUNK_RECORDS or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def checked_chunks(
    records: Iterable[bytes], keys: dict[bytes, VerifierKey], jobs: int
) -> Iterator[tuple[list[bytes], list[Decoded]]]:
    """Each chunk of records with what step 3 found, in order; with ``jobs`` > 1 the checks
    run in that many processes, at most twice as many chunks in flight."""
    if jobs <= 1:
        for chunk in chunks(records):
            yield chunk, check_records(chunk, keys)
        return
    key_texts = [str(k) for k in keys.values()]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        flight: deque[tuple[list[bytes], Future[list[Decoded]]]] = deque()
        for chunk in chunks(records):
            flight.append((chunk, pool.submit(check_records, chunk, key_texts)))
            if len(flight) >= 2 * jobs:
                done, future = flight.popleft()
                yield done, future.result()
        while flight:
            done, future = flight.popleft()
            yield done, future.result()


class Ranges:
    """The roots of given disjoint leaf ranges [lo, hi), taken from the log's own compact tree
    as its leaves go by (no second tree): each range of a consistency proof starts at a
    multiple of a power of two larger than it, so just before its last leaf is appended the
    tree's frontier ends with that range's subtrees (the binary decomposition of its length
    less one), and folding them with the last leaf gives its root."""

    def __init__(self, ranges: Sequence[tuple[int, int]]) -> None:
        self.ranges = list(ranges)
        for lo, hi in self.ranges:
            if not 0 <= lo < hi or lo % (1 << (hi - 1 - lo).bit_length()):
                raise ValueError(f"leaf range [{lo}, {hi}) is not aligned as a proof's")
        self._last = {hi - 1: (lo, hi) for lo, hi in self.ranges}
        self.ends = frozenset(self._last)  # the indices ``add`` needs to see
        self.roots: dict[tuple[int, int], bytes] = {}

    def add(self, index: int, leaf: bytes, tree: CompactTree) -> None:
        """Called with each leaf before it is appended to ``tree`` (of ``index`` leaves)."""
        wanted = self._last.get(index)
        if wanted is None:
            return
        lo, hi = wanted
        subtrees = (hi - 1 - lo).bit_count()
        root = leaf
        for node in reversed(tree.frontier[len(tree.frontier) - subtrees :]):
            root = node_hash(node, root)
        self.roots[wanted] = root

    def proof(self) -> list[bytes]:
        return [self.roots[r] for r in self.ranges]


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose roots make the RFC 9162 consistency proof from ``old_size`` to
    ``new_size`` (0 < old_size <= new_size), in the proof's order (``merkle.consistency_proof``
    computes the same from the leaves)."""
    ranges: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, new_size, old_size, True
    while m != hi - lo:
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


class RecordPass:
    """Steps 3 and 4, and what steps 2 and 5-12 need, in one pass (see the module docstring)."""

    def __init__(self, sizes: Iterable[int], proof: tuple[int, int] | None) -> None:
        self.records = Step(3, "事件记录：格式、摘要、签名")
        self.chains = Step(4, "每条记录（聚合）的哈希链")
        self.count = 0
        self.first_decoded = False
        self.bad: set[int] = set()
        self.undecoded: set[int] = set()  # positions whose record is not a record (step 3)
        self.failed_keys: dict[int, bytes] = {}  # a decoded record that failed -> its key id
        self.last = ChainHeads()  # aggregate -> (version, digest, at), packed
        self.tree = CompactTree()
        self.sizes = set(sizes)
        self.roots: dict[int, bytes] = {0: self.tree.root()} if 0 in self.sizes else {}
        self.proof_sizes = proof
        self.proof = Ranges(consistency_ranges(*proof) if proof else [])
        self.signers: list[tuple[Any, ...]] = []  # runs (first, last, key) and key events
        self.witness_events: list[tuple[int, str, Any, Any]] = []
        self.authority = AuthorityReplay(self.last.rows)  # one numbering of aggregates
        self.history = KeyHistory()  # set by step 3 once the pass is done
        self.replayed = False  # whether steps 9-11 have anything to read

    def add(self, record: bytes, d: Decoded) -> None:
        i = self.count
        self.count += 1
        leaf = _sha256(b"\x00" + record).digest()  # merkle.leaf_hash, inline
        if i in self.proof.ends:
            self.proof.add(i, leaf, self.tree)
        self.tree.append(leaf)
        if self.count in self.sizes:  # the tree's size: one leaf per record
            self.roots[self.count] = self.tree.root()
        if d.error is not None:
            self.records.fail(i, d.error)
            self.bad.add(i)
            if d.decoded:
                self.failed_keys[i] = d.key_id
        if not d.decoded:
            self.undecoded.add(i)
            return
        if i == 0:
            self.first_decoded = True
        # One key for the id, packed (16 bytes), for the chain and the authority replay (not
        # interned: an id is unique, and the table would keep an entry for each).
        aggregate = packed(d.aggregate)
        kind, version = d.type, d.version
        seen = self.last.get(aggregate)
        if seen is None:
            extends = version == 1
        else:
            extends = version == seen[0] + 1 and d.prev == seen[1].hex()
        if extends:  # the chain goes on as it should: what _chain does then, without its call
            self.last[aggregate] = (version, d.digest, i)
        else:
            self._chain(i, d, aggregate)
        if not self.replayed and kind.startswith(REPLAYED):
            self.replayed = True
        self.authority.add(i, kind, aggregate, d.facts)
        if d.error is not None:
            return
        signers = self.signers
        if signers and kind not in _SIGNED_APART:
            run = signers[-1]  # a run of one key's verified events: extend it (as _signed does)
            if len(run) == 3 and run[1] == i - 1 and run[2] == d.key_id:
                signers[-1] = (run[0], i, run[2])
                return
        self._signed(i, d)

    def _signed(self, i: int, d: Decoded) -> None:
        """Keep what key_trust.walk reads of a verified event: runs of positions signed by one
        key, and the events that introduce or revoke keys whole."""
        if d.type in KEY_INTRODUCTIONS or d.type in KEY_REVOCATIONS:
            self.signers.append((i, d.type, d.key_id, d.facts[3]))
        elif self.signers and len(self.signers[-1]) == 3 and self.signers[-1][1] == i - 1:
            first, _, key = self.signers[-1]
            if key == d.key_id:
                self.signers[-1] = (first, i, key)
            else:
                self.signers.append((i, i, d.key_id))
        else:
            self.signers.append((i, i, d.key_id))
        if d.type in WITNESS_EVENTS:
            self.witness_events.append((i, d.type, *d.facts[3]))

    def restrict(self, keys: dict[bytes, VerifierKey]) -> None:
        """Make step 3's outcome what a pass checking signatures with ``keys`` alone gives —
        ``keys`` being a subset of the pass's (the same key under each id): an event signed
        by any other key fails as signed by an unknown key, whether or not its signature
        verified under the key the pass had; it then signs nothing for key_trust.walk or the
        witness check (``_signed`` is what a verified event adds)."""
        failures = self.records.failures
        for n, failure in enumerate(failures):
            kid = self.failed_keys.get(failure.position) if failure.position is not None else None
            if kid is not None and kid not in keys:
                failures[n] = Failure(failure.position, unknown_key(kid, keys))
        if all(item[2] in keys for item in self.signers):  # a run's key, or a key event's
            return
        dropped: set[int] = set()
        kept: list[tuple[Any, ...]] = []
        for item in self.signers:
            kid = item[2]
            if kid in keys:
                kept.append(item)
                continue
            positions = range(item[0], item[1] + 1) if len(item) == 3 else (item[0],)
            for position in positions:
                self.records.fail(position, unknown_key(kid, keys))
                self.bad.add(position)
                self.failed_keys[position] = kid
                dropped.add(position)
        self.signers = kept
        self.witness_events = [w for w in self.witness_events if w[0] not in dropped]

    def signed(self) -> Iterator[tuple[int, str, bytes, Any]]:
        """Every verified event as key_trust.walk reads it, afresh each call."""
        for item in self.signers:
            if len(item) == 4:
                yield item
                continue
            first, last, key = item
            for position in range(first, last + 1):
                yield position, "", key, None

    def _chain(self, i: int, d: Decoded, aggregate: Any) -> None:
        seen = self.last.get(aggregate)
        expected_version = seen[0] + 1 if seen else 1
        if d.version != expected_version:
            where = f"（位置 {seen[2]} 之后）" if seen else "（作为其第一个事件）"
            self.chains.fail(
                i,
                f"记录 {d.aggregate}：应为版本 {expected_version}{where}，实为 {d.version}",
            )
        if seen and d.version == seen[0] + 1 and d.prev != seen[1].hex():
            self.chains.fail(
                i,
                f"记录 {d.aggregate} 版本 {d.version}：prev 为 {d.prev}，应为 "
                f"{seen[1].hex()}（位置 {seen[2]} 处版本 {seen[0]} 的摘要）",
            )
        if not seen or d.version > seen[0]:
            self.last[aggregate] = (d.version, d.digest, i)
