"""The demo year carried through inspections, results and publications (on top of ``year.py``).

Every drawn target of the year's draws is inspected by its drawn team (the recusal's substitute
where there was one; in the joint inspection the accepting partner inspects with its own team),
and the complaint-driven inspection by two qualified inspectors of the roster. Most results are
"no problem found", published within the deadline. Among them, on purpose:

- a problem found and corrected on order — published, then corrected once the correction is
  confirmed (a ``publication.corrected`` event naming the old digest);
- a case filed (立案) ending in a penalty, published in the 双公示 column;
- a refusal to confirm, recorded with how it was witnessed, and transferred to another department;
- one late publication (recorded as late, with its deadline);
- in October, results still awaiting confirmation and a confirmed result not yet published, so
  that the staff views have something to show.

Each step is dated inside 2026 (the services take the day of each act); the events carry the
time they were recorded. Evidence files (a generated on-site record per problem) are stored when
the ledger has a data directory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from verify.registry_state import RegistryState

from ..application import LedgerApp
from ..draws.aggregate import DirectedInspection, Draw
from ..draws.service import Draws
from ..inspections.service import Inspections
from ..publications.service import Publishing
from .changzhou import inspector_official
from .year import DemoYear

YEAR = 2026
# Which drawn inspection (in the year's order) gets which story; the rest find no problem.
CORRECTED, PENALTY, REFUSAL, LATE = 1, 4, 7, 10
STORIES = (CORRECTED, PENALTY, REFUSAL, LATE)


@dataclass(frozen=True)
class DemoResults:
    inspections: int
    publications: int
    corrected_publication: str
    double_publicity: str
    refusal: str
    late_publication: str
    awaiting_confirmation: tuple[str, ...]
    unpublished: tuple[str, ...]


def record_results(app: LedgerApp, year: DemoYear) -> DemoResults:
    return _Results(app).record(year)


class _Results:
    def __init__(self, app: LedgerApp) -> None:
        self.app = app
        self.state: RegistryState = Draws(app).registry_at(None)
        self.opened: list[str] = []
        self.published: list[str] = []
        self.story: dict[str, str] = {}
        self.awaiting: list[str] = []
        self.unpublished: list[str] = []

    def _inspections(self, day: date) -> Inspections:
        return Inspections(self.app, today=lambda: day)

    def _publishing(self, day: date) -> Publishing:
        return Publishing(self.app, today=lambda: day)

    def record(self, year: DemoYear) -> DemoResults:
        visits = list(self._visits(year))
        last_month = max(v[3].month for v in visits)
        for n, (source, target, division, day, team) in enumerate(visits):
            clerk = f"{division}-clerk"
            inspection = self._inspections(day).notify(
                {
                    "source": source,
                    "target": target,
                    "division": division,
                    "notified_on": day.isoformat(),
                    "notice": "提前一日电话告知",
                },
                clerk,
            )
            self.opened.append(str(inspection))
            visit = day + timedelta(days=6)
            self._inspections(visit).carry_out(
                inspection,
                {"on": visit.isoformat(), "method": "现场检查", "present": team[:2]},
                clerk,
            )
            in_last_month = day.month == last_month and n not in STORIES
            if in_last_month and n % 2 == 0:
                self._found(inspection, visit, team, "no_problem", None)
                self.awaiting.append(str(inspection))
                continue
            self._story(n, inspection, visit, team, clerk, last_publish=in_last_month)
        return DemoResults(
            inspections=len(self.opened),
            publications=len(self.published),
            corrected_publication=self.story["corrected"],
            double_publicity=self.story["double_publicity"],
            refusal=self.story["refusal"],
            late_publication=self.story["late"],
            awaiting_confirmation=tuple(self.awaiting),
            unpublished=tuple(self.unpublished),
        )

    def _visits(self, year: DemoYear) -> Iterator[tuple[str, str, str, date, list[str]]]:
        """(source, target, division, notified on, team) of every inspection of the year."""
        for draw_id in year.draws:
            draw: Draw = self.app.get(UUID(draw_id), Draw)
            if draw.step != "assigned":
                continue
            day = date.fromisoformat(draw.on_date) + timedelta(days=2)
            for target, team in sorted(draw.teams.items()):
                yield draw_id, target, draw.division, day, list(team["members"])
            for division, partner in sorted(getattr(draw, "partners", {}).items()):
                if partner.get("status") == "assigned":
                    for target, team in sorted(partner["teams"].items()):
                        yield draw_id, target, division, day, list(team["members"])
        for directed_id in year.directed:
            record: DirectedInspection = self.app.get(UUID(directed_id), DirectedInspection)
            qualified = self._qualified(record.items, record.division)
            for target in record.targets:
                yield directed_id, target, record.division, date(YEAR, 9, 15), qualified

    def _qualified(self, items: list[str], division: str) -> list[str]:
        fit = sorted(
            code
            for code, i in self.state.inspectors.items()
            if i.status == "on_duty"
            and all(item in i.qualifications for item in items)
            and (i.certificate.get("valid_until") or "") >= f"{YEAR}-12-31"
        )
        own = [
            c
            for c in fit
            if division in (self.state.inspectors[c].division, self.state.inspectors[c].unit)
        ]
        return (own + [c for c in fit if c not in own])[:2]

    def _found(
        self, inspection: UUID, on: date, team: list[str], category: str, findings: str | None
    ) -> None:
        service = self._inspections(on)
        questions = service.questions(service.get(inspection))
        service.answer_checklist(
            inspection,
            {
                "answers": [
                    {"question": q, "answer": "yes" if category == "no_problem" or i else "no"}
                    for i, q in enumerate(questions)
                ],
            },
            self._official(team[0]),
        )
        if category != "no_problem":
            self._evidence(service, inspection, on, findings or "", self._official(team[0]))
        service.record_result(
            inspection,
            {"category": category, "findings": findings or ""},
            self._official(team[0]),
        )

    def _official(self, inspector: str) -> str:
        """The official bound to roster inspector ``inspector``: who records in their name."""
        return inspector_official(inspector, self.state.inspectors[inspector].unit)

    def _evidence(
        self, service: Inspections, inspection: UUID, on: date, findings: str, by: str
    ) -> None:
        if service.evidence is None:
            return
        record = f"现场检查笔录\n日期：{on}\n检查发现：{findings}\n".encode()
        service.add_evidence(
            inspection,
            record,
            hashlib.sha256(record).hexdigest(),
            "text/plain; charset=utf-8",
            f"现场检查笔录-{on}.txt",
            by,
        )

    def _story(
        self,
        n: int,
        inspection: UUID,
        visit: date,
        team: list[str],
        clerk: str,
        *,
        last_publish: bool,
    ) -> None:
        later = visit + timedelta(days=2)
        if n == CORRECTED:
            self._found(inspection, visit, team, "problem_corrected", "取水计量设施损坏未及时维修")
            self._confirm(inspection, visit, clerk)
            self._follow(
                inspection,
                visit,
                clerk,
                "order_to_correct",
                correct_by=(visit + timedelta(days=10)).isoformat(),
            )
            publication = self._publish(inspection, later, "results", clerk)
            fixed = visit + timedelta(days=9)
            self._follow(inspection, fixed, clerk, "corrected", note="复查确认已更换计量设施")
            self._publishing(fixed).correct(publication, "整改完成，更新后续处理情况", clerk)
            self._close(inspection, fixed, clerk)
            self.story["corrected"] = str(publication)
        elif n == PENALTY:
            self._found(inspection, visit, team, "problem_pending", "超许可水量取水约 12%")
            self._confirm(inspection, visit, clerk)
            case = f"常水立〔{YEAR}〕{n + 10}号"
            self._follow(
                inspection, visit + timedelta(days=1), clerk, "case_filed", case_number=case
            )
            self._publish(inspection, later, "results", clerk)
            decided = visit + timedelta(days=20)
            self._follow(
                inspection,
                decided,
                clerk,
                "penalty_decided",
                decision_number=f"常水罚〔{YEAR}〕{n + 3}号",
                penalty="责令停止违法行为，罚款人民币二万元",
            )
            self.story["double_publicity"] = str(
                self._publish(inspection, decided + timedelta(days=3), "double_publicity", clerk)
            )
            self._close(inspection, decided + timedelta(days=4), clerk)
        elif n == REFUSAL:
            self._found(inspection, visit, team, "serious_refusal", "拒不提供取水台账，阻碍检查")
            self._inspections(visit).record_confirmation(
                inspection,
                {
                    "on": visit.isoformat(),
                    "confirmed": False,
                    "note": "单位负责人拒绝签字确认，两名执法人员在场见证并录像",
                },
                clerk,
            )
            self._follow(
                inspection,
                visit + timedelta(days=1),
                clerk,
                "transferred",
                department="常州市水政监察支队",
            )
            self.story["refusal"] = str(inspection)
            self._publish(inspection, later, "results", clerk)
        else:
            self._found(inspection, visit, team, "no_problem", None)
            self._confirm(inspection, visit, clerk)
            if last_publish:
                self.unpublished.append(str(inspection))
                return
            self._follow(inspection, visit, clerk, "none")
            if n == LATE:  # the clerk was away: published 20 calendar days after confirmation
                self.story["late"] = str(
                    self._publish(inspection, visit + timedelta(days=20), "results", clerk)
                )
            else:
                self._publish(inspection, later, "results", clerk)
            self._close(inspection, later, clerk)

    def _confirm(self, inspection: UUID, on: date, clerk: str) -> None:
        self._inspections(on).record_confirmation(
            inspection, {"on": on.isoformat(), "note": "当场告知，被检查单位签字确认"}, clerk
        )

    def _follow(self, inspection: UUID, on: date, clerk: str, kind: str, **details: Any) -> None:
        self._inspections(on).follow_up(
            inspection, {"kind": kind, "on": on.isoformat(), **details}, clerk
        )

    def _close(self, inspection: UUID, on: date, clerk: str) -> None:
        self._inspections(on).close(inspection, {"on": on.isoformat()}, clerk)

    def _publish(self, inspection: UUID, on: date, channel: str, clerk: str) -> UUID:
        publication = self._publishing(on).publish(inspection, channel, clerk)
        self.published.append(str(publication))
        return publication
