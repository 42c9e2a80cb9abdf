"""The registry office's daily acts (登记办理 · 状态与回避), besides importing a file: what an
import may not change, each by its own command with a reason.

- ``/office/targets?code=…``: a target found by its credit code (or an individual's reference,
  ``individual:person-…``; ``person-…`` alone is read so), if the official may keep it (the
  rule of ``target.write``: their own division's); its entry (labels in Chinese, times in
  China time), whether a draw may select it under the policy in force, its recent history
  (who recorded what, when), and the form changing its status (``POST /office/targets/status``:
  ``Registry.change_target_status`` with the reason and the source);
- ``/office/inspectors?code=…``: an inspector the official may keep (``inspector.write``),
  with their declared conflicts and recent history, and the forms changing their status
  (``POST /office/inspectors/status``: ``Registry.update_inspector`` of the status alone) and
  declaring or withdrawing a conflict with a target named by its credit code
  (``POST /office/inspectors/conflicts``, ``…/conflicts/withdraw``).

Every act is the service's, as the logged-in official (the authority rules judge it; a refusal
is the pages' problem page with its status, nothing recorded), from a form carrying the
session's CSRF field, posted from the service's own pages. After it, the browser is sent
(303) to the entry's page saying what was recorded and at which ledger position (its save's,
``positions_saved``; Post/Redirect/Get: reloading that page records nothing). A conflict's
reason travels in the form's body only, never in a URL, and is shown on these staff pages only.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import AfterValidator

from ledger.application import positions_saved
from ledger.errors import NotFound
from ledger.labels import event_label
from ledger.registry.authority import authorise
from ledger.registry.layouts import (
    INSPECTOR_STATUS_LABELS,
    LAYOUTS,
    TARGET_KIND_LABELS,
    TARGET_STATUS_LABELS,
)
from ledger.registry.service import Registry
from ledger.registry.targets import target_id_of
from projections import ReadModels, queries
from verify.eligibility import eligible_inspector_statuses, eligible_target_statuses

from ..deps import ReadModelsDep, RegistryDep
from ..page_session import Reader
from .routes import _NOW, OFFICE, PATH, _page, _reader, templates

router = APIRouter(prefix=PATH, tags=["registry office pages"], include_in_schema=False)
templates.env.filters["event_name"] = event_label
HISTORY = 20  # the entry's latest events a page shows
Ref = Annotated[str, Form(min_length=1, max_length=200)]


def _filled(value: str) -> str:
    """A reason or a source as recorded: required, and more than spaces."""
    if not value.strip():
        raise ValueError("is required")  # 必须填写 (ledger/error_texts/fields.py)
    return value.strip()


Text = Annotated[str, Form(min_length=1, max_length=2000), AfterValidator(_filled)]
Csrf = Annotated[str | None, Form()]
Code = Annotated[str | None, Query(max_length=200)]
# The field names of the entries' history, in Chinese (the registry files' headers).
FIELDS = {
    kind: {column.field: column.zh for column in LAYOUTS[f"{kind}s"]}
    for kind in ("target", "inspector")
}


def target_ref(rm: ReadModels, typed: str) -> str:
    """The target a clerk typed, as the registry names it: a credit code, ``kind:code`` or an
    id as written; else a project's number or an individual's reference on its own (what an
    export's code column holds for them) with its kind put before it, if there is such a
    target. The typed text itself if none is found (the act then says it is not found)."""
    typed = typed.strip()
    if ":" in typed:
        return typed
    for ref in (typed, f"project:{typed}", f"individual:{typed}"):
        try:
            queries.get_entry(rm.engine, "target", ref)
        except NotFound:
            continue
        return ref
    return typed


# -- targets -------------------------------------------------------------------------------------


@router.get("/targets", response_class=HTMLResponse, dependencies=[_NOW])
def target_page(
    request: Request,
    registry: RegistryDep,
    rm: ReadModelsDep,
    code: Code = None,
    recorded: int | None = None,
) -> HTMLResponse:
    """The find form, and the target ``code`` names if the official may keep it."""
    reader = _reader(request, registry)
    context: dict[str, Any] = {"reader": reader, "code": code or ""}
    if code and code.strip():
        ref = target_ref(rm, code)
        context.update(_kept(rm, reader, "target", ref, recorded), ref=ref)
        target = context["target"]
        eligible = eligible_target_statuses(registry.app.policy_in_force())
        context.update(
            items={item: _name(rm, "item", item) for item in target["items"]},
            drawable=target["status"] in eligible,
            eligible=[TARGET_STATUS_LABELS.get(s, s) for s in eligible],
        )
    return _page(
        request,
        "target.html",
        statuses=TARGET_STATUS_LABELS,
        kinds=TARGET_KIND_LABELS,
        fields=FIELDS["target"],
        **context,
    )


@router.post("/targets/status")
def change_target_status(
    request: Request,
    registry: RegistryDep,
    rm: ReadModelsDep,
    target: Ref,
    status: Annotated[str, Form(max_length=32)],
    reason: Text,
    source: Text,
    csrf: Csrf = None,
) -> Response:
    """Record the target's new status with its reason and source, then show the entry."""
    reader = _acting(request, registry, csrf)
    ref = target_ref(rm, target)
    with positions_saved() as act:
        registry.change_target_status(ref, status, reason, source, by=reader.official.code)
    return _shown("targets", ref, max(act))


# -- inspectors ----------------------------------------------------------------------------------


@router.get("/inspectors", response_class=HTMLResponse, dependencies=[_NOW])
def inspector_page(
    request: Request,
    registry: RegistryDep,
    rm: ReadModelsDep,
    code: Code = None,
    recorded: int | None = None,
) -> HTMLResponse:
    """The find form, and the inspector ``code`` names if the official may keep them."""
    reader = _reader(request, registry)
    context: dict[str, Any] = {"reader": reader, "code": code or ""}
    if code and code.strip():
        context.update(_kept(rm, reader, "inspector", code.strip(), recorded))
        inspector = context["inspector"]
        eligible = eligible_inspector_statuses(registry.app.policy_in_force())
        context.update(
            unit=_name(rm, "division", inspector["unit"]),
            conflicts=[
                {
                    **conflict,
                    "id": conflict["target"],
                    "target": _target_named(rm, conflict["target"]),
                }
                for conflict in inspector["conflicts"]
            ],
            qualifications=[_name(rm, "item", item) for item in inspector["qualifications"]],
            drawable=inspector["status"] in eligible,
        )
    return _page(
        request,
        "inspector.html",
        statuses=INSPECTOR_STATUS_LABELS,
        fields=FIELDS["inspector"],
        **context,
    )


@router.post("/inspectors/status")
def change_inspector_status(
    request: Request,
    registry: RegistryDep,
    inspector: Ref,
    status: Annotated[str, Form(max_length=32)],
    reason: Text,
    csrf: Csrf = None,
) -> Response:
    """Record the inspector's new status (transferred, retired, suspended…) with its reason."""
    reader = _acting(request, registry, csrf)
    code = inspector.strip()
    with positions_saved() as act:
        registry.update_inspector(code, {"status": status}, reason, by=reader.official.code)
    return _shown("inspectors", code, max(act))


@router.post("/inspectors/conflicts")
def declare_conflict(
    request: Request,
    registry: RegistryDep,
    rm: ReadModelsDep,
    inspector: Ref,
    target: Ref,
    reason: Text,
    csrf: Csrf = None,
) -> Response:
    """Record the inspector's declared conflict with a target (its credit code): draws recuse
    them from it. The reason is private: it is in the form's body and the signed event only."""
    reader = _acting(request, registry, csrf)
    code, ref = inspector.strip(), target_ref(rm, target)
    with positions_saved() as act:
        registry.declare_conflict(
            code, target_id_of(ref), reason, by=reader.official.code, named=ref
        )
    return _shown("inspectors", code, max(act))


@router.post("/inspectors/conflicts/withdraw")
def withdraw_conflict(
    request: Request,
    registry: RegistryDep,
    inspector: Ref,
    target: Ref,
    reason: Text,
    csrf: Csrf = None,
) -> Response:
    """Withdraw a declared conflict, with the reason."""
    reader = _acting(request, registry, csrf)
    code = inspector.strip()
    with positions_saved() as act:
        registry.withdraw_conflict(
            code, target_id_of(target.strip()), reason, by=reader.official.code
        )
    return _shown("inspectors", code, max(act))


# -- what the pages share ------------------------------------------------------------------------


def _acting(request: Request, registry: Registry, csrf: str | None) -> Reader:
    """The official acting from one of these forms: logged in, the form posted from the
    service's own pages with its session's CSRF field (Forbidden otherwise, nothing recorded)."""
    reader = _reader(request, registry)
    OFFICE.check_csrf(request, reader, csrf)
    return reader


def _kept(
    rm: ReadModels, reader: Reader, kind: str, ref: str, recorded: int | None
) -> dict[str, Any]:
    """The entry ``ref`` names, if the official may keep it (the rule of ``{kind}.write``:
    Forbidden otherwise, saying whose it is), with its division's name and recent history."""
    entry = queries.get_entry(rm.engine, kind, ref)
    authorise(reader.official, f"{kind}.write", entry["division"])
    division = _name(rm, "division", entry["division"])
    return {kind: entry, "division": division, **_history(rm, kind, entry["id"], recorded)}


def _shown(kind: str, code: str, position: int) -> RedirectResponse:
    """Post/Redirect/Get: the entry's page, saying what was recorded at ``position``."""
    query = urlencode({"code": code, "recorded": position})
    return RedirectResponse(f"{PATH}/{kind}?{query}", status_code=303)


def _history(rm: ReadModels, kind: str, aggregate: str, recorded: int | None) -> dict[str, Any]:
    """The entry's latest events, newest first, and the one recorded at ``recorded`` if it is
    this entry's (a position of another entry's event shows nothing as recorded)."""
    events = queries.entry_history(rm.engine, kind, aggregate)["events"]
    latest = list(reversed(events[-HISTORY:]))
    done = next((e for e in events if recorded is not None and e["position"] == recorded), None)
    targets = {
        e["payload"]["target"]: _target_named(rm, e["payload"]["target"])
        for e in latest
        if isinstance(e["payload"], dict) and "target" in e["payload"]
    }
    return {"history": latest, "total": len(events), "done": done, "targets": targets}


def _name(rm: ReadModels, kind: str, code: str) -> str:
    """A division's or an item's name with its code (the code alone if it has none)."""
    try:
        return f"{queries.get_entry(rm.engine, kind, code)['name']}（{code}）"
    except NotFound:
        return code


def _target_named(rm: ReadModels, target: str) -> str:
    """A target (by id) as a clerk knows it: its credit code and name."""
    try:
        entry = queries.get_entry(rm.engine, "target", target)
    except NotFound:
        return target
    return f"{entry['code']} {entry['name'] or ''}".strip()


def install(app: FastAPI) -> None:
    """Add the acts' pages (after ``routes.install``: their session, problem pages, style)."""
    app.include_router(router)
