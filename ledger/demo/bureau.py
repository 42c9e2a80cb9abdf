"""A realistic demo registry for the Changzhou Water Conservancy Bureau (常州市水利局).

It follows the bureau's 2018 notice on "double random" inspections: the divisions and units the
notice names (水政处 as aggregator, 工管处, 河湖处, 市水政监察支队, 水资源服务中心) plus two
business divisions of the kind it calls "其他业务处室" (水资源处, 农水处: illustrative); officials
in every role; real water items with their legal bases (an article is given only where it is
certain, otherwise "见原文", see the law); targets with valid unified social credit codes across
the city's districts; an inspector roster with qualifications, moves and declared conflicts; and
the item list published by the aggregator. The data it is built from (divisions, officials,
items, districts, the words of synthetic names) is in ``changzhou.py``; this module builds.

Every entry is recorded through ``Registry`` commands acting as the official whose role permits
it, so the authority rules (谁审批谁监管) run exactly as in use. The ledger's operator acts only to
create the first division and the admin. Enterprise names, people and codes are synthetic.

The content is a function of ``seed`` and the year of ``today`` (permits and certificates are dated
relative to it, so that the demo stays valid): the same arguments give the same registry.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from verify.uscc import check_character

from ..application import LedgerApp
from ..errors import Conflict, NotFound
from ..policies import Policies
from ..registry.divisions import Division, division_id
from ..registry.service import Registry
from ..registry.targets import target_id
from .changzhou import (
    ADMIN,
    AGGREGATOR,
    BUSINESS,
    CONFLICT_REASONS,
    DISTRICTS,
    DIVISIONS,
    GIVEN,
    INSPECTOR_MOVES,
    ITEMS,
    LEADERS,
    OFFICE,
    OFFICIALS,
    PROFILES,
    PROJECTS,
    REGION_WEIGHTS,
    RIVERS,
    ROADS,
    SOURCE,
    STATUS_CHANGES,
    SURNAMES,
    TOWNS,
    WORDS,
    inspector_official,
)
from .results import DemoResults, record_results
from .year import DemoYear, check_size, record_year

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    divisions: int
    officials: int
    items: int
    targets: int
    individuals: int
    projects: int
    status_changes: int
    corrections: int
    inspectors: int
    inspector_moves: int
    conflicts: int
    item_list_number: int
    item_list_digest: str
    admin: str
    admin_token: str
    ledger_size: int
    year: DemoYear | None = None  # the plans and draws of 2026, when asked for
    results: DemoResults | None = None  # their inspections, results and publications


def build_demo(
    app: LedgerApp,
    *,
    targets: int = 2000,
    inspectors: int = 60,
    seed: int = 2018,
    progress: Progress | None = None,
    today: date | None = None,
    plans_and_draws: bool = False,
) -> DemoSummary:
    """Record the demo registry in ``app``; Conflict if the ledger holds it already.

    With ``plans_and_draws``, also a year (2026) of plans and draws (``year.py``), whose
    ids are in the summary's ``year``, carried through inspections, results and publications
    (``results.py``, in the summary's ``results``).
    """
    try:
        app.get(division_id(OFFICE), Division)
    except NotFound:
        pass
    else:
        raise Conflict(
            "this ledger holds the demo registry already (division 'bgs' exists): "
            "build the demo in a new data directory"
        )
    check_size(targets, inspectors, plans_and_draws)
    today = today or datetime.now(UTC).date()
    builder = _Builder(Registry(app), random.Random(seed), today, progress)
    summary = builder.build(targets, inspectors)
    if not plans_and_draws:
        return summary
    year = record_year(app, seed)
    results = record_results(app, year)
    size = app.recorder.max_notification_id() or 0
    return replace(summary, year=year, results=results, ledger_size=size)


class _Builder:
    def __init__(
        self, registry: Registry, rng: random.Random, today: date, progress: Progress | None
    ) -> None:
        self.registry = registry
        self.rng = rng
        self.today = today
        self.progress = progress or (lambda stage, done, total: None)
        self.codes: set[str] = set()
        self.names: set[str] = set()
        self.serial = 0

    def build(self, n_targets: int, n_inspectors: int) -> DemoSummary:
        registry = self.registry
        self.progress("divisions and officials", 0, 1)
        # (1) The ledger's operator creates the office and its admin; the admin does the rest.
        registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, by=None)
        registry.register_official(self._official(*OFFICIALS[0]), by=None)
        for code, name, kind in DIVISIONS[1:]:
            registry.add_division({"code": code, "name": name, "kind": kind}, by=ADMIN)
        for official in OFFICIALS[1:]:
            registry.register_official(self._official(*official), by=ADMIN)
        for division in BUSINESS:
            registry.name_contact(division, f"{division}-clerk", "处室工作联系人", by=ADMIN)
        # The admin records which divisions each leader in charge oversees (分管): a leader
        # the policy names nothing for reviews only their own division's plans.
        in_force = registry.app.policy_in_force()
        document = {**in_force, "version": f"{in_force['version']}+leaders", "leaders": LEADERS}
        Policies(registry.app).set(document, ADMIN, "分管领导分工")
        self.progress("divisions and officials", 1, 1)

        # (2) Each division's clerk lists its own items (谁审批谁监管).
        for item in ITEMS:
            registry.register_item(item, by=f"{item['division']}-clerk")
        self.progress("items", len(ITEMS), len(ITEMS))

        # (3) Each division's clerk imports its own targets; then some change status or are
        # corrected, each as a new event with its reason and source.
        rows = self._targets(n_targets)
        done = 0
        for division in BUSINESS:
            own = [r for r in rows if r["division"] == division]

            def report(n: int, total: int, base: int = done) -> None:
                if base + n < len(rows):
                    self.progress("targets", base + n, len(rows))

            result = registry.import_targets(own, f"{division}-clerk", SOURCE, progress=report)
            if result.problems:
                raise Conflict(f"demo targets refused: {result.problems[:3]}")
            done += len(own)
        self.progress("targets", len(rows), len(rows))
        ids = [self._target_id(r) for r in rows]
        status_changes = self._status_changes(rows, ids)
        corrections = self._corrections(rows, ids)

        # (4) The aggregator keeps the whole roster (水政处负责完成全局执法人员库录入工作).
        roster = self._inspectors(n_inspectors)
        result = registry.import_inspectors(roster, AGGREGATOR, today=self.today)
        if result.problems:
            raise Conflict(f"demo inspectors refused: {result.problems[:3]}")
        self._inspector_officials(roster)
        self.progress("inspectors", len(roster), len(roster))
        moves = self._inspector_moves(roster)
        conflicts = self._conflicts(roster, rows, ids)

        # (5) The aggregator publishes the consolidated item list; the admin takes a token.
        number, digest = registry.publish_item_list(by=AGGREGATOR)
        token = registry.issue_token(ADMIN, by=ADMIN)
        self.progress("published", 1, 1)
        return DemoSummary(
            divisions=len(DIVISIONS),
            officials=len(OFFICIALS) + len(roster),
            items=len(ITEMS),
            targets=len(rows),
            individuals=sum(r["kind"] == "individual" for r in rows),
            projects=sum(r["kind"] == "project" for r in rows),
            status_changes=status_changes,
            corrections=corrections,
            inspectors=len(roster),
            inspector_moves=moves,
            conflicts=conflicts,
            item_list_number=number,
            item_list_digest=digest,
            admin=ADMIN,
            admin_token=token,
            ledger_size=registry.app.recorder.max_notification_id() or 0,
        )

    # -- people ---------------------------------------------------------------------------------

    def _person(self) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def _official(self, code: str, division: str, roles: list[str]) -> dict[str, Any]:
        return {"code": code, "name": self._person(), "division": division, "roles": roles}

    # -- targets --------------------------------------------------------------------------------

    def _targets(self, n: int) -> list[dict[str, Any]]:
        counts = [round(share * n) for _, _, share, _, _ in PROFILES]
        counts[0] += n - sum(counts)
        rows = []
        for (division, items, _, kinds, industries), count in zip(PROFILES, counts, strict=True):
            for _ in range(count):
                kind = self.rng.choices(list(kinds), weights=list(kinds.values()))[0]
                rows.append(self._target(kind, division, items, industries))
        # A handful of individuals: sand dredgers and a well owner (their data stays off the log).
        for number in range(max(1, n // 400)):
            division, items = (("hhc", ["hdcs"]), ("szc", ["qsxk"]))[number % 2]
            rows[-1 - number] = self._individual(number + 1, division, items)
        return rows

    def _place(self) -> tuple[str, str, str]:
        region = self.rng.choices(list(REGION_WEIGHTS), weights=list(REGION_WEIGHTS.values()))[0]
        located = region if region != "320400" else self.rng.choice(["320402", "320404", "320411"])
        district, towns = DISTRICTS[located]
        return region, district, self.rng.choice(towns)

    def _common(self, division: str, items: list[str], district: str, town: str) -> dict[str, Any]:
        credit = self.rng.choices("ABCD", weights=(55, 30, 10, 5))[0]
        flags: list[str] = []
        if credit in "CD" and self.rng.random() < 0.6:
            flags = self.rng.sample(
                [
                    "complaints",
                    "major_hazard",
                    "abnormal_operation",
                    "dishonest",
                    "past_violations",
                ],
                self.rng.choice((1, 2)),
            )
        elif self.rng.random() < 0.04:
            flags = ["complaints"]
        return {
            "district": district,
            "grid": f"{district}{town}第{self.rng.randint(1, 6)}网格",
            "division": division,
            "items": items,
            "credit_class": credit,
            "risk_flags": flags,
        }

    def _address(self, district: str, town: str) -> str:
        city = "常州市" if district.endswith("区") else "江苏省"
        return f"{city}{district}{town}{self.rng.choice(ROADS)}{self.rng.randint(1, 999)}号"

    def _target(
        self, kind: str, division: str, items: list[str], industries: list[str]
    ) -> dict[str, Any]:
        region, district, town = self._place()
        row = self._common(division, items, district, town)
        if kind == "project":
            prefix, patterns = PROJECTS[items[0]]
            permit = self._permit(prefix + "〔{year}〕{serial}号", years=3)
            code = permit["permit_number"]
            name = self.rng.choice(patterns).format(
                river=self.rng.choice(RIVERS), road=self.rng.choice(ROADS), town=town
            )
            row.update(
                kind="project",
                code=code,
                name=self._unique(f"{district}{name}"),
                legal_representative=self._person(),
                address=f"{district}{town}",
                **permit,
            )
            return row
        public = kind == "public_body"
        if public:
            name = f"{district}{town}" + self.rng.choice(
                ["自来水厂", "污水处理厂", "卫生院", "中心小学"]
            )
        else:
            words = "".join(self.rng.sample(WORDS, 2))
            lead = self.rng.choice(["常州", "常州市", "江苏", district[:2]])
            suffix = self.rng.choice(["有限公司", "有限公司", "股份有限公司", "有限责任公司"])
            name = f"{lead}{words}{self.rng.choice(industries)}{suffix}"
        row.update(
            kind=kind,
            code=self._credit_code("12" if public else "91", region),
            name=self._unique(name),
            legal_representative=self._person(),
            address=self._address(district, town),
        )
        if items[0] == "qsxk":
            row.update(self._permit("取水(常)字[{year}]第{serial:05d}号", years=5))
        elif items[0] == "hdcs":
            row.update(self._permit("常采〔{year}〕{serial}号", years=1))
        elif items[0] in PROJECTS:
            row.update(self._permit(PROJECTS[items[0]][0] + "〔{year}〕{serial}号", years=3))
        return row

    def _individual(self, number: int, division: str, items: list[str]) -> dict[str, Any]:
        region, district, town = self._place()
        row = self._common(division, items, district, town)
        # An obviously synthetic identity number: the demo must never resemble a real person.
        row.update(kind="individual", code=f"DEMO{region}{number:06d}", name=self._person())
        permit = "常采" if items[0] == "hdcs" else "取水(常)字"
        row.update(self._permit(permit + "〔{year}〕个{serial}号", years=1))
        return row

    def _permit(self, pattern: str, *, years: int) -> dict[str, Any]:
        """A permit issued up to its validity (plus a quarter: a few have lapsed) ago."""
        start = self.today - timedelta(days=self.rng.randint(1, 365 * years + 90))
        leap_day = (start.month, start.day) == (2, 29)
        until = start.replace(year=start.year + years, day=28 if leap_day else start.day)
        until -= timedelta(days=1)
        return {
            "permit_number": pattern.format(year=start.year, serial=self._next()),
            "permit_valid_from": start.isoformat(),
            "permit_valid_until": until.isoformat(),
        }

    def _credit_code(self, head: str, region: str) -> str:
        """A valid GB 32100 code whose organisation-code part passes GB 11714 too."""
        while True:
            if head == "91" and self.rng.random() < 0.6:  # registered since 2015: 'MA' codes
                body = "MA" + "".join(self.rng.choice(_ORG_SAFE) for _ in range(6))
            else:
                body = "".join(self.rng.choice("0123456789") for _ in range(8))
            first17 = f"{head}{region}{body}{_organisation_check(body)}"
            code = first17 + check_character(first17)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _unique(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self.names:
            n += 1
            candidate = f"{name}（{n}）"
        self.names.add(candidate)
        return candidate

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _target_id(self, row: dict[str, Any]) -> UUID:
        code = str(row["code"])
        if row["kind"] == "individual":  # the log knows a person only by a reference
            code = self.registry.people.reference(code)
        return target_id(row["kind"], code)

    def _status_changes(self, rows: list[dict[str, Any]], ids: list[UUID]) -> int:
        chosen = self._sample(rows, "enterprise", max(1, len(rows) // 40))
        for index in chosen:
            status, reason, source = self.rng.choice(STATUS_CHANGES)
            clerk = f"{rows[index]['division']}-clerk"
            self.registry.change_target_status(ids[index], status, reason, source, by=clerk)
        return len(chosen)

    def _corrections(self, rows: list[dict[str, Any]], ids: list[UUID]) -> int:
        chosen = self._sample(rows, "enterprise", max(1, len(rows) // 100))
        for n, index in enumerate(chosen):
            row = rows[index]
            head = f"{row['division']}-head"
            changes: dict[str, Any]
            if n % 2:
                town = self.rng.choice(TOWNS[row["district"]])
                changes = {"address": self._address(row["district"], town)}
                reason, source = "住所变更", "营业执照"
            else:
                flags = sorted({*row["risk_flags"], "past_violations"})
                # One class down from the current one, so the correction always changes it.
                lower = {"A": "B", "B": "C", "C": "D", "D": "C"}[row["credit_class"]]
                changes = {"credit_class": lower, "risk_flags": flags}
                reason, source = "有违法违规记录，信用等级调整", "信用常州"
            self.registry.update_target(ids[index], changes, reason, source, by=head)
            row.update(changes)
        return len(chosen)

    def _sample(self, rows: list[dict[str, Any]], kind: str, k: int) -> list[int]:
        # Never the individuals kept for the end; status changes and corrections do not overlap.
        pool = [i for i, r in enumerate(rows) if r["kind"] == kind and not r.get("_touched")]
        chosen = sorted(self.rng.sample(pool, min(k, len(pool))))
        for i in chosen:
            rows[i]["_touched"] = True
        return chosen

    # -- inspectors -----------------------------------------------------------------------------

    def _inspectors(self, n: int) -> list[dict[str, Any]]:
        roster = []
        for number in range(1, n + 1):
            draw = self.rng.random()
            division = self.rng.choice(BUSINESS)
            if draw < 0.45:
                unit, agency = "szjczd", False
            elif draw < 0.6:
                unit, agency, division = "szyfwzx", False, self.rng.choice(["szc", "szyc"])
            else:
                unit, agency = division, True
            own = [i["code"] for i in ITEMS if i["division"] == division]
            others = [i["code"] for i in ITEMS if i["division"] != division]
            extra = self.rng.sample(others, self.rng.randint(0, 2)) if unit == "szjczd" else []
            until = date(self.today.year + self.rng.randint(1, 5), 12, 31)
            roster.append(
                {
                    "code": f"insp-{number:03d}",
                    "name": self._person(),
                    "certificate_number": f"苏执-3204-{10000 + number:05d}",
                    "certificate_valid_until": until.isoformat(),
                    "unit": unit,
                    "division": division,
                    "agency_staff": agency,
                    "qualifications": sorted(own + extra),
                }
            )
        return roster

    def _inspector_officials(self, roster: list[dict[str, Any]]) -> None:
        """Each inspector's official account, of their unit, bound by the admin (personnel)."""
        for row in roster:
            code = inspector_official(row["code"], row["unit"])
            spec = {"code": code, "name": row["name"], "division": row["unit"]}
            self.registry.register_official({**spec, "roles": ["inspector"]}, by=ADMIN)
            self.registry.bind_inspector(code, row["code"], "执法证件持证人本人账号", by=ADMIN)

    def _inspector_moves(self, roster: list[dict[str, Any]]) -> int:
        k = min(len(INSPECTOR_MOVES), max(1, len(roster) // 10))
        chosen = self.rng.sample(range(len(roster)), k)
        for index, (status, reason) in zip(chosen, INSPECTOR_MOVES, strict=False):
            roster[index]["status"] = status
            self.registry.update_inspector(
                roster[index]["code"], {"status": status}, reason, by=AGGREGATOR
            )
        return k

    def _conflicts(
        self, roster: list[dict[str, Any]], rows: list[dict[str, Any]], ids: list[UUID]
    ) -> int:
        on_duty = [i for i in roster if i.get("status", "on_duty") == "on_duty"]
        chosen = self.rng.sample(on_duty, min(len(on_duty), max(1, len(roster) // 15)))
        declared = 0
        for inspector in chosen:
            own = [n for n, r in enumerate(rows) if r["division"] == inspector["division"]]
            if not own:  # a small demo may leave a division without targets
                continue
            declared += 1
            target = ids[self.rng.choice(own)]
            reason = self.rng.choice(CONFLICT_REASONS)
            self.registry.declare_conflict(inspector["code"], target, reason, by=AGGREGATOR)
        return declared


_ORG_SAFE = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # both GB 11714 and GB 32100 accept these
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _organisation_check(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


__all__ = ["DemoSummary", "build_demo"]
