"""A verifier's registry of targets, one compact row a target (issue 15: the registry of a
province's 1,000,000 targets, folded by steps 9 and 10, in < 512 MiB with everything else).

A target's record (``registry_state.TargetState``) is its aggregate id, its key, and nine fields
that thousands of targets share: kind, name (None in a verifier's fold), district, grid,
division, items, credit class, risk flags and status — its *profile*. ``TargetRows`` holds, by
aggregate id, one ``bytes`` a target: the number of its profile (4 bytes) then its key in UTF-8
(a credit code's 18 bytes: ~56 B in all, where the record as a named tuple with its key as text
took ~200 B). Each distinct profile is one tuple, kept once in a table (``Profiles``) that a
copy shares; a record is rebuilt, equal field by field to the one that was stored, each time it
is read.

A row is never changed in place: storing a record replaces the target's ``bytes``, and a
profile is never changed, so an amendment to one target moves it to another profile and leaves
every other target sharing its old one as it was. A copy copies the mapping of ids to rows and
shares the rows and the profile table, as ``RegistryState.copy`` shares records.

Exactly the record that was stored is read back. Only text survives the bytes exactly, so
anything else is stored as the record itself (a ``TargetState``, as before): a key that is not
a text, a record whose id is not its key here, and a profile holding anything but texts, None
and tuples of texts (an equal profile of other types — ``1``, ``True``, ``1.0`` — would be read
back as the first one's). A key's text is encoded with ``surrogatepass``, so a forged lone
surrogate (``"\\ud800"`` in the JSON) is kept exactly too.

Pure data: standard library only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any, NamedTuple, cast


class TargetState(NamedTuple):
    """A target's record as the draw rules read it (``registry_state`` folds it)."""

    aggregate: str
    key: str
    kind: str
    name: str | None
    district: str
    grid: str | None
    division: str
    items: tuple[str, ...]
    credit_class: str
    risk_flags: tuple[str, ...]
    status: str = "in_business"


PROFILE_BYTES = 4  # a profile's number, little-endian, at the start of a row
PROFILES_KEPT = 1 << 20  # at most this many profiles numbered; a target beyond is kept whole
_UTF8 = "utf-8"
_EXACT = "surrogatepass"  # every text round-trips, a lone surrogate included
_new = tuple.__new__
_UNSEEN: Any = object()  # a profile not tested yet


class Profiles:
    """The distinct profiles (a record's nine shared fields as one tuple), numbered once each."""

    __slots__ = ("numbers", "rows")

    def __init__(self) -> None:
        self.numbers: dict[tuple[Any, ...], bytes] = {}  # profile -> its number, as bytes
        self.rows: list[tuple[Any, ...]] = []  # number -> profile

    def added(self, profile: tuple[Any, ...]) -> bytes | None:
        """The number of a profile not numbered yet (``numbers`` holds none equal to it, and
        it can be a key), as a row's prefix, numbered now; None if it is not one that reads
        back exactly (see the module docstring) or the table is full."""
        if len(self.rows) >= PROFILES_KEPT or not _plain(profile):
            return None
        found = len(self.rows).to_bytes(PROFILE_BYTES, "little")
        self.numbers[profile] = found
        self.rows.append(profile)
        return found


def _plain(profile: tuple[Any, ...]) -> bool:
    """Whether every field is a text, None or a tuple of texts (what a dict key equal to the
    profile must then hold too). One loop, no call a field: it runs for each new profile."""
    for value in profile:
        kind = type(value)
        if kind is str or value is None:
            continue
        if kind is not tuple:
            return False
        for code in value:
            if type(code) is not str:
                return False
    return True


class TargetRows(MutableMapping[Any, TargetState]):
    """aggregate id -> ``TargetState``, stored as one compact row a target (module docstring)."""

    __slots__ = ("_profiles", "_rows")

    def __init__(
        self, rows: dict[Any, bytes | TargetState] | None = None, profiles: Profiles | None = None
    ) -> None:
        self._rows: dict[Any, bytes | TargetState] = {} if rows is None else rows
        self._profiles = Profiles() if profiles is None else profiles

    def _record(self, aggregate: Any, row: bytes | TargetState) -> TargetState:
        if type(row) is not bytes:  # kept whole
            return cast(TargetState, row)
        profile = self._profiles.rows[int.from_bytes(row[:PROFILE_BYTES], "little")]
        key = row[PROFILE_BYTES:].decode(_UTF8, _EXACT)
        return _new(TargetState, (aggregate, key, *profile))  # type: ignore[no-any-return]

    def __getitem__(self, aggregate: Any) -> TargetState:
        return self._record(aggregate, self._rows[aggregate])

    def __setitem__(self, aggregate: Any, target: TargetState) -> None:
        as_row = type(target) is TargetState and target.aggregate is aggregate
        if not (as_row and self.stored(aggregate, target.key, target[2:])):
            self._rows[aggregate] = target  # kept whole

    def stored(self, aggregate: Any, key: Any, profile: tuple[Any, ...]) -> bool:
        """Store the record ``TargetState(aggregate, key, *profile)`` as a row, without the
        record built (the fold's registrations); False, and nothing stored, if it cannot be
        one (the module docstring) and must be kept whole."""
        if type(key) is not str:
            return False
        try:  # a profile met before: its number (equal to a profile of texts: the same)
            number = self._profiles.numbers.get(profile)
        except TypeError:  # a field that cannot be a key (a forged payload's dict)
            return False
        if number is None:
            number = self._profiles.added(profile)
            if number is None:
                return False
        self._rows[aggregate] = number + key.encode(_UTF8, _EXACT)
        return True

    def __delitem__(self, aggregate: Any) -> None:
        del self._rows[aggregate]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, aggregate: object) -> bool:
        return aggregate in self._rows

    def get(self, aggregate: Any, default: Any = None) -> Any:
        row = self._rows.get(aggregate)
        return default if row is None else self._record(aggregate, row)

    def values(self) -> _Records:  # type: ignore[override]
        return _Records(self)

    def items(self) -> _Items:  # type: ignore[override]
        return _Items(self)

    def copy(self) -> TargetRows:
        """The same records, unaffected by what is stored in this one afterwards (rows are
        replaced, never changed, and profiles never change: both are shared)."""
        return TargetRows(dict(self._rows), self._profiles)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return len(self) == len(other) and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]  # a mapping, changed in place

    def __repr__(self) -> str:
        return f"TargetRows({dict(self.items())!r})"

    def matching(self, test: Callable[[TargetState], bool]) -> Iterator[TargetState]:
        """Every record, in order, that passes ``test`` — a test of the profile's fields alone
        (it is given the record with no id and no key), called once for each distinct profile
        met, where it is first met (a record kept whole is tested itself)."""
        passing: dict[bytes, Any] = {}  # number -> the profile if it passes, else None
        get = passing.get
        profiles = self._profiles.rows
        for aggregate, row in self._rows.items():
            if type(row) is not bytes:  # kept whole
                if test(cast(TargetState, row)):
                    yield cast(TargetState, row)
                continue
            prefix = row[:PROFILE_BYTES]
            profile = get(prefix, _UNSEEN)
            if profile is _UNSEEN:
                profile = profiles[int.from_bytes(prefix, "little")]
                if not test(_new(TargetState, (None, None, *profile))):
                    profile = None
                passing[prefix] = profile
            if profile is not None:
                key = row[PROFILE_BYTES:].decode(_UTF8, _EXACT)
                yield _new(TargetState, (aggregate, key, *profile))

    def keyed_verdicts(self, verdict: Callable[[TargetState], Any]) -> Iterator[tuple[Any, Any]]:
        """(key, verdict) for every record, in order, whose verdict is not None — ``verdict``
        judging the profile's fields alone: it is given the record with no id and no key, and
        called once for each distinct profile met, where it is first met (a record kept whole
        is judged itself). No record is rebuilt: a key is its row's bytes decoded."""
        verdicts: dict[bytes, Any] = {}  # a profile's number -> its verdict
        get = verdicts.get
        profiles = self._profiles.rows
        for row in self._rows.values():
            if type(row) is bytes:
                prefix = row[:PROFILE_BYTES]
                found = get(prefix, _UNSEEN)
                if found is _UNSEEN:
                    profile = profiles[int.from_bytes(prefix, "little")]
                    found = verdicts[prefix] = verdict(_new(TargetState, (None, None, *profile)))
                if found is not None:
                    yield row[PROFILE_BYTES:].decode(_UTF8, _EXACT), found
            else:  # kept whole
                found = verdict(cast(TargetState, row))
                if found is not None:
                    yield cast(TargetState, row).key, found

    def by_keys(self, keys: Iterable[Any]) -> dict[Any, TargetState]:
        """key -> record for the records whose key is one of ``keys``, the last under a key in
        order (as ``{t.key: t for t in values() if t.key in set(keys)}``), comparing the keys'
        bytes: no record is rebuilt but the ones found."""
        wanted = set(keys)
        encoded = {k.encode(_UTF8, _EXACT) for k in wanted if type(k) is str}
        found: dict[Any, TargetState] = {}
        for aggregate, row in self._rows.items():
            if type(row) is bytes:
                if row[PROFILE_BYTES:] in encoded:
                    target = self._record(aggregate, row)
                    found[target.key] = target
            elif cast(TargetState, row).key in wanted:  # kept whole
                found[cast(TargetState, row).key] = cast(TargetState, row)
        return found


class _Records:
    """The records in order (``values()``), each rebuilt as it is read."""

    __slots__ = ("_of",)

    def __init__(self, of: TargetRows) -> None:
        self._of = of

    def __iter__(self) -> Iterator[TargetState]:
        record = self._of._record
        for aggregate, row in self._of._rows.items():
            yield record(aggregate, row)

    def __len__(self) -> int:
        return len(self._of)


class _Items(_Records):
    def __iter__(self) -> Iterator[tuple[Any, TargetState]]:  # type: ignore[override]
        record = self._of._record
        for aggregate, row in self._of._rows.items():
            yield aggregate, record(aggregate, row)
