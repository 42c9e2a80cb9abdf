"""The draw protocol's pure functions (DESIGN.md, "The draw protocol"), shared by the ledger and
the verifier so that both compute exactly the same bytes.

1. open: the ledger commits to a secret nonce with ``nonce_commitment``;
2. freeze: the eligible population is summarised by ``population_digest``;
3. reveal: public entropy is normalised (``normalise_entropy``) and the seed derived from it and
   the revealed nonce (``derive_seed``);
4. select: ``select_targets`` per stratum with seed ``<seed>/targets``;
5. assign: ``inspector_order`` with seed ``<seed>/inspectors/<target id>``, walked by
   ``assign_team`` which skips the ineligible and logs why; a joint inspection's partner walks
   its own roster in ``partner_inspector_order`` (seed
   ``<seed>/partner-inspectors/<division>/<target id>``);
6. substitute: ``next_inspector`` continues the same order; nothing is ever re-drawn.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .eligibility import reason as recorded_reason
from .errors import VerifyError
from .sampler import sample

SEED_DOMAIN = "drawledger/seed/v1"


class DrawError(VerifyError):
    """A draw that cannot be made as asked (too few eligible, bad entropy)."""


def nonce_commitment(nonce: bytes) -> str:
    """What the ledger records when a draw opens: hex SHA-256 of the secret nonce."""
    return hashlib.sha256(nonce).hexdigest()


def normalise_entropy(text: str) -> str:
    """NFKC (full-width digits become ASCII) with all white space removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def check_entropy(normalised: str, min_digits: int) -> None:
    digits = sum(c.isdigit() for c in normalised)
    if digits < min_digits:
        raise DrawError(
            f"public entropy has {digits} digits; at least {min_digits} are needed "
            "(for example dice rolled before witnesses)"
        )


def derive_seed(normalised_entropy: str, nonce: bytes) -> str:
    """``hex(SHA-256("drawledger/seed/v1" ‖ LF ‖ entropy ‖ LF ‖ hex(nonce)))``: neither the
    operator (who chose the nonce before the entropy existed) nor the witnesses (who did not
    know the nonce) control it alone."""
    text = f"{SEED_DOMAIN}\n{normalised_entropy}\n{nonce.hex()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_LINES_AT_ONCE = 4096  # lines hashed a batch at a time, not joined into one text first


def _lines_digest(lines: Iterable[str]) -> str:
    """SHA-256 of the lines' UTF-8 text, hashed in batches: the digest of their concatenation,
    without holding it (a province's population, ~350,000 lines, would be ~100 MiB of text,
    pieces and bytes at once beside the registry; issue 15)."""
    digest = hashlib.sha256()
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= _LINES_AT_ONCE:
            digest.update("".join(batch).encode("utf-8"))
            batch.clear()
    digest.update("".join(batch).encode("utf-8"))
    return digest.hexdigest()


def _unique(ordered: list[Any]) -> Iterator[Any]:
    """The sorted ``ordered`` without repeats (``sorted(set(...))`` without the set)."""
    previous: Any = _NOTHING
    for value in ordered:
        if value != previous:
            yield value
            previous = value


_NOTHING = object()


def population_digest(ids: Iterable[str]) -> str:
    """SHA-256 of the sorted unique ids, one per line: ``LC_ALL=C sort -u ids.txt | sha256sum``."""
    return _lines_digest(f"{i}\n" for i in _unique(sorted(ids)))


def roster_digest(codes: Iterable[str]) -> str:
    """SHA-256 of a roster's sorted unique inspector codes, one per line (as
    ``population_digest`` over ids): what a freeze commits to for each roster a team walk may
    walk over, so that a roster shown without the registry (a dispute file's) is provable."""
    return population_digest(codes)


def population_table_digest(rows: Iterable[tuple[str, str, int]]) -> str:
    """SHA-256 of the population as the selection reads it: one line ``id TAB stratum TAB
    weight LF`` per eligible target, sorted by id (weight 1 in an unweighted draw). The freeze
    records it beside ``population_digest`` (which covers the ids only), so a record that
    altered a target's stratum or weight no longer matches what the draw committed to."""
    return _lines_digest(f"{i}\t{s}\t{w}\n" for i, s, w in sorted(rows))


@dataclass(frozen=True)
class Selection:
    stratum: str
    target: str
    ticket: str


@dataclass
class StratumResult:
    stratum: str
    population: int
    count: int
    selected: list[Selection] = field(default_factory=list)

    @property
    def threshold(self) -> str | None:
        """The ticket of the last target taken: a target was selected iff its (best) ticket
        is at most this."""
        return self.selected[-1].ticket if self.selected else None


def select_targets(
    strata: Mapping[str, Sequence[str]],
    counts: Mapping[str, int],
    seed: str,
    *,
    weights: Mapping[str, int] | None = None,
    digits: int = 18,
) -> list[StratumResult]:
    """Per stratum, the ``counts[stratum]`` targets with the smallest tickets (seed
    ``<seed>/targets``). With weights, target t has virtual ids ``t#1 … t#w`` and the first
    ``k`` distinct targets are taken. Raises DrawError if a stratum has fewer than asked."""
    results = []
    target_seed = f"{seed}/targets"
    for stratum in sorted(strata):
        ids = list(strata[stratum])
        k = counts.get(stratum, 0)
        if k > len(ids):
            raise DrawError(f"stratum {stratum!r}: {k} targets asked, only {len(ids)} eligible")
        result = StratumResult(stratum, len(ids), k)
        if weights is None:
            for ticket, item, _ in sample(ids, target_seed, k, digits=digits):
                result.selected.append(Selection(stratum, item, ticket))
        else:
            virtual = [f"{t}#{n}" for t in ids for n in range(1, _weight(weights, t) + 1)]
            taken: set[str] = set()
            # Draw more virtual ids until k distinct targets are found.
            want = k
            while len(taken) < k:
                draws = sample(virtual, target_seed, min(want, len(virtual)), digits=digits)
                for ticket, item, _ in draws:
                    target = item.rsplit("#", 1)[0]
                    if target not in taken:
                        taken.add(target)
                        result.selected.append(Selection(stratum, target, ticket))
                        if len(taken) == k:
                            break
                want *= 2
        results.append(result)
    return results


def _weight(weights: Mapping[str, int], target: str) -> int:
    w = weights.get(target, 1)
    if not isinstance(w, int) or w < 1:
        raise DrawError(f"weight of {target!r} must be a whole number ≥ 1, got {w!r}")
    return w


def inspector_order(roster: Sequence[str], seed: str, target: str) -> list[str]:
    """The whole roster in ticket order for one target (seed ``<seed>/inspectors/<target>``)."""
    return [item for _, item, _ in sample(roster, f"{seed}/inspectors/{target}", len(roster))]


def partner_inspector_order(
    roster: Sequence[str], seed: str, division: str, target: str
) -> list[str]:
    """A joint partner's roster in ticket order for one target (seed
    ``<seed>/partner-inspectors/<division>/<target>``): separate from the lead's order and from
    every other partner's, so no division's walk depends on another's."""
    seed = f"{seed}/partner-inspectors/{division}/{target}"
    return [item for _, item, _ in sample(roster, seed, len(roster))]


@dataclass(frozen=True)
class Skip:
    inspector: str
    reason: str


@dataclass
class Team:
    target: str
    members: list[str] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    walked: int = 0  # how far along the order the walk went


def assign_team(
    order: Sequence[str],
    target: str,
    size: int,
    why_ineligible: Callable[[str], str | None],
) -> Team:
    """Walk the order, skipping (and logging) every inspector for whom ``why_ineligible``
    gives a reason, until ``size`` are taken. Raises DrawError naming every skip if the
    roster runs out: a team is never smaller than asked."""
    team = Team(target)
    for inspector in order:
        if len(team.members) == size:
            break
        team.walked += 1
        reason = why_ineligible(inspector)
        if reason is None:
            team.members.append(inspector)
        else:
            team.skips.append(Skip(inspector, reason))
    if len(team.members) < size:
        skipped = "; ".join(f"{s.inspector}: {s.reason}" for s in team.skips) or "none"
        raise DrawError(
            f"target {target}: only {len(team.members)} eligible inspectors for a team of "
            f"{size} (skipped: {skipped})"
        )
    return team


def next_inspector(
    order: Sequence[str], team: Team, why_ineligible: Callable[[str], str | None]
) -> tuple[str, list[Skip]]:
    """The substitute: the next eligible inspector after where the walk stopped."""
    skips: list[Skip] = []
    for inspector in order[team.walked :]:
        team.walked += 1
        reason = why_ineligible(inspector)
        if reason is None and inspector not in team.members:
            return inspector, skips
        skips.append(Skip(inspector, reason or recorded_reason("on_the_team")))
    raise DrawError(f"target {team.target}: no eligible inspector is left for a substitution")
