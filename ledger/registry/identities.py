"""Identities that cannot be borrowed: which roster inspector an official is, and the codes
officials and inspectors may take (the rules: ``verify/authority_rules.py``, "identities that
cannot be borrowed"; the verifier replays them in ``verify/authority_replay.py``).

An official acts in the inspector role only as the roster inspector the personnel authority
(the roles the policy in force names, ``[authority] bind_inspector``; admin by default) bound
them to by a signed ``official.bound_to_inspector``: of the official's own unit, one inspector
to one active official. Official codes and inspector codes never coincide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from verify.authority_rules import OPERATOR, inspector_binders
from verify.identity_rules import TAKEN, UNKNOWN, binding_refusal, shared_code_refusal

from ..errors import Conflict, Forbidden, NotFound
from .authority import authorise, official_of
from .inspectors import Inspector, inspector_id
from .officials import Official, official_id

if TYPE_CHECKING:
    from ..application import LedgerApp

BINDING = "official.bound_to_inspector"


def bound_official(app: LedgerApp, inspector: str) -> str | None:
    """The active official bound to roster inspector ``inspector``, or None."""
    for notification in app.notifications(topics=[BINDING]):
        official: Official = app.get(UUID(str(notification.originator_id)), Official)
        if official.active and official.inspector == inspector:
            return official.code
    return None


def bind(app: LedgerApp, code: str, inspector: str, reason: str, by: str | None) -> None:
    """Bind official ``code`` to roster inspector ``inspector`` as ``by`` (the personnel
    authority the policy names): Forbidden, Conflict or NotFound naming the rule otherwise."""
    policy = app.policy_in_force()
    binders = inspector_binders(policy)
    actor = authorise(official_of(app, by), "official.bind", roles=binders, policy=policy)
    official: Official = app.get(official_id(code), Official, named=code)
    official.check_active()
    try:
        record: Inspector | None = app.get(inspector_id(inspector), Inspector, named=inspector)
    except NotFound:
        record = None
    refusal = binding_refusal(
        official.code,
        official.division,
        official.roles,
        official.inspector,
        inspector,
        None if record is None else record.unit,
        bound_official(app, inspector),
    )
    if refusal is not None:
        kind, message = refusal
        raise (NotFound if kind == UNKNOWN else Conflict if kind == TAKEN else Forbidden)(message)
    official.bind_inspector(inspector, reason, actor.to_json())
    app.save(official)


def check_official_code(app: LedgerApp, code: str) -> None:
    """Forbidden if a new official's ``code`` is a roster inspector's or the operator's."""
    if code == OPERATOR["official"]:
        raise Forbidden(f"official code {code} is the ledger's operator's")
    if app.recorder.select_events(inspector_id(code), limit=1):
        raise Forbidden(shared_code_refusal(code, "official", "roster inspector"))


def inspector_code_problem(app: LedgerApp, code: str) -> str | None:
    """Why a new roster inspector may not take ``code`` (an official's), or None."""
    if app.recorder.select_events(official_id(code), limit=1):
        return shared_code_refusal(code, "inspector", "official")
    return None


__all__ = ["bind", "bound_official", "check_official_code", "inspector_code_problem"]
