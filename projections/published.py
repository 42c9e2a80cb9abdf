"""The published item list (随机抽查事项清单) as anyone may read it: the list exactly as the
aggregator published it, with the current names of the divisions and units it names.

It holds no personal data: items name laws, divisions and units, never people. ``GET
/public/item-list`` serves it as JSON and the public column's page shows it.
"""

from __future__ import annotations

from typing import Any

from ledger.errors import NotFound
from ledger.registry.divisions import Division, division_id
from ledger.registry.service import Registry


def published_item_list(registry: Registry) -> dict[str, Any]:
    """The latest publication (number, digest, published_at, position, items) and ``divisions``,
    the names of the divisions and units its items name (a code whose division is unknown stands
    for its own name). NotFound if no list is published yet."""
    published = registry.published_item_list()
    codes = {c for item in published["items"] for c in [item["division"], *item["executing_units"]]}
    return {**published, "divisions": _names(registry, codes)}


def _names(registry: Registry, codes: set[str]) -> dict[str, str]:
    names = {}
    for code in sorted(codes):
        try:
            names[code] = registry.app.get(division_id(code), Division).name
        except NotFound:
            names[code] = code
    return names
