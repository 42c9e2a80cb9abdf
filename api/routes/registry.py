"""Commands on the two registries and the item list: one route per Registry command.

Every route acts as the official whose token authenticates it (``by``); the registry checks their
authority (谁审批谁监管) and the input, and records signed events. Corrections and status changes
are new events carrying their reason and source: nothing recorded is ever edited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from ledger.registry.targets import target_id_of
from ledger.registry.tokens import token_id_of

from ..deps import OfficialDep, RegistryDep
from ..problem_texts import warning_text
from ..schemas import (
    ConflictCreate,
    ConflictPublic,
    ContactCreate,
    DivisionCreate,
    DivisionPublic,
    InspectorBinding,
    InspectorCorrection,
    InspectorCreate,
    InspectorPublic,
    ItemCreate,
    ItemListPublished,
    ItemPublic,
    OfficialCreate,
    OfficialPublic,
    Reason,
    ReasonAndSource,
    Recorded,
    RolesChange,
    TargetCorrected,
    TargetCorrection,
    TargetCreate,
    TargetPublic,
    TargetStatusChange,
    TokenIssue,
    TokenPublic,
)

router = APIRouter(tags=["registry"])
# A target as a person names it: its id, its credit code, or kind:code (as GET /targets/{ref}).
TargetRef = Annotated[
    str, Path(min_length=1, max_length=200, description="the target's credit code, kind:code or id")
]
NO_TOKEN_OPTIONS = TokenIssue(days=None, label=None)  # a token issue without a body


def _position(registry: RegistryDep) -> int:
    return registry.app.recorder.max_notification_id() or 0


# -- divisions -----------------------------------------------------------------------------------


@router.post("/divisions", status_code=201)
def add_division(
    body: DivisionCreate, registry: RegistryDep, official: OfficialDep
) -> DivisionPublic:
    """Add a division or unit (admin)."""
    code = registry.add_division(body.model_dump(), by=official.code)
    return DivisionPublic(code=code, ledger_position=_position(registry))


@router.post("/divisions/{code}/contact")
def name_contact(
    code: str, body: ContactCreate, registry: RegistryDep, official: OfficialDep
) -> Recorded:
    """Name the division's contact person (工作联系人), an official (admin)."""
    registry.name_contact(code, body.contact, body.reason, by=official.code)
    return Recorded(ledger_position=_position(registry))


# -- officials and tokens ------------------------------------------------------------------------


@router.post("/officials", status_code=201)
def register_official(
    body: OfficialCreate, registry: RegistryDep, official: OfficialDep
) -> OfficialPublic:
    """Register an official with roles in a division (admin)."""
    code = registry.register_official(body.model_dump(), by=official.code)
    return OfficialPublic(code=code, ledger_position=_position(registry))


@router.post("/officials/{code}/roles")
def change_official_roles(
    code: str, body: RolesChange, registry: RegistryDep, official: OfficialDep
) -> Recorded:
    """Change an official's roles and division (admin)."""
    registry.change_official_roles(code, body.roles, body.division, body.reason, by=official.code)
    return Recorded(ledger_position=_position(registry))


@router.post("/officials/{code}/inspector")
def bind_inspector(
    code: str, body: InspectorBinding, registry: RegistryDep, official: OfficialDep
) -> Recorded:
    """Bind an official to the roster inspector they are (the personnel authority the policy
    names, admin by default): only so may they act in the inspector role."""
    registry.bind_inspector(code, body.inspector, body.reason, by=official.code)
    return Recorded(ledger_position=_position(registry))


@router.post("/officials/{code}/deactivate")
def deactivate_official(
    code: str, body: Reason, registry: RegistryDep, official: OfficialDep
) -> Recorded:
    """Deactivate an official: their tokens stop working (admin)."""
    registry.deactivate_official(code, body.reason, by=official.code)
    return Recorded(ledger_position=_position(registry))


@router.post("/officials/{code}/tokens", status_code=201)
def issue_token(
    code: str,
    registry: RegistryDep,
    official: OfficialDep,
    body: Annotated[TokenIssue, Body()] = NO_TOKEN_OPTIONS,
) -> TokenPublic:
    """Issue an API token to an official (admin), living ``days`` (the policy's default
    without a body). The token is shown in this response only."""
    token = registry.issue_token(code, by=official.code, days=body.days, label=body.label)
    token_id = token_id_of(token)
    return TokenPublic(
        official=code,
        token_id=token_id,
        token=token,
        expires=registry.official(code).token_expires[token_id] or "",
        ledger_position=_position(registry),
    )


@router.post("/officials/{code}/tokens/{token_id}/revoke")
def revoke_token(
    code: str, token_id: str, body: Reason, registry: RegistryDep, official: OfficialDep
) -> Recorded:
    """Revoke one of an official's tokens (admin)."""
    registry.revoke_token(code, token_id, body.reason, by=official.code)
    return Recorded(ledger_position=_position(registry))


# -- targets -------------------------------------------------------------------------------------


@router.post("/targets", status_code=201)
def register_target(
    body: TargetCreate, registry: RegistryDep, official: OfficialDep
) -> TargetPublic:
    """Register an inspection target of the official's own division (clerk, division head)."""
    data = body.model_dump(mode="json", exclude_none=True)
    target, warnings = registry.register_target(data, by=official.code, source="api")
    warnings = [warning_text(w) for w in warnings]  # in Chinese, as an import's
    return TargetPublic(id=target, warnings=warnings, ledger_position=_position(registry))


@router.post("/targets/{target_id}/status")
def change_target_status(
    target_id: TargetRef, body: TargetStatusChange, registry: RegistryDep, official: OfficialDep
) -> Recorded:
    """Record a status change (closed, deregistered, revoked, moved…) with its reason and source."""
    registry.change_target_status(
        target_id, body.status, body.reason, body.source, by=official.code
    )
    return Recorded(ledger_position=_position(registry))


@router.post("/targets/{target_id}/personal-data/erasure")
def erase_personal_data(
    target_id: TargetRef, body: ReasonAndSource, registry: RegistryDep, official: OfficialDep
) -> Recorded:
    """Erase an individual target's personal data (个人信息保护法) at the person's request or
    by law (legal office): the row is deleted, the erasure recorded; every proof still holds."""
    registry.erase_personal_data(target_id, body.reason, body.source, by=official.code)
    return Recorded(ledger_position=_position(registry))


@router.post("/targets/{target_id}/corrections")
def correct_target(
    target_id: TargetRef, body: TargetCorrection, registry: RegistryDep, official: OfficialDep
) -> TargetCorrected:
    """Correct some of a target's fields; the correction is a new event with reason and source.
    Its warnings say what was recorded differently from what was sent (in Chinese)."""
    changes = body.changes.model_dump(mode="json", exclude_unset=True)
    warnings = registry.update_target(
        target_id, changes, body.reason, body.source, by=official.code
    )
    return TargetCorrected(
        warnings=[warning_text(w) for w in warnings], ledger_position=_position(registry)
    )


# -- inspectors ----------------------------------------------------------------------------------


@router.post("/inspectors", status_code=201)
def register_inspector(
    body: InspectorCreate, registry: RegistryDep, official: OfficialDep
) -> InspectorPublic:
    """Add an inspector to the roster (the division's clerk or head, or the aggregator)."""
    code = registry.register_inspector(body.model_dump(mode="json"), by=official.code)
    return InspectorPublic(code=code, ledger_position=_position(registry))


@router.post("/inspectors/{code}/corrections")
def correct_inspector(
    code: str, body: InspectorCorrection, registry: RegistryDep, official: OfficialDep
) -> Recorded:
    """Correct an inspector's entry: a renewed certificate, a transfer, a suspension…"""
    changes = body.changes.model_dump(mode="json", exclude_unset=True)
    registry.update_inspector(code, changes, body.reason, by=official.code)
    return Recorded(ledger_position=_position(registry))


@router.post("/inspectors/{code}/conflicts", status_code=201)
def declare_conflict(
    code: str, body: ConflictCreate, registry: RegistryDep, official: OfficialDep
) -> ConflictPublic:
    """Record an inspector's declared conflict of interest with a target (by its credit code,
    kind:code or id): draws will recuse."""
    target = target_id_of(body.target_id)
    registry.declare_conflict(code, target, body.reason, by=official.code, named=body.target_id)
    return ConflictPublic(inspector=code, target_id=target, ledger_position=_position(registry))


@router.post("/inspectors/{code}/conflicts/{target_id}/withdraw")
def withdraw_conflict(
    code: str, target_id: str, body: Reason, registry: RegistryDep, official: OfficialDep
) -> Recorded:
    """Withdraw a declared conflict of interest with a target (by its credit code, kind:code
    or id); the reason is recorded."""
    registry.withdraw_conflict(code, target_id_of(target_id), body.reason, by=official.code)
    return Recorded(ledger_position=_position(registry))


# -- items and the published list ----------------------------------------------------------------


@router.post("/items", status_code=201)
def register_item(body: ItemCreate, registry: RegistryDep, official: OfficialDep) -> ItemPublic:
    """Add an inspection item of the official's own division, with its legal basis."""
    code = registry.register_item(body.model_dump(), by=official.code)
    return ItemPublic(code=code, ledger_position=_position(registry))


@router.post("/items/{code}/withdraw")
def withdraw_item(
    code: str, body: Reason, registry: RegistryDep, official: OfficialDep
) -> Recorded:
    """Withdraw an item: it leaves the next published list (the old lists stay as they were)."""
    registry.withdraw_item(code, body.reason, by=official.code)
    return Recorded(ledger_position=_position(registry))


@router.post("/item-lists", status_code=201)
def publish_item_list(registry: RegistryDep, official: OfficialDep) -> ItemListPublished:
    """Publish the consolidated list of every item not withdrawn (the aggregator, 水政处)."""
    number, digest = registry.publish_item_list(by=official.code)
    return ItemListPublished(number=number, digest=digest, ledger_position=_position(registry))
