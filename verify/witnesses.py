"""Witnesses: who is one at each position of the log, and which cosignatures count (step 12).

A witness is an independent auditor's cosignature/v1 key (c2sp.org/tlog-cosignature) that the
ledger records with ``witness.added`` and ends with ``witness.removed`` (payload ``key``: its
verifier key; docs/FORMAT.md, "Witnesses"). A removed key is never a witness again.

A cosignature by witness W on a checkpoint of tree size S *counts* iff

1. W was in force at S: its ``witness.added`` is among the first S events, and no
   ``witness.removed`` of W is;
2. if W was ever removed, the cosignature's timestamp is before the time of that removal event
   (a removed witness's later cosignature, even on an older checkpoint, does not count);
3. it verifies over the checkpoint's text.

With ``--witness KEY … --min-cosignatures N`` the verifier requires every event of the bundle
to be covered by a checkpoint carrying at least N counted cosignatures by the given keys: in
effect, the latest checkpoint must be so cosigned (an export taken before the witnesses cosigned
its last checkpoint fails, naming the events not yet witnessed). Whatever is asked, a cosignature
line by a key the log names as a witness (or given with ``--witness``) that does not verify is a
failure: it was forged or altered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import VerifyError
from .keys import ALG_COSIGNATURE_V1, VerifierKey, parse_verifier_key
from .note import Checkpoint, Note, Signature, parse_note, verify_note
from .report import Report, Step

WITNESS_ADDED = "witness.added"
WITNESS_REMOVED = "witness.removed"
WITNESS_EVENTS = (WITNESS_ADDED, WITNESS_REMOVED)

Slot = tuple[str, bytes]  # (key name, key id): how a signature line names its key


@dataclass
class Term:
    """One witness's term in the log: the positions (leaf indexes) of its addition and of its
    removal, and the POSIX time of the removal."""

    key: VerifierKey
    added: int
    removed: int | None = None
    removed_at: int | None = None


def cosignature_key(text: Any) -> VerifierKey:
    """A witness's verifier key: a cosignature/v1 (0x04) key; VerifyError otherwise."""
    key = parse_verifier_key(text)
    if key.alg != ALG_COSIGNATURE_V1:
        raise VerifyError(
            f"{key.name}+{key.key_id.hex()} is a type {key.alg:#04x} key, a witness needs a "
            "cosignature/v1 (0x04) key"
        )
    return key


def posix_time(envelope_time: str) -> int:
    """An envelope's ``time`` (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``) in whole POSIX seconds."""
    moment = datetime.strptime(envelope_time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return int(moment.timestamp())


class WitnessBook:
    """The witnesses' terms, folded from ``witness.*`` events in log order."""

    def __init__(self) -> None:
        self.terms: dict[Slot, Term] = {}

    def apply(self, position: int, kind: str, key_text: Any, time: Any) -> str | None:
        """Fold one event; return why it is malformed (a failure at its position), or None."""
        try:
            key = cosignature_key(key_text)
        except (VerifyError, TypeError, AttributeError) as e:
            return f"{kind} names {key_text!r}, not a witness key: {e}"
        slot = (key.name, key.key_id)
        term = self.terms.get(slot)
        if kind == WITNESS_ADDED:
            if term is not None:
                return (
                    f"{kind}: {key.name}+{key.key_id.hex()} was added before, at leaf {term.added}"
                )
            self.terms[slot] = Term(key, position)
            return None
        if term is None or term.removed is not None:
            return f"{kind}: {key.name}+{key.key_id.hex()} is not a witness at this position"
        term.removed = position
        try:
            term.removed_at = posix_time(str(time))
        except ValueError:
            return f"{kind}: its time {time!r} is not a UTC time"
        return None

    def in_force(self, slot: Slot, size: int) -> bool:
        """Whether the key was a witness in the tree of ``size`` events."""
        term = self.terms.get(slot)
        return (
            term is not None
            and term.added < size
            and (term.removed is None or term.removed >= size)
        )

    def why_not(self, slot: Slot, size: int, timestamp: int) -> str | None:
        """Why a cosignature at POSIX ``timestamp`` on the checkpoint of ``size`` does not
        count (it is assumed to verify), or None if it counts."""
        term = self.terms.get(slot)
        if term is None:
            return "the ledger never added it as a witness (no witness.added)"
        if term.added >= size:
            return f"added at leaf {term.added}, after this checkpoint's tree"
        if term.removed is not None and term.removed < size:
            return f"removed at leaf {term.removed}, within this checkpoint's tree"
        if term.removed_at is not None and timestamp >= term.removed_at:
            return (
                f"cosigned at {timestamp}, not before its removal at leaf {term.removed} "
                f"(time {term.removed_at})"
            )
        return None


def timestamp_of(signature: Signature) -> int:
    return int.from_bytes(signature.signature[:8], "big")


def step_witnesses(
    report: Report,
    witness_events: Iterable[tuple[int, str, Any, Any]],
    checkpoints: Sequence[tuple[int, Checkpoint, str]],
    events: int,
    given: Sequence[str],
    minimum: int,
) -> None:
    """(12): fold the ``(position, type, key, time)`` of the ``witness.*`` events whose
    signature verified, then judge the cosignatures of the checkpoints that passed step 5
    (number, checkpoint, note text)."""
    step = Step(12, "witness cosignatures")
    report.steps.append(step)
    book = WitnessBook()
    for position, kind, key_text, time in witness_events:
        problem = book.apply(position, kind, key_text, time)
        if problem is not None:
            step.fail(position, problem)
    wanted: dict[Slot, VerifierKey] = {}
    for text in given:
        try:
            key = cosignature_key(text)
        except VerifyError as e:
            step.fail(None, f"--witness {text!r}: {e}")
            continue
        wanted[(key.name, key.key_id)] = key
    known = {slot: term.key for slot, term in book.terms.items()} | wanted
    counted: dict[int, set[Slot]] = {}  # checkpoint number -> the given keys that count on it
    why: dict[Slot, str] = {}  # the given keys' reasons, on the latest checkpoint they signed
    lines = 0
    for n, checkpoint, text in checkpoints:
        counted[n] = set()
        for signature in _cosignatures(text, known):
            lines += 1
            slot = (signature.name, signature.key_id)
            label = f"checkpoint #{n} (size {checkpoint.size}): cosignature by {signature.name}"
            try:
                verify_note(Note(_text_of(text), (signature,)), [known[slot]])
            except VerifyError as e:
                step.fail(None, f"{label} does not verify, it was forged or altered: {e}")
                continue
            if slot not in wanted:
                continue
            reason = book.why_not(slot, checkpoint.size, timestamp_of(signature))
            if reason is None:
                counted[n].add(slot)
            else:
                why[slot] = f"its cosignature on checkpoint #{n} does not count: {reason}"
    _require(step, checkpoints, counted, why, wanted, events, minimum)
    latest = checkpoints[-1] if checkpoints else None
    signed = ", ".join(sorted(s[0] for s in counted.get(latest[0], ()))) if latest else ""
    step.detail = (
        f"{lines} cosignature(s) by known witnesses checked; "
        f"{len(book.terms)} witness(es) in the log; required {minimum} of {len(wanted)} given"
        + (f"; the latest checkpoint counts {signed}" if signed else "")
    )


def _require(
    step: Step,
    checkpoints: Sequence[tuple[int, Checkpoint, str]],
    counted: dict[int, set[Slot]],
    why: dict[Slot, str],
    wanted: dict[Slot, VerifierKey],
    events: int,
    minimum: int,
) -> None:
    if minimum <= 0:
        return
    covered = max((c.size for n, c, _ in checkpoints if len(counted[n]) >= minimum), default=0)
    if covered >= events:
        return
    missing = []
    for slot, key in wanted.items():
        last = max((c.size for n, c, _ in checkpoints if slot in counted[n]), default=None)
        reason = why.get(slot)
        if last is not None and last >= events:
            continue
        said = f"last counted on a checkpoint of size {last}" if last else "never counted"
        missing.append(f"{key.name}+{key.key_id.hex()}: {said}" + (f"; {reason}" if reason else ""))
    step.fail(
        covered if covered < events else None,
        f"events {covered} to {events - 1} are covered by no checkpoint with {minimum} counted "
        f"cosignature(s) by the given witnesses; missing: " + "; ".join(missing),
    )


def _cosignatures(text: str, known: dict[Slot, VerifierKey]) -> Iterable[Signature]:
    try:
        note = parse_note(text)
    except VerifyError:  # step 5 parsed it already; nothing more to say here
        return ()
    return [s for s in note.signatures if (s.name, s.key_id) in known]


def _text_of(text: str) -> str:
    return parse_note(text).text
