"""Rivest's consistent sampling, byte-compatible with PyPI ``consistent-sampler==1.0.10``.

Every id gets a *ticket number*, a decimal fraction in (0, 1) written as a string:

    seed_hash = hex(SHA-256(str(seed)))
    ticket(id) = "0." + reversed(decimal digits of int(hex(SHA-256(seed_hash + id))),
                                  zero-padded to at least 64 digits)

Tickets are compared as strings (for these strings that is numeric order), ties by id. Without
replacement the sample is the ids in increasing ticket order; with replacement a drawn id gets
its next-generation ticket ``next_ticket_number`` and goes back. Printed tickets are truncated
after the leading 9s to ``digits`` significant digits (``trim``).

Why it is fair and replayable: the tickets depend only on the seed and each id, not on the
other ids or their order, so anyone can recompute them, and adding or removing other ids never
changes the relative order of the rest.

``sample`` draws without replacement in one pass that hashes every id once but converts to
decimal only a small candidate set: the first three ticket digits are the three low-order
decimal digits of the hash, reversed, so ids are bucketed by them and only the buckets that can
hold the k smallest tickets are examined in full.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Sequence

from .errors import VerifyError

_PREFIX_DIGITS = 3
_PREFIX_MOD = 10**_PREFIX_DIGITS
# The value of the first three ticket digits for each residue of the hash modulo 1000.
_PREFIX_OF_RESIDUE = [int(f"{r:03d}"[::-1]) for r in range(_PREFIX_MOD)]


class SamplerError(VerifyError):
    """Input the sampler cannot use (duplicate ids, a negative count)."""


def seed_hash(seed: str) -> str:
    return hashlib.sha256(str(seed).encode("utf-8")).hexdigest()


def _uniform(hash_input: str) -> str:
    value = int(hashlib.sha256(hash_input.encode("utf-8")).hexdigest(), 16)
    return "0." + f"{value:064d}"[::-1]


def ticket_number(item: str, hashed_seed: str) -> str:
    """The first-generation ticket number of ``item`` (full precision)."""
    return _uniform(hashed_seed + str(item))


def next_ticket_number(x: str) -> str:
    """The next generation's ticket: pseudorandom in (x, 1), from x alone."""
    x0 = x + "0"
    first_non_9 = next(i for i in range(2, len(x0)) if x0[i] < "9")
    y = "0."
    counter = 0
    while y <= x0:
        counter += 1
        y = x0[:first_non_9] + _uniform(f"{x}:{counter}")[2:]
    return y


def trim(x: str, digits: int = 9) -> str:
    """Truncate a ticket to ``digits`` significant digits after its leading 9s."""
    x0 = x + "0"
    first_non_9 = next(i for i in range(2, len(x0)) if x0[i] < "9")
    return x[: first_non_9 + digits]


def sample(
    ids: Sequence[str],
    seed: str,
    count: int,
    *,
    with_replacement: bool = False,
    digits: int = 9,
) -> list[tuple[str, str, int]]:
    """The first ``count`` draws as ``(trimmed ticket, id, generation)``, in draw order.

    Equal to ``consistent_sampler.sampler(ids, seed=seed, take=count,
    with_replacement=..., digits=digits, output="tuple")``. Raises SamplerError on duplicate
    ids or a negative count.
    """
    if count < 0:
        raise SamplerError(f"抽取个数应 ≥ 0，实为 {count}")
    _check_unique(ids)
    hashed = seed_hash(seed)
    if with_replacement:
        return _with_replacement(ids, hashed, count, digits)
    tickets = sorted((ticket_number(i, hashed), i) for i in _candidates(ids, hashed, count))
    return [(trim(t, digits), i, 1) for t, i in tickets[:count]]


def _candidates(ids: Sequence[str], hashed_seed: str, count: int) -> Iterable[str]:
    """A subset of ids certain to contain the ``count`` smallest tickets.

    Buckets ids by their first three ticket digits; every id in a bucket below the bucket that
    holds the count-th smallest ticket is smaller than every id above it.
    """
    if count == 0 or not ids:
        return []
    base = hashlib.sha256(hashed_seed.encode("utf-8"))
    buckets: list[list[str]] = [[] for _ in range(_PREFIX_MOD)]
    prefix_of = _PREFIX_OF_RESIDUE
    from_bytes = int.from_bytes
    for item in ids:
        h = base.copy()
        h.update(item.encode("utf-8"))
        buckets[prefix_of[from_bytes(h.digest(), "big") % _PREFIX_MOD]].append(item)
    chosen: list[str] = []
    for bucket in buckets:
        chosen += bucket
        if len(chosen) >= count:
            break
    return chosen


def _with_replacement(
    ids: Sequence[str], hashed_seed: str, count: int, digits: int
) -> list[tuple[str, str, int]]:
    heap = [(ticket_number(i, hashed_seed), i, 1) for i in ids]
    heapq.heapify(heap)
    out: list[tuple[str, str, int]] = []
    while heap and len(out) < count:
        ticket, item, generation = heapq.heappop(heap)
        out.append((trim(ticket, digits), item, generation))
        heapq.heappush(heap, (next_ticket_number(ticket), item, generation + 1))
    return out


def _check_unique(ids: Sequence[str]) -> None:
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dupes = sorted({i for i in ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]
        raise SamplerError(f"编号重复：{dupes[:10]}")
