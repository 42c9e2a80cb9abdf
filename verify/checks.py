"""The verification of a bundle, in the numbered steps of docs/FORMAT.md ("Verification").

Each step reports OK or FAIL with every failure it found, naming the event position (its leaf
index) and what was expected and found. Later steps run even when earlier ones failed, on what
could be decoded, so that one report shows the whole damage.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from . import key_trust
from .authority_facts import KEY_INTRODUCTIONS
from .bundle import Bundle, BundleFile
from .draw_replay import beacon_rounds, replay_draws
from .errors import VerifyError
from .events import decode_record
from .evidence import step_evidence
from .inspection_replay import check_inspections
from .keys import VerifierKey
from .merkle import CompactTree, leaf_hash, verify_consistency
from .note import Checkpoint, parse_checkpoint, parse_note, verify_note
from .plan_bounds import TOPICS as PLAN_TOPICS
from .plan_bounds import PlanBook, findings
from .record_pass import Ranges, RecordPass, checked_chunks, consistency_ranges
from .report import MAX_FAILURES_SHOWN, Failure, Report, Step
from .witnesses import step_witnesses

__all__ = ["MAX_FAILURES_SHOWN", "Failure", "Report", "Step", "verify_bundle"]

DECODED_ONCE = 16 << 20  # records up to this many bytes in all: steps 9-11 decode them once

# How a checkpoint the auditor kept is named (step 8; step 5 names the bundle's "检查点 #n").
TRUSTED = "受信任的检查点"


def verify_bundle(
    bundle: Bundle | BundleFile,
    *,
    pinned_keys: Sequence[str] = (),
    trusted_checkpoints: Sequence[str] = (),
    jobs: int = 1,
    evidence_dir: str | os.PathLike[str] | None = None,
    witnesses: Sequence[str] = (),
    min_cosignatures: int = 0,
) -> Report:
    """Run every step on a bundle that ``read_bundle`` or ``scan_bundle`` accepted;
    ``witnesses`` (cosignature/v1 verifier keys) and ``min_cosignatures`` are what step 12
    requires. The records are read as a stream (``record_pass.py``): a ``BundleFile`` is
    verified with memory independent of its size."""
    report = Report(positions=bundle.notification_ids)
    step = Step(1, "读取导出包")
    step.detail = (
        f"{bundle.count} 个事件，{len(bundle.checkpoints)} 个检查点，来源 {bundle.origin!r}"
    )
    report.steps.append(step)  # (1): read_bundle() already checked the structure

    candidates = key_trust.start_keys(report, bundle, pinned_keys)  # (2): the ledger's keys
    passed = _step_records(report, bundle, candidates, trusted_checkpoints, jobs)  # (3)
    report.steps.append(passed.chains)  # (4): per-aggregate chains, checked in the same pass
    passed.chains.detail = f"{len(passed.last)} 条记录（聚合）"
    report.authority = passed.authority.report  # the rules of authority, replayed (findings)
    # No later step reads the chains' heads or the authority replay's registry of officials
    # and records: a verifier holds one entry per aggregate in each, freed before steps 9-11
    # fold a registry of their own (issue 15: peak memory per target).
    passed.last.clear()
    del passed.authority
    history = passed.history
    checkpoints = _step_checkpoints(report, bundle, history, passed.roots)  # (5): checkpoints
    _step_consistency(report, checkpoints, bundle, passed)  # (6): successive consistency
    _step_coverage(report, bundle, [c for _, c in checkpoints])  # (7): every event sealed
    kept = _step_trusted(report, bundle, history, passed.roots, trusted_checkpoints)  # (8)
    report.anchor = _anchor(history.trusted, pinned_keys, kept)
    # Steps 9-11 read the envelopes; a bundle without draws or inspections skips decoding them.
    # A small bundle is decoded once and kept; a larger one read again for each of their passes.
    envelopes: Iterable[dict[str, Any] | None] = []
    if passed.replayed:
        envelopes = Envelopes(bundle, passed.undecoded)
        if bundle.record_bytes <= DECODED_ONCE:
            envelopes = list(envelopes)
    _step_draws(report, envelopes)  # (9): every draw replayed
    _step_inspections(report, envelopes)  # (10): inspections and publications
    step_evidence(report, _only(envelopes, "inspection."), evidence_dir)  # (11): evidence files
    step_witnesses(  # (12): witness cosignatures
        report,
        passed.witness_events,
        [(n, c, bundle.checkpoints[n - 1]) for n, c in checkpoints],
        bundle.count,
        witnesses,
        min_cosignatures,
    )
    return report


class Envelopes:
    """The bundle's envelopes in log order, decoded afresh on each pass (None where a record
    does not decode: step 3 reported it). Step 3 checked the form of the others, and each pass
    over a file proves its bytes the same as the scan's (``BundleFile.iter_records``), so their
    form is not checked again."""

    def __init__(self, bundle: Bundle | BundleFile, undecoded: set[int]) -> None:
        self.bundle = bundle
        self.undecoded = undecoded

    def only(self, *prefixes: str) -> Envelopes:
        """A pass that decodes only the records whose type starts with one of ``prefixes``
        (None for the others, as for a record that does not decode: the passes given it skip
        other types). A canonical envelope spells its type ``"type":"<name>"``, so a record
        without that byte string is not of the type (the converse is checked on decoding)."""
        view = Envelopes(self.bundle, self.undecoded)
        view.marks = tuple(b'"type":"' + p.encode() for p in prefixes)
        return view

    marks: tuple[bytes, ...] = ()

    def __iter__(self) -> Iterator[dict[str, Any] | None]:
        marks = self.marks
        for i, record in enumerate(self.bundle.iter_records()):
            if i in self.undecoded or (marks and not any(m in record for m in marks)):
                yield None
                continue
            try:
                yield decode_record(record, form_known_good=True).envelope
            except (VerifyError, ValueError):  # bytes changed since step 3: the pass fails
                yield None


def _anchor(
    trusted: dict[bytes, VerifierKey], pinned: Sequence[str], checkpoint_kept: bool
) -> str | None:
    """What anchors the trusted keys outside the bundle: the auditor's --key, or a checkpoint
    the auditor kept that one of them signed; None if nothing does."""
    if not trusted:
        return None
    names = "、".join(f"{k.name}+{k.key_id.hex()}" for k in trusted.values())
    if pinned:
        return f"{names}，由 --key 指定"
    if checkpoint_kept:
        return f"{names}，即签署您保存的 --trusted-checkpoint 的密钥"
    return None


def _only(
    envelopes: Iterable[dict[str, Any] | None], *prefixes: str
) -> Iterable[dict[str, Any] | None]:
    """What a pass reading only types starting with ``prefixes`` needs: a filtered pass over a
    file, the decoded list itself."""
    return envelopes.only(*prefixes) if isinstance(envelopes, Envelopes) else envelopes


# (3): every record's form, digest and signature --------------------------------------------


def _step_records(
    report: Report,
    bundle: Bundle | BundleFile,
    candidates: key_trust.KeyCandidates,
    trusted: Sequence[str],
    jobs: int,
) -> RecordPass:
    """Check every record in one pass (``record_pass.py``), finishing step 2 with it; the
    pass's ``history`` holds the keys trusted to sign (key_trust).

    A bundle file ``open_bundle`` opened is scanned by this pass (``BundleFile._first_pass``),
    so the key rotations that settle step 2's candidates with ``--key`` are known only when it
    ends: it checks signatures with every key that may be one, then keeps only the outcome the
    candidates give (``RecordPass.restrict``). Any other bundle's are settled first."""
    fused = isinstance(bundle, BundleFile) and bundle.pending
    keys = candidates.for_pass() if fused else candidates.finish(key_trust.rotated_keys(bundle))
    passed = _record_pass(bundle, keys, trusted, jobs)
    if fused:  # every candidate is the pass's key under its id (KeyCandidates.for_pass)
        keys = candidates.finish(key_trust.rotated_keys(bundle))
        passed.restrict(keys)
    step = passed.records
    report.steps.append(step)
    first_keys = candidates.first(keys)
    first = None
    if not bundle.count:
        step.fail(None, "导出包中没有事件：没有可核验的内容")
    elif passed.first_decoded:
        first = key_trust.genesis_key(step, bundle.first_record() or b"", first_keys)
    history, untrusted = key_trust.walk(passed.signed, keys, first, KEY_INTRODUCTIONS)
    for position, message in untrusted:
        step.fail(position, message)
    step.failures.sort(key=lambda f: (f.position is None, f.position or 0))
    bad = len({f.position for f in step.failures if f.position is not None})
    step.detail = f"{bundle.count} 条记录中 {bundle.count - bad} 条核验通过"
    passed.history = history
    return passed


def _record_pass(
    bundle: Bundle | BundleFile, keys: dict[bytes, VerifierKey], trusted: Sequence[str], jobs: int
) -> RecordPass:
    passed = RecordPass(*_sizes(bundle, trusted))
    # A first pass over a file: the pass's own Merkle tree guards the later passes (no second
    # hash of each record's text, BundleFile.iter_records).
    first = bundle if isinstance(bundle, BundleFile) and bundle.pending else None
    records = bundle.iter_records() if first is None else first.iter_records(root_guard=True)
    add = passed.add
    for chunk, found in checked_chunks(records, keys, jobs if bundle.count > 1000 else 1):
        for record, d in zip(chunk, found, strict=True):
            add(record, d)
    if first is not None:
        first.guard_by_root(passed.tree.root())
    return passed


def _sizes(
    bundle: Bundle | BundleFile, trusted: Sequence[str]
) -> tuple[set[int], tuple[int, int] | None]:
    """The tree sizes the checkpoints name (their roots are kept as the leaves go by), and
    the first and last of the bundle's: the consistency proof step 6 will most likely want
    (read unchecked: steps 5 and 8 check them)."""
    sizes, bundle_sizes = set(), []
    for n, text in enumerate([*bundle.checkpoints, *trusted]):
        try:
            size = parse_checkpoint(parse_note(text).text).size
        except VerifyError:
            continue
        sizes.add(size)
        if n < len(bundle.checkpoints):
            bundle_sizes.append(size)
    usable = [s for s in bundle_sizes if 0 < s <= bundle.count]
    proof = (usable[0], usable[-1]) if len(usable) >= 2 and usable[0] <= usable[-1] else None
    return sizes, proof


# (5): checkpoints: signature, origin and root ------------------------------------------------


def _step_checkpoints(
    report: Report,
    bundle: Bundle | BundleFile,
    keys: key_trust.KeyHistory,
    roots: dict[int, bytes],
) -> list[tuple[int, Checkpoint]]:
    """The checkpoints that check out, numbered from 1 in the bundle's order, in that order."""
    step = Step(5, "检查点：签名、来源、根哈希")
    report.steps.append(step)
    parsed = []
    for n, text in enumerate(bundle.checkpoints, start=1):
        checkpoint = _parse_checkpoint(step, f"检查点 #{n}", text, bundle, keys)
        if checkpoint is not None:
            parsed.append((n, checkpoint))
    good = _check_roots(step, "检查点", parsed, roots)
    step.failures.sort(key=lambda f: (f.position is None, f.position or 0))
    step.detail = f"{len(bundle.checkpoints)} 个检查点中 {len(good)} 个核验通过"
    return good


def _parse_checkpoint(
    step: Step,
    label: str,
    text: str,
    bundle: Bundle | BundleFile,
    keys: key_trust.KeyHistory,
) -> Checkpoint | None:
    try:
        note = parse_note(text)
        checkpoint = parse_checkpoint(note.text)
        valid = keys.valid_for_checkpoint(checkpoint.size)
        verify_note(note, valid)
    except VerifyError as e:
        step.fail(None, f"{label}：{e}{key_trust.invalid_signers(text, keys)}")
        return None
    if checkpoint.origin != bundle.origin:
        step.fail(None, f"{label}：来源为 {checkpoint.origin!r}，应为 {bundle.origin!r}")
        return None
    if checkpoint.size > bundle.count and label.startswith(TRUSTED):
        # The auditor's own checkpoint may simply be newer than the bundle they were handed.
        step.fail(
            None,
            f"{label}：覆盖 {checkpoint.size} 个事件，导出包只有 {bundle.count} 个："
            "该检查点比导出包新，导出包无法证明账本是它的延续；请核验在该检查点签署之后导出的"
            "导出包（如果这个导出包就是，则其末尾的事件被截掉了）",
        )
        return None
    if checkpoint.size > bundle.count:
        step.fail(
            None,
            f"{label}：覆盖 {checkpoint.size} 个事件，导出包只有 {bundle.count} 个"
            "（末尾的事件被删除了）",
        )
        return None
    return checkpoint


def _check_roots(
    step: Step, label: str, numbered: list[tuple[int, Checkpoint]], roots: dict[int, bytes]
) -> list[tuple[int, Checkpoint]]:
    """Compare each checkpoint's root with the root of the bundle's first *size* leaves (kept
    at that size as the record pass went by), however many checkpoints. Returns those whose
    root matches, in the order given."""
    good = set()
    for n, checkpoint in numbered:
        root = roots[checkpoint.size]
        if root != checkpoint.root:
            step.fail(
                checkpoint.size - 1 if checkpoint.size else None,
                f"{label} #{n}（大小 {checkpoint.size}）：签名的根哈希为 {checkpoint.root.hex()}，"
                f"导出包中的事件得出 {root.hex()}",
            )
            continue
        good.add(n)
    return [(n, c) for n, c in numbered if n in good]


# (6): consistency between successive checkpoints ---------------------------------------------


def _step_consistency(
    report: Report,
    checkpoints: list[tuple[int, Checkpoint]],
    bundle: Bundle | BundleFile,
    passed: RecordPass,
) -> None:
    """Sizes never shrink in the bundle's (signing) order; and the consistency proof from the
    oldest to the newest checkpoint, built from the leaves, verifies: the check a witness
    holding only the old checkpoint makes. (Step 5 already recomputed every root from the same
    leaves, so each checkpoint is a prefix of any larger one; proving every pair again would
    cost O(n) each.)"""
    step = Step(6, "检查点之间的一致性")
    report.steps.append(step)
    for (_, old), (n, new) in zip(checkpoints, checkpoints[1:], strict=False):
        if new.size < old.size:
            step.fail(
                None,
                f"检查点的大小不得缩小：应至少为 {old.size}，检查点 #{n} 为 {new.size}",
            )
    if len(checkpoints) >= 2 and step.ok:
        first, last = checkpoints[0][1], checkpoints[-1][1]
        proof = _consistency_proof(bundle, passed, first.size, last.size)
        try:
            verify_consistency(first.size, last.size, first.root, last.root, proof)
        except VerifyError as e:
            step.fail(None, f"大小 {first.size} → {last.size}：{e}")
    step.detail = (
        f"{len(checkpoints)} 个检查点，最早的大小为 {checkpoints[0][1].size if checkpoints else 0}"
    )


def _consistency_proof(
    bundle: Bundle | BundleFile, passed: RecordPass, old: int, new: int
) -> list[bytes]:
    """The consistency proof from ``old`` to ``new`` from the subtrees the record pass kept,
    or, if it kept another pair's, from one more pass over the leaves."""
    if passed.proof_sizes == (old, new):
        return passed.proof.proof()
    ranges, tree = Ranges(consistency_ranges(old, new)), CompactTree()
    for i, record in enumerate(bundle.iter_records()):
        if i >= new:
            break
        leaf = leaf_hash(record)
        ranges.add(i, leaf, tree)
        tree.append(leaf)
    return ranges.proof()


# (7): every event is sealed ------------------------------------------------------------------


def _step_coverage(
    report: Report, bundle: Bundle | BundleFile, checkpoints: list[Checkpoint]
) -> None:
    step = Step(7, "每个事件均由最后一个检查点封存")
    report.steps.append(step)
    sealed = checkpoints[-1].size if checkpoints else 0
    if sealed != bundle.count:
        step.fail(
            sealed if sealed < bundle.count else None,
            f"最后一个有效检查点覆盖 {sealed} 个事件，导出包有 {bundle.count} 个",
        )
    step.detail = f"已封存 {sealed} 个事件"


# (8): the auditor's own checkpoints ----------------------------------------------------------


def _step_trusted(
    report: Report,
    bundle: Bundle | BundleFile,
    keys: key_trust.KeyHistory,
    roots: dict[int, bytes],
    trusted: Sequence[str],
) -> bool:
    """Whether a trusted checkpoint's signature verified: it then anchors the key that signed
    it, whether or not the bundle extends it (if not, this step fails)."""
    step = Step(8, "与受信任检查点的一致性")
    report.steps.append(step)
    if not trusted:
        step.detail = "未给出（--trusted-checkpoint FILE）"
        return False
    parsed = []
    for n, text in enumerate(trusted, start=1):
        label = f"{TRUSTED} #{n}"
        checkpoint = _parse_checkpoint(step, label, text, bundle, keys)
        if checkpoint is not None:
            parsed.append((n, checkpoint))
    _check_roots(step, TRUSTED, parsed, roots)
    step.detail = f"{len(trusted)} 个受信任的检查点"
    return bool(parsed)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


# (9): every draw replayed from the bundle alone -----------------------------------------------


def _step_draws(report: Report, envelopes: Iterable[dict[str, Any] | None]) -> None:
    step = Step(9, "重现抽取：总体、种子、抽中对象、检查组、替换")
    report.steps.append(step)
    draws = _only(envelopes, "draw.")
    if not any(e is not None and e["type"].startswith("draw.") for e in draws):
        step.detail = "导出包中没有抽取"
        return
    notes: list[tuple[int, str]] = []
    count, failures = replay_draws(envelopes, report.positions, notes)
    for position, message in failures:
        step.fail(position, message)
    step.notes += [Failure(position, f"请查证：{message}") for position, message in notes]
    for position, message in beacon_rounds(draws):
        step.notes.append(Failure(position, f"请查证：{message}"))
    book = PlanBook()
    for position, envelope in enumerate(_only(envelopes, "plan.", "draw.")):
        if envelope is not None and envelope["type"] in PLAN_TOPICS:
            book.apply(position, envelope)
    rules = findings(book)
    for position, message in rules:
        step.notes.append(Failure(position, f"规则审查发现：{message}"))
    found = f"；{len(rules)} 项规则审查发现（提示，不是失败）" if rules else ""
    step.detail = f"{count} 次抽取{found}"


# (10): inspections and publications against the rules ---------------------------------------


def _step_inspections(report: Report, envelopes: Iterable[dict[str, Any] | None]) -> None:
    step = Step(10, "检查与公示：检查组、结果、期限")
    report.steps.append(step)
    summary = check_inspections(envelopes)
    for position, message in summary.failures:
        step.fail(position, message)
    step.detail = (
        f"{summary.inspections} 次检查，{summary.publications} 次公示"
        f"（逾期 {summary.late} 次；{summary.stated_before_recording} 次所述日期早于记录当日）"
    )
