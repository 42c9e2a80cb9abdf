"""The event catalogue: every aggregate kind the log holds, and so every event type it can read.

The mapper reads a stored record back into its event class by the record's stable type name
(``target.registered``); this module is the one list of where those classes live. A new aggregate
kind is added here (docs/ARCHITECTURE.md); an event type missing from it cannot be read back.
"""

from __future__ import annotations

from typing import Any, cast

from eventsourcing.domain import CanMutateAggregate

from .aggregates import LedgerAggregate
from .draws.aggregate import DirectedInspection, Draw
from .inspections.aggregate import Inspection
from .ledger_meta import Ledger
from .plans.aggregate import Plan
from .policy import Policy
from .publications.aggregate import Publication
from .registry.divisions import Division
from .registry.inspectors import Inspector
from .registry.items import Item, ItemList
from .registry.officials import Official
from .registry.targets import Target
from .witness import Witness

KINDS: tuple[type[LedgerAggregate], ...] = (
    Ledger,
    Policy,
    Division,
    Official,
    Target,
    Inspector,
    Item,
    ItemList,
    Plan,
    Draw,
    DirectedInspection,
    Inspection,
    Publication,
    Witness,
)


def _events_of(kind: type[LedgerAggregate]) -> dict[str, type[LedgerAggregate.Event]]:
    found: dict[str, Any] = {
        cast(Any, obj).TOPIC: obj
        for name, obj in vars(kind).items()
        if isinstance(obj, type) and issubclass(obj, CanMutateAggregate) and name != "Event"
    }
    return found


_EVENT_TYPES: dict[str, type[LedgerAggregate.Event]] = {
    topic: cls for kind in KINDS for topic, cls in _events_of(kind).items()
}


def include(kind: type[LedgerAggregate]) -> None:
    """Make a kind from outside the product readable (a test's own aggregate)."""
    _EVENT_TYPES.update(_events_of(kind))


def event_class(type_name: str) -> type[LedgerAggregate.Event]:
    """The event class of a stable type name (KeyError if the catalogue has none)."""
    return _EVENT_TYPES[type_name]


def event_types() -> dict[str, type[LedgerAggregate.Event]]:
    """Every event type the log may hold, by stable type name."""
    return dict(_EVENT_TYPES)
