"""Officials: who may act, in which roles, for which division; and their API tokens.

An official's name acting in office is a public-record fact and may be in events; personal
contacts are not recorded here. Tokens are recorded only as SHA-256 hashes of high-entropy
secrets, so the log proves who was given access when without holding the secret.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ..actors import ROLES
from ..aggregates import LedgerAggregate, id_for
from ..errors import BadInput, Conflict
from ..fields import Fields, check_code

OFFICIAL_ROLES = tuple(r for r in ROLES if r != "system")


def official_id(code: str) -> UUID:
    return id_for("official", code)


def parse_official(data: dict[str, Any]) -> dict[str, Any]:
    f = Fields(data)
    roles = f.codes("roles")
    for role in roles:
        if role not in OFFICIAL_ROLES:
            f.problem("roles", f"{role!r} is not one of {', '.join(OFFICIAL_ROLES)}")
    if not roles:
        f.problem("roles", "at least one role is required")
    spec = {
        "code": check_code(f, "code"),
        "name": f.text("name", max_len=64),
        "division": check_code(f, "division"),
        "roles": roles,
    }
    f.done()
    return spec


class Official(LedgerAggregate):
    TOPIC = "official"

    class Created(LedgerAggregate.Created):
        TOPIC = "official.registered"
        code: str
        name: str
        division: str
        roles: list[str]

    class RolesChanged(LedgerAggregate.Event):
        TOPIC = "official.roles_changed"
        roles: list[str]
        division: str
        reason: str

        def apply(self, official: Official) -> None:
            official.roles = list(self.roles)
            official.division = self.division

    class Deactivated(LedgerAggregate.Event):
        TOPIC = "official.deactivated"
        reason: str

        def apply(self, official: Official) -> None:
            official.active = False

    class BoundToInspector(LedgerAggregate.Event):
        """The personnel authority binds the official to the roster inspector they are
        (``verify/identity_rules.binding_refusal``)."""

        TOPIC = "official.bound_to_inspector"
        inspector: str
        reason: str

        def apply(self, official: Official) -> None:
            official.inspector = self.inspector

    class TokenIssued(LedgerAggregate.Event):
        """``expires``: the UTC time the token stops authenticating (``tokens.py``); a token
        issued before tokens had a life has none and lives until revoked. ``label``: the
        owner's name for it ("办公室电脑"), or null."""

        TOPIC = "official.token_issued"
        token_id: str
        token_hash: str
        expires: str | None = None
        label: str | None = None

        def apply(self, official: Official) -> None:
            official.tokens[self.token_id] = self.token_hash
            official.token_expires[self.token_id] = self.expires

    class TokenRevoked(LedgerAggregate.Event):
        TOPIC = "official.token_revoked"
        token_id: str
        reason: str

        def apply(self, official: Official) -> None:
            official.tokens.pop(self.token_id, None)
            official.token_expires.pop(self.token_id, None)

    def __init__(self, code: str, name: str, division: str, roles: list[str]) -> None:
        self.code = code
        self.name = name
        self.division = division
        self.roles = list(roles)
        self.active = True
        self.tokens: dict[str, str] = {}  # token id -> SHA-256 of the token
        self.token_expires: dict[str, str | None] = {}  # token id -> expiry (UTC), None: none
        self.inspector: str | None = None  # the roster inspector the official is bound to

    @classmethod
    def register(cls, spec: dict[str, Any], actor: dict[str, Any]) -> Official:
        return cls._create(cls.Created, id=official_id(spec["code"]), actor=actor, **spec)

    def check_active(self) -> None:
        if not self.active:
            raise Conflict(f"official {self.code} is deactivated")

    def change_roles(
        self, roles: list[str], division: str, reason: str, actor: dict[str, Any]
    ) -> None:
        self.check_active()
        bad = [r for r in roles if r not in OFFICIAL_ROLES]
        if bad or not roles:
            raise BadInput(f"roles {roles!r}: each must be one of {', '.join(OFFICIAL_ROLES)}")
        self.trigger_event(
            self.RolesChanged,
            roles=sorted(set(roles)),
            division=division,
            reason=reason,
            actor=actor,
        )

    def deactivate(self, reason: str, actor: dict[str, Any]) -> None:
        self.check_active()
        self.trigger_event(self.Deactivated, reason=reason, actor=actor)

    def bind_inspector(self, inspector: str, reason: str, actor: dict[str, Any]) -> None:
        self.check_active()
        self.trigger_event(self.BoundToInspector, inspector=inspector, reason=reason, actor=actor)

    def issue_token(
        self,
        token_id: str,
        token_hash: str,
        expires: str,
        label: str | None,
        actor: dict[str, Any],
    ) -> None:
        self.check_active()
        self.trigger_event(
            self.TokenIssued,
            token_id=token_id,
            token_hash=token_hash,
            expires=expires,
            label=label,
            actor=actor,
        )

    def revoke_token(self, token_id: str, reason: str, actor: dict[str, Any]) -> None:
        if token_id not in self.tokens:
            raise Conflict(f"official {self.code} has no active token {token_id}")
        self.trigger_event(self.TokenRevoked, token_id=token_id, reason=reason, actor=actor)
