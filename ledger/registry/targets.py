"""Inspection targets (检查对象名录库): enterprises, public bodies, projects and individuals.

Enterprises and public bodies are keyed by their unified social credit code (GB 32100), projects
by their approval number, individuals by a pseudonymous reference: an individual's name, ID
number, address and phone never enter the log, only a salted commitment to them
(``personal_data.py``). Every change records its reason and its source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from verify.errors import FormatError
from verify.registry_state import target_key
from verify.uscc import normalise, organisation_code_warning, validate

from ..aggregates import LedgerAggregate, id_for
from ..errors import BadInput, Conflict
from ..fields import Fields, check_code

if TYPE_CHECKING:
    from ..application import LedgerApp

KINDS = ("enterprise", "public_body", "project", "individual")
STATUSES = ("in_business", "closed", "deregistered", "revoked", "moved")
CREDIT_CLASSES = ("A", "B", "C", "D")
RISK_FLAGS = ("complaints", "major_hazard", "abnormal_operation", "dishonest", "past_violations")
# Fields a correction may change (kind and key never change: that is another target).
MUTABLE = (
    "name",
    "legal_representative",
    "address",
    "district",
    "grid",
    "division",
    "items",
    "permit",
    "credit_class",
    "risk_flags",
)
# The permit's parts as input fields (a file's columns) and as the stored permit's keys.
PERMIT_PARTS = (
    ("permit_number", "number"),
    ("permit_valid_from", "valid_from"),
    ("permit_valid_until", "valid_until"),
)


def target_id(kind: str, code: str) -> UUID:
    return id_for("target", target_key(kind, code))


def target_id_of(ref: str) -> UUID:
    """The id of the target ``ref`` names as a person writes it: the id itself, a credit code
    (full-width or lower case as typed), or ``project:NUMBER`` / ``individual:REF`` — what
    ``GET /targets/{ref}`` takes (``projections.views.entry_uuid``). Whether it exists is not
    checked."""
    ref = ref.strip()
    try:
        return UUID(ref)
    except ValueError:
        pass
    return id_for("target", ref if ":" in ref else normalise(ref))


def parse_target(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Check a target's fields; return the clean spec and warnings (e.g. GB 11714 check)."""
    f = Fields(data)
    warnings: list[str] = []
    kind = f.choice("kind", KINDS, default="enterprise")
    code = f.text("code", max_len=64)
    if code is not None and kind in ("enterprise", "public_body"):
        try:
            code = validate(code)
            warning = organisation_code_warning(code)
            if warning:
                warnings.append(warning)
        except FormatError as e:
            f.problem("code", str(e))
    permit = None
    # The dates are checked whether or not the number is given: a bad date is never dropped.
    permit_number = f.text("permit_number", required=False, max_len=64)
    valid_from = f.day("permit_valid_from")
    valid_until = f.day("permit_valid_until", required=bool(permit_number))
    if valid_from and valid_until and valid_from > valid_until:
        f.problem("permit_valid_from", f"the permit starts after it ends ({valid_until})")
    if permit_number:
        permit = {"number": permit_number, "valid_from": valid_from, "valid_until": valid_until}
    elif (valid_from or valid_until) and not _problem_in(f, "permit_"):
        f.problem("permit_number", "a permit's validity dates need its number (许可证号)")
    flags = f.codes("risk_flags")
    for flag in flags:
        if flag not in RISK_FLAGS:
            f.problem("risk_flags", f"{flag!r} is not one of {', '.join(RISK_FLAGS)}")
    spec = {
        "kind": kind,
        "code": code,
        "name": f.text("name", max_len=200),
        "legal_representative": None
        if kind == "individual"
        else f.text("legal_representative", required=False, max_len=64),
        "address": None if kind == "individual" else f.text("address", required=False),
        "district": f.text("district", max_len=32),
        "grid": f.text("grid", required=False, max_len=64),
        "division": check_code(f, "division"),
        "items": f.codes("items"),
        "permit": permit,
        "credit_class": f.choice("credit_class", CREDIT_CLASSES, default="A"),
        "risk_flags": flags,
    }
    if kind == "individual":
        # The name of a natural person is personal data: the log keeps a reference instead.
        spec["name"] = None
        for dropped in ("legal_representative", "address"):
            if f.data.get(dropped) is not None and str(f.data[dropped]).strip():
                warnings.append(
                    f"{dropped} is not kept for an individual (personal data): the cell is left out"
                )
    f.done()
    return spec, warnings


def _problem_in(f: Fields, prefix: str) -> bool:
    return any(p.field.startswith(prefix) for p in f.problems)


class Target(LedgerAggregate):
    TOPIC = "target"

    if TYPE_CHECKING:  # state set by the events' apply methods
        kind: str
        code: str
        name: str | None
        legal_representative: str | None
        address: str | None
        district: str
        grid: str | None
        division: str
        items: list[str]
        permit: dict[str, Any] | None
        credit_class: str
        risk_flags: list[str]
        person: dict[str, str] | None
        status: str
        personal_data_erased: bool

    class Created(LedgerAggregate.Created):
        TOPIC = "target.registered"
        kind: str
        code: str
        name: str | None
        legal_representative: str | None
        address: str | None
        district: str
        grid: str | None
        division: str
        items: list[str]
        permit: dict[str, Any] | None
        credit_class: str
        risk_flags: list[str]
        person: dict[str, str] | None
        source: str

        def apply(self, target: Target) -> None:
            for name in ("kind", "code", "person", *MUTABLE):
                setattr(target, name, getattr(self, name))
            target.status = "in_business"
            target.personal_data_erased = False

    class Updated(LedgerAggregate.Event):
        TOPIC = "target.updated"
        changes: dict[str, Any]
        reason: str
        source: str

        def apply(self, target: Target) -> None:
            for name, value in self.changes.items():
                setattr(target, name, value)

    class StatusChanged(LedgerAggregate.Event):
        TOPIC = "target.status_changed"
        status: str
        reason: str
        source: str

        def apply(self, target: Target) -> None:
            target.status = self.status

    class PersonalDataErased(LedgerAggregate.Event):
        """An individual's personal data was erased (PIPL): the row behind ``ref`` is deleted;
        the event names only the reference, and the commitment in earlier events stays."""

        TOPIC = "target.personal_data_erased"
        ref: str
        reason: str
        source: str

        def apply(self, target: Target) -> None:
            target.personal_data_erased = True

    @classmethod
    def register(
        cls,
        spec: dict[str, Any],
        source: str,
        actor: dict[str, Any],
        person: dict[str, str] | None = None,
        *,
        tid: UUID | None = None,
    ) -> Target:
        """A new target; ``tid``, when the caller has it already, must be its ``target_id``."""
        target: Target = cls._create_with_id(
            cls.Created,
            tid or target_id(spec["kind"], spec["code"]),
            actor=actor,
            person=person,
            source=source,
            **spec,
        )
        return target

    def as_input(self) -> dict[str, Any]:
        """The target in the input form ``parse_target`` reads (a file's row): the permit as
        its parts. An individual's code is their reference and their name is None (the log
        keeps no personal data)."""
        permit = self.permit or {}
        fields = {name: getattr(self, name) for name in MUTABLE if name != "permit"}
        parts = {key: permit.get(name) for key, name in PERMIT_PARTS}
        return {"code": self.code, "kind": self.kind, **fields, **parts}

    def changes_to(self, spec: dict[str, Any]) -> dict[str, Any]:
        """The mutable fields whose values differ from ``spec`` (absent ones are kept)."""
        return {
            name: spec[name]
            for name in MUTABLE
            if name in spec
            and spec[name] != getattr(self, name)
            and not (name == "name" and self.kind == "individual")
        }

    def update(
        self, changes: dict[str, Any], reason: str, source: str, actor: dict[str, Any]
    ) -> None:
        unknown = sorted(set(changes) - set(MUTABLE))
        if unknown:
            raise Conflict(f"target fields {unknown} cannot be changed; register another target")
        if changes:
            self.trigger_event(
                self.Updated, changes=changes, reason=reason, source=source, actor=actor
            )

    def erase_personal_data(self, reason: str, source: str, actor: dict[str, Any]) -> None:
        if self.kind != "individual" or not self.person:
            raise Conflict(
                f"target {self.code} is a {self.kind}: only an individual's (个人) personal data "
                "is kept, and can be erased"
            )
        if self.personal_data_erased:
            raise Conflict(f"the personal data of {self.code} was erased already")
        self.trigger_event(
            self.PersonalDataErased,
            ref=self.person["ref"],
            reason=reason,
            source=source,
            actor=actor,
        )

    def change_status(self, status: str, reason: str, source: str, actor: dict[str, Any]) -> None:
        if status not in STATUSES:
            raise BadInput(f"status {status!r} is not one of {', '.join(STATUSES)}")
        if status == self.status:
            raise Conflict(f"target {self.code} is {status} already")
        self.trigger_event(
            self.StatusChanged, status=status, reason=reason, source=source, actor=actor
        )


def target_named(app: LedgerApp, ref: UUID | str) -> Target:
    """The target ``ref`` names: its id, or a reference as a person writes it (``target_id_of``)
    — a NotFound then names what was written, not the id made from it."""
    if isinstance(ref, UUID):
        return app.get(ref, Target)
    return app.get(target_id_of(ref), Target, named=ref.strip())
