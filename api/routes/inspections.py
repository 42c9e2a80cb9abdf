"""Inspections, their results and evidence, publications and the staff's to-do views over HTTP.

Each route acts as the token's official and calls one service method; the rules (who is on the
team, the order of steps, the deadline) live in ``ledger/inspections/service.py`` and
``ledger/publications/service.py``.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import Field

from ledger.inspections.service import Inspections
from ledger.policies import calendar_warnings
from ledger.registry.authority import authorise_read
from projections.staff import awaiting_confirmation, publications_due

from ..answers import Evidence, Inspection, PublicationsDue, Published, StaffAwaiting, documented
from ..as_of import AtDep, ReadModelsAtDep
from ..deps import InspectionsDep, OfficialDep, PoliciesDep, PublishingDep
from ..schemas import Reason, RequestBody

router = APIRouter(tags=["inspections"])


class InspectionCreate(RequestBody):
    source: str = Field(description="the draw (or directed inspection) id")
    target: str = Field(description="the drawn target: credit code, or kind:code")
    division: str | None = Field(None, description="a joint inspection's partner division")
    notified_on: str = Field(description="YYYY-MM-DD")
    notice: str = ""


class CarriedOut(RequestBody):
    on: str = Field(description="YYYY-MM-DD")
    method: str = Field(description="e.g. 现场检查, 书面检查")
    present: list[str] = Field(description="roster codes of the inspectors present (≥ 2)")


class Answer(RequestBody):
    question: str
    answer: str = Field(description="yes, no or not_applicable")
    note: str = ""


class Checklist(RequestBody):
    answers: list[Answer]
    recorded_by: str | None = Field(None, description="only for the ledger's own operator")


class Result(RequestBody):
    category: str = Field(description="a national result category, e.g. no_problem")
    findings: str = ""
    recorded_by: str | None = None


class Confirmation(RequestBody):
    on: str
    told: str = Field("on_spot", description="on_spot, or in_writing")
    confirmed: bool = Field(True, description="false: the party refused to confirm")
    note: str = Field("", description="required for a refusal: how it was witnessed")


class FollowUp(RequestBody):
    kind: str = Field(description="none, order_to_correct, corrected, case_filed, ...")
    on: str
    correct_by: str | None = None
    case_number: str | None = None
    department: str | None = None
    decision_number: str | None = None
    penalty: str | None = None
    note: str | None = None


class Closing(RequestBody):
    on: str
    summary: str = ""


class PublicationCreate(RequestBody):
    inspection: UUID
    channel: str = Field("results", description="results, or double_publicity for a penalty")


@router.post("/inspections", status_code=201)
def notify(
    body: InspectionCreate, service: InspectionsDep, official: OfficialDep
) -> dict[str, str]:
    """Open the inspection of a drawn or directed target (notified)."""
    return {"id": str(service.notify(body.model_dump(exclude_none=True), official.code))}


@router.get("/inspections/{inspection}", **documented(Inspection))
def get_inspection(
    inspection: UUID, service: InspectionsDep, official: OfficialDep, at: AtDep
) -> dict[str, Any]:
    """The inspection as it stands (or stood as of ``as_of``). Read as its trail is: its
    division's officials, auditors and the legal office, the leader in charge of its division,
    and the inspectors of its team (403 otherwise)."""
    record = (Inspections(at.ledger) if at.asked else service).read(inspection, official)
    state = {k: v for k, v in vars(record).items() if not k.startswith("_")}
    return {"id": str(record.id), "version": record.version, **_plain(state)}


@router.post("/inspections/{inspection}/carried-out")
def carried_out(
    inspection: UUID, body: CarriedOut, service: InspectionsDep, official: OfficialDep
) -> dict[str, str]:
    service.carry_out(inspection, body.model_dump(), official.code)
    return {"step": "carried_out"}


@router.post("/inspections/{inspection}/checklist")
def checklist(
    inspection: UUID, body: Checklist, service: InspectionsDep, official: OfficialDep
) -> dict[str, str]:
    service.answer_checklist(inspection, body.model_dump(exclude_none=True), official.code)
    return {"step": "carried_out"}


@router.post("/inspections/{inspection}/result")
def result(
    inspection: UUID, body: Result, service: InspectionsDep, official: OfficialDep
) -> dict[str, str]:
    service.record_result(inspection, body.model_dump(exclude_none=True), official.code)
    return {"step": "result_recorded"}


@router.post("/inspections/{inspection}/confirmation")
def confirmation(
    inspection: UUID, body: Confirmation, service: InspectionsDep, official: OfficialDep
) -> dict[str, str]:
    service.record_confirmation(inspection, body.model_dump(), official.code)
    return {"step": "confirmation_recorded"}


@router.post("/inspections/{inspection}/follow-ups", status_code=201)
def follow_up(
    inspection: UUID, body: FollowUp, service: InspectionsDep, official: OfficialDep
) -> dict[str, str]:
    service.follow_up(inspection, body.model_dump(exclude_none=True), official.code)
    return {"follow_up": body.kind}


@router.post("/inspections/{inspection}/evidence", status_code=201, **documented(Evidence, 201))
def evidence(
    inspection: UUID,
    service: InspectionsDep,
    official: OfficialDep,
    file: Annotated[UploadFile, File(description="the photo, PDF or record")],
    sha256: Annotated[str, Form(description="the file's SHA-256 as the sender computed it")],
) -> dict[str, Any]:
    """Store an evidence file (checked against ``sha256``) and record its digest."""
    content = file.file.read()
    digest, recorded = service.add_evidence(
        inspection,
        content,
        sha256,
        file.content_type or "application/octet-stream",
        file.filename or "",
        official.code,
    )
    return {"sha256": digest, "size": len(content), "recorded": recorded}


@router.post("/inspections/{inspection}/close")
def close(
    inspection: UUID, body: Closing, service: InspectionsDep, official: OfficialDep
) -> dict[str, str]:
    service.close(inspection, body.model_dump(), official.code)
    return {"step": "closed"}


# -- publications ---------------------------------------------------------------------------------


@router.post("/publications", status_code=201, **documented(Published, 201))
def publish(
    body: PublicationCreate, publishing: PublishingDep, official: OfficialDep
) -> dict[str, Any]:
    """Publish a confirmed result (or a decided penalty) to its column; late is recorded late."""
    publication = publishing.get(publishing.publish(body.inspection, body.channel, official.code))
    return {"id": str(publication.id), "content_digest": publication.content_digest}


@router.post(
    "/publications/{publication}/corrections", status_code=201, **documented(Published, 201)
)
def correct(
    publication: UUID, body: Reason, publishing: PublishingDep, official: OfficialDep
) -> dict[str, Any]:
    publishing.correct(publication, body.reason, official.code)
    return {"id": str(publication), "content_digest": publishing.get(publication).content_digest}


@router.post("/publications/{publication}/withdrawal", status_code=201)
def withdraw(
    publication: UUID, body: Reason, publishing: PublishingDep, official: OfficialDep
) -> dict[str, str]:
    publishing.withdraw(publication, body.reason, official.code)
    return {"id": str(publication), "status": "withdrawn"}


# -- staff views ----------------------------------------------------------------------------------


@router.get("/staff/awaiting-confirmation", tags=["staff"], **documented(StaffAwaiting))
def staff_awaiting_confirmation(
    rm: ReadModelsAtDep,
    official: OfficialDep,
    policies: PoliciesDep,
    at: AtDep,
    division: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """Results recorded but not yet confirmed (or refused) by the inspected party; ``warnings``
    says when the working-day calendar runs out within 60 days. A clerk or division head reads
    their own division's list, an auditor or the legal office any division's, the leader in
    charge of a division that division's (403 otherwise).
    As of ``as_of``: the list then, and the warning as it was on that position's day."""
    division = division or official.division
    authorise_read(at.ledger, official, division, "worklist.read")  # Forbidden unless they may
    rows = awaiting_confirmation(rm.engine, division=division)
    warnings = (
        calendar_warnings(at.ledger.policy_in_force(), at.day())
        if at.asked
        else policies.calendar_warnings()
    )
    return {"items": rows, "total": len(rows), "warnings": warnings}


@router.get("/staff/publications-due", tags=["staff"], **documented(PublicationsDue))
def staff_publications_due(
    rm: ReadModelsAtDep,
    publishing: PublishingDep,
    official: OfficialDep,
    policies: PoliciesDep,
    at: AtDep,
    division: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """Results and penalties still to publish, with their deadline and working days left;
    ``overdue`` lists those past their deadline; ``warnings`` says when the working-day
    calendar runs out within 60 days. Who may read which division's: as for
    ``/staff/awaiting-confirmation``. As of ``as_of``: the lists then, counted from that
    position's day (``today``) under the policy then in force."""
    division = division or official.division
    authorise_read(at.ledger, official, division, "worklist.read")  # Forbidden unless they may
    policy = at.ledger.policy_in_force()
    today = at.day() if at.asked else publishing.today()
    lists = publications_due(rm.engine, policy, today, division=division)
    warnings = calendar_warnings(policy, today) if at.asked else policies.calendar_warnings(policy)
    return {"today": today.isoformat(), **lists, "warnings": warnings}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    return value
