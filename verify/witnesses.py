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
            f"{key.name}+{key.key_id.hex()} 是类型 {key.alg:#04x} 的密钥，见证方需要 "
            "cosignature/v1（0x04）密钥"
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
            return f"{kind} 写明的 {key_text!r} 不是见证方密钥：{e}"
        slot = (key.name, key.key_id)
        term = self.terms.get(slot)
        if kind == WITNESS_ADDED:
            if term is not None:
                return f"{kind}：{key.name}+{key.key_id.hex()} 此前已于叶子 {term.added} 增加"
            self.terms[slot] = Term(key, position)
            return None
        if term is None or term.removed is not None:
            return f"{kind}：{key.name}+{key.key_id.hex()} 在此位置不是见证方"
        term.removed = position
        try:
            term.removed_at = posix_time(str(time))
        except ValueError:
            return f"{kind}：其时间 {time!r} 不是 UTC 时间"
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
            return "账本从未把它增加为见证方（没有 witness.added）"
        if term.added >= size:
            return f"于叶子 {term.added} 增加，在该检查点的树之后"
        if term.removed is not None and term.removed < size:
            return f"于叶子 {term.removed} 移除，在该检查点的树之内"
        if term.removed_at is not None and timestamp >= term.removed_at:
            return (
                f"联署时间为 {timestamp}，不早于其在叶子 {term.removed} 的移除"
                f"（时间 {term.removed_at}）"
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
    step = Step(12, "见证方联署签名")
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
            step.fail(None, f"--witness {text!r}：{e}")
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
            label = f"检查点 #{n}（大小 {checkpoint.size}）：{signature.name} 的联署签名"
            try:
                verify_note(Note(_text_of(text), (signature,)), [known[slot]])
            except VerifyError as e:
                step.fail(None, f"{label}未通过验证，系伪造或被改动：{e}")
                continue
            if slot not in wanted:
                continue
            reason = book.why_not(slot, checkpoint.size, timestamp_of(signature))
            if reason is None:
                counted[n].add(slot)
            else:
                why[slot] = f"其在检查点 #{n} 上的联署签名不计入：{reason}"
    _require(step, checkpoints, counted, why, wanted, events, minimum)
    latest = checkpoints[-1] if checkpoints else None
    signed = "、".join(sorted(s[0] for s in counted.get(latest[0], ()))) if latest else ""
    step.detail = (
        f"核验了已知见证方的联署签名 {lines} 个；账本中有见证方 {len(book.terms)} 个；"
        f"要求给出的 {len(wanted)} 个中有 {minimum} 个"
        + (f"；最新的检查点计入 {signed}" if signed else "")
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
        said = f"最后一次计入的检查点大小为 {last}" if last else "从未计入"
        missing.append(f"{key.name}+{key.key_id.hex()}：{said}" + (f"；{reason}" if reason else ""))
    step.fail(
        covered if covered < events else None,
        f"事件 {covered} 至 {events - 1} 没有被带有所给见证方 {minimum} 个有效联署签名的检查点"
        "覆盖；缺少：" + "；".join(missing),
    )


def _cosignatures(text: str, known: dict[Slot, VerifierKey]) -> Iterable[Signature]:
    try:
        note = parse_note(text)
    except VerifyError:  # step 5 parsed it already; nothing more to say here
        return ()
    return [s for s in note.signatures if (s.name, s.key_id) in known]


def _text_of(text: str) -> str:
    return parse_note(text).text
