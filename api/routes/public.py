"""What anyone may read without a token: the published item list (随机抽查事项清单).

It holds no personal data: items name laws, divisions and units, never people.
"""

from __future__ import annotations

from fastapi import APIRouter

from ledger.registry.service import Registry
from projections import published

from ..as_of import AtDep
from ..deps import RegistryDep
from ..schemas import ItemListPublic

router = APIRouter(prefix="/public", tags=["public"])


@router.get("/item-list")
def published_item_list(registry: RegistryDep, at: AtDep) -> ItemListPublic:
    """The latest published item list, exactly as published (404 if none is published yet);
    as of ``as_of``, the latest published by then, with the division names then.

    ``digest`` lets anyone check that ``items`` is what the signed ``itemlist.published`` event
    at ``position`` carries. ``divisions`` gives the current names of the divisions and units.
    """
    return ItemListPublic(
        **published.published_item_list(Registry(at.ledger) if at.asked else registry)
    )
