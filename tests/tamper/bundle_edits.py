"""Tools to edit an exported bundle the way an attacker with a text editor (and maybe a key) would.

``EditableBundle`` holds the bundle's lines as objects; ``to_bytes`` writes them back in the
exporter's own line format, renumbering the ``event`` fields and fixing the end line, so that an
edit stays *structurally* valid and only the cryptographic checks can catch it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from verify.bundle import checkpoint_line, end_line, event_line, header_line
from verify.bundle_lines import line_event
from verify.events import canonical, decode_record, encode_record
from verify.keys import SignerKey
from verify.merkle import leaf_hash, root_from_leaf_hashes
from verify.note import Checkpoint, parse_checkpoint, parse_note, sign_note


@dataclass
class EventLine:
    notification_id: int
    record: bytes


@dataclass
class EditableBundle:
    header: dict[str, Any]
    events: list[EventLine] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)

    @classmethod
    def from_bytes(cls, data: bytes) -> EditableBundle:
        raw = data.split(b"\n")[:-1]
        bundle = cls(header=json.loads(raw[0]))
        for line in raw[1:]:
            event = line_event(line)
            if event is not None:
                bundle.events.append(EventLine(event[1], event[2]))
            elif "checkpoint" in (obj := json.loads(line)):
                bundle.checkpoints.append(obj["checkpoint"])
        return bundle

    def to_bytes(self) -> bytes:
        h = self.header
        out = [header_line(h["origin"], h["keys"], h["exported_at"])]
        out += [event_line(i, e.notification_id, e.record) for i, e in enumerate(self.events)]
        out += [checkpoint_line(note) for note in self.checkpoints]
        out.append(end_line(len(self.events), len(self.checkpoints)))
        return b"".join(out)

    def envelope(self, position: int) -> dict[str, Any]:
        return decode_record(self.events[position].record).envelope

    def positions_of(self, aggregate: str) -> list[int]:
        """The log positions of one aggregate's events, in version order."""
        return [i for i in range(len(self.events)) if self.envelope(i)["aggregate"] == aggregate]

    def swap_records(self, i: int, j: int) -> None:
        """Swap two events' records; the notification ids stay where they were (increasing)."""
        self.events[i].record, self.events[j].record = self.events[j].record, self.events[i].record

    def delete_event(self, position: int) -> None:
        del self.events[position]


def with_payload_keeping_signature(record: bytes, **changes: Any) -> bytes:
    """The record with its payload edited and re-encoded canonically, the old signature kept."""
    event = decode_record(record)
    envelope = {**event.envelope, "payload": {**event.envelope["payload"], **changes}}
    tail = record.partition(b"\n")[2]
    return canonical(envelope) + b"\n" + tail


def with_signature(record: bytes, signature: bytes) -> bytes:
    """The record with its 64 signature bytes replaced (the key id kept)."""
    event = decode_record(record)
    tail = base64.b64encode(event.key_id + signature)
    return event.envelope_bytes + b"\n" + tail


def resigned(record: bytes, signer: SignerKey, **changes: Any) -> bytes:
    """The record with envelope members changed and signed afresh by ``signer``."""
    envelope = {**decode_record(record).envelope, **changes}
    return encode_record(envelope, signer)[0]


def failures_by_step(report: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """The failures of each failed step of a ``--json`` report, by step number."""
    return {s["step"]: s["failures"] for s in report["steps"] if not s["ok"]}


def positions(report: dict[str, Any], step: int) -> list[int | None]:
    """The event positions named by one step's failures (None: not tied to one event)."""
    return [f["event"] for f in failures_by_step(report).get(step, [])]


def messages(report: dict[str, Any], step: int) -> str:
    return "\n".join(f["message"] for f in failures_by_step(report).get(step, []))


def resealed(bundle: EditableBundle, signer: SignerKey, edits: dict[int, dict[str, Any]]) -> None:
    """As the holder of the ledger's key would: change envelope members at some positions, then
    re-sign every event with its ``prev`` relinked, and every checkpoint at its old size over
    the new leaves. Integrity then holds throughout; only the rules can catch the edit."""
    last: dict[str, bytes] = {}
    for position, event in enumerate(bundle.events):
        envelope = {**decode_record(event.record).envelope, **edits.get(position, {})}
        if envelope["version"] > 1:
            envelope["prev"] = last[envelope["aggregate"]].hex()
        event.record, last[envelope["aggregate"]] = encode_record(envelope, signer)
    leaves = [leaf_hash(e.record) for e in bundle.events]
    sizes = [parse_checkpoint(parse_note(c).text).size for c in bundle.checkpoints]
    origin = bundle.header["origin"]
    bundle.checkpoints = [
        sign_note(Checkpoint(origin, n, root_from_leaf_hashes(leaves[:n])).to_text(), [signer])
        for n in sizes
    ]


def last_of(bundle: EditableBundle, kind: str) -> int:
    """The position (leaf) of the bundle's last event of type ``kind``."""
    return max(i for i in range(len(bundle.events)) if bundle.envelope(i)["type"] == kind)


def verified(run_verify: Any, directory: Any, bundle: EditableBundle, key: SignerKey) -> Any:
    """``run_verify`` of ``bundle`` written to ``directory``, anchored on ``key``: (status,
    report)."""
    path = directory / "edited.bundle"
    path.write_bytes(bundle.to_bytes())
    return run_verify(path, "--key", str(key.verifier))
