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
5. otherwise cosigns it (cosignature/v1, the time now), keeps the cosigned checkpoint in its
   own record (``State.keep_cosigned``: what it can show a court) and the checkpoint as the one
   to go on from, and posts the cosignature; a 409 means the ledger holds this witness's
   cosignature of it already. A checkpoint of the size kept is cosigned and posted again (a
   post may have been lost) but not recorded again.
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


# Each outcome as the witness's output names it (its code stays in the Outcome).
STATUS_LABELS = {
    COSIGNED: "已联署",
    UNCHANGED: "无变化",
    SPLIT_VIEW: "分裂视图",
    REFUSED: "拒绝联署",
    UNAVAILABLE: "无法访问账本",
}


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str
    size: int | None = None
    evidence: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status in (COSIGNED, UNCHANGED)

    def line(self) -> str:
        """The outcome as the witness prints it: in Chinese, with its code."""
        return f"{STATUS_LABELS[self.status]}（{self.status}）：{self.message}"


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
            return Outcome(UNAVAILABLE, f"账本没有应答：{e}")

    def _round(self) -> Outcome:
        served = self.client.checkpoint()
        try:
            note, _ = verify_note(served, self.log_keys)
            new = parse_checkpoint(note.text)
        except VerifyError as e:
            return Outcome(REFUSED, f"账本的检查点未能用账本公钥验证通过：{e}")
        kept = self.state.checkpoint()
        if kept is not None:
            old = parse_checkpoint(parse_note(kept).text)
            if new.origin != old.origin:
                return Outcome(REFUSED, f"检查点的来源为 {new.origin!r}，不是 {old.origin!r}")
            split = self._split_view(kept, old, served, new)
            if split is not None:
                return split
            if new.size == old.size:  # cosigned before; post again in case the post was lost
                return self._post(new, self._cosignature(note.text))
        line = self._cosignature(note.text)
        self.state.keep_cosigned(new.size, served + line)  # its own record, first
        self.state.keep_checkpoint(served)
        return self._post(new, line)

    def _split_view(
        self, kept: str, old: Checkpoint, served: str, new: Checkpoint
    ) -> Outcome | None:
        proof: list[bytes] = []
        if new.size < old.size:
            reason = f"账本显示的大小为 {new.size}，小于它此前显示的 {old.size}"
        elif new.size == old.size and new.root != old.root:
            reason = f"大小 {new.size} 有两个不同的根哈希"
        elif new.size > old.size:
            proof = self.client.consistency(old.size, new.size)
            try:
                verify_consistency(old.size, new.size, old.root, new.root, proof)
                return None
            except VerifyError as e:
                reason = f"从大小 {old.size} 到 {new.size} 的一致性证明未通过：{e}"
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
            f"分裂视图：{reason}；拒绝联署，证据保存在 {where}",
            new.size,
            where,
        )

    def _cosignature(self, text: str) -> str:
        return cosign(text, self.signer, int(self.clock())).to_line()

    def _post(self, checkpoint: Checkpoint, line: str) -> Outcome:
        code, body = self.client.post_cosignature(checkpoint.size, line)
        if code == 409:
            return Outcome(UNCHANGED, f"大小 {checkpoint.size}：此前已联署", checkpoint.size)
        if code != 201:
            return Outcome(
                UNAVAILABLE,
                f"大小 {checkpoint.size}：已联署，但账本应答 {code}：{body[:300]}",
                checkpoint.size,
            )
        return Outcome(COSIGNED, f"大小 {checkpoint.size}：已联署", checkpoint.size)
