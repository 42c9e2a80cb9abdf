"""Registry queries: search, pages, single entries, their histories and their state "as of".

Every route needs a valid token (any role). Pages: ``limit`` 1..500 (default 50) and ``offset``;
the body is ``{"items": [...], "total": N, "more_than": M, "limit": L, "offset": O, "next": ID}``;
targets page by ``after=ID`` too (keyset: give the ``next`` of the page before), and their
``offset`` goes to 10,000 at most (``queries.MAX_OFFSET``; beyond, a 422 naming ``after``); their
``q`` is a whole credit code or a text of 3 characters or more (a trigram index; shorter:
422). ``total`` is exact up to 10,000 matches; beyond, it is null and ``more_than`` 10,000,
unless ``total=exact`` asks for a count of every match (``projections.queries.bounded_count``).
Every route takes ``as_of`` (``api/as_of.py``): a single entry answers with its state then,
rebuilt from the log (and ``as_of`` in its body); a history ends at that position; a search or a
page runs on the read models folded from the log up to it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from projections import ReadModels, queries
from projections.as_of import entry_as_of

from ..answers import Entry, History, ItemList, Page, RegistryPage, documented
from ..as_of import At, AtDep, ReadModelsAtDep
from ..deps import ItemListNumber, Limit, OfficialDep, Offset, ReadModelsDep, Total

router = APIRouter(prefix="", tags=["registry queries"])
Text = Annotated[
    str | None,
    Query(description="text contained in the name or code (targets: 3 characters or more)"),
]
After = Annotated[
    str | None,
    Query(max_length=200, description="the id or code of the last entry of the page before"),
]


def entry_at(rm: ReadModels, kind: str, ref: str, at: At) -> dict[str, Any]:
    """The registry entry ``ref`` names, as of ``at`` (NotFound if none did then)."""
    if not at.asked:
        return queries.get_entry(rm.engine, kind, ref)
    return entry_as_of(rm.app, rm.engine, kind, ref, at.position)


def _history(rm: ReadModels, kind: str, ref: str, at: At) -> dict[str, Any]:
    return queries.entry_history(rm.engine, kind, ref, upto=at.position if at.asked else None)


# -- targets -----------------------------------------------------------------------------------


@router.get("/targets", **documented(RegistryPage))
def list_targets(
    _: OfficialDep,
    rm: ReadModelsAtDep,
    q: Text = None,
    division: str | None = None,
    district: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    credit_class: str | None = None,
    item: str | None = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    offset: Offset = 0,
    after: After = None,
    total: Total = None,
) -> dict[str, Any]:
    """Search the target registry (检查对象名录库)."""
    return queries.search_targets(
        rm.engine,
        q=q,
        division=division,
        district=district,
        kind=kind,
        status=status,
        credit_class=credit_class,
        item=item,
        limit=limit,
        offset=offset,
        after=after,
        total=total,
    )


@router.get("/targets/{ref}", **documented(Entry))
def get_target(ref: str, _: OfficialDep, rm: ReadModelsDep, at: AtDep) -> dict[str, Any]:
    """One target by id or code (credit code, ``project:NUMBER``, ``individual:REF``)."""
    return entry_at(rm, "target", ref, at)


@router.get("/targets/{ref}/history", **documented(History))
def target_history(ref: str, _: OfficialDep, rm: ReadModelsDep, at: AtDep) -> dict[str, Any]:
    """Every event of one target, with its position in the log."""
    return _history(rm, "target", ref, at)


# -- inspectors --------------------------------------------------------------------------------


@router.get("/inspectors", **documented(RegistryPage))
def list_inspectors(
    _: OfficialDep,
    rm: ReadModelsAtDep,
    q: Text = None,
    division: str | None = None,
    unit: str | None = None,
    status: str | None = None,
    qualification: str | None = None,
    agency_staff: bool | None = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    offset: Offset = 0,
    total: Total = None,
) -> dict[str, Any]:
    """Search the inspector roster (执法人员名录库), with declared conflicts."""
    return queries.search_inspectors(
        rm.engine,
        q=q,
        division=division,
        unit=unit,
        status=status,
        qualification=qualification,
        agency_staff=agency_staff,
        limit=limit,
        offset=offset,
        total=total,
    )


@router.get("/inspectors/{code}", **documented(Entry))
def get_inspector(code: str, _: OfficialDep, rm: ReadModelsDep, at: AtDep) -> dict[str, Any]:
    return entry_at(rm, "inspector", code, at)


@router.get("/inspectors/{code}/history", **documented(History))
def inspector_history(code: str, _: OfficialDep, rm: ReadModelsDep, at: AtDep) -> dict[str, Any]:
    return _history(rm, "inspector", code, at)


# -- items and published lists -----------------------------------------------------------------


@router.get("/items", **documented(RegistryPage))
def list_items(
    _: OfficialDep,
    rm: ReadModelsAtDep,
    q: Text = None,
    division: str | None = None,
    item_class: str | None = None,
    withdrawn: bool | None = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    offset: Offset = 0,
    total: Total = None,
) -> dict[str, Any]:
    """Search the inspection items (随机抽查事项), withdrawn ones included unless filtered."""
    return queries.search_items(
        rm.engine,
        q=q,
        division=division,
        item_class=item_class,
        withdrawn=withdrawn,
        limit=limit,
        offset=offset,
        total=total,
    )


@router.get("/items/{code}", **documented(Entry))
def get_item(code: str, _: OfficialDep, rm: ReadModelsDep, at: AtDep) -> dict[str, Any]:
    return entry_at(rm, "item", code, at)


@router.get("/items/{code}/history", **documented(History))
def item_history(code: str, _: OfficialDep, rm: ReadModelsDep, at: AtDep) -> dict[str, Any]:
    return _history(rm, "item", code, at)


@router.get("/item-lists", **documented(Page))
def list_item_lists(
    _: OfficialDep, rm: ReadModelsAtDep, limit: Limit = queries.DEFAULT_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    """Every publication of the consolidated item list, newest first."""
    return queries.item_lists(rm.engine, limit=limit, offset=offset)


@router.get("/item-lists/{number}", **documented(ItemList))
def get_item_list(number: ItemListNumber, _: OfficialDep, rm: ReadModelsAtDep) -> dict[str, Any]:
    return queries.item_list(rm.engine, number)


# -- officials and divisions -------------------------------------------------------------------


@router.get("/officials", **documented(RegistryPage))
def list_officials(
    _: OfficialDep,
    rm: ReadModelsAtDep,
    q: Text = None,
    division: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    offset: Offset = 0,
    total: Total = None,
) -> dict[str, Any]:
    """Search the officials (token ids only, never token hashes)."""
    return queries.search_officials(
        rm.engine,
        q=q,
        division=division,
        role=role,
        active=active,
        limit=limit,
        offset=offset,
        total=total,
    )


@router.get("/officials/{code}", **documented(Entry))
def get_official(code: str, _: OfficialDep, rm: ReadModelsDep, at: AtDep) -> dict[str, Any]:
    return entry_at(rm, "official", code, at)


@router.get("/officials/{code}/history", **documented(History))
def official_history(code: str, _: OfficialDep, rm: ReadModelsDep, at: AtDep) -> dict[str, Any]:
    return _history(rm, "official", code, at)


@router.get("/divisions", **documented(RegistryPage))
def list_divisions(
    _: OfficialDep,
    rm: ReadModelsAtDep,
    q: Text = None,
    kind: str | None = None,
    limit: Limit = queries.DEFAULT_LIMIT,
    offset: Offset = 0,
    total: Total = None,
) -> dict[str, Any]:
    """Search the divisions and units."""
    return queries.search_divisions(
        rm.engine, q=q, kind=kind, limit=limit, offset=offset, total=total
    )


@router.get("/divisions/{code}", **documented(Entry))
def get_division(code: str, _: OfficialDep, rm: ReadModelsDep, at: AtDep) -> dict[str, Any]:
    return entry_at(rm, "division", code, at)


@router.get("/divisions/{code}/history", **documented(History))
def division_history(code: str, _: OfficialDep, rm: ReadModelsDep, at: AtDep) -> dict[str, Any]:
    return _history(rm, "division", code, at)
