"""The verification of a bundle, in the numbered steps of docs/FORMAT.md ("Verification").

Each step reports OK or FAIL with every failure it found, naming the event position (its leaf
index) and what was expected and found. Later steps run even when earlier ones failed, on what
could be decoded, so that one report shows the whole damage.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, NamedTuple

from . import key_trust
from .authority_replay import KEY_INTRODUCTIONS, Facts, facts, replay_authority
from .bundle import Bundle
from .draw_replay import beacon_rounds, replay_draws
from .errors import VerifyError
from .events import check_signature, decode_record
from .evidence import step_evidence
from .inspection_replay import check_inspections
from .keys import VerifierKey, parse_verifier_key
from .merkle import (
    CompactTree,
    consistency_proof,
    leaf_hash,
    verify_consistency,
)
from .note import Checkpoint, parse_checkpoint, parse_note, verify_note
from .report import MAX_FAILURES_SHOWN, Failure, Report, Step
from .witnesses import WITNESS_EVENTS, step_witnesses

__all__ = ["MAX_FAILURES_SHOWN", "Failure", "Report", "Step", "verify_bundle"]
from .plan_bounds import TOPICS as PLAN_TOPICS
from .plan_bounds import PlanBook, findings


class _Decoded(NamedTuple):
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


_NO_FACTS: Facts = (None, None, None, None, None, None)


def verify_bundle(
    bundle: Bundle,
    *,
    pinned_keys: Sequence[str] = (),
    trusted_checkpoints: Sequence[str] = (),
    jobs: int = 1,
    evidence_dir: str | os.PathLike[str] | None = None,
    witnesses: Sequence[str] = (),
    min_cosignatures: int = 0,
) -> Report:
    """Run every step on a bundle that ``read_bundle`` accepted; ``witnesses`` (cosignature/v1
    verifier keys) and ``min_cosignatures`` are what step 12 requires."""
    report = Report(positions=list(bundle.notification_ids))
    step = Step(1, "read bundle")
    step.detail = (
        f"{len(bundle.records)} events, {len(bundle.checkpoints)} checkpoints, "
        f"origin {bundle.origin!r}"
    )
    report.steps.append(step)  # (1): read_bundle() already checked the structure

    keys, first_keys = key_trust.step_keys(report, bundle, pinned_keys)  # (2): the ledger's keys
    decoded, history = _step_records(report, bundle, keys, first_keys, jobs)  # (3): records
    _step_chains(report, decoded)  # (4): per-aggregate chains
    leaves = [leaf_hash(r) for r in bundle.records]
    checkpoints = _step_checkpoints(report, bundle, history, leaves)  # (5): checkpoints
    _step_consistency(report, checkpoints, leaves)  # (6): successive consistency
    _step_coverage(report, bundle, [c for _, c in checkpoints])  # (7): every event sealed
    kept = _step_trusted(report, bundle, history, leaves, trusted_checkpoints)  # (8)
    report.anchor = _anchor(history.trusted, pinned_keys, kept)
    # Steps 9-11 read the envelopes; a bundle without draws or inspections skips decoding them.
    replayed = ("draw.", "inspection.", "publication.")
    envelopes: list[dict[str, Any] | None] = []
    if any(d is not None and d.type.startswith(replayed) for d in decoded):
        envelopes = [
            decode_record(record).envelope if d is not None else None
            for record, d in zip(bundle.records, decoded, strict=True)
        ]
    _step_draws(report, envelopes)  # (9): every draw replayed
    _step_inspections(report, envelopes)  # (10): inspections and publications
    step_evidence(report, envelopes, evidence_dir)  # (11): evidence files, when supplied
    step_witnesses(  # (12): witness cosignatures
        report,
        (
            (i, d.type, *d.facts[3])
            for i, d in enumerate(decoded)
            if d is not None and d.error is None and d.type in WITNESS_EVENTS
        ),
        [(n, c, bundle.checkpoints[n - 1]) for n, c in checkpoints],
        len(bundle.records),
        witnesses,
        min_cosignatures,
    )
    report.authority = replay_authority(  # the rules of authority, replayed (findings)
        (i, d.type, d.aggregate, d.facts) for i, d in enumerate(decoded) if d is not None
    )
    return report


def _anchor(
    trusted: dict[bytes, VerifierKey], pinned: Sequence[str], checkpoint_kept: bool
) -> str | None:
    """What anchors the trusted keys outside the bundle: the auditor's --key, or a checkpoint
    the auditor kept that one of them signed; None if nothing does."""
    if not trusted:
        return None
    names = ", ".join(f"{k.name}+{k.key_id.hex()}" for k in trusted.values())
    if pinned:
        return f"{names}, pinned with --key"
    if checkpoint_kept:
        return f"{names}, which signed the --trusted-checkpoint you kept"
    return None


# (3): every record's form, digest and signature --------------------------------------------


def _step_records(
    report: Report,
    bundle: Bundle,
    keys: dict[bytes, VerifierKey],
    first_keys: dict[bytes, VerifierKey],
    jobs: int,
) -> tuple[list[_Decoded | None], key_trust.KeyHistory]:
    """Check every record; return what was decoded and the keys trusted to sign (key_trust)."""
    step = Step(3, "event records: form, digest, signature")
    report.steps.append(step)
    records = bundle.records
    if jobs > 1 and len(records) > 1000:
        chunk = -(-len(records) // (jobs * 4))
        parts = [records[i : i + chunk] for i in range(0, len(records), chunk)]
        key_texts = [str(k) for k in keys.values()]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = pool.map(_check_records, parts, [key_texts] * len(parts))
            decoded = [d for part in results for d in part]
    else:
        decoded = _check_records(records, keys)
    out: list[_Decoded | None] = []
    for i, d in enumerate(decoded):
        if d.error is not None:
            step.fail(i, d.error)
        # Records that decode stay in the chain check even if their signature failed, so that
        # step 4 blames the edited event, not the untouched next one.
        out.append(d if d.decoded else None)
    first = None
    if not bundle.records:
        step.fail(None, "the bundle holds no events: there is nothing to verify")
    elif out[0] is not None:
        first = key_trust.genesis_key(step, bundle.records[0], first_keys)

    def signed() -> Iterator[tuple[int, str, bytes, Any]]:
        return (
            (i, d.type, d.key_id, d.facts[3])
            for i, d in enumerate(decoded)
            if d.decoded and d.error is None
        )

    history, untrusted = key_trust.walk(signed, keys, first, KEY_INTRODUCTIONS)
    for position, message in untrusted:
        step.fail(position, message)
    step.failures.sort(key=lambda f: (f.position is None, f.position or 0))
    bad = len({f.position for f in step.failures if f.position is not None})
    step.detail = f"{len(records) - bad} of {len(records)} records check out"
    return out, history


def _check_records(
    records: Sequence[bytes], keys: dict[bytes, VerifierKey] | list[str]
) -> list[_Decoded]:
    if isinstance(keys, list):  # in a worker process: keys arrive as text
        keys = {k.key_id: k for k in map(parse_verifier_key, keys)}
    out = []
    for record in records:
        try:
            event = decode_record(record)
        except VerifyError as e:
            out.append(_Decoded("", "", 0, None, b"", b"", _NO_FACTS, str(e), decoded=False))
            continue
        env = event.envelope
        error = None
        try:
            check_signature(event, keys)
        except VerifyError as e:
            error = str(e)  # still decoded: the chain check can walk through it
        out.append(
            _Decoded(
                env["type"],
                env["aggregate"],
                env["version"],
                env["prev"],
                event.digest,
                event.key_id,
                facts(env),
                error,
            )
        )
    return out


# (4): the per-aggregate hash chains ---------------------------------------------------------


def _step_chains(report: Report, decoded: list[_Decoded | None]) -> None:
    step = Step(4, "per-aggregate hash chains")
    report.steps.append(step)
    last: dict[str, tuple[int, bytes, int]] = {}  # aggregate -> (version, digest, position)
    for i, d in enumerate(decoded):
        if d is None:
            continue
        seen = last.get(d.aggregate)
        expected_version = seen[0] + 1 if seen else 1
        if d.version != expected_version:
            where = f"after leaf {seen[2]}" if seen else "as its first event"
            step.fail(
                i,
                f"aggregate {d.aggregate}: expected version {expected_version} {where}, "
                f"got {d.version}",
            )
        if seen and d.version == seen[0] + 1 and d.prev != seen[1].hex():
            step.fail(
                i,
                f"aggregate {d.aggregate} v{d.version}: prev is {d.prev}, expected "
                f"{seen[1].hex()} (digest of v{seen[0]} at leaf {seen[2]})",
            )
        if not seen or d.version > seen[0]:
            last[d.aggregate] = (d.version, d.digest, i)
    step.detail = f"{len(last)} aggregates"


# (5): checkpoints: signature, origin and root ------------------------------------------------


def _step_checkpoints(
    report: Report, bundle: Bundle, keys: key_trust.KeyHistory, leaves: list[bytes]
) -> list[tuple[int, Checkpoint]]:
    """The checkpoints that check out, numbered from 1 in the bundle's order, in that order."""
    step = Step(5, "checkpoints: signature, origin, root")
    report.steps.append(step)
    parsed = []
    for n, text in enumerate(bundle.checkpoints, start=1):
        checkpoint = _parse_checkpoint(step, f"checkpoint #{n}", text, bundle, keys, leaves)
        if checkpoint is not None:
            parsed.append((n, checkpoint))
    good = _check_roots(step, "checkpoint", parsed, leaves)
    step.failures.sort(key=lambda f: (f.position is None, f.position or 0))
    step.detail = f"{len(good)} of {len(bundle.checkpoints)} checkpoints check out"
    return good


def _parse_checkpoint(
    step: Step,
    label: str,
    text: str,
    bundle: Bundle,
    keys: key_trust.KeyHistory,
    leaves: list[bytes],
) -> Checkpoint | None:
    try:
        note = parse_note(text)
        checkpoint = parse_checkpoint(note.text)
        valid = keys.valid_for_checkpoint(checkpoint.size)
        verify_note(note, valid)
    except VerifyError as e:
        step.fail(None, f"{label}: {e}{key_trust.invalid_signers(text, keys)}")
        return None
    if checkpoint.origin != bundle.origin:
        step.fail(None, f"{label}: origin {checkpoint.origin!r}, expected {bundle.origin!r}")
        return None
    if checkpoint.size > len(leaves) and label.startswith("trusted"):
        # The auditor's own checkpoint may simply be newer than the bundle they were handed.
        step.fail(
            None,
            f"{label}: covers {checkpoint.size} events, the bundle holds only {len(leaves)}: "
            "the checkpoint is newer than the bundle, which cannot show that the ledger extends "
            "it; verify a bundle exported after the checkpoint was signed (if this one was, "
            "events were cut from its end)",
        )
        return None
    if checkpoint.size > len(leaves):
        step.fail(
            None,
            f"{label}: covers {checkpoint.size} events, the bundle holds only {len(leaves)} "
            "(events were removed from the tail)",
        )
        return None
    return checkpoint


def _check_roots(
    step: Step, label: str, numbered: list[tuple[int, Checkpoint]], leaves: list[bytes]
) -> list[tuple[int, Checkpoint]]:
    """Compare each checkpoint's root with the tree of the bundle's first *size* leaves, in
    one pass over the leaves (a compact tree grown in order of size), however many checkpoints.
    Returns those whose root matches, in the order given."""
    good = set()
    tree = CompactTree()
    for n, checkpoint in sorted(numbered, key=lambda item: item[1].size):
        while tree.size < checkpoint.size:
            tree.append(leaves[tree.size])
        root = tree.root()
        if root != checkpoint.root:
            step.fail(
                checkpoint.size - 1 if checkpoint.size else None,
                f"{label} #{n} (size {checkpoint.size}): signed root {checkpoint.root.hex()}, "
                f"the bundle's events give {root.hex()}",
            )
            continue
        good.add(n)
    return [(n, c) for n, c in numbered if n in good]


# (6): consistency between successive checkpoints ---------------------------------------------


def _step_consistency(
    report: Report, checkpoints: list[tuple[int, Checkpoint]], leaves: list[bytes]
) -> None:
    """Sizes never shrink in the bundle's (signing) order; and the consistency proof from the
    oldest to the newest checkpoint, built from the leaves, verifies: the check a witness
    holding only the old checkpoint makes. (Step 5 already recomputed every root from the same
    leaves, so each checkpoint is a prefix of any larger one; proving every pair again would
    cost O(n) each.)"""
    step = Step(6, "consistency between checkpoints")
    report.steps.append(step)
    for (_, old), (n, new) in zip(checkpoints, checkpoints[1:], strict=False):
        if new.size < old.size:
            step.fail(
                None,
                f"checkpoint sizes never shrink: expected a size of at least {old.size}, "
                f"got {new.size} at checkpoint #{n}",
            )
    if len(checkpoints) >= 2 and step.ok:
        first, last = checkpoints[0][1], checkpoints[-1][1]
        proof = consistency_proof(leaves[: last.size], first.size)
        try:
            verify_consistency(first.size, last.size, first.root, last.root, proof)
        except VerifyError as e:
            step.fail(None, f"sizes {first.size} → {last.size}: {e}")
    step.detail = (
        f"{len(checkpoints)} checkpoints, oldest {checkpoints[0][1].size if checkpoints else 0}"
    )


# (7): every event is sealed ------------------------------------------------------------------


def _step_coverage(report: Report, bundle: Bundle, checkpoints: list[Checkpoint]) -> None:
    step = Step(7, "every event is sealed by the last checkpoint")
    report.steps.append(step)
    sealed = checkpoints[-1].size if checkpoints else 0
    if sealed != len(bundle.records):
        step.fail(
            sealed if sealed < len(bundle.records) else None,
            f"the last valid checkpoint covers {sealed} events, the bundle holds "
            f"{len(bundle.records)}",
        )
    step.detail = f"{sealed} events sealed"


# (8): the auditor's own checkpoints ----------------------------------------------------------


def _step_trusted(
    report: Report,
    bundle: Bundle,
    keys: key_trust.KeyHistory,
    leaves: list[bytes],
    trusted: Sequence[str],
) -> bool:
    """Whether a trusted checkpoint's signature verified: it then anchors the key that signed
    it, whether or not the bundle extends it (if not, this step fails)."""
    step = Step(8, "consistency with trusted checkpoints")
    report.steps.append(step)
    if not trusted:
        step.detail = "none given (--trusted-checkpoint FILE)"
        return False
    parsed = []
    for n, text in enumerate(trusted, start=1):
        label = f"trusted checkpoint #{n}"
        checkpoint = _parse_checkpoint(step, label, text, bundle, keys, leaves)
        if checkpoint is not None:
            parsed.append((n, checkpoint))
    _check_roots(step, "trusted checkpoint", parsed, leaves)
    step.detail = f"{len(trusted)} trusted checkpoint(s)"
    return bool(parsed)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


# (9): every draw replayed from the bundle alone -----------------------------------------------


def _step_draws(report: Report, envelopes: list[dict[str, Any] | None]) -> None:
    step = Step(9, "draws replayed: population, seed, selection, teams, substitutions")
    report.steps.append(step)
    if not any(e is not None and e["type"].startswith("draw.") for e in envelopes):
        step.detail = "no draws in this bundle"
        return
    count, failures = replay_draws(envelopes)
    for position, message in failures:
        step.fail(position, message)
    for position, message in beacon_rounds(envelopes):
        step.notes.append(Failure(position, f"look up: {message}"))
    book = PlanBook()
    for position, envelope in enumerate(envelopes):
        if envelope is not None and envelope["type"] in PLAN_TOPICS:
            book.apply(position, envelope)
    rules = findings(book)
    for position, message in rules:
        step.notes.append(Failure(position, f"rule finding: {message}"))
    found = f"; {len(rules)} rule findings (notes, not failures)" if rules else ""
    step.detail = f"{count} draws{found}"


# (10): inspections and publications against the rules ---------------------------------------


def _step_inspections(report: Report, envelopes: list[dict[str, Any] | None]) -> None:
    step = Step(10, "inspections and publications: teams, results, deadlines")
    report.steps.append(step)
    summary = check_inspections(envelopes)
    for position, message in summary.failures:
        step.fail(position, message)
    step.detail = (
        f"{summary.inspections} inspections, {summary.publications} publications "
        f"({summary.late} late; {summary.stated_before_recording} stating a date before the day "
        "they were recorded)"
    )
