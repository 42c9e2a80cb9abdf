"""The log as the authority replay reads it: officials, record owners, the policy in force,
identities (roster inspectors, bindings, teams present) and the directed-inspection scope
(listed items and registered targets), folded event by event (``verify/authority_replay.py``).

Records are kept by aggregate key (``aggregate_ids.packed``: a canonical id as its 16 bytes),
and what every record or target has (its owner, a target's key) in columns by row
(``aggregate_ids.Column``), whose numbering the record pass shares with the chains' heads.

Pure data and functions: no ledger, no I/O.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .aggregate_ids import AggregateKey, Column, packed, row_of, unpacked
from .authority_rules import INSPECTION, MOVED, NAMED, NEW, NONE, moving


@dataclass(frozen=True)
class OfficialState:
    division: Any
    roles: frozenset[Any]
    deactivated_at: int | None = None


class AuthorityLog:
    """Officials and record owners as the log stood: what each judgement reads. Aggregates are
    named by their packed keys (``aggregate_ids.packed``); ``rows`` numbers them for the
    columns, shared with the caller's (the chains' heads) when given."""

    def __init__(self, rows: dict[AggregateKey, int] | None = None) -> None:
        rows = {} if rows is None else rows
        self.officials: dict[Any, OfficialState] = {}  # by code
        self.codes: dict[AggregateKey, Any] = {}  # official aggregate -> code
        self.owner = Column(rows)  # record aggregate -> division
        self.policy: dict[str, Any] = {}  # what the replay reads of the policy in force
        self.units: dict[Any, Any] = {}  # roster inspector code -> unit
        self.inspectors: dict[AggregateKey, Any] = {}  # inspector aggregate -> code
        self.bound: dict[Any, Any] = {}  # official code -> the inspector bound to them
        self.holder: dict[Any, Any] = {}  # inspector code -> the active official bound to them
        self.present: dict[AggregateKey, list[Any]] = {}  # inspection aggregate -> team present
        self.policies = 0  # how many policy versions have been set
        # (type, official, role, department, division) of acts the replay judged permitted on
        # the officials and the policy as they stand: emptied whenever either changes, so a
        # judgement never outlives the grants it was made on (a revoked role, a deactivated
        # official, a new policy's [leaders] are judged afresh).
        self.permitted: set[tuple[Any, ...]] = set()
        # What a directed inspection may name (``directed_refusal``): the listed items and the
        # registered targets, by code and key.
        self.items: dict[Any, tuple[Any, tuple[Any, ...], bool]] = {}  # (owner, units, withdrawn)
        self.item_codes: dict[AggregateKey, Any] = {}  # item aggregate -> code
        self.targets: dict[Any, tuple[Any, tuple[Any, ...]]] = {}  # key -> (division, items)
        self.target_keys = Column(rows)  # target aggregate -> key

    def apply(
        self, position: int, kind: str, whose: str, aggregate: AggregateKey, extra: Any
    ) -> None:
        if whose == NEW or (whose == MOVED and extra is not None):
            self.owner[aggregate] = _shared(extra)
        elif whose == INSPECTION:
            self.owner[aggregate] = self.owner.get(packed(str(extra)))
        elif kind == "policy.set":
            self.permitted.clear()
            self.policy = extra if isinstance(extra, dict) else {}
            self.policies += 1
        elif kind == "official.registered" and isinstance(extra, tuple) and len(extra) == 3:
            code, division, roles = extra
            if isinstance(code, str):
                self.permitted.clear()
                self.codes[aggregate] = code
                self.officials[code] = OfficialState(division, _roles(roles))
        elif kind == "official.roles_changed" and isinstance(extra, tuple) and len(extra) == 2:
            code = self.codes.get(aggregate)
            if code is not None:
                self.permitted.clear()
                old = self.officials[code]
                self.officials[code] = OfficialState(extra[0], _roles(extra[1]), old.deactivated_at)
        elif kind == "official.deactivated":
            code = self.codes.get(aggregate)
            if code is not None:
                self.permitted.clear()
                old = self.officials[code]
                self.officials[code] = OfficialState(old.division, old.roles, position)
                # A deactivated official's inspector is free again.
                self.holder.pop(self.bound.pop(code, None), None)

    def apply_identity(self, kind: str, aggregate: AggregateKey, identity: Any) -> None:
        if not isinstance(identity, tuple) or not identity:
            return
        if not all(isinstance(v, str | list | None) for v in identity):
            return  # a forged payload: what it names cannot be folded (a hashable code)
        if kind == "inspector.registered" and len(identity) == 2 and isinstance(identity[0], str):
            self.inspectors[aggregate] = identity[0]
            self.units[identity[0]] = identity[1]
        elif kind == "inspector.updated" and identity[0] is not None:
            code = self.inspectors.get(aggregate)
            if code is not None:
                self.units[code] = identity[0]
        elif kind == "official.bound_to_inspector" and isinstance(identity[0], str):
            code = self.codes.get(aggregate)
            if code is not None:
                self.bound[code] = identity[0]
                self.holder[identity[0]] = code
        elif kind == "inspection.carried_out" and isinstance(identity[0], list):
            self.present[aggregate] = identity[0]

    def register_target(self, aggregate: AggregateKey, scope: tuple[Any, Any, Any]) -> None:
        """``apply`` and ``apply_scope`` of a ``target.registered`` whose owner (the payload's
        division) is ``scope``'s (key, division, items) own division, in one: the division
        shared once, the aggregate's row looked up once for both columns."""
        key, division, listed = scope
        division = _shared(division)
        row = row_of(self.owner.rows, aggregate)
        self.owner.put(row, division)
        if isinstance(key, str):
            self.target_keys.put(row, key)
            listed = _shared(tuple(listed)) if isinstance(listed, list) else None
            self.targets[key] = _pair(division, listed or ())

    def apply_scope(self, kind: str, aggregate: AggregateKey, scope: Any) -> None:
        """Fold what an item or target event says of the directed-inspection scope."""
        if not isinstance(scope, tuple) or len(scope) != 3:
            return
        code, division, listed = scope
        division = _shared(division)  # a code names one item or target: not shared
        listed = _shared(tuple(listed)) if isinstance(listed, list) else None
        if kind in ("item.registered", "target.registered"):
            if not isinstance(code, str):
                return
            if kind == "item.registered":
                self.item_codes[aggregate] = code
                self.items[code] = (division, listed or (), False)
            else:
                self.target_keys[aggregate] = code
                self.targets[code] = _pair(division, listed or ())
        elif kind in ("item.amended", "item.withdrawn") and aggregate in self.item_codes:
            code = self.item_codes[aggregate]
            owner, units, withdrawn = self.items[code]
            self.items[code] = (
                owner if division is None else division,
                units if listed is None else listed,
                withdrawn or kind == "item.withdrawn",
            )
        elif kind == "target.updated" and aggregate in self.target_keys:
            key = self.target_keys[aggregate]
            owner, carried = self.targets[key]
            self.targets[key] = _pair(
                owner if division is None else division,
                carried if listed is None else listed,
            )

    def scope(
        self, items: Any, targets: Any
    ) -> tuple[dict[str, tuple[str, Collection[str]] | None], dict[str, Any]] | None:
        """What ``directed_refusal`` reads of the named items and targets as the log stood: a
        withdrawn item is not listed. None if the payload does not name lists of codes."""
        if not isinstance(items, list) or not isinstance(targets, list):
            return None
        if not all(isinstance(c, str) for c in [*items, *targets]):
            return None
        listed: dict[str, tuple[str, Collection[str]] | None] = {}
        for code in items:
            item = self.items.get(code)
            listed[code] = None if item is None or item[2] else (item[0], item[1])
        return listed, {key: self.targets.get(key) for key in targets}

    def bound_to(self, inspector: Any) -> Any:
        return self.holder.get(inspector)

    def divisions(
        self, whose: str, aggregate: AggregateKey, extra: Any
    ) -> tuple[list[Any], str | None]:
        """The divisions whose records the event acts on, or a reason they are unknown."""
        if whose == NONE:
            return [], None
        if whose in (NEW, NAMED):
            return ([extra], None) if isinstance(extra, str) else ([], "未写明处室")
        key = packed(str(extra)) if whose == INSPECTION else aggregate
        owner = self.owner.get(key)
        if not isinstance(owner, str):
            return [], (f"记录 {unpacked(key)} 所属的处室不明：此前没有事件写明它")
        if whose == MOVED and isinstance(extra, str):
            return list(moving(owner, extra)), None
        return [owner], None


_TUPLES: dict[tuple[str, ...], tuple[str, ...]] = {}  # one copy of each list of codes


def _shared(value: Any) -> Any:
    """A division or a list of codes, which many records name alike, as one shared object:
    a string interned, a tuple of strings the one kept in ``_TUPLES`` (at most 4,096 kept)."""
    if type(value) is str:
        return sys.intern(value)
    if type(value) is tuple:
        try:
            found = _TUPLES.get(value)  # only tuples of strings are kept
        except TypeError:  # a forged payload's list inside: cannot be a key
            return value
        if found is not None:
            return found
        if not all(type(v) is str for v in value):
            return value
        value = tuple(sys.intern(v) for v in value)
        if len(_TUPLES) < 4096:
            _TUPLES[value] = value
    return value


_PAIRS: dict[tuple[Any, Any], tuple[Any, Any]] = {}  # one copy of each (division, items)


def _pair(division: Any, listed: tuple[Any, ...]) -> tuple[Any, Any]:
    """A target's scope, (division, items), as the one pair every target of that division
    listing those items shares (at most 65,536 kept): a province's targets hold a few thousand
    pairs, not one each."""
    pair = (division, listed)
    try:
        found = _PAIRS.get(pair)
    except TypeError:  # a forged payload's division that cannot be a key
        return pair
    if found is not None:
        return found
    if len(_PAIRS) < 1 << 16:
        _PAIRS[pair] = pair
    return pair


def _roles(roles: Any) -> frozenset[Any]:
    if not isinstance(roles, list):
        return frozenset()
    return frozenset(r for r in roles if isinstance(r, str))
