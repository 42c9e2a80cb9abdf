"""Where a draw's seed comes from (DESIGN.md, "The draw protocol", steps 1 and 3).

At open a draw commits to its entropy sources (``check_sources``): a public randomness beacon
round scheduled after the freeze (source, round, scheduled time) and/or a ceremony of at least
two independent parties, each committing to ``SHA-256(contribution)``. After the freeze the
reveal gives the beacon's published value and each party's contribution
(``check_reveal``: every contribution must match its commitment), and the seed is derived from
them and the service's nonce (``derive_seed_v2``). ``check_order`` is the timing rule: the
beacon round is scheduled after the freeze, and the reveal comes after the freeze, after the
round's time and no later than the draw's ``reveal_by``.

Draws opened before these sources existed carry none; their seed is ``derive_seed`` of
verify/draws.py (``drawledger/seed/v1``) over typed entropy. The ledger opens no such draw now.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .draws import DrawError, normalise_entropy

SEED_DOMAIN_V2 = "drawledger/seed/v2"
MIN_PARTIES = 2
_HEX64 = re.compile(r"[0-9a-f]{64}")
_PARTY = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def contribution_commitment(contribution: str) -> str:
    """What a ceremony party publishes before the freeze: hex SHA-256 of its contribution's
    ASCII text (``printf %s "$C" | sha256sum``)."""
    return hashlib.sha256(contribution.encode("ascii")).hexdigest()


def check_sources(sources: Any) -> list[str]:
    """The problems of a draw's ``entropy_sources`` as opened (empty if none): a beacon
    ``{source, round, scheduled_at}`` and/or a ``ceremony`` of at least two distinct parties
    each with a 64-hex-digit commitment, and a ``reveal_by`` time; at least one source."""
    if not isinstance(sources, dict):
        return ["entropy_sources: must name a beacon round and/or ceremony commitments"]
    problems = []
    beacon, ceremony = sources.get("beacon"), sources.get("ceremony") or []
    if beacon is None and not ceremony:
        problems.append(
            "entropy_sources: a draw commits to a public beacon round scheduled after the "
            f"freeze, or to a ceremony of at least {MIN_PARTIES} parties, or both"
        )
    if beacon is not None:
        if not isinstance(beacon, dict) or set(beacon) != {"source", "round", "scheduled_at"}:
            problems.append("beacon: give exactly source, round and scheduled_at")
        else:
            for name in ("source", "round"):
                if not isinstance(beacon[name], str) or not beacon[name].strip():
                    problems.append(f"beacon.{name}: must be non-empty text")
            if not _is_time(beacon["scheduled_at"]):
                problems.append("beacon.scheduled_at: must be UTC 'YYYY-MM-DDTHH:MM:SSZ'")
    if ceremony:
        parties = [p.get("party") if isinstance(p, dict) else None for p in ceremony]
        if len(ceremony) < MIN_PARTIES or len(set(parties)) != len(parties):
            problems.append(
                f"ceremony: at least {MIN_PARTIES} distinct parties (for example the division "
                "and the legal or supervision office)"
            )
        for p in ceremony:
            if not isinstance(p, dict) or set(p) != {"party", "commitment"}:
                problems.append("ceremony: each party gives exactly party and commitment")
            elif not isinstance(p["party"], str) or not _PARTY.fullmatch(p["party"]):
                problems.append(f"ceremony party {p['party']!r}: a code such as 'fzc'")
            elif not isinstance(p["commitment"], str) or not _HEX64.fullmatch(p["commitment"]):
                problems.append(
                    f"ceremony party {p['party']}: the commitment is the 64 lowercase hex "
                    "digits of SHA-256(contribution)"
                )
    if not _is_time(sources.get("reveal_by")):
        problems.append("reveal_by: must be UTC 'YYYY-MM-DDTHH:MM:SSZ'")
    return problems


def check_reveal(sources: Mapping[str, Any], beacon_value: str | None, contributions: Any) -> str:
    """The normalised beacon value; DrawError unless the reveal gives what the opening
    committed to: the value for the named round, and for each ceremony party a contribution
    (64 lowercase hex digits) whose SHA-256 is its commitment — no party left out or added."""
    beacon = sources.get("beacon")
    value = normalise_entropy(beacon_value or "")
    if beacon is None and value:
        raise DrawError("beacon_value: this draw named no beacon round")
    if beacon is not None and not value:
        raise DrawError(
            f"beacon_value: give the value published by {beacon['source']} for round "
            f"{beacon['round']} (scheduled {beacon['scheduled_at']})"
        )
    committed = {p["party"]: p["commitment"] for p in sources.get("ceremony") or []}
    if not isinstance(contributions, dict):
        raise DrawError("contributions: must map each ceremony party to its contribution")
    if set(contributions) != set(committed):
        raise DrawError(
            f"contributions: parties {sorted(contributions)} given, the draw committed to "
            f"{sorted(committed)}"
        )
    for party, contribution in sorted(contributions.items()):
        if not isinstance(contribution, str) or not _HEX64.fullmatch(contribution):
            raise DrawError(f"contribution of {party}: must be 64 lowercase hex digits")
        found = contribution_commitment(contribution)
        if found != committed[party]:
            raise DrawError(
                f"contribution of {party} hashes to {found}; {party} committed to "
                f"{committed[party]} before the freeze"
            )
    return value


def derive_seed_v2(nonce: bytes, beacon_value: str, contributions: Mapping[str, str]) -> str:
    """``hex(SHA-256(lines joined by LF))`` over ``drawledger/seed/v2``, ``hex(nonce)``, the
    normalised beacon value (empty without a beacon) and one ``party=contribution`` line per
    ceremony party in party order. No line can hold a LF (values carry no white space, party
    codes no '='), so the text is unambiguous."""
    lines = [SEED_DOMAIN_V2, nonce.hex(), beacon_value]
    lines += [f"{party}={contributions[party]}" for party in sorted(contributions)]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def check_order(
    sources: Mapping[str, Any], frozen_at: str | None, revealed_at: str | None
) -> list[str]:
    """The timing rule over UTC times ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (ISO text compares in
    time order): the beacon round is scheduled after the freeze; the reveal is after the
    freeze, not before the round's time, and not after ``reveal_by``."""
    problems = []
    beacon = sources.get("beacon")
    scheduled = beacon["scheduled_at"] if beacon else None
    if frozen_at is not None and scheduled is not None and not _before(frozen_at, scheduled):
        problems.append(
            f"the beacon round is scheduled at {scheduled}, not after the freeze at {frozen_at}"
        )
    if revealed_at is not None:
        if frozen_at is None or not _before(frozen_at, revealed_at):
            problems.append(f"the reveal at {revealed_at} does not follow the freeze")
        if scheduled is not None and _before(revealed_at, scheduled):
            problems.append(f"the reveal at {revealed_at} precedes the beacon round ({scheduled})")
        if _before(sources["reveal_by"], revealed_at):
            problems.append(
                f"the reveal at {revealed_at} is after reveal_by {sources['reveal_by']}"
            )
    return problems


def _is_time(value: Any) -> bool:
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _before(earlier: str, later: str) -> bool:
    """Strictly earlier, comparing second-precision and microsecond-precision UTC times."""
    return _instant(earlier) < _instant(later)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
