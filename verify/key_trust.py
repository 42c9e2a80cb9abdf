"""Which of the bundle's keys may sign, and where: the key history from the first key.

A bundle's header lists keys, but listing proves nothing: anyone can add a line. The log's first
event, ``ledger.created``, names the ledger's first key; that key is trusted from position 0 (if
the auditor anchored it: ``--key`` or a ``--trusted-checkpoint`` it signed). A later key is
trusted only from the position after an event of a type in ``KEY_INTRODUCTIONS``
(``ledger.key_rotated``) that a key trusted there signed and that names it. Every other key is
never trusted: an event or a checkpoint signed by it fails, whatever the header says.

A key's *validity* is the positions ``start <= p < end`` where it may sign an event:

- ``start``: 0 for the first key, the position after its introduction for a rotated one;
- ``end``: the first position where a key it introduced (its successor) signed an event (the
  ledger has switched: the old key is retired), or the ``from_index`` of a ``ledger.key_revoked``
  naming it (a compromised key, no longer trusted from that position), whichever comes first;
  none while neither happened.

An event signed by a key outside its validity fails; so does whatever a key did outside it (a
key it introduced there is never trusted). Revocations are read in a first pass over the events
signed by trusted keys, so that a revocation recorded later still covers the events before it.

A checkpoint of size S may be signed by the keys valid for its last event (position S − 1) and
by a key introduced by that event (``start == S``): the *overlap* during a rotation, when
checkpoints carry both signatures (``valid_for_checkpoint``).

Step 2 (the bundle's keys, and with ``--key`` which of them are candidates) lives here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .bundle import Bundle, BundleFile
from .errors import VerifyError
from .events import decode_record
from .keys import VerifierKey, parse_verifier_key
from .note import parse_checkpoint, parse_note
from .report import Report, Step

Signed = tuple[int, str, bytes, Any]  # position, type, signing key id, what the event names
KEY_REVOCATIONS = ("ledger.key_revoked",)  # payload: key, from_index (facts: (key, from_index))


@dataclass
class KeyHistory:
    """The keys trusted at some position, with their validity."""

    keys: dict[bytes, VerifierKey] = field(default_factory=dict)
    start: dict[bytes, int] = field(default_factory=dict)
    end: dict[bytes, int] = field(default_factory=dict)
    why_end: dict[bytes, str] = field(default_factory=dict)

    @property
    def trusted(self) -> dict[bytes, VerifierKey]:
        return dict(self.keys)

    def valid(self, key_id: bytes, position: int) -> bool:
        return (
            key_id in self.keys
            and self.start[key_id] <= position
            and position < self.end.get(key_id, position + 1)
        )

    def valid_for_checkpoint(self, size: int) -> list[VerifierKey]:
        """The keys that may sign a checkpoint of ``size`` (see the module's docstring)."""
        last = max(size - 1, 0)
        return [
            k
            for kid, k in self.keys.items()
            if self.valid(kid, last) or (self.start[kid] == size and size > 0)
        ]


def walk(
    events: Iterable[tuple[int, str, bytes, Any]]
    | Callable[[], Iterable[tuple[int, str, bytes, Any]]],
    keys: dict[bytes, VerifierKey],
    first: VerifierKey | None,
    introductions: Iterable[str],
    revocations: Iterable[str] = KEY_REVOCATIONS,
) -> tuple[KeyHistory, list[tuple[int, str]]]:
    """Walk ``(position, type, signing key id, what the event names)`` of the events whose
    signature verified under ``keys``; return the key history and a failure per event signed
    by a key not valid at its position. ``first`` is the key ``ledger.created`` names.
    ``events`` may be a function giving them afresh: they are walked a second time only when
    the first walk found a revocation, and never held in memory."""
    if not callable(events):
        listed = list(events)
        events = lambda: listed  # noqa: E731 - a list walked twice
    kinds, revoking = set(introductions), set(revocations)
    revoked: dict[bytes, tuple[int, int]] = {}  # key id -> (from index, revoking event)
    history, failures = _walk(events(), keys, first, kinds, revoking, {}, revoked)
    if not revoked:
        return history, failures
    return _walk(events(), keys, first, kinds, revoking, revoked, {})


def _walk(
    listed: Iterable[tuple[int, str, bytes, Any]],
    keys: dict[bytes, VerifierKey],
    first: VerifierKey | None,
    kinds: set[str],
    revoking: set[str],
    revoked: dict[bytes, tuple[int, int]],
    found: dict[bytes, tuple[int, int]],
) -> tuple[KeyHistory, list[tuple[int, str]]]:
    """One walk with the revocations ``revoked`` applied; collects into ``found`` the
    revocations signed by keys valid where they stand."""
    history = KeyHistory()
    if first is not None:
        _trust(history, first, 0, revoked)
    predecessor: dict[bytes, bytes] = {}
    failures: list[tuple[int, str]] = []
    for position, kind, key_id, named in listed:
        if key_id not in history.keys:
            failures.append((position, _never(keys[key_id], first)))
            continue
        if not history.valid(key_id, position):
            failures.append((position, _outside(history, keys[key_id], position)))
            continue
        old = predecessor.pop(key_id, None)
        if old is not None and history.end.get(old, position + 1) > position:
            history.end[old] = position  # the successor signs: the old key is retired
            history.why_end[old] = (
                f"已于叶子 {position} 退役，其继任密钥 {_name(keys[key_id])} 自该处开始签名"
            )
        if position > 0 and kind in kinds:
            try:
                key = parse_verifier_key(named)
            except (VerifyError, TypeError, AttributeError):
                failures.append((position, f"{kind} 所写的密钥 {named!r} 不是公钥"))
                continue
            if str(keys.get(key.key_id)) != str(key):
                failures.append((position, f"{kind} 引入的 {key} 不在导出包中"))
                continue
            if key.key_id in history.keys:
                failures.append((position, f"{kind} 引入的 {_name(key)} 已受信任"))
                continue
            _trust(history, keys[key.key_id], position + 1, revoked)
            predecessor[key.key_id] = key_id
        elif kind in revoking:
            revocation = _revocation(named, keys)
            if not isinstance(revocation, tuple):
                failures.append((position, f"{kind}: {revocation}"))
            elif revocation[0] not in found:
                found[revocation[0]] = (revocation[1], position)
    return history, failures


def _trust(
    history: KeyHistory, key: VerifierKey, start: int, revoked: dict[bytes, tuple[int, int]]
) -> None:
    history.keys[key.key_id] = key
    history.start[key.key_id] = start
    if key.key_id in revoked:
        since, event = revoked[key.key_id]
        history.end[key.key_id] = since
        history.why_end[key.key_id] = f"由叶子 {event} 自叶子 {since} 起吊销"


def _revocation(named: Any, keys: dict[bytes, VerifierKey]) -> tuple[bytes, int] | str:
    """(key id, from index) of a revocation's payload, or what is wrong with it."""
    if not isinstance(named, tuple | list) or len(named) != 2:
        return "未写明密钥和位置"
    text, since = named
    try:
        key = parse_verifier_key(text)
    except (VerifyError, TypeError, AttributeError):
        return f"所写的密钥 {text!r} 不是公钥"
    if type(since) is not int or since < 0:
        return f"from_index 必须是叶子序号（从 0 起的整数），实为 {since!r}"
    if str(keys.get(key.key_id)) != str(key):
        return f"吊销的 {key} 不在导出包中"
    return key.key_id, since


def _never(signer: VerifierKey, first: VerifierKey | None) -> str:
    return (
        f"由 {_name(signer)} 签名：这是导出包文件头中的密钥，ledger.created 未写明它"
        f"（写明的是 {'无' if first is None else _name(first)}），"
        "也没有受信任密钥签名的事件引入它：从未受信任"
    )


def _outside(history: KeyHistory, signer: VerifierKey, position: int) -> str:
    kid = signer.key_id
    start = history.start[kid]
    if position < start:
        return f"由 {_name(signer)} 在其引入之前签名（自叶子 {start} 起有效）"
    return f"由 {_name(signer)} 在其有效期之外签名：{history.why_end[kid]}"


def _name(key: VerifierKey) -> str:
    return f"{key.name}+{key.key_id.hex()}"


# (2): the ledger's keys, and where step 3 starts the history -------------------------------


def step_keys(
    report: Report, bundle: Bundle | BundleFile, pinned: Sequence[str]
) -> tuple[dict[bytes, VerifierKey], dict[bytes, VerifierKey]]:
    """The candidate keys, and those ledger.created may name (the pinned ones, if any)."""
    candidates = start_keys(report, bundle, pinned)
    keys = candidates.finish(rotated_keys(bundle))
    return keys, candidates.first(keys)


@dataclass
class KeyCandidates:
    """Step 2: the bundle's keys, and with ``--key`` the pinned ones. Which header keys a
    pinned key may be followed to — those a key rotation names — is settled by ``finish`` once
    the rotations are known: before the record pass for a bundle in memory, after it for a
    file verified in one pass (``checks.verify_bundle``), whose pass checks signatures with
    every key that may end up a candidate (``for_pass``) and then drops the others'
    (``record_pass.RecordPass.restrict``)."""

    step: Step
    header: dict[bytes, VerifierKey]
    pinned: dict[bytes, VerifierKey] | None  # None without --key

    def for_pass(self) -> dict[bytes, VerifierKey]:
        """Every key that may be a candidate, each under its id as in ``finish``."""
        return self.header if self.pinned is None else self.header | self.pinned

    def finish(self, rotated: set[str]) -> dict[bytes, VerifierKey]:
        """The candidate keys, given the keys the bundle's rotations name (``rotated_keys``)."""
        keys = self.header
        if self.pinned is not None:
            # Only what the auditor pinned, and the header keys a rotation names (key_trust
            # decides whether a pinned key introduced them, and where they may sign). Under a
            # shared id (a key id is 4 bytes of a hash of the key) the pinned key is kept.
            keys = {kid: k for kid, k in keys.items() if str(k) in rotated} | self.pinned
        if not keys:
            self.step.fail(None, "没有可用的账本公钥：无法核验任何内容")
        self.step.detail = "、".join(f"{k.name}+{k.key_id.hex()}" for k in keys.values())
        return keys

    def first(self, keys: dict[bytes, VerifierKey]) -> dict[bytes, VerifierKey]:
        """The keys ledger.created may name: the pinned ones, if any, else the candidates."""
        return keys if self.pinned is None else self.pinned


def start_keys(report: Report, bundle: Bundle | BundleFile, pinned: Sequence[str]) -> KeyCandidates:
    """Step 2's report and the keys it starts from (``KeyCandidates``)."""
    step = Step(2, "账本公钥")
    report.steps.append(step)
    keys = _parsed(step, bundle.keys, "导出包中的密钥")
    if not pinned:
        return KeyCandidates(step, keys, None)
    trusted = _parsed(step, pinned, "--key 指定的密钥", among=keys)
    return KeyCandidates(step, keys, trusted)


def _parsed(
    step: Step, texts: Sequence[str], what: str, among: dict[bytes, VerifierKey] | None = None
) -> dict[bytes, VerifierKey]:
    """The keys of ``texts`` by id; a text that is no key, or (``among``) a key not among
    those, fails the step."""
    keys: dict[bytes, VerifierKey] = {}
    for text in texts:
        try:
            key = parse_verifier_key(text)
        except VerifyError as e:
            step.fail(None, f"{what} {text!r}：{e}")
            continue
        keys[key.key_id] = key
        if among is not None and key.key_id not in among:
            step.fail(None, f"{what} {key} 不在导出包的密钥中")
    return keys


def rotated_keys(bundle: Bundle | BundleFile) -> set[str]:
    """The keys the bundle's key rotation events name (read without checking them: step 3
    does), so that a pinned first key can be followed to them."""
    found = set()
    for record in bundle.rotation_records():
        try:
            named = decode_record(record).envelope["payload"].get("verifier_key")
        except (VerifyError, AttributeError):
            continue
        if isinstance(named, str):
            found.add(named)
    return found


def genesis_key(step: Step, record: bytes, keys: dict[bytes, VerifierKey]) -> VerifierKey | None:
    """The log starts with ledger.created, which names a key among ``keys``: that key."""
    envelope = decode_record(record).envelope
    if envelope["type"] != "ledger.created":
        step.fail(0, f"第一个事件必须是 ledger.created，实为 {envelope['type']}")
        return None
    named = envelope["payload"].get("verifier_key")
    for key in keys.values():
        if named == str(key):
            return key
    step.fail(0, f"ledger.created 写明的密钥 {named!r} 不是受信任的密钥")
    return None


def checkpoint_size(text: str) -> int | None:
    try:
        return parse_checkpoint(parse_note(text).text).size
    except VerifyError:
        return None


def invalid_signers(text: str, keys: KeyHistory) -> str:
    """Why a checkpoint's signers from the key history may not sign it, if that is why."""
    size = checkpoint_size(text)
    if size is None:
        return ""
    valid = {k.key_id for k in keys.valid_for_checkpoint(size)}
    found = [
        s for s in parse_note(text).signatures if s.key_id in keys.keys and s.key_id not in valid
    ]
    reasons = [
        f"{s.name}+{s.key_id.hex()} 无权签署它（{keys.why_end.get(s.key_id, '尚未生效')}）"
        for s in found
    ]
    return f"；{'；'.join(reasons)}" if reasons else ""
