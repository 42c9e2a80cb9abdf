"""Who and what a dispute file's records name, as its report shows them (``dispute_story.py``):
divisions, officials and items by the names the ledger registers (``Names``, from the read
models: the records name them by code), and targets and inspectors as the file's own registry
records show them (``Register``). An individual target is shown by its pseudonymous reference:
its name and ID number are in no record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from ledger.labels import role_label
from ledger.registry.layouts import LABELS, TARGET_STATUS_LABELS
from verify.eligibility import reason_in_chinese
from verify.events import SignedEvent
from verify.registry_state import target_key

from . import tables as t


@dataclass
class Names:
    """The Chinese names of divisions, officials and items by code, as the ledger registers
    them (the read models: the records name them by code)."""

    divisions: dict[str, str] = field(default_factory=dict)
    officials: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, engine: Engine) -> Names:
        with engine.connect() as conn:
            return cls(
                {
                    r.code: r.name
                    for r in conn.execute(select(t.divisions.c.code, t.divisions.c.name))
                },
                {
                    r.code: r.name
                    for r in conn.execute(select(t.officials.c.code, t.officials.c.name))
                },
                {r.code: r.name for r in conn.execute(select(t.items.c.code, t.items.c.name))},
            )

    def division(self, code: str) -> str:
        if code == "drawledger":
            return "账本运营方"
        return f"{self.divisions[code]}（{code}）" if code in self.divisions else code

    def party(self, code: str) -> str:
        """A party to a draw's seed: a division or an official, by name."""
        return self.division(code) if code in self.divisions else self.official(code)

    def item(self, code: str) -> str:
        return f"{self.items[code]}（{code}）" if code in self.items else code

    def reason(self, recorded: str) -> str:
        """A recorded exclusion, skip or substitution reason in Chinese, its statuses and
        items by their names."""
        labels = {**TARGET_STATUS_LABELS, **LABELS["status"], **self.items}
        return reason_in_chinese(recorded, labels)

    def official(self, code: str) -> str:
        if code == "drawledger":
            return "账本运营方（drawledger）"
        name = self.officials.get(code)
        return f"{name}（{code}）" if name else code

    def actor(self, actor: dict[str, Any]) -> str:
        """Who acted: name (code), role, division, and the API token they acted with if the
        record names one."""
        who = self.official(str(actor.get("official", "")))
        role = role_label(str(actor.get("role", "")))
        token = f"，以访问令牌 {actor['token']} 办理" if actor.get("token") else ""
        return f"{who}，{role}，{self.division(str(actor.get('department', '')))}{token}"


Events = list[tuple[int, int, SignedEvent]]


class Register:
    """Targets and inspectors as the file's registry records show them."""

    def __init__(self, events: Events) -> None:
        self.targets: dict[str, dict[str, Any]] = {}  # key -> payload, folded
        self.target_ids: dict[str, str] = {}  # record id -> key
        self.inspectors: dict[str, dict[str, Any]] = {}
        for _, _, e in events:
            p = e.envelope["payload"]
            if e.type == "target.registered":
                key = target_key(str(p["kind"]), str(p["code"]))
                self.targets[key] = dict(p)
                self.target_ids[e.aggregate] = key
            elif e.type in ("target.updated", "target.status_changed") and (
                e.aggregate in self.target_ids
            ):
                target = self.targets[self.target_ids[e.aggregate]]
                target.update(p.get("changes") or {"status": p.get("status")})
            elif e.type == "inspector.registered":
                self.inspectors[str(p["code"])] = dict(p)

    def target(self, key: str) -> str:
        found = self.targets.get(key)
        if found is None or not found.get("name"):
            if found is not None and found.get("kind") == "individual":
                return f"{key}（个人，仅以化名编号标识）"
            return key
        return f"{found['name']}（{key}）"

    def inspector(self, code: str) -> str:
        found = self.inspectors.get(code)
        return f"{found['name']}（{code}）" if found and found.get("name") else code
