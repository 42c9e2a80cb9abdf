"""Who acts, and under which authority: recorded in every event's envelope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

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
    # The operator's: the official on whose written request it acts, and that request.
    on_request_of: str | None = None
    request: str | None = None
    # An official's: the id of the API token the act was done with (never its secret or hash);
    # None for the operator, and for a service called with an official's code and no token.
    token: str | None = None

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
        if self.request:
            actor["request"] = self.request
        if self.token:
            actor["token"] = self.token
        return actor

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Actor:
        return cls(
            data["official"],
            data["role"],
            data["department"],
            data.get("on_request_of"),
            data.get("request"),
            data.get("token"),
        )


SYSTEM = Actor.from_json(OPERATOR)  # the ledger's own operator, as the verifier knows it


class Requester(Protocol):
    """The official on whose written request the operator acts (``registry.officials.Official``)."""

    code: str
    division: str
    roles: list[str]
    active: bool


@dataclass(frozen=True)
class Request:
    """A written request the operator acts on: the official who made it, and its reference."""

    official: Requester
    reference: str | None = None


# The written request the operator acts on in this command (``on_request``), if any.
_REQUEST: ContextVar[Request | None] = ContextVar("operator_request", default=None)


def current_request() -> Request | None:
    """The written request the operator's acts are done on in this block, if any: whoever
    authorises an operator's act judges the requesting official as if they had acted."""
    return _REQUEST.get()


def operator() -> Actor:
    """The ledger's own operator, naming the official whose written request it acts on, if any."""
    request = _REQUEST.get()
    if request is None:
        return SYSTEM
    return Actor(
        SYSTEM.official, SYSTEM.role, SYSTEM.department, request.official.code, request.reference
    )


@contextmanager
def on_request(request: Request | None) -> Iterator[None]:
    """Within this block, the operator's acts are done on ``request`` (and name it)."""
    token = _REQUEST.set(request)
    try:
        yield
    finally:
        _REQUEST.reset(token)


# The credential the acts of this request or command are done with: (official's code, token id).
_CREDENTIAL: ContextVar[tuple[str, str] | None] = ContextVar("credential", default=None)


def act_with(official: str, token_id: str) -> None:
    """The acts done from here on in this context are official ``official``'s with their token
    ``token_id``: the actor they record names it (``credential_of``). Set where a request's
    token is authenticated for acting (``api/deps.py``, the office pages): each HTTP request
    runs in a context of its own, which ends with it."""
    _CREDENTIAL.set((official, token_id))


@contextmanager
def acting_with(official: str, token_id: str) -> Iterator[None]:
    """``act_with`` within this block only (a CLI command in a process that may run others)."""
    token = _CREDENTIAL.set((official, token_id))
    try:
        yield
    finally:
        _CREDENTIAL.reset(token)


def credential_of(official: str) -> str | None:
    """The id of the token ``official`` acts with in this context, if they authenticated with
    one here; None otherwise (another official's credential never names this one's acts)."""
    credential = _CREDENTIAL.get()
    return credential[1] if credential is not None and credential[0] == official else None
