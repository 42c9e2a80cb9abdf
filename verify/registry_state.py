"""The registry as it stood at a ledger position, folded from signed event envelopes.

The ledger and the verifier compute a draw's population and its inspectors' eligibility from
this same state, so that an auditor re-derives them from the bundle alone. Only what the draw
rules read is kept: targets, inspectors, the policy in force, and how often each target was
selected per year.

A state's records are never changed in place: an event that changes a target or an inspector
replaces its record with a new one. So ``copy()`` shares the records and copies only the
indexes that hold them, and a copy never sees a later event of the state it was taken from.

A target's record is compact, as a verifier holds one per target of a province (issue 15:
1,000,000 targets in < 512 MiB): a named tuple (its fields in one tuple, no ``__dict__``; made
from a row at C speed), every repeated text (division, district, kind, status, credit class,
item code) one interned string, its items and risk flags tuples shared by every target listing
the same codes in the same order, and a verifier's fold (``RegistryState(names=False)``) does
not keep the names no draw rule reads. The verifier's steps 9 and 10 fold by packed id
(``packed_ids=True``) and hold the targets as compact rows (``target_rows.TargetRows``: a
target's shared fields as one numbered profile, its key in UTF-8, one ``bytes`` a target),
read back as the same records.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from .aggregate_ids import packed
from .target_rows import TargetRows, TargetState

__all__ = [
    "InspectorState",
    "RegistryState",
    "TargetRows",
    "TargetState",
    "codes",
    "fold",
    "target_key",
]


def target_key(kind: str, code: str) -> str:
    """The id a target is drawn under: its credit code, or ``kind:code`` for projects and
    individuals (an individual's code is a pseudonymous reference)."""
    return code if kind in ("enterprise", "public_body") else f"{kind}:{code}"


@dataclass(frozen=True)
class InspectorState:
    code: str
    name: str
    certificate: dict[str, Any]
    unit: str
    division: str
    agency_staff: bool
    qualifications: list[str]
    status: str
    conflicts: frozenset[str] = frozenset()  # target aggregate ids


_TARGET_FIELDS = ("name", "district", "grid", "division", "items", "credit_class", "risk_flags")
_INSPECTOR_FIELDS = (
    "name",
    "certificate",
    "unit",
    "division",
    "agency_staff",
    "qualifications",
    "status",
)


@dataclass
class RegistryState:
    targets: dict[str, TargetState] | TargetRows = field(default_factory=dict)  # by aggregate id
    inspectors: dict[str, InspectorState] = field(default_factory=dict)  # by code
    inspector_codes: dict[str, str] = field(default_factory=dict)  # aggregate id -> code
    policy: dict[str, Any] | None = None
    selections: Counter[tuple[str, int]] = field(default_factory=Counter)  # (target key, year)
    position: int = 0  # how many events were folded in
    # Whether targets' names are kept: the ledger shows them; no draw rule reads them, so a
    # verifier's fold leaves them out (None). Not compared: the same registry either way.
    names: bool = field(default=True, compare=False)
    # Whether records are kept by packed aggregate id (``aggregate_ids.packed``: 16 bytes for a
    # canonical id, ~32 B a target less; a record's ``aggregate`` is then that key): the
    # verifier's steps 9 and 10 fold so (issue 15); who reads ``aggregate`` unpacks it. Their
    # targets are then held as compact rows (``target_rows.TargetRows``: ~56 B a target's
    # record and key, not ~200), read as the same records.
    packed_ids: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if self.packed_ids and type(self.targets) is dict:
            rows = TargetRows()
            rows.update(self.targets)
            self.targets = rows

    def apply(self, envelope: dict[str, Any]) -> None:
        """Fold one event envelope in (events of other kinds are ignored)."""
        self.position += 1
        handler = _HANDLERS.get(envelope["type"])
        if handler is not None:
            aggregate = envelope["aggregate"]
            if self.packed_ids:
                aggregate = packed(aggregate)
            handler(self, aggregate, envelope["payload"], envelope["time"])

    def copy(self) -> RegistryState:
        """The same state, unaffected by what is folded into this one afterwards (records are
        replaced, never changed, so they are shared)."""
        targets = self.targets
        return RegistryState(
            targets=targets.copy() if isinstance(targets, TargetRows) else dict(targets),
            inspectors=dict(self.inspectors),
            inspector_codes=dict(self.inspector_codes),
            policy=self.policy,
            selections=self.selections.copy(),
            position=self.position,
            names=self.names,
            packed_ids=self.packed_ids,
        )

    def target_by_key(self) -> dict[str, TargetState]:
        return {t.key: t for t in self.targets.values()}

    def targets_by_keys(self, keys: Iterable[str]) -> dict[str, TargetState]:
        """``target_by_key()`` restricted to ``keys`` (the same record for each, the last
        registered under a key as there): one pass over the registry, no index of all of it
        (a province's is ~45 MiB a copy, issue 15)."""
        if isinstance(self.targets, TargetRows):
            return self.targets.by_keys(keys)  # by the keys' bytes: no record rebuilt in vain
        wanted = set(keys)
        return {t.key: t for t in self.targets.values() if t.key in wanted}


def fold(envelopes: Iterable[dict[str, Any]], *, names: bool = True) -> RegistryState:
    state = RegistryState(names=names)
    for envelope in envelopes:
        state.apply(envelope)
    return state


_CODES: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # one tuple of each list of codes
_CODES_KEPT = 1 << 16  # at most this many kept (a registry lists far fewer item sets)


def codes(value: Any) -> Any:
    """A list of codes (a target's items or risk flags) as the one shared tuple of them, its
    strings interned: a large registry holds each set of codes once, not once per target. The
    order is kept (the record is what the log says). Anything else is returned as it is."""
    if type(value) is not list and type(value) is not tuple:
        return value
    shared = tuple(value)
    try:
        found = _CODES.get(shared)
    except TypeError:  # an element that cannot be a key (a forged payload's list)
        return shared
    if found is not None:
        return found
    shared = tuple(sys.intern(v) if type(v) is str else v for v in shared)
    if len(_CODES) < _CODES_KEPT:
        _CODES[shared] = shared
    return shared


def _shared(value: Any) -> Any:
    """A string as the one interned copy of its text (a division, district, kind or item code
    is written once per target in the log, and decoded into a string of its own each time), a
    list as the shared tuple of such strings (``codes``)."""
    if type(value) is str:
        return sys.intern(value)
    return codes(value)


def _target_registered(state: RegistryState, agg: str, p: dict[str, Any], _: str) -> None:
    name = p["name"]  # read either way: a registration without one fails alike
    key = target_key(p["kind"], p["code"])  # its id and key are its own: not interned
    profile = (
        _shared(p["kind"]),
        name if state.names else None,
        _shared(p["district"]),
        _shared(p["grid"]),
        _shared(p["division"]),
        codes(p["items"]),
        _shared(p["credit_class"]),
        codes(p["risk_flags"]),
        _REGISTERED,
    )
    targets = state.targets
    if type(targets) is not TargetRows or not targets.stored(agg, key, profile):
        targets[agg] = _new(TargetState, (agg, key, *profile))


_REGISTERED = TargetState._field_defaults["status"]  # a registered target's status
_new = tuple.__new__


def _target_updated(state: RegistryState, agg: str, p: dict[str, Any], _: str) -> None:
    changes = {k: _shared(v) for k, v in p["changes"].items() if k in _TARGET_FIELDS}
    if "name" in changes and not state.names:
        del changes["name"]
    state.targets[agg] = state.targets[agg]._replace(**changes)


def _target_status(state: RegistryState, agg: str, p: dict[str, Any], _: str) -> None:
    state.targets[agg] = state.targets[agg]._replace(status=_shared(p["status"]))


def _inspector_registered(state: RegistryState, agg: str, p: dict[str, Any], _: str) -> None:
    state.inspector_codes[agg] = p["code"]
    state.inspectors[p["code"]] = InspectorState(
        code=p["code"], **{name: p[name] for name in _INSPECTOR_FIELDS}
    )


def _inspector_by_aggregate(state: RegistryState, agg: str) -> InspectorState:
    return state.inspectors[state.inspector_codes[agg]]


def _replace_inspector(state: RegistryState, agg: str, **changes: Any) -> None:
    inspector = _inspector_by_aggregate(state, agg)
    state.inspectors[inspector.code] = replace(inspector, **changes)


def _inspector_updated(state: RegistryState, agg: str, p: dict[str, Any], _: str) -> None:
    changes = {k: v for k, v in p["changes"].items() if k in _INSPECTOR_FIELDS}
    _replace_inspector(state, agg, **changes)


def _conflict_declared(state: RegistryState, agg: str, p: dict[str, Any], _: str) -> None:
    conflicts = _inspector_by_aggregate(state, agg).conflicts
    _replace_inspector(state, agg, conflicts=conflicts | {p["target"]})


def _conflict_withdrawn(state: RegistryState, agg: str, p: dict[str, Any], _: str) -> None:
    conflicts = _inspector_by_aggregate(state, agg).conflicts
    _replace_inspector(state, agg, conflicts=conflicts - {p["target"]})


def _policy_set(state: RegistryState, agg: str, p: dict[str, Any], _: str) -> None:
    state.policy = p["document"]


def _targets_selected(state: RegistryState, agg: str, p: dict[str, Any], time: str) -> None:
    year = int(time[:4])
    for stratum in p["strata"]:
        for selection in stratum["selected"]:
            state.selections[(selection["target"], year)] += 1


_HANDLERS = {
    "target.registered": _target_registered,
    "target.updated": _target_updated,
    "target.status_changed": _target_status,
    "inspector.registered": _inspector_registered,
    "inspector.updated": _inspector_updated,
    "inspector.conflict_declared": _conflict_declared,
    "inspector.conflict_withdrawn": _conflict_withdrawn,
    "policy.set": _policy_set,
    "draw.targets_selected": _targets_selected,
}
