"""The dispute file (争议材料): one self-contained, checkable account of one target, draw,
inspection or official, for a court or the legal office (issue 12, part 3; docs/DISPUTE.md).

What it holds (``write_dispute``):

- ``evidence.jsonl``: the signed event records involved — every act the responsibility trail
  links to the subject up to ``as_of``, and with them every earlier event of each record those
  acts belong to (a record's whole chain from its creation, so that no event of it in between can
  be left out unseen) — each with its leaf index and its inclusion proof;
- ``checkpoint.note``: the signed checkpoint (with any witness cosignatures) the proofs lead to;
- ``manifest.json``: the subject, the position it was asked as of, the checkpoint's size, and
  each record's position, leaf index and digest;
- ``report.html`` and ``report.pdf`` (``dispute_report.py``): the story in Chinese, in order:
  each act with its time (China time), what it was and in which role (the Chinese names of
  ``ledger/labels.py``), who, in which division, its position and digest; then the rule audit
  the check makes
  (``verify.dispute_rules.audit_file``, run here over the same records): each finding with the
  events behind it;
- ``draws/<draw id>.json`` (``dispute_populations.py``): for each draw whose population was
  frozen, the eligible targets with their strata and weights as the selection read them, and
  the rosters its walks walked over, so the check replays the draw;
- ``as_of.json``: the signed record at ``as_of`` with its inclusion proof: the moment the
  check's rule audit is judged as of;
- ``consistency.jsonl``: with ``consistent_with``, a consistency proof from each of those older
  signed checkpoints (kept by the requester) to the file's;
- ``witnessed.jsonl`` (``verify/dispute_witnessed.py``), if witnesses cosigned any checkpoint
  before the file's: for each record, the latest cosigned checkpoint without it and the
  earliest with it, each with its cosignatures and a consistency proof to the file's
  checkpoint — what bounds the record's time (with the witness records, which the file holds).

``python -m verify dispute DIR --key KEY`` checks it offline with ``verify/`` alone.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from ledger.application import LedgerApp
from ledger.errors import BadInput, NotFound
from ledger.proof_tiles import TiledTree
from ledger.sealer import StoredCheckpoint
from ledger.whole_files import whole_directory
from ledger.witnesses import Witnesses
from verify import dispute_manifest
from verify.dispute import AS_OF
from verify.dispute_anchor import CONSISTENCY, proof_line
from verify.dispute_rules import audit_file
from verify.dispute_witnessed import WITNESSED, witnessed_line
from verify.errors import VerifyError
from verify.events import SignedEvent, decode_record
from verify.note import parse_checkpoint, verify_note

from . import tables as t
from .dispute_populations import write_populations
from .dispute_report import write_reports
from .trail_queries import target_key

FORMAT = "drawledger-dispute/v1"
SUBJECTS = ("target", "draw", "inspection", "official")


def write_dispute(
    app: LedgerApp,
    engine: Engine,
    kind: str,
    key: str,
    out: Path,
    as_of: int | None = None,
    consistent_with: list[str] | None = None,
) -> dict[str, Any]:
    """Write the dispute file of the ``kind`` entity ``key`` into ``out`` (a new or empty
    directory); returns the manifest. ``consistent_with``: signed checkpoint notes of this
    ledger the requester keeps, each older than the file's, to prove it consistent with. BadInput
    for an unknown kind, an ``as_of`` beyond the log, a non-empty ``out`` or a checkpoint that
    is not this ledger's; NotSealedYet for an ``as_of`` stored but not sealed within the wait;
    NotFound if no act touches the subject by then."""
    if kind not in SUBJECTS:
        raise BadInput(f"a dispute file is about one of {', '.join(SUBJECTS)}, not {kind!r}")
    latest, position = _sealed_as_of(app, as_of)
    if kind == "target":
        key = target_key(key)  # a credit code as typed (full-width, lower case), a person-… ref
    if out.exists() and any(out.iterdir()):
        raise BadInput(f"{out} is not empty: a dispute file goes into a new directory")
    acts = _acts_of(engine, kind, key, position)
    if not acts:
        raise NotFound(f"no act touches {kind} {key} (as of position {position})")
    positions = _with_whole_chains(engine, acts | _context(engine, kind, acts, position), position)
    size = latest.size
    older = [_older_size(app, note, size) for note in consistent_with or []]
    # each proof reads one tile of leaf hashes, not the whole tree (ledger/proof_tiles.py)
    tree = app.proof_tiles.tree(size, latest.root)
    # Written into a new directory renamed to `out` at the end: a file cut short (kill -9, a
    # full disk) is never found under the name a court would be handed (ledger/whole_files.py).
    where = out
    with whole_directory(where) as out:
        records = []
        decoded: list[tuple[int, int, SignedEvent]] = []
        frozen: dict[str, dict[str, Any]] = {}  # draw id -> its signed freeze
        with (out / "evidence.jsonl").open("w", encoding="utf-8") as evidence:
            for p in positions:
                record = _record_at(app, p)
                index = app.sealer.leaf_index(p)
                proof = tree.inclusion_proof(index)
                event = decode_record(record)
                line = {
                    "position": p,
                    "index": index,
                    "record": base64.b64encode(record).decode("ascii"),
                    "proof": [base64.b64encode(h).decode("ascii") for h in proof],
                }
                evidence.write(json.dumps(line, sort_keys=True) + "\n")
                decoded.append((p, index, event))
                if event.type == "draw.population_frozen":
                    frozen[event.aggregate] = event.envelope
                records.append(
                    {"position": p, "index": index, "digest": event.digest.hex(), "act": p in acts}
                )
        own_note = app.sealer.cosigned_note(size)
        (out / "checkpoint.note").write_text(own_note, encoding="utf-8")
        witnessed = _write_witnessed(app, size, [i for _, i, _ in decoded], out)
        as_of_record = _write_as_of(app, tree, position, out)
        write_populations(app, frozen, out)
        if older:
            with (out / CONSISTENCY).open("w", encoding="utf-8") as lines:
                for old in older:
                    _, proof = app.sealer.consistency_proof(old, size)
                    lines.write(json.dumps(proof_line(old, size, proof), sort_keys=True) + "\n")
        manifest = {
            "format": FORMAT,
            "origin": app.origin,
            "subject": {"kind": kind, "key": key},
            "as_of": position,
            "checkpoint": {"size": size},
            "written_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "records": records,
        }
        audit = audit_file(
            kind, decoded, as_of_record, str(key), checkpoints=[own_note, *witnessed]
        )
        write_reports(engine, manifest, acts, audit, out, decoded, as_of_record[1])
        _write_signed_manifest(app, manifest, out)
    return manifest


def _write_signed_manifest(app: LedgerApp, manifest: dict[str, Any], out: Path) -> None:
    """``manifest.json`` listing every file written (``files``: the reports too, with their
    SHA-256) and ``manifest.sig``, the ledger key's signature of its bytes
    (verify/dispute_manifest.py): what the file is about, as of when, which records are acts
    and which reports came with them are the ledger's word, not anyone's later edit."""
    manifest["files"] = dispute_manifest.file_digests(out)
    text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    body = text.encode("utf-8")
    (out / dispute_manifest.MANIFEST).write_bytes(body)
    signature = app.signer.sign(dispute_manifest.message(body))
    (out / dispute_manifest.SIGNATURE).write_text(
        dispute_manifest.signature_text(app.signer.key_id, signature), encoding="ascii"
    )


def _write_as_of(app: LedgerApp, tree: TiledTree, position: int, out: Path) -> tuple[int, str]:
    """``as_of.json``: the signed record at the file's ``as_of`` position (the log's last event
    then; the last one before it if no event has that position), with its leaf index and its
    inclusion proof. Its time is the moment the rule audit judges as of (verify/dispute.py);
    it is not one of the file's records (not an act, not audited). Returns (its position, its
    UTC time)."""
    for at in range(position, 0, -1):
        try:
            record = _record_at(app, at)
        except NotFound:
            continue
        index = app.sealer.leaf_index(at)
        doc = {
            "position": at,
            "index": index,
            "record": base64.b64encode(record).decode("ascii"),
            "proof": [base64.b64encode(h).decode("ascii") for h in tree.inclusion_proof(index)],
        }
        (out / AS_OF).write_text(json.dumps(doc, sort_keys=True) + "\n", encoding="utf-8")
        return at, str(decode_record(record).envelope["time"])
    raise NotFound(f"no event at or before position {position}")


def _write_witnessed(app: LedgerApp, size: int, leaves: list[int], out: Path) -> list[str]:
    """``witnessed.jsonl``: the cosigned checkpoints around the records at ``leaves`` (before
    the file's of ``size``, which carries its own), each with its consistency proof to it;
    returns their notes."""
    witnesses = Witnesses(app)
    around = {s for leaf in leaves for s in witnesses.cosigned_around(leaf)}
    chosen = sorted(s for s in around if s < size)
    notes = [app.sealer.cosigned_note(old) for old in chosen]
    if chosen:
        with (out / WITNESSED).open("w", encoding="utf-8") as lines:
            for old, note in zip(chosen, notes, strict=True):
                _, proof = app.sealer.consistency_proof(old, size)
                line = witnessed_line(note, size, proof)
                lines.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
    return notes


def _older_size(app: LedgerApp, note: str, size: int) -> int:
    """The tree size of a checkpoint of this ledger, signed by its key, not newer than ``size``."""
    try:
        checkpoint = parse_checkpoint(verify_note(note, [app.signer.verifier])[0].text)
    except VerifyError as e:
        raise BadInput(f"a checkpoint to prove consistency with: {e}") from None
    if checkpoint.origin != app.origin or not 1 <= checkpoint.size <= size:
        raise BadInput(
            f"a checkpoint to prove consistency with must be one of this ledger's "
            f"({app.origin}) of size 1 to {size}; found {checkpoint.origin} of size "
            f"{checkpoint.size}"
        )
    return checkpoint.size


def _sealed_as_of(app: LedgerApp, as_of: int | None) -> tuple[StoredCheckpoint, int]:
    """The signed checkpoint the file is proved against and the position it is as of: the
    latest checkpoint's own by default; for a stored position not yet sealed (a dispute file
    "as of now" a moment after the last act), the checkpoint the sealing rounds sign next,
    waited for (NotSealedYet if none comes in time); BadInput for a position not stored."""
    if as_of is not None:
        head = app.recorder.max_notification_id() or 0
        if not 1 <= as_of <= head:
            raise BadInput(f"as_of {as_of}: the ledger holds positions 1 to {head}")
        return app.sealing.covering(as_of), as_of
    latest = app.sealer.latest()
    if latest is None:
        raise NotFound("no checkpoint is signed yet: seal the ledger first")
    return latest, latest.last_notification_id


def _acts_of(engine: Engine, kind: str, key: str, position: int) -> set[int]:
    a, links = t.trail_acts, t.trail_links
    with engine.connect() as conn:
        if kind == "official":
            query = select(a.c.position).where(a.c.official == key, a.c.position <= position)
        else:
            query = select(links.c.position).where(
                links.c.kind == kind, links.c.key == key, links.c.position <= position
            )
        return {int(p) for (p,) in conn.execute(query)}


def _with_whole_chains(engine: Engine, acts: set[int], position: int) -> list[int]:
    """The acts and every earlier event of the records they belong to, in log order."""
    a = t.trail_acts
    with engine.connect() as conn:
        ids = {
            r.aggregate_id
            for r in conn.execute(select(a.c.aggregate_id).where(a.c.position.in_(acts)))
        }
        chains = conn.execute(
            select(a.c.position).where(a.c.aggregate_id.in_(ids), a.c.position <= position)
        )
        found = {int(p) for (p,) in chains}
    return sorted(found)


def _context(engine: Engine, kind: str, acts: set[int], position: int) -> set[int]:
    """What the dispute check's rule audit and team walks read besides the acts
    (verify/dispute_rules.py, verify/dispute_draws.py), as the log stood up to ``position``:
    every ``policy.set``; every ``witness.added`` and ``witness.removed`` (whose cosignatures
    bound the records' times); in a file about a draw or an inspection, every visit to each target
    inspected in the years of its visits (so that the yearly cap is judged: a target's file has
    them all already); for each inspection of the file (those visits too), every act on it (its
    publications too), its source draw or directed record (so that whether those present were
    on the drawn team is judged for every visit), its target and the inspectors present; for
    each draw, its plan, its selected targets and every inspector its walks reached (members,
    skips, substitutes). Each is then taken with its record's whole chain
    (``_with_whole_chains``)."""
    a, links = t.trail_acts, t.trail_links
    up_to = a.c.position <= position
    with engine.connect() as conn:

        def rows_where(*where: Any) -> list[Any]:
            query = select(a.c.position, a.c.kind, a.c.aggregate_id, a.c.type, a.c.payload)
            return list(conn.execute(query.where(up_to, *where)).all())

        rows = rows_where(a.c.position.in_(acts))
        own = {r.aggregate_id for r in rows if r.kind == "inspection"}
        inspections = set(own)
        if kind in ("draw", "inspection"):
            inspections |= _visits_in_the_years(conn, rows_where, own)
        on_them = rows_where(
            a.c.position.in_(
                select(links.c.position).where(
                    links.c.kind == "inspection", links.c.key.in_(inspections)
                )
            )
        )
        # the policy's records by their index (a.kind has none: a scan of every act)
        records = t.trail_records
        policy = rows_where(
            a.c.aggregate_id.in_(select(records.c.id).where(records.c.kind == "policy"))
        )
        witnesses = rows_where(  # whose cosignatures bound the records' times
            a.c.aggregate_id.in_(select(records.c.id).where(records.c.kind == "witness"))
        )
        sources = {  # every visit's draw or directed record: each team present is judged
            str(r.payload["source"]) for r in on_them if r.type == "inspection.notified"
        }
        drawn = {r.aggregate_id for r in rows if r.kind == "draw"} | sources
        of_draws = rows_where(a.c.aggregate_id.in_(drawn))
        planned = {  # each draw's plan: who drafted, reviewed, submitted and uploaded it
            str(r.payload["plan"])
            for r in of_draws
            if r.type == "draw.opened" and r.payload.get("plan")
        }
        of_plans = rows_where(a.c.aggregate_id.in_(planned))
        targets: set[str] = set()
        inspectors: set[str] = set()
        for r in [*rows, *on_them, *of_draws]:
            _named_for_rules(r.type, r.payload, targets, inspectors)
        registered = rows_where(
            a.c.position.in_(
                select(links.c.position).where(
                    ((links.c.kind == "target") & links.c.key.in_(targets))
                    | ((links.c.kind == "inspector") & links.c.key.in_(inspectors))
                )
            ),
            a.c.type.in_(("target.registered", "inspector.registered")),
        )
    return {
        int(r.position) for r in [*on_them, *policy, *witnesses, *of_draws, *of_plans, *registered]
    }


def _visits_in_the_years(conn: Any, rows_where: Any, inspections: set[str]) -> set[str]:
    """Every inspection carried out (by ``position``) at the targets of ``inspections``, in
    the years (of their stated days) those were carried out."""
    a, links = t.trail_acts, t.trail_links
    notified = rows_where(a.c.aggregate_id.in_(inspections), a.c.type.in_(("inspection.notified",)))
    carried = rows_where(
        a.c.aggregate_id.in_(inspections), a.c.type.in_(("inspection.carried_out",))
    )
    targets = {str(r.payload["target"]) for r in notified}
    years = {str(r.payload["on"])[:4] for r in carried}
    if not targets or not years:
        return set()
    visits = rows_where(
        a.c.position.in_(
            select(links.c.position).where(links.c.kind == "target", links.c.key.in_(targets))
        ),
        a.c.type.in_(("inspection.carried_out",)),
    )
    return {r.aggregate_id for r in visits if str(r.payload["on"])[:4] in years}


def _named_for_rules(
    kind: str, payload: dict[str, Any], targets: set[str], inspectors: set[str]
) -> None:
    """The targets and inspectors an event names that the check's rules and walks read."""
    if kind == "inspection.notified":
        targets.add(str(payload["target"]))
    elif kind == "inspection.carried_out":
        inspectors.update(str(c) for c in payload["present"])
    elif kind == "draw.targets_selected":
        targets.update(s["target"] for st in payload["strata"] for s in st["selected"])
    elif kind in ("draw.inspectors_assigned", "draw.partner_inspectors_assigned"):
        for team in payload["teams"]:
            inspectors.update(team["members"])
            inspectors.update(s["inspector"] for s in team["skips"])
    elif kind in ("draw.inspector_substituted", "draw.partner_inspector_substituted"):
        inspectors.update((payload["replaced"], payload["substitute"]))
        inspectors.update(s["inspector"] for s in payload["skips"])


def _record_at(app: LedgerApp, position: int) -> bytes:
    [notification] = app.recorder.select_notifications(start=position, limit=1)
    if notification.id != position:
        raise NotFound(f"no event at position {position}")
    app.domain_event(notification)  # checked: a record edited in the store is refused here
    return bytes(notification.state)
