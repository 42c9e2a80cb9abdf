"""Who acts, and under which authority: recorded in every event's envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verify.authority_rules import OPERATOR

from .errors import BadInput

ROLES = (
    "clerk",
    "division_head",
    "leader_in_charge",
    "plan_aggregator",
    "inspector",
    "auditor",
    "legal_office",
    "admin",
    "system",
)


@dataclass(frozen=True)
class Actor:
    """An official acting in a role for a department; ``system`` is the ledger itself."""

    official: str
    role: str
    department: str

    def __post_init__(self) -> None:
        if not self.official:
            raise BadInput("actor.official must not be empty")
        if self.role not in ROLES:
            raise BadInput(f"actor.role {self.role!r} is not one of {', '.join(ROLES)}")
        if not self.department:
            raise BadInput("actor.department must not be empty")

    def to_json(self) -> dict[str, Any]:
        return {"official": self.official, "role": self.role, "department": self.department}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Actor:
        return cls(data["official"], data["role"], data["department"])


SYSTEM = Actor.from_json(OPERATOR)  # the ledger's own operator, as the verifier knows it
