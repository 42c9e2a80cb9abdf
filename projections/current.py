"""The current state of every registry entry: divisions, officials, targets, inspectors, items
and the published item lists, one projection each.

What is left out on purpose: officials' token hashes (only token ids are kept) and any personal
data of individual targets (the log holds none; only the pseudonymous reference is kept here).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import Table

from ledger.registry.inspectors import Inspector
from ledger.registry.items import Item
from ledger.registry.targets import MUTABLE as TARGET_FIELDS

from . import tables as t
from .tracking import (
    Encoded,
    Handler,
    Projection,
    Writer,
    encode_json,
    entry_id,
    event_time,
    touched,
)

# The columns of the current-state tables: each registry's key fields and its correctable fields,
# as the ledger defines them.
_TARGET_FIELDS = ("kind", "code", *TARGET_FIELDS)
_INSPECTOR_FIELDS = ("code", *Inspector.MUTABLE)
_ITEM_FIELDS = ("code", *Item.MUTABLE)
# The order of a target's row (``TargetsProjection._registered`` writes it as a tuple).
_TARGET_COLUMNS = (
    "id",
    *_TARGET_FIELDS,
    "status",
    "person_ref",
    "personal_data_erased",
    "version",
    "position",
    "registered_at",
    "updated_at",
)
assert tuple(t.targets.c.keys()) == _TARGET_COLUMNS


def _created(event: Any, position: int, fields: tuple[str, ...]) -> dict[str, Any]:
    row = {"id": entry_id(event), **{f: getattr(event, f) for f in fields}}
    row.update(touched(event, position), registered_at=event_time(event))
    return row


class DivisionsProjection(Projection):
    name = "divisions"
    tables: ClassVar[tuple[Table, ...]] = (t.divisions,)
    kinds = ("division",)

    def handlers(self) -> dict[str, Handler]:
        return {
            "division.created": self._created,
            "division.contact_named": self._contact_named,
        }

    def _created(self, w: Writer, e: Any, position: int) -> None:
        w.insert(t.divisions, _created(e, position, ("code", "name", "kind", "contact")))

    def _contact_named(self, w: Writer, e: Any, position: int) -> None:
        w.update(t.divisions, {"id": entry_id(e)}, {"contact": e.contact, **touched(e, position)})


class OfficialsProjection(Projection):
    name = "officials"
    version = 3  # 2: the roster inspector an official is bound to; 3: each token's issuer,
    # expiry and label
    tables: ClassVar[tuple[Table, ...]] = (t.officials, t.official_roles, t.official_tokens)
    kinds = ("official",)

    def handlers(self) -> dict[str, Handler]:
        return {
            "official.registered": self._registered,
            "official.roles_changed": self._roles_changed,
            "official.deactivated": self._deactivated,
            "official.bound_to_inspector": self._bound,
            "official.token_issued": self._token_issued,
            "official.token_revoked": self._token_revoked,
        }

    def _registered(self, w: Writer, e: Any, position: int) -> None:
        w.insert(
            t.officials,
            {
                **_created(e, position, ("code", "name", "division", "roles")),
                "active": True,
                "inspector": None,  # bound later, if ever (official.bound_to_inspector)
            },
        )
        w.insert_many(t.official_roles, ({"official_id": entry_id(e), "role": r} for r in e.roles))

    def _roles_changed(self, w: Writer, e: Any, position: int) -> None:
        values = {"roles": list(e.roles), "division": e.division, **touched(e, position)}
        w.update(t.officials, {"id": entry_id(e)}, values)
        w.delete(t.official_roles, {"official_id": entry_id(e)})
        w.insert_many(t.official_roles, ({"official_id": entry_id(e), "role": r} for r in e.roles))

    def _deactivated(self, w: Writer, e: Any, position: int) -> None:
        w.update(t.officials, {"id": entry_id(e)}, {"active": False, **touched(e, position)})

    def _bound(self, w: Writer, e: Any, position: int) -> None:
        values = {"inspector": e.inspector, **touched(e, position)}
        w.update(t.officials, {"id": entry_id(e)}, values)

    def _token_issued(self, w: Writer, e: Any, position: int) -> None:
        row = {
            "official_id": entry_id(e),
            "token_id": e.token_id,
            "issued_at": event_time(e),
            "issued_position": position,
            "issued_by": e.actor["official"],
            "expires_at": e.expires,
            "label": e.label,
        }
        w.insert(t.official_tokens, row)
        w.update(t.officials, {"id": entry_id(e)}, touched(e, position))

    def _token_revoked(self, w: Writer, e: Any, position: int) -> None:
        w.delete(t.official_tokens, {"official_id": entry_id(e), "token_id": e.token_id})
        w.update(t.officials, {"id": entry_id(e)}, touched(e, position))


class TargetsProjection(Projection):
    name = "targets"
    version = 7  # 2: the page index (code, id); 3: personal_data_erased; 4: a page index per
    # filter field (PAGE_FILTERS in tables.py); 5: on SQLite, rm_target_items without rowid;
    # 6: the trigram index of names and codes (TARGET_TEXT, pg_trgm) and the item index on
    # (item, target_id); 7: the id a unique index, not the primary key; on SQLite no index on
    # code alone (the page index serves)
    tables: ClassVar[tuple[Table, ...]] = (t.targets, t.target_items)
    kinds = ("target",)

    def handlers(self) -> dict[str, Handler]:
        return {
            "target.registered": self._registered,
            "target.updated": self._updated,
            "target.status_changed": self._status_changed,
            "target.personal_data_erased": self._personal_data_erased,
        }

    def _registered(self, w: Writer, e: Any, position: int) -> None:
        target, time = entry_id(e), event_time(e)
        w.row(
            t.targets,
            (
                target,
                e.kind,
                e.code,
                e.name,
                e.legal_representative,
                e.address,
                e.district,
                e.grid,
                e.division,
                _codes_text(e.items),
                encode_json(e.permit),
                e.credit_class,
                _codes_text(e.risk_flags),
                "in_business",
                e.person["ref"] if e.person else None,
                False,
                e.originator_version,
                position,
                time,
                time,
            ),
        )
        for item in e.items:
            w.row(t.target_items, (target, item))

    def _updated(self, w: Writer, e: Any, position: int) -> None:
        w.update(t.targets, {"id": entry_id(e)}, {**e.changes, **touched(e, position)})
        if "items" in e.changes:
            w.delete(t.target_items, {"target_id": entry_id(e)})
            w.insert_many(
                t.target_items,
                ({"target_id": entry_id(e), "item": i} for i in e.changes["items"]),
            )

    def _status_changed(self, w: Writer, e: Any, position: int) -> None:
        w.update(t.targets, {"id": entry_id(e)}, {"status": e.status, **touched(e, position)})

    def _personal_data_erased(self, w: Writer, e: Any, position: int) -> None:
        erased = {"personal_data_erased": True, **touched(e, position)}
        w.update(t.targets, {"id": entry_id(e)}, erased)


class InspectorsProjection(Projection):
    name = "inspectors"
    tables: ClassVar[tuple[Table, ...]] = (
        t.inspectors,
        t.inspector_qualifications,
        t.inspector_conflicts,
    )
    kinds = ("inspector",)

    def handlers(self) -> dict[str, Handler]:
        return {
            "inspector.registered": self._registered,
            "inspector.updated": self._updated,
            "inspector.conflict_declared": self._conflict_declared,
            "inspector.conflict_withdrawn": self._conflict_withdrawn,
        }

    def _qualifications(self, w: Writer, inspector: str, codes: list[str]) -> None:
        w.insert_many(
            t.inspector_qualifications, ({"inspector_id": inspector, "item": i} for i in codes)
        )

    def _registered(self, w: Writer, e: Any, position: int) -> None:
        w.insert(t.inspectors, _created(e, position, _INSPECTOR_FIELDS))
        self._qualifications(w, entry_id(e), e.qualifications)

    def _updated(self, w: Writer, e: Any, position: int) -> None:
        w.update(t.inspectors, {"id": entry_id(e)}, {**e.changes, **touched(e, position)})
        if "qualifications" in e.changes:
            w.delete(t.inspector_qualifications, {"inspector_id": entry_id(e)})
            self._qualifications(w, entry_id(e), e.changes["qualifications"])

    def _conflict_declared(self, w: Writer, e: Any, position: int) -> None:
        row = {
            "inspector_id": entry_id(e),
            "target": e.target,
            "reason": e.reason,
            "declared_at": event_time(e),
        }
        w.insert(t.inspector_conflicts, row)
        w.update(t.inspectors, {"id": entry_id(e)}, touched(e, position))

    def _conflict_withdrawn(self, w: Writer, e: Any, position: int) -> None:
        w.delete(t.inspector_conflicts, {"inspector_id": entry_id(e), "target": e.target})
        w.update(t.inspectors, {"id": entry_id(e)}, touched(e, position))


class ItemsProjection(Projection):
    name = "items"
    tables: ClassVar[tuple[Table, ...]] = (t.items,)
    kinds = ("item",)

    def handlers(self) -> dict[str, Handler]:
        return {
            "item.registered": self._registered,
            "item.amended": self._amended,
            "item.withdrawn": self._withdrawn,
        }

    def _registered(self, w: Writer, e: Any, position: int) -> None:
        w.insert(t.items, {**_created(e, position, _ITEM_FIELDS), "withdrawn": False})

    def _amended(self, w: Writer, e: Any, position: int) -> None:
        w.update(t.items, {"id": entry_id(e)}, {**e.changes, **touched(e, position)})

    def _withdrawn(self, w: Writer, e: Any, position: int) -> None:
        w.update(t.items, {"id": entry_id(e)}, {"withdrawn": True, **touched(e, position)})


class ItemListsProjection(Projection):
    name = "item_lists"
    tables: ClassVar[tuple[Table, ...]] = (t.item_lists,)
    kinds = ("itemlist",)

    def handlers(self) -> dict[str, Handler]:
        return {"itemlist.published": self._published}

    def _published(self, w: Writer, e: Any, position: int) -> None:
        row = {
            "id": entry_id(e),
            "number": e.number,
            "digest": e.digest,
            "published_at": event_time(e),
            "position": position,
            "published_by": e.actor["official"],
            "items": e.items,
        }
        w.insert(t.item_lists, row)


def _codes_text(codes: list[Any]) -> Encoded:
    """``encode_json`` of a list of codes (a target's items, its risk flags): a few lists
    recur across a million targets, so each is encoded once (``_encoded_codes``). Only a list
    of texts is looked up (``join`` refuses anything else): ``1`` and ``True`` are equal keys."""
    if type(codes) is list:
        try:
            "".join(codes)
        except TypeError:  # not a list of texts (a number, an object…)
            pass
        else:
            return _encoded_codes(tuple(codes))
    return encode_json(codes)


@lru_cache(maxsize=4096)
def _encoded_codes(codes: tuple[Any, ...]) -> Encoded:
    return encode_json(list(codes))
