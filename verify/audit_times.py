"""The rule audit of the events' own times (``verify/rule_audit.py``): an event's ``time`` is the
ledger server's clock when it was signed, and every deadline judged by time (a publication's
day, an ``as_of`` given as a date) takes it at its word. Whoever controls that clock — an
operator who sets it back a week to publish a late result "on time" — writes times the
signature cannot contradict. Two things can:

- ``event_time_order``: the log's order. An event timed more than ``CLOCK_SLACK_SECONDS``
  before the one it follows was signed after it, so one of the two times is wrong: the clock
  stepped back there (the ledger warns when it happens, ``ledger/clock.py``; this finds it
  afterwards, in any bundle).
- ``witnessed_time``: the witnesses' clocks. A witness's cosignature (c2sp.org/tlog-cosignature)
  carries the time the witness saw a checkpoint of some size. An event in that checkpoint cannot
  have been signed after that time (more than ``CLOCK_SLACK_SECONDS`` later); and an event *not*
  yet in it was recorded after the checkpoint was signed, which the witness saw at most the
  sealing's and the witness's rounds later — so an event timed more than ``WITNESS_LAG_SECONDS``
  before a witness saw a checkpoint without it was recorded at least that long after its own
  time: backdated (the clock set back for it), or sealing stood still that long.

Only cosignatures that count are used — by a key the log added as a witness and in force at the
checkpoint's size, verifying over its text (``witnesses.WitnessBook``, step 12's rule) — so the
ledger's operator cannot make up a witness's time; an attacker can only leave cosignatures out
of an export, which ``--witness … --min-cosignatures`` (step 12) and the witness's own record of
what it cosigned expose. A move of the clock by less than ``WITNESS_LAG_SECONDS`` between
two witness rounds stays within what these rules can see.

The events and the checkpoints are matched by leaf index (the bundle's positions; a dispute
file gives each record's): an event at index ``i`` is in a checkpoint of size ``s`` iff
``i < s``. Both rules hold for any events given in log order, the whole log or a dispute file's
few (an event timed before one given earlier was signed after it, wherever the two are): fewer
events can only find less. Memory is one span per checkpoint interval, never per event.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

from .audit_log import EventRef, RuleAudit
from .errors import VerifyError
from .note import Note, parse_checkpoint, parse_note, verify_note
from .witnesses import WITNESS_EVENTS, WitnessBook, timestamp_of
from .workdays import CHINA

ORDER_RULE = "event_time_order"
WITNESSED_RULE = "witnessed_time"
CLOCK_SLACK_SECONDS = 2  # clocks of workers differ by milliseconds; a stepped clock by more
WITNESS_LAG_SECONDS = 600  # sealing (≤ 1 s) and a witness's round (minutes), with room


def seconds(time: str) -> float:
    """An envelope's ``time`` (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``) as POSIX seconds."""
    return datetime.strptime(time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def china_text(moment: float) -> str:
    """A POSIX time as the findings say it: China time, to the second."""
    return datetime.fromtimestamp(moment, CHINA).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class _Span:
    """The earliest- and the latest-timed events between two checkpoints' sizes."""

    first: tuple[str, EventRef]
    last: tuple[str, EventRef]


@dataclass(frozen=True)
class _Seen:
    """A counted cosignature: which witness saw the checkpoint of ``size``, and when."""

    size: int
    at: int
    witness: str


class EventTimes:
    """Both rules, fed every event in log order (``see``) and judged at the end (``finish``)
    against the cosignatures of ``checkpoints`` (note texts; none: the order rule only)."""

    def __init__(
        self,
        checkpoints: Sequence[str] = (),
        leaves: Mapping[int, int] | None = None,
        *,
        counted: bool = False,
    ) -> None:
        """Each event's leaf index: its position (a bundle's positions are leaf indexes);
        ``leaves[position]`` (a dispute file's records); or, ``counted``, how many events were
        seen before it — the whole log fed from its first event, whose positions may have gaps
        (PostgreSQL's ids)."""
        notes = []
        for text in checkpoints:
            try:
                note = parse_note(text)
                notes.append((parse_checkpoint(note.text).size, note))
            except VerifyError:  # step 5 says what is wrong with it
                continue
        notes.sort(key=lambda n: n[0])
        self.notes = notes
        self.sizes = [size for size, _ in notes]
        self.spans: dict[int, _Span] = {}  # by how many checkpoints lack the event
        self.book = WitnessBook()
        self.previous: tuple[str, EventRef] | None = None
        self.leaves = leaves
        self.counted = counted
        self.seen = 0

    def see(self, ref: EventRef, envelope: dict[str, Any], audit: RuleAudit) -> None:
        leaf = self.seen if self.counted else ref.position
        if self.leaves is not None:
            leaf = self.leaves[ref.position]
        self.seen += 1
        time = envelope["time"]
        if not isinstance(time, str):
            return
        before = self.previous
        self.previous = (time, ref)
        if before is not None:
            audit.checked[ORDER_RULE] += 1
            if time < before[0] and seconds(before[0]) - seconds(time) > CLOCK_SLACK_SECONDS:
                _stepped_back(audit, (time, ref), before)
        if ref.type in WITNESS_EVENTS:  # a malformed one is step 12's failure
            self.book.apply(leaf, ref.type, envelope["payload"].get("key"), time)
        if self.sizes:
            lacking = bisect_right(self.sizes, leaf)
            span = self.spans.get(lacking)
            if span is None:
                self.spans[lacking] = _Span((time, ref), (time, ref))
            elif time < span.first[0]:
                span.first = (time, ref)
            elif time > span.last[0]:
                span.last = (time, ref)

    def finish(self, audit: RuleAudit) -> None:
        counted = sorted(self._counted(), key=lambda c: c.size)
        if not counted:
            return
        sizes = [c.size for c in counted]
        # latest[j]: the last-timed of the cosignatures up to the j-th (by size); earliest[j]:
        # the first-timed of those from the j-th on
        latest: list[_Seen] = list(accumulate(counted, _later))
        earliest: list[_Seen] = list(accumulate(reversed(counted), _sooner))[::-1]
        # one finding a witness's sight at most: the event that contradicts it the most
        late: dict[_Seen, tuple[str, EventRef]] = {}
        early: dict[_Seen, tuple[str, EventRef]] = {}
        for lacking, span in sorted(self.spans.items()):
            audit.checked[WITNESSED_RULE] += 1
            # the span's events are in every checkpoint from the next size on, in none before
            holding = (
                bisect_left(sizes, self.sizes[lacking]) if lacking < len(self.sizes) else len(sizes)
            )
            after = earliest[holding] if holding < len(sizes) else None
            lower = latest[holding - 1] if holding else None
            if after and seconds(span.last[0]) > after.at + CLOCK_SLACK_SECONDS:
                late[after] = max(late.get(after, span.last), span.last, key=_time)
            if lower and seconds(span.first[0]) < lower.at - WITNESS_LAG_SECONDS:
                early[lower] = min(early.get(lower, span.first), span.first, key=_time)
        for seen, (time, ref) in late.items():
            _against_witness(audit, time, ref, seen, kind="timed_after_witnessed")
        for seen, (time, ref) in early.items():
            _against_witness(audit, time, ref, seen, kind="timed_before_witnessed")

    def _counted(self) -> list[_Seen]:
        """The cosignatures that count (step 12's rule, over the log's own witnesses)."""
        seen = []
        for size, note in self.notes:
            for signature in note.signatures:
                slot = (signature.name, signature.key_id)
                term = self.book.terms.get(slot)
                if term is None:
                    continue  # the log's own signature, or no witness of this log
                at = timestamp_of(signature)
                if self.book.why_not(slot, size, at) is not None:
                    continue
                try:
                    verify_note(Note(note.text, (signature,)), [term.key])
                except VerifyError:  # forged: step 12's failure
                    continue
                seen.append(_Seen(size, at, f"{term.key.name}+{term.key.key_id.hex()}"))
        return seen


def _time(event: tuple[str, EventRef]) -> str:
    return event[0]


def _later(one: _Seen, other: _Seen) -> _Seen:
    return other if other.at > one.at else one


def _sooner(one: _Seen, other: _Seen) -> _Seen:
    return other if other.at < one.at else one


def _stepped_back(
    audit: RuleAudit, event: tuple[str, EventRef], before: tuple[str, EventRef]
) -> None:
    (time, ref), (earlier, previous) = event, before
    audit.find(
        ORDER_RULE,
        f"an event is timed {time}, before the event it follows ({earlier}): the clock stepped "
        "back",
        ref,
        previous,
        kind="clock_stepped_back",
        time=china_text(seconds(time)),
        before_time=china_text(seconds(earlier)),
    )


def _against_witness(audit: RuleAudit, time: str, ref: EventRef, seen: _Seen, *, kind: str) -> None:
    """An event timed after a witness saw it in a checkpoint (``timed_after_witnessed``), or
    long before a witness saw a checkpoint without it (``timed_before_witnessed``)."""
    lag = seen.at - seconds(time)
    holds = "holds" if kind == "timed_after_witnessed" else "does not hold"
    audit.find(
        WITNESSED_RULE,
        f"an event is timed {time}, {abs(lag):.0f} s "
        f"{'after' if lag < 0 else 'before'} witness {seen.witness} cosigned (at {seen.at}) the "
        f"checkpoint of size {seen.size}, which {holds} it",
        ref,
        kind=kind,
        time=china_text(seconds(time)),
        witness=seen.witness,
        witnessed=china_text(seen.at),
        size=seen.size,
        lag=_duration(abs(lag)),
    )


def _duration(lag: float) -> str:
    """A lag as the findings say it, in Chinese."""
    minutes = int(lag // 60)
    if minutes < 120:
        return f"{minutes} 分钟"
    hours = minutes // 60
    return f"{hours} 小时" if hours < 48 else f"{hours // 24} 天"
