"""One witness round: fetch, verify, refuse or cosign (C2SP tlog-witness, in spirit).

A round

1. fetches the ledger's latest checkpoint and checks it is signed by a trusted ledger key and
   names the origin of the checkpoint kept before;
2. with nothing kept yet, trusts it (first use: pin the ledger's key with ``--log-key``);
3. with a checkpoint kept of size M and root R: a new size below M, or the same size with
   another root, is a *split view*; a larger size N needs the consistency proof from M to N,
   which must verify against R and the new root, else it is a split view too;
4. on a split view, keeps both checkpoints and the proof (``State.keep_split_view``), does not
   move on from the checkpoint kept, cosigns nothing, and says so loudly;
5. otherwise keeps the new checkpoint, then cosigns it (cosignature/v1, the time now) and posts
   the cosignature; a 409 means the ledger holds this witness's cosignature of it already.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from verify.errors import VerifyError
from verify.keys import SignerKey, VerifierKey
from verify.merkle import verify_consistency
from verify.note import Checkpoint, cosign, parse_checkpoint, parse_note, verify_note

from .ledger_api import LedgerClient, LedgerUnavailable
from .state import State

COSIGNED, UNCHANGED, SPLIT_VIEW, REFUSED, UNAVAILABLE = (
    "cosigned",
    "unchanged",
    "split view",
    "refused",
    "unavailable",
)


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str
    size: int | None = None
    evidence: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status in (COSIGNED, UNCHANGED)


class Witness:
    def __init__(
        self,
        client: LedgerClient,
        signer: SignerKey,
        log_keys: list[VerifierKey],
        state: State,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.signer = signer
        self.log_keys = log_keys
        self.state = state
        self.clock = clock

    def round(self) -> Outcome:
        try:
            return self._round()
        except LedgerUnavailable as e:
            return Outcome(UNAVAILABLE, f"the ledger cannot be asked: {e}")

    def _round(self) -> Outcome:
        served = self.client.checkpoint()
        try:
            note, _ = verify_note(served, self.log_keys)
            new = parse_checkpoint(note.text)
        except VerifyError as e:
            return Outcome(REFUSED, f"the ledger's checkpoint does not verify under its key: {e}")
        kept = self.state.checkpoint()
        if kept is not None:
            old = parse_checkpoint(parse_note(kept).text)
            if new.origin != old.origin:
                return Outcome(
                    REFUSED, f"the checkpoint names origin {new.origin!r}, not {old.origin!r}"
                )
            split = self._split_view(kept, old, served, new)
            if split is not None:
                return split
            if new.size == old.size:  # cosigned before; post again in case the post was lost
                return self._cosign(note.text, new)
        self.state.keep_checkpoint(served)
        return self._cosign(note.text, new)

    def _split_view(
        self, kept: str, old: Checkpoint, served: str, new: Checkpoint
    ) -> Outcome | None:
        proof: list[bytes] = []
        if new.size < old.size:
            reason = (
                f"the ledger shows size {new.size}, smaller than size {old.size} it showed before"
            )
        elif new.size == old.size and new.root != old.root:
            reason = f"two different roots for size {new.size}"
        elif new.size > old.size:
            proof = self.client.consistency(old.size, new.size)
            try:
                verify_consistency(old.size, new.size, old.root, new.root, proof)
                return None
            except VerifyError as e:
                reason = f"the consistency proof from size {old.size} to {new.size} fails: {e}"
        else:
            return None
        evidence = {
            "old_size": old.size,
            "new_size": new.size,
            "old_root": base64.b64encode(old.root).decode("ascii"),
            "new_root": base64.b64encode(new.root).decode("ascii"),
            "proof": [base64.b64encode(h).decode("ascii") for h in proof],
            "reason": reason,
            "seen_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        where = self.state.keep_split_view(kept, served, evidence)
        return Outcome(
            SPLIT_VIEW,
            f"SPLIT VIEW: {reason}; refusing to cosign, evidence kept in {where}",
            new.size,
            where,
        )

    def _cosign(self, text: str, checkpoint: Checkpoint) -> Outcome:
        line = cosign(text, self.signer, int(self.clock())).to_line()
        code, body = self.client.post_cosignature(checkpoint.size, line)
        if code == 409:
            return Outcome(UNCHANGED, f"size {checkpoint.size}: cosigned before", checkpoint.size)
        if code != 201:
            return Outcome(
                UNAVAILABLE,
                f"size {checkpoint.size}: cosigned, but the ledger answered {code}: {body[:300]}",
                checkpoint.size,
            )
        return Outcome(COSIGNED, f"size {checkpoint.size}: cosigned", checkpoint.size)
