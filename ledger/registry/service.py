"""The registry service: one method per command on the two registries and the item list.

Every command names the acting official (``by``: an official's code, or None for the ledger's
own operator), checks their authority, checks its input in full before recording anything, and
records signed events. Imports validate a whole file first: with any bad row nothing is recorded
unless ``skip_invalid``; re-importing the same content records nothing new.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast
from uuid import UUID

from ..application import LedgerApp
from ..errors import Conflict, Forbidden, NotFound
from ..fields import FieldProblem, InvalidFields
from ..mapper import SigningMapper
from ..storage import for_driver, is_postgres
from .authority import acting, authorise, official_of
from .divisions import Division, division_id, parse_division
from .inspectors import Inspector, inspector_id, parse_inspector
from .items import Item, ItemList, item_id, parse_item
from .officials import Official, official_id, parse_official
from .personal_data import PersonalData
from .targets import Target, parse_target, target_id

BATCH = 1000
# Imports of at least this many rows sign in a helper process (ledger/signing.py), which takes
# about half a second to start: worth it for a large file, not for a form or a small sheet.
SIGN_AHEAD_ROWS = 10_000
TOKEN_PREFIX = "dl1"


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    value: Any
    message: str


@dataclass
class ImportReport:
    total: int = 0
    recorded: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a bulk import.

    An import keeps every checked row until the last one is recorded; each full collection
    walks all of them, which made a 100,000-row import about 30 % slower. What an import
    allocates holds no reference cycles, and the collector runs again afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Registry:
    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        self.people = PersonalData(app.recorder, app.signer)

    # -- who acts ------------------------------------------------------------------------------

    def official(self, code: str) -> Official:
        official: Official = self.app.get(official_id(code), Official)
        return official

    def _actor(self, by: str | None, action: str, division: str | None = None) -> dict[str, Any]:
        return acting(self.app, by, action, division)

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.app.recorder.select_events(aggregate_id, limit=1))

    def _checked_rows(
        self,
        rows: Iterable[dict[str, Any]],
        by: str | None,
        action: str,
        check: Callable[[int, dict[str, Any]], dict[str, Any]],
        report: ImportReport,
    ) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
        """Check every row (``check(number, row)``: fields, known codes; then authority);
        problems go to the report. Returns ``(row, spec, actor)`` for the good rows."""
        official = official_of(self.app, by)
        valid = []
        for number, row in enumerate(rows, start=1):
            report.total += 1
            try:
                spec = check(number, row)
                actor = authorise(official, action, spec["division"]).to_json()
            except InvalidFields as e:
                report.problems += [
                    RowProblem(number, p.field, p.value, p.message) for p in e.problems
                ]
                continue
            except Forbidden as e:
                report.problems.append(RowProblem(number, "division", row.get("division"), str(e)))
                continue
            valid.append((row, spec, actor))
        return valid

    def _record_rows(
        self,
        valid: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]],
        make_id: Callable[[str], UUID],
        cls: type[Any],
        register: Callable[..., Any],
        change: Callable[..., None],
        report: ImportReport,
    ) -> None:
        """Register new entries, correct changed ones ("import"), count unchanged ones."""
        pending = []
        for _, spec, actor in valid:
            uid = make_id(spec["code"])
            if not self._exists(uid):
                pending.append(register(spec, actor))
                report.recorded += 1
                continue
            record = self.app.get(uid, cls)
            changes = record.changes_to(spec)
            if changes:
                change(record, changes, "import", actor)
                pending.append(record)
                report.updated += 1
            else:
                report.unchanged += 1
        if pending:
            self.app.save(*pending)

    def _existing(self, ids: list[UUID]) -> set[UUID]:
        """Which of these aggregates have events, in one query."""
        if not ids:
            return set()
        pg = is_postgres(self.app.recorder)
        marks = for_driver(", ".join(["?"] * len(ids)), pg)
        params = list(ids) if pg else [i.hex for i in ids]
        datastore: Any = self.app.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT DISTINCT originator_id FROM {self.app.events_table} "
                f"WHERE originator_id IN ({marks})",
                params,
            )
            return {UUID(str(r["originator_id"])) for r in c.fetchall()}

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
        record: Division = self.app.get(division_id(division), Division)
        record.name_contact(contact, reason, actor)
        self.app.save(record)

    def register_official(self, data: dict[str, Any], by: str | None) -> str:
        spec = parse_official(data)
        actor = self._actor(by, "official.manage")
        self._require("division", spec["division"], division_id)
        if self._exists(official_id(spec["code"])):
            raise Conflict(f"official {spec['code']} exists already")
        self.app.save(Official.register(spec, actor))
        return str(spec["code"])

    def change_official_roles(
        self, code: str, roles: list[str], division: str, reason: str, by: str | None
    ) -> None:
        actor = self._actor(by, "official.manage")
        self._require("division", division, division_id)
        official = self.official(code)
        official.change_roles(roles, division, reason, actor)
        self.app.save(official)

    def deactivate_official(self, code: str, reason: str, by: str | None) -> None:
        actor = self._actor(by, "official.manage")
        official = self.official(code)
        official.deactivate(reason, actor)
        self.app.save(official)

    # -- tokens --------------------------------------------------------------------------------

    def issue_token(self, code: str, by: str | None) -> str:
        """Issue an API token for an official; the token is returned once and stored hashed."""
        actor = self._actor(by, "token.manage")
        official = self.official(code)
        token_id = secrets.token_hex(4)
        owner = base64.urlsafe_b64encode(code.encode()).decode().rstrip("=")
        token = f"{TOKEN_PREFIX}.{owner}.{token_id}.{secrets.token_urlsafe(32)}"
        official.issue_token(token_id, _token_hash(token), actor)
        self.app.save(official)
        return token

    def revoke_token(self, code: str, token_id: str, reason: str, by: str | None) -> None:
        actor = self._actor(by, "token.manage")
        official = self.official(code)
        official.revoke_token(token_id, reason, actor)
        self.app.save(official)

    def authenticate(self, token: str) -> Official:
        """The official a token was issued to; Forbidden if it is unknown or revoked."""
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != TOKEN_PREFIX:
            raise Forbidden("not a drawledger token")
        try:
            code = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
            official = self.official(code)
        except (ValueError, NotFound):
            raise Forbidden("unknown token") from None
        stored = official.tokens.get(parts[2])
        if stored is None or not hmac.compare_digest(stored, _token_hash(token)):
            raise Forbidden("unknown or revoked token")
        if not official.active:
            raise Forbidden(f"official {official.code} is deactivated")
        return official

    # -- targets -------------------------------------------------------------------------------

    def register_target(
        self, data: dict[str, Any], by: str | None, source: str = "api"
    ) -> tuple[UUID, list[str]]:
        """Register one new target; Conflict if its code is registered already (a change to
        an existing target is a correction, ``update_target``)."""
        spec, _ = parse_target(data)
        problems = _KnownCodes(self).check(spec)
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
        report = self.import_targets([data], by, source)
        _raise_problems(report)
        return tid, report.warnings

    def change_target_status(
        self, target: UUID, status: str, reason: str, source: str, by: str | None
    ) -> None:
        record: Target = self.app.get(target, Target)
        actor = self._actor(by, "target.write", record.division)
        record.change_status(status, reason, source, actor)
        self.app.save(record)

    def update_target(
        self, target: UUID, changes: dict[str, Any], reason: str, source: str, by: str | None
    ) -> None:
        record: Target = self.app.get(target, Target)
        actor = self._actor(by, "target.write", record.division)
        merged = {**record.fields(), "kind": record.kind, "code": record.code, **changes}
        if record.kind == "individual":
            merged["name"] = "(personal data)"
        spec, _ = parse_target(_as_input(merged))
        self._require("division", spec["division"], division_id)
        for item in spec["items"]:
            self._require("items", item, item_id)
        if spec["division"] != record.division:
            self._actor(by, "target.write", spec["division"])  # must also own the new division
        difference = record.changes_to(spec)
        if not difference:
            raise Conflict(f"the correction changes nothing on target {record.code}")
        record.update(difference, reason, source, actor)
        self.app.save(record)

    @_collector_paused()
    def import_targets(
        self,
        rows: Iterable[dict[str, Any]],
        by: str | None,
        source: str,
        *,
        skip_invalid: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportReport:
        """Register new targets and correct changed ones; see the module docstring."""
        report = ImportReport()
        seen: dict[str, int] = {}
        known = _KnownCodes(self)

        def check(number: int, row: dict[str, Any]) -> dict[str, Any]:
            spec, warnings = parse_target(row)
            report.warnings += [f"row {number}: {w}" for w in warnings]
            key = f"{spec['kind']}:{spec['code']}"
            if key in seen:
                raise InvalidFields(
                    [FieldProblem("code", spec["code"], f"duplicate of row {seen[key]}")]
                )
            seen[key] = number
            problems = known.check(spec)
            if problems:
                raise InvalidFields(problems)
            return spec

        checked = []
        for row, spec, actor in self._checked_rows(rows, by, "target.write", check, report):
            person = None
            if spec["kind"] == "individual":
                person = {"identity": str(row.get("code")), "name": row.get("name")}
                spec["code"] = self.people.reference(str(spec["code"]))
            checked.append((spec, {"actor": actor, "person": person, "given": set(row)}))
        if report.problems and not skip_invalid:
            return report
        report.skipped = len({p.row for p in report.problems})
        mapper = cast(SigningMapper, self.app.mapper)
        helper = mapper.signing_ahead() if len(checked) >= SIGN_AHEAD_ROWS else nullcontext(False)
        with helper as ahead:
            # Batch k is signed by the helper process while this thread builds batch k + 1
            # and then stores batch k (signing.py); without the helper, each save signs inline.
            previous: list[Target] = []
            for start in range(0, len(checked) + BATCH, BATCH):
                chunk = checked[start : start + BATCH]
                pending: list[Target] = []
                if chunk:
                    ids = [target_id(s["kind"], s["code"]) for s, _ in chunk]
                    existing = self._existing(ids)
                    for tid, (spec, extra) in zip(ids, chunk, strict=True):
                        pending += self._target_change(tid, spec, extra, source, report, existing)
                    if ahead:
                        mapper.sign_ahead([e for t in pending for e in t.pending_events])
                if previous:
                    self.app.save(*previous)
                if progress and start:
                    progress(min(start, len(checked)), len(checked))
                previous = pending
        if progress:
            progress(len(checked), len(checked))
        return report

    def _target_change(
        self,
        tid: UUID,
        spec: dict[str, Any],
        extra: dict[str, Any],
        source: str,
        report: ImportReport,
        existing: set[UUID],
    ) -> list[Target]:
        person = extra["person"]
        if tid not in existing:
            kept = None
            if person is not None:
                kept = self.people.keep(spec["code"], person)
            report.recorded += 1
            return [Target.register(spec, source, extra["actor"], kept, tid=tid)]
        record: Target = self.app.get(tid, Target)
        # A column the file leaves out keeps its value; a blank cell empties it.
        given = extra["given"]
        changes = {
            name: value
            for name, value in record.changes_to(spec).items()
            if name in given or (name == "permit" and any(k.startswith("permit_") for k in given))
        }
        if not changes:
            report.unchanged += 1
            return []
        record.update(changes, f"import from {source}", source, extra["actor"])
        report.updated += 1
        return [record]

    # -- inspectors ----------------------------------------------------------------------------

    def register_inspector(self, data: dict[str, Any], by: str | None) -> str:
        """Register one new inspector; Conflict if the code exists (use a correction)."""
        spec = parse_inspector(data, _today())
        self._actor(by, "inspector.write", spec["division"])
        if self._exists(inspector_id(spec["code"])):
            raise Conflict(f"inspector {spec['code']} is registered already; send a correction")
        report = self.import_inspectors([data], by)
        _raise_problems(report)
        return str(spec["code"])

    def import_inspectors(
        self,
        rows: Iterable[dict[str, Any]],
        by: str | None,
        *,
        skip_invalid: bool = False,
        today: date | None = None,
    ) -> ImportReport:
        today = today or _today()
        known = _KnownCodes(self)

        def check(_: int, row: dict[str, Any]) -> dict[str, Any]:
            spec = parse_inspector(row, today, self._recorded_certificate(row.get("code")))
            problems = known.check_inspector(spec)
            if problems:
                raise InvalidFields(problems)
            return spec

        report = ImportReport()
        valid = self._checked_rows(rows, by, "inspector.write", check, report)
        if report.problems and not skip_invalid:
            return report
        self._record_rows(
            valid, inspector_id, Inspector, Inspector.register, Inspector.update, report
        )
        return report

    def _recorded_certificate(self, code: Any) -> dict[str, Any] | None:
        """The certificate recorded for an inspector code, if it is registered."""
        if not isinstance(code, str) or not code.strip():
            return None
        key = inspector_id(unicodedata.normalize("NFKC", code).strip())
        if not self._exists(key):
            return None
        record: Inspector = self.app.get(key, Inspector)
        return dict(record.certificate)

    def update_inspector(
        self, code: str, changes: dict[str, Any], reason: str, by: str | None
    ) -> None:
        """Correct an inspector: the changes (in input form) are checked like a registration,
        and only what really differs is recorded."""
        record: Inspector = self.app.get(inspector_id(code), Inspector)
        actor = self._actor(by, "inspector.write", record.division)
        current = {
            "code": record.code,
            "name": record.name,
            "certificate_number": record.certificate["number"],
            "certificate_valid_until": record.certificate["valid_until"],
            "unit": record.unit,
            "division": record.division,
            "agency_staff": record.agency_staff,
            "qualifications": record.qualifications,
            "status": record.status,
        }
        changes = dict(changes)
        certificate = changes.pop("certificate", None)
        if isinstance(certificate, dict):  # the stored form, as history shows it
            changes.setdefault("certificate_number", certificate.get("number"))
            changes.setdefault("certificate_valid_until", certificate.get("valid_until"))
        spec = parse_inspector(
            {**current, **changes, "code": record.code}, _today(), record.certificate
        )
        problems = _KnownCodes(self).check_inspector(spec)
        if problems:
            raise InvalidFields(problems)
        if spec["division"] != record.division:
            self._actor(by, "inspector.write", spec["division"])
        difference = record.changes_to(spec)
        if not difference:
            raise Conflict(f"the correction changes nothing on inspector {code}")
        record.update(difference, reason, actor)
        self.app.save(record)

    def declare_conflict(self, code: str, target: UUID, reason: str, by: str | None) -> None:
        record: Inspector = self.app.get(inspector_id(code), Inspector)
        actor = self._actor(by, "inspector.write", record.division)
        self.app.get(target, Target)  # the target must exist
        record.declare_conflict(str(target), reason, actor)
        self.app.save(record)

    def withdraw_conflict(self, code: str, target: UUID, reason: str, by: str | None) -> None:
        record: Inspector = self.app.get(inspector_id(code), Inspector)
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
        report = self.import_items([data], by)
        _raise_problems(report)
        return str(spec["code"])

    def import_items(
        self, rows: Iterable[dict[str, Any]], by: str | None, *, skip_invalid: bool = False
    ) -> ImportReport:
        known = _KnownCodes(self)

        def check(_: int, row: dict[str, Any]) -> dict[str, Any]:
            spec = parse_item(row)
            problems = [
                FieldProblem(name, code, f"no division or unit with code {code!r}")
                for name, codes in (
                    ("division", [spec["division"]]),
                    ("executing_units", spec["executing_units"]),
                )
                for code in codes
                if not known.division(code)
            ]
            if problems:
                raise InvalidFields(problems)
            return spec

        report = ImportReport()
        valid = self._checked_rows(rows, by, "item.write", check, report)
        if report.problems and not skip_invalid:
            return report
        self._record_rows(valid, item_id, Item, Item.register, Item.amend, report)
        return report

    def withdraw_item(self, code: str, reason: str, by: str | None) -> None:
        record: Item = self.app.get(item_id(code), Item)
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


class _KnownCodes:
    """Caches which division and item codes exist, for checking many rows quickly."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._divisions: dict[str, bool] = {}
        self._items: dict[str, bool] = {}

    def division(self, code: str | None) -> bool:
        if code is None:
            return True
        if code not in self._divisions:
            self._divisions[code] = self._registry._exists(division_id(code))
        return self._divisions[code]

    def item(self, code: str) -> bool:
        if code not in self._items:
            self._items[code] = self._registry._exists(item_id(code))
        return self._items[code]

    def check(self, spec: dict[str, Any]) -> list[FieldProblem]:
        problems = []
        if not self.division(spec["division"]):
            problems.append(FieldProblem("division", spec["division"], "no such division"))
        for item in spec["items"]:
            if not self.item(item):
                problems.append(FieldProblem("items", item, f"no inspection item {item!r}"))
        return problems

    def check_inspector(self, spec: dict[str, Any]) -> list[FieldProblem]:
        problems = [
            FieldProblem(name, spec[name], f"no division or unit with code {spec[name]!r}")
            for name in ("division", "unit")
            if not self.division(spec[name])
        ]
        for item in spec["qualifications"]:
            if not self.item(item):
                problems.append(
                    FieldProblem("qualifications", item, f"no inspection item {item!r}")
                )
        return problems


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _as_input(fields: dict[str, Any]) -> dict[str, Any]:
    """Flatten a target's stored fields back into the input form ``parse_target`` reads;
    ``permit_*`` keys already present (a correction) win over the stored permit."""
    data = dict(fields)
    permit = data.pop("permit", None)
    if permit:
        for key, name in (
            ("permit_number", "number"),
            ("permit_valid_from", "valid_from"),
            ("permit_valid_until", "valid_until"),
        ):
            data.setdefault(key, permit.get(name))
    return data


def _raise_problems(report: ImportReport) -> None:
    if report.problems:
        raise InvalidFields([FieldProblem(p.field, p.value, p.message) for p in report.problems])


def _today() -> date:
    return datetime.now(UTC).date()


__all__ = ["ImportReport", "Registry", "RowProblem"]
