"""Witnesses through the product: list them, add and remove them (by the roles the policy in
force names: ``[authority] manage_witnesses``, ``admin`` by default; the ledger's operator acts
as the system), and accept a witness's cosignature of a checkpoint.

A cosignature is kept only if its key is a witness in force now *and* was one in the tree of
the checkpoint it signs (what the verifier counts, ``verify/witnesses.py``), and only if it
verifies over that checkpoint (``Sealer.add_cosignature``).
"""

from __future__ import annotations

from typing import Any

from verify.authority_rules import witness_managers

from .application import LedgerApp
from .errors import BadInput, Conflict, Forbidden, NotFound
from .registry.authority import authorise, official_of
from .sealer import COSIGNATURES_TABLE
from .storage import for_driver, is_postgres
from .witness import Witness, witness_id, witness_key, witnesses_in_force


class Witnesses:
    def __init__(self, app: LedgerApp) -> None:
        self.app = app

    def in_force(self) -> list[str]:
        """The verifier keys of the witnesses in force, in the order they were added."""
        return [str(k) for k in witnesses_in_force(self.app)]

    def history(self) -> list[dict[str, Any]]:
        """Every ``witness.*`` event in log order: position, type, key, reason, who, when."""
        out = []
        for n in self.app.notifications(topics=["witness.added", "witness.removed"]):
            event: Any = self.app.domain_event(n)
            out.append(
                {
                    "position": n.id,
                    "type": n.topic,
                    "key": event.key,
                    "reason": event.reason,
                    "by": dict(event.actor),
                    "at": event.timestamp.isoformat(),
                }
            )
        return out

    def add(self, key_text: str, by: str | None, reason: str = "") -> str:
        """Record ``witness.added``; returns the key. BadInput for a key that is not a
        cosignature/v1 verifier key, Conflict if the key was ever added."""
        actor = self._actor(by)
        key = witness_key(key_text)
        if witness_id(key) in self.app.repository:
            witness: Witness = self.app.get(witness_id(key), Witness)
            state = (
                "was removed: a removed key is never added again"
                if witness.removed
                else "is a witness already"
            )
            raise Conflict(f"witness {key} {state}")
        self.app.save(Witness.add(key, reason.strip(), actor))
        return str(key)

    def remove(self, key_text: str, by: str | None, reason: str) -> str:
        """Record ``witness.removed``: from the next position on, its cosignatures are refused
        and not counted. NotFound if the key is no witness; Conflict if removed already."""
        actor = self._actor(by)
        if not reason.strip():
            raise BadInput("reason: say why the witness is removed (it is recorded)")
        key = witness_key(key_text)
        witness: Witness = self.app.get(witness_id(key), Witness)
        witness.remove(reason.strip(), actor)
        self.app.save(witness)
        return str(key)

    def cosigned_around(self, leaf: int) -> list[int]:
        """The sizes of the cosigned checkpoints that bound the record at leaf index ``leaf``:
        the largest not holding it (size ``<= leaf``) and the smallest holding it, those that
        exist — two reads by the cosignatures' key, whatever their number (a dispute file's
        ``witnessed.jsonl``, verify/dispute_witnessed.py)."""
        recorder = self.app.recorder
        found = []
        with self.app.sealer.recorder.datastore.transaction(commit=False) as c:
            for where, order in (("<= ?", "DESC"), ("> ?", "ASC")):
                c.execute(
                    for_driver(
                        f"SELECT tree_size FROM {COSIGNATURES_TABLE} WHERE tree_size {where} "
                        f"ORDER BY tree_size {order} LIMIT 1",
                        is_postgres(recorder),
                    ),
                    (leaf,),
                )
                row = c.fetchone()
                if row is not None:
                    found.append(int(row["tree_size"]))
        return found

    def accept_cosignature(self, size: int, line: str) -> str:
        """Keep a witness's cosignature/v1 line for the checkpoint of ``size``; its name."""
        checkpoint = self.app.sealer.checkpoint(size)
        now = {str(k): k for k in witnesses_in_force(self.app)}
        then = {str(k) for k in witnesses_in_force(self.app, checkpoint.last_notification_id)}
        allowed = [k for text, k in now.items() if text in then]
        try:
            return self.app.sealer.add_cosignature(size, line, allowed)
        except Forbidden as e:
            late = [k for text, k in now.items() if text not in then]
            if late and any(f"{k.name}+{k.key_id.hex()}" in str(e) for k in late):
                raise Forbidden(
                    f"{e}: it was added after the checkpoint of size {size}; cosign a later one"
                ) from None
            raise

    def _actor(self, by: str | None) -> dict[str, Any]:
        try:
            policy = self.app.policy_in_force()
        except NotFound:
            policy = {}
        official = official_of(self.app, by)
        managers = witness_managers(policy)
        return authorise(official, "witness.manage", roles=managers, policy=policy).to_json()
