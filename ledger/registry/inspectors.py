"""The inspector roster (执法人员名录库): certificates, qualifications, status, conflicts."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ..aggregates import LedgerAggregate, id_for
from ..errors import Conflict
from ..fields import Fields, check_code

STATUSES = ("on_duty", "transferred", "retired", "suspended")


def inspector_id(code: str) -> UUID:
    return id_for("inspector", code)


def parse_inspector(
    data: dict[str, Any], today: date, recorded: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Check an inspector's fields. A certificate that has expired is refused when it is new or
    changed; the one already ``recorded`` for the inspector may have expired since (re-importing
    the same roster, or recording a retirement, is not a new registration)."""
    f = Fields(data)
    valid_until = f.day("certificate_valid_until", required=True)
    number = f.text("certificate_number", max_len=64)
    unchanged = recorded == {"number": number, "valid_until": valid_until}
    if valid_until is not None and date.fromisoformat(valid_until) < today and not unchanged:
        f.problem(
            "certificate_valid_until",
            f"the enforcement certificate expired on {valid_until}; renew it before registering",
        )
    spec = {
        "code": check_code(f, "code"),
        "name": f.text("name", max_len=64),
        "certificate": {"number": number, "valid_until": valid_until},
        "unit": check_code(f, "unit"),
        "division": check_code(f, "division"),
        "agency_staff": f.boolean("agency_staff"),
        "qualifications": f.codes("qualifications"),
        "status": f.choice("status", STATUSES, default="on_duty"),
    }
    f.done()
    return spec


class Inspector(LedgerAggregate):
    TOPIC = "inspector"

    if TYPE_CHECKING:  # state set by the events' apply methods
        code: str
        name: str
        certificate: dict[str, Any]
        unit: str
        division: str
        agency_staff: bool
        qualifications: list[str]
        status: str
        conflicts: dict[str, str]

    class Created(LedgerAggregate.Created):
        TOPIC = "inspector.registered"
        code: str
        name: str
        certificate: dict[str, Any]
        unit: str
        division: str
        agency_staff: bool
        qualifications: list[str]
        status: str

        def apply(self, inspector: Inspector) -> None:
            for name in ("code", *Inspector.MUTABLE):
                setattr(inspector, name, getattr(self, name))
            inspector.conflicts = {}

    class Updated(LedgerAggregate.Event):
        TOPIC = "inspector.updated"
        changes: dict[str, Any]
        reason: str

        def apply(self, inspector: Inspector) -> None:
            for name, value in self.changes.items():
                setattr(inspector, name, value)

    class ConflictDeclared(LedgerAggregate.Event):
        TOPIC = "inspector.conflict_declared"
        target: str
        reason: str

        def apply(self, inspector: Inspector) -> None:
            inspector.conflicts[self.target] = self.reason

    class ConflictWithdrawn(LedgerAggregate.Event):
        TOPIC = "inspector.conflict_withdrawn"
        target: str
        reason: str

        def apply(self, inspector: Inspector) -> None:
            inspector.conflicts.pop(self.target, None)

    MUTABLE = (
        "name",
        "certificate",
        "unit",
        "division",
        "agency_staff",
        "qualifications",
        "status",
    )

    @classmethod
    def register(cls, spec: dict[str, Any], actor: dict[str, Any]) -> Inspector:
        return cls._create(cls.Created, id=inspector_id(spec["code"]), actor=actor, **spec)

    def as_input(self) -> dict[str, Any]:
        """The inspector in the input form ``parse_inspector`` reads (a file's row)."""
        fields = {name: getattr(self, name) for name in self.MUTABLE if name != "certificate"}
        return {
            "code": self.code,
            **fields,
            "certificate_number": self.certificate.get("number"),
            "certificate_valid_until": self.certificate.get("valid_until"),
        }

    def changes_to(self, spec: dict[str, Any]) -> dict[str, Any]:
        return {n: spec[n] for n in self.MUTABLE if n in spec and spec[n] != getattr(self, n)}

    def update(self, changes: dict[str, Any], reason: str, actor: dict[str, Any]) -> None:
        unknown = sorted(set(changes) - set(self.MUTABLE))
        if unknown:
            raise Conflict(f"inspector fields {unknown} cannot be changed")
        if "status" in changes and changes["status"] not in STATUSES:
            raise Conflict(f"status {changes['status']!r} is not one of {', '.join(STATUSES)}")
        if changes:
            self.trigger_event(self.Updated, changes=changes, reason=reason, actor=actor)

    def declare_conflict(self, target: str, reason: str, actor: dict[str, Any]) -> None:
        if target in self.conflicts:
            raise Conflict(f"inspector {self.code} has declared a conflict with {target} already")
        self.trigger_event(self.ConflictDeclared, target=target, reason=reason, actor=actor)

    def withdraw_conflict(self, target: str, reason: str, actor: dict[str, Any]) -> None:
        if target not in self.conflicts:
            raise Conflict(f"inspector {self.code} has no declared conflict with {target}")
        self.trigger_event(self.ConflictWithdrawn, target=target, reason=reason, actor=actor)
