"""The registry service: one method per command on the two registries and the item list.

Every command names the acting official (``by``: an official's code, or None for the ledger's
own operator), checks their authority, checks its input in full before recording anything, and
records signed events. Imports validate every row first (``bulk.py``): with any bad row nothing
is recorded unless ``skip_invalid``; re-importing the same content records nothing new. API
tokens are issued and checked by ``tokens.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from verify.identity_rules import bound_move_refusal

from ..application import LedgerApp
from ..errors import Conflict, NotFound
from ..fields import FieldProblem, InvalidFields
from ..person_refs import ref_key
from . import bulk, identities, importer, tokens
from .authority import acting
from .divisions import Division, division_id, parse_division
from .erasure import erase_personal_data
from .inspectors import Inspector, inspector_id, parse_inspector
from .items import Item, ItemList, item_id, parse_item
from .layouts import KINDS
from .officials import Official, official_id, parse_official
from .personal_data import PersonalData
from .reports import ImportReport, RowProblem
from .targets import PERMIT_PARTS, Target, parse_target, target_id, target_named

Progress = Callable[[int, int], None]


class Registry:
    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        self.people = PersonalData(app.recorder, ref_key(app))

    # -- who acts ------------------------------------------------------------------------------

    def official(self, code: str) -> Official:
        official: Official = self.app.get(official_id(code), Official, named=code)
        return official

    def _actor(self, by: str | None, action: str, division: str | None = None) -> dict[str, Any]:
        return acting(self.app, by, action, division)

    def _exists(self, aggregate_id: UUID) -> bool:
        return bulk.exists(self.app, aggregate_id)

    def _require(self, kind: str, code: str | None, make_id: Callable[[str], UUID]) -> None:
        if code is not None and not self._exists(make_id(code)):
            raise InvalidFields([FieldProblem(kind, code, f"no {kind} with code {code!r}")])

    # -- divisions and officials ---------------------------------------------------------------

    def add_division(self, data: dict[str, Any], by: str | None) -> str:
        spec = parse_division(data)
        actor = self._actor(by, "division.manage")
        if self._exists(division_id(spec["code"])):
            raise Conflict(f"division {spec['code']} exists already")
        self.app.save(Division.create(spec, actor))
        return str(spec["code"])

    def name_contact(self, division: str, contact: str | None, reason: str, by: str | None) -> None:
        actor = self._actor(by, "division.manage")
        if contact is not None:
            self._require("contact", contact, official_id)
        record: Division = self.app.get(division_id(division), Division, named=division)
        record.name_contact(contact, reason, actor)
        self.app.save(record)

    def register_official(self, data: dict[str, Any], by: str | None) -> str:
        spec = parse_official(data)
        actor = self._actor(by, "official.manage")
        self._require("division", spec["division"], division_id)
        if self._exists(official_id(spec["code"])):
            raise Conflict(f"official {spec['code']} exists already")
        identities.check_official_code(self.app, spec["code"])
        self.app.save(Official.register(spec, actor))
        return str(spec["code"])

    def change_official_roles(
        self, code: str, roles: list[str], division: str, reason: str, by: str | None
    ) -> None:
        actor = self._actor(by, "official.manage")
        self._require("division", division, division_id)
        official = self.official(code)
        bound = official.inspector if official.active else None
        refusal = bound_move_refusal("official", code, bound, official.division, division)
        if refusal is not None:
            raise Conflict(refusal)
        official.change_roles(roles, division, reason, actor)
        self.app.save(official)

    def bind_inspector(self, code: str, inspector: str, reason: str, by: str | None) -> None:
        """Bind official ``code`` to the roster inspector they are (``identities.bind``)."""
        identities.bind(self.app, code, inspector, reason, by)

    def deactivate_official(self, code: str, reason: str, by: str | None) -> None:
        actor = self._actor(by, "official.manage")
        official = self.official(code)
        official.deactivate(reason, actor)
        self.app.save(official)

    # -- tokens (tokens.py) --------------------------------------------------------------------

    def issue_token(
        self, code: str, by: str | None, *, days: int | None = None, label: str | None = None
    ) -> str:
        """Issue an API token for an official, living ``days`` (the policy's default if None),
        with an optional ``label``; the token is returned once and stored hashed."""
        return tokens.issue(self.app, code, by, days=days, label=label)

    def revoke_token(self, code: str, token_id: str, reason: str, by: str | None) -> None:
        tokens.revoke(self.app, code, token_id, reason, by)

    def authenticate(self, token: str) -> Official:
        """The official a token was issued to; Forbidden if it is unknown, revoked or expired."""
        return tokens.authenticate(self.app, token)

    # -- imports (bulk.py) ---------------------------------------------------------------------

    def import_rows(
        self,
        kind: str,
        rows: bulk.Numbered,
        by: str | None,
        *,
        source: str = "import",
        skip_invalid: bool = False,
        progress: Progress | None = None,
        today: date | None = None,
        create_only: bool = False,
        dry_run: bool = False,
    ) -> ImportReport:
        """Import numbered rows ``(row number, fields)`` of one registry ``kind``: register new
        entries and correct changed ones, changing only what the rows' cells give
        (``importer.py``). Every row is checked before anything is recorded; problems, warnings
        and changes name the rows by the numbers given. ``source`` is recorded with each target
        and names the file in each correction's reason; ``progress`` (targets only) is told
        rows recorded; ``today`` (inspectors) judges certificates; ``dry_run`` records nothing
        and reports what would be. Forbidden (nothing recorded) if ``by`` lacks authority over
        any row's division or entry (``bulk.authorised``); Conflict (nothing recorded) if
        another command recorded one of the same entries meanwhile, or, with ``create_only``
        (a registration), if one exists."""
        return importer.import_rows(
            self.app,
            self.people,
            kind,
            rows,
            by,
            source=source,
            skip_invalid=skip_invalid,
            progress=progress,
            today=today or _today(),
            create_only=create_only,
            dry_run=dry_run,
        )

    def import_targets(
        self,
        rows: Iterable[dict[str, Any]],
        by: str | None,
        source: str,
        *,
        skip_invalid: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """``import_rows`` of targets given as a list: row numbers 1, 2, …"""
        return self.import_rows(
            "targets",
            enumerate(rows, start=1),
            by,
            source=source,
            skip_invalid=skip_invalid,
            progress=progress,
        )

    def import_inspectors(
        self,
        rows: Iterable[dict[str, Any]],
        by: str | None,
        *,
        skip_invalid: bool = False,
        today: date | None = None,
    ) -> ImportReport:
        """``import_rows`` of inspectors given as a list: row numbers 1, 2, …"""
        return self.import_rows(
            "inspectors", enumerate(rows, start=1), by, skip_invalid=skip_invalid, today=today
        )

    def import_items(
        self, rows: Iterable[dict[str, Any]], by: str | None, *, skip_invalid: bool = False
    ) -> ImportReport:
        """``import_rows`` of items given as a list: row numbers 1, 2, …"""
        return self.import_rows("items", enumerate(rows, start=1), by, skip_invalid=skip_invalid)

    # -- targets -------------------------------------------------------------------------------

    def register_target(
        self, data: dict[str, Any], by: str | None, source: str = "api"
    ) -> tuple[UUID, list[str]]:
        """Register one new target; Conflict if its code is registered already (a change to
        an existing target is a correction, ``update_target``)."""
        spec, _ = parse_target(data)
        problems = bulk.KnownCodes(self.app).check_target(spec)
        if problems:
            raise InvalidFields(problems)
        self._actor(by, "target.write", spec["division"])  # Forbidden before anything is kept
        key = spec["code"]
        if spec["kind"] == "individual":
            key = self.people.reference(str(spec["code"]))
        tid = target_id(spec["kind"], key)
        if self._exists(tid):
            raise Conflict(
                f"target {spec['kind']} {key} is registered already; send a correction to change it"
            )
        report = self.import_rows("targets", [(1, data)], by, source=source, create_only=True)
        _raise_problems(report)
        # One target, not a file: its warnings without the one-row import's "row 1: ".
        return tid, [w.removeprefix("row 1: ") for w in report.warnings]

    def erase_personal_data(
        self, target: UUID | str, reason: str, source: str, by: str | None
    ) -> str:
        """Erase an individual target's personal data (PIPL); returns its reference."""
        return erase_personal_data(self.app, self.people, target, reason, source, by)

    def change_target_status(
        self, target: UUID | str, status: str, reason: str, source: str, by: str | None
    ) -> None:
        record = target_named(self.app, target)
        actor = self._actor(by, "target.write", record.division)
        record.change_status(status, reason, source, actor)
        self.app.save(record)

    def update_target(
        self,
        target: UUID | str,
        changes: dict[str, Any],
        reason: str,
        source: str,
        by: str | None,
    ) -> list[str]:
        """Correct a target: the merged fields are checked like a registration and only what
        really differs is recorded; returns the check's warnings (a cell left out as an
        individual's personal data, a code's GB 11714 check), as a registration does."""
        record = target_named(self.app, target)
        self._actor(by, "target.write", record.division)  # Forbidden before anything is read
        given = _as_input(changes)
        current = record.as_input()
        if "permit" in changes:  # a whole new permit (or none): the recorded one's parts go
            current = {k: v for k, v in current.items() if k not in dict(PERMIT_PARTS)}
        merged = {**current, **given}
        if record.kind == "individual":
            merged["name"] = "(personal data)"
        spec, warnings = parse_target(merged)
        self._require("division", spec["division"], division_id)
        for item in spec["items"]:
            self._require("items", item, item_id)
        actor = acting(self.app, by, "target.write", record.division, to=spec["division"])
        difference = record.changes_to(spec)
        if not difference:
            raise Conflict(f"the correction changes nothing on target {record.code}")
        record.update(difference, reason, source, actor)
        self.app.save(record)
        return warnings

    # -- inspectors ----------------------------------------------------------------------------

    def register_inspector(self, data: dict[str, Any], by: str | None) -> str:
        """Register one new inspector; Conflict if the code exists (use a correction)."""
        spec = parse_inspector(data, _today())
        self._actor(by, "inspector.write", spec["division"])
        if self._exists(inspector_id(spec["code"])):
            raise Conflict(f"inspector {spec['code']} is registered already; send a correction")
        report = self.import_rows("inspectors", [(1, data)], by, create_only=True)
        _raise_problems(report)
        return str(spec["code"])

    def update_inspector(
        self, code: str, changes: dict[str, Any], reason: str, by: str | None
    ) -> None:
        """Correct an inspector: the changes (in input form) are checked like a registration,
        and only what really differs is recorded."""
        record: Inspector = self.app.get(inspector_id(code), Inspector, named=code)
        self._actor(by, "inspector.write", record.division)
        changes = dict(changes)
        certificate = changes.pop("certificate", None)
        if isinstance(certificate, dict):  # the stored form, as history shows it
            changes.setdefault("certificate_number", certificate.get("number"))
            changes.setdefault("certificate_valid_until", certificate.get("valid_until"))
        spec = parse_inspector(
            {**record.as_input(), **changes, "code": record.code}, _today(), record.certificate
        )
        problems = bulk.KnownCodes(self.app).check_inspector(spec)
        if problems:
            raise InvalidFields(problems)
        actor = acting(self.app, by, "inspector.write", record.division, to=spec["division"])
        difference = record.changes_to(spec)
        if not difference:
            raise Conflict(f"the correction changes nothing on inspector {code}")
        if "certificate" in difference:  # a certificate number belongs to one inspector only
            number = spec["certificate"]["number"]
            holder = importer.certificate_holders(self.app).get(number)
            if holder is not None and holder != code:
                message = (
                    f"is the certificate of inspector {holder}: certificate numbers are unique"
                )
                raise InvalidFields([FieldProblem("certificate_number", number, message)])
        if "unit" in difference:
            holder = identities.bound_official(self.app, code)
            refusal = bound_move_refusal("inspector", code, holder, record.unit, spec["unit"])
            if refusal is not None:
                raise Conflict(refusal)
        record.update(difference, reason, actor)
        self.app.save(record)

    def declare_conflict(
        self, code: str, target: UUID, reason: str, by: str | None, *, named: str | None = None
    ) -> None:
        """``named``: the target as the caller wrote it, which a NotFound names."""
        record: Inspector = self.app.get(inspector_id(code), Inspector, named=code)
        actor = self._actor(by, "inspector.write", record.division)
        self.app.get(target, Target, named=named)  # the target must exist
        record.declare_conflict(str(target), reason, actor)
        self.app.save(record)

    def withdraw_conflict(self, code: str, target: UUID, reason: str, by: str | None) -> None:
        record: Inspector = self.app.get(inspector_id(code), Inspector, named=code)
        actor = self._actor(by, "inspector.write", record.division)
        record.withdraw_conflict(str(target), reason, actor)
        self.app.save(record)

    # -- items ---------------------------------------------------------------------------------

    def register_item(self, data: dict[str, Any], by: str | None) -> str:
        """Register one new item; Conflict if the code exists."""
        spec = parse_item(data)
        self._actor(by, "item.write", spec["division"])
        if self._exists(item_id(spec["code"])):
            raise Conflict(f"item {spec['code']} is registered already")
        report = self.import_rows("items", [(1, data)], by, create_only=True)
        _raise_problems(report)
        return str(spec["code"])

    def withdraw_item(self, code: str, reason: str, by: str | None) -> None:
        record: Item = self.app.get(item_id(code), Item, named=code)
        actor = self._actor(by, "item.write", record.division)
        record.withdraw(reason, actor)
        self.app.save(record)

    def publish_item_list(self, by: str | None) -> tuple[int, str]:
        """Publish the consolidated list of every item not withdrawn; return (number, digest)."""
        actor = self._actor(by, "itemlist.publish")
        items = [
            record.content()
            for n in self.app.notifications(topics=["item.registered"])
            if not (record := self.app.get(UUID(str(n.originator_id)), Item)).withdrawn
        ]
        if not items:
            raise Conflict("there is no item to publish")
        number = sum(1 for _ in self.app.notifications(topics=["itemlist.published"])) + 1
        published = ItemList.publish(number, items, actor)
        self.app.save(published)
        return number, published.digest

    def published_item_list(self) -> dict[str, Any]:
        last = None
        for n in self.app.notifications(topics=["itemlist.published"]):
            last = n
        if last is None:
            raise NotFound("no item list has been published yet")
        record: ItemList = self.app.get(UUID(str(last.originator_id)), ItemList)
        return {
            "number": record.number,
            "digest": record.digest,
            "published_at": record.created_on.isoformat(),
            "position": last.id,
            "items": record.items,
        }


def _as_input(fields: dict[str, Any]) -> dict[str, Any]:
    """A correction's changes in the input form ``parse_target`` reads: a stored-form permit
    becomes its parts; ``permit_*`` keys already present win over it."""
    data = dict(fields)
    permit = data.pop("permit", None)
    if permit:
        for key, name in PERMIT_PARTS:
            data.setdefault(key, permit.get(name))
    return data


def _raise_problems(report: ImportReport) -> None:
    if report.problems:
        raise InvalidFields([FieldProblem(p.field, p.value, p.message) for p in report.problems])


def _today() -> date:
    return datetime.now(UTC).date()


__all__ = ["KINDS", "ImportReport", "Registry", "RowProblem"]
