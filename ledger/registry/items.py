"""Inspection items (随机抽查事项) and the published, consolidated item list.

No inspection without a listed item: each item names its legal basis, its owning division and
executing units. The aggregator (水政处) publishes the consolidated list as one event carrying
the digest of exactly what was published.
"""

from __future__ import annotations

from hashlib import sha256
from typing import TYPE_CHECKING, Any
from uuid import UUID

from verify.events import canonical

from ..aggregates import LedgerAggregate, id_for
from ..errors import Conflict
from ..fields import Fields, check_code

CLASSES = ("key", "general")  # key items: no upper limit on sampling; general: kept low
METHODS = ("on_site", "documentary", "online", "sampling_test")
# What officers write for each method (registry files, an inspection's ``method``).
METHOD_LABELS = dict(zip(METHODS, ("现场检查", "书面检查", "网络检查", "抽样检测"), strict=True))


def item_id(code: str) -> UUID:
    return id_for("item", code)


def parse_item(data: dict[str, Any]) -> dict[str, Any]:
    f = Fields(data)
    methods = f.codes("method")
    for m in methods:
        if m not in METHODS:
            f.problem("method", f"{m!r} is not one of {', '.join(METHODS)}")
    checklist = data.get("checklist") or []
    if isinstance(checklist, str):
        checklist = [c.strip() for c in checklist.replace("；", ";").split(";") if c.strip()]
    spec = {
        "code": check_code(f, "code"),
        "name": f.text("name", max_len=200),
        "legal_basis": {
            "law": f.text("law", max_len=200),
            "article": f.text("article", max_len=64),
            "text": f.text("basis_text", required=False, max_len=4000),
        },
        "division": check_code(f, "division"),
        "executing_units": f.codes("executing_units"),
        "object_type": f.text("object_type", max_len=64),
        "checklist": [str(c) for c in checklist],
        "method": methods or ["on_site"],
        "item_class": f.choice("item_class", CLASSES, default="general"),
        "ratio_percent": f.integer("ratio_percent", low=0, high=100),
        "frequency_per_year": f.integer("frequency_per_year", low=0, high=12),
    }
    f.done()
    return spec


class Item(LedgerAggregate):
    TOPIC = "item"

    if TYPE_CHECKING:  # state set by the events' apply methods
        code: str
        name: str
        legal_basis: dict[str, Any]
        division: str
        executing_units: list[str]
        object_type: str
        checklist: list[str]
        method: list[str]
        item_class: str
        ratio_percent: int | None
        frequency_per_year: int | None
        withdrawn: bool

    class Created(LedgerAggregate.Created):
        TOPIC = "item.registered"
        code: str
        name: str
        legal_basis: dict[str, Any]
        division: str
        executing_units: list[str]
        object_type: str
        checklist: list[str]
        method: list[str]
        item_class: str
        ratio_percent: int | None
        frequency_per_year: int | None

        def apply(self, item: Item) -> None:
            for name in ("code", *Item.MUTABLE):
                setattr(item, name, getattr(self, name))
            item.withdrawn = False

    class Amended(LedgerAggregate.Event):
        TOPIC = "item.amended"
        changes: dict[str, Any]
        reason: str

        def apply(self, item: Item) -> None:
            for name, value in self.changes.items():
                setattr(item, name, value)

    class Withdrawn(LedgerAggregate.Event):
        TOPIC = "item.withdrawn"
        reason: str

        def apply(self, item: Item) -> None:
            item.withdrawn = True

    MUTABLE = (
        "name",
        "legal_basis",
        "division",
        "executing_units",
        "object_type",
        "checklist",
        "method",
        "item_class",
        "ratio_percent",
        "frequency_per_year",
    )

    @classmethod
    def register(cls, spec: dict[str, Any], actor: dict[str, Any]) -> Item:
        return cls._create(cls.Created, id=item_id(spec["code"]), actor=actor, **spec)

    def content(self) -> dict[str, Any]:
        return {"code": self.code, **{n: getattr(self, n) for n in self.MUTABLE}}

    def as_input(self) -> dict[str, Any]:
        """The item in the input form ``parse_item`` reads (a file's row)."""
        fields = {name: getattr(self, name) for name in self.MUTABLE if name != "legal_basis"}
        basis = self.legal_basis
        return {
            "code": self.code,
            **fields,
            "law": basis.get("law"),
            "article": basis.get("article"),
            "basis_text": basis.get("text"),
        }

    def changes_to(self, spec: dict[str, Any]) -> dict[str, Any]:
        return {n: spec[n] for n in self.MUTABLE if n in spec and spec[n] != getattr(self, n)}

    def amend(self, changes: dict[str, Any], reason: str, actor: dict[str, Any]) -> None:
        if self.withdrawn:
            raise Conflict(f"item {self.code} is withdrawn")
        if changes:
            self.trigger_event(self.Amended, changes=changes, reason=reason, actor=actor)

    def withdraw(self, reason: str, actor: dict[str, Any]) -> None:
        if self.withdrawn:
            raise Conflict(f"item {self.code} is withdrawn already")
        self.trigger_event(self.Withdrawn, reason=reason, actor=actor)


def list_digest(items: list[dict[str, Any]]) -> str:
    """SHA-256 of the canonical JSON of the published list (items sorted by code)."""
    return sha256(canonical(sorted(items, key=lambda i: i["code"]))).hexdigest()


class ItemList(LedgerAggregate):
    """One publication of the consolidated item list; each publication is its own record."""

    TOPIC = "itemlist"

    class Created(LedgerAggregate.Created):
        TOPIC = "itemlist.published"
        number: int
        items: list[dict[str, Any]]
        digest: str

    def __init__(self, number: int, items: list[dict[str, Any]], digest: str) -> None:
        self.number = number
        self.items = items
        self.digest = digest

    @classmethod
    def publish(cls, number: int, items: list[dict[str, Any]], actor: dict[str, Any]) -> ItemList:
        items = sorted(items, key=lambda i: i["code"])
        return cls._create(
            cls.Created,
            id=id_for("itemlist", str(number)),
            number=number,
            items=items,
            digest=list_digest(items),
            actor=actor,
        )
