"""Who acts, and under which authority: recorded in every event's envelope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
    on_request_of: str | None = None  # the operator's: the written request it acts on

    def __post_init__(self) -> None:
        if not self.official:
            raise BadInput("actor.official must not be empty")
        if self.role not in ROLES:
            raise BadInput(f"actor.role {self.role!r} is not one of {', '.join(ROLES)}")
        if not self.department:
            raise BadInput("actor.department must not be empty")

    def to_json(self) -> dict[str, Any]:
        actor = {"official": self.official, "role": self.role, "department": self.department}
        if self.on_request_of:
            actor["on_request_of"] = self.on_request_of
        return actor

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Actor:
        return cls(data["official"], data["role"], data["department"], data.get("on_request_of"))


SYSTEM = Actor.from_json(OPERATOR)  # the ledger's own operator, as the verifier knows it

# The written request the operator acts on in this command (``on_request``), if any.
_REQUEST: ContextVar[str | None] = ContextVar("operator_request", default=None)


def operator() -> Actor:
    """The ledger's own operator, with the written request it acts on, if one was named."""
    request = _REQUEST.get()
    if not request:
        return SYSTEM
    return Actor(SYSTEM.official, SYSTEM.role, SYSTEM.department, request)


@contextmanager
def on_request(request: str | None) -> Iterator[None]:
    """Within this block, the operator's acts name the written ``request`` they are done on."""
    token = _REQUEST.set(request)
    try:
        yield
    finally:
        _REQUEST.reset(token)
