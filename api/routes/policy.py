"""The policy over HTTP: the rules in force (now or as of a position), every version, a new one.

Reading is public, like the item list: the rules under which the bureau inspects (deadlines,
frequency caps, team sizes, the working-day calendar) are public facts (行政执法公示), and
the one who set a version acted in office. Recording a version needs a token of an official
whose role the policy in force names (``[authority] set_policy``, ``admin`` by default).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from ledger.policies import Policies

from ..answers import PolicyInForce, PolicySet, PolicyVersions, documented
from ..as_of import AtDep
from ..deps import OfficialDep, PoliciesDep
from ..schemas import RequestBody

router = APIRouter(prefix="/policy", tags=["policy"])


class PolicyCreate(RequestBody):
    document: dict[str, Any] = Field(
        description="the whole policy document (the TOML file's tables as JSON), with a new "
        "version name; checked whole before anything is recorded (docs/POLICY.md)"
    )
    reason: str = Field("", description="why the rules change; recorded in the signed event")


@router.get("", **documented(PolicyInForce))
def policy_in_force(policies: PoliciesDep, at: AtDep) -> dict[str, Any]:
    """The version in force, the position of its ``policy.set``, who set it, when and why, the
    document, the position answered for (``as_of``) and any calendar warning (none for a past
    position)."""
    version = policies.in_force(at.position)
    warnings = policies.calendar_warnings(version["document"]) if not at.asked else []
    return {**version, "warnings": warnings}


@router.get("/versions", **documented(PolicyVersions))
def policy_versions(policies: PoliciesDep, at: AtDep) -> dict[str, Any]:
    """Every version in log order, each with the position from which it was in force (those
    recorded by ``as_of``, if given)."""
    return {"versions": (Policies(at.ledger) if at.asked else policies).versions()}


@router.post("", status_code=201, **documented(PolicySet, 200, 201))
def set_policy(
    body: PolicyCreate, policies: PoliciesDep, official: OfficialDep, response: Response
) -> dict[str, Any]:
    """Record a new version (201), or say that the document is the one in force (200, with
    ``recorded`` false: nothing recorded)."""
    outcome = policies.set(body.document, official.code, body.reason)
    if not outcome.recorded:
        response.status_code = 200
    head = policies.app.recorder.max_notification_id() or 0
    return {
        "version": outcome.version,
        "digest": outcome.digest,
        "recorded": outcome.recorded,
        "ledger_position": head,
        "detail": f"已记录规则版本 {outcome.version}"
        if outcome.recorded
        else f"与施行中的规则版本 {outcome.version} 相同：未记录任何内容",
    }
