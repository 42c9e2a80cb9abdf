"""The signing mapper: every domain event becomes a signed, chained record, checked on read.

The ``eventsourcing`` library calls ``to_stored_event`` when an application saves and
``to_domain_event`` when it reads. Here the stored topic is the event's stable type name and the
stored state is the record of ``verify.events`` (docs/FORMAT.md), so that the verifier checks the
very bytes the ledger wrote, with the same functions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import CanInitAggregate
from eventsourcing.persistence import ApplicationRecorder, Mapper, StoredEvent, Transcoder

from verify.errors import VerifyError
from verify.events import SignedEvent, check_signature, decode_record, encode_record, make_envelope
from verify.keys import SignerKey, VerifierKey
from verify.merkle import leaf_hash

from .aggregates import aggregate_kind
from .catalogue import event_class
from .errors import TamperedEvent
from .signing import BatchEncoder, Job
from .storage import Stored

SIGN_AHEAD_MIN = 200  # events: below that, the helper's round trips cost more than they save
_BASE_FIELDS = frozenset(
    ("originator_id", "originator_version", "timestamp", "actor", "originator_topic")
)


def format_time(ts: datetime) -> str:
    """UTC time with microseconds and a 'Z', the only form the envelope allows."""
    zone = ts.tzinfo
    # isoformat is several times faster than strftime; years before 1000 do not occur here.
    if zone is UTC:  # the library's own timestamps: "…+00:00" made "…Z", nothing converted
        return ts.isoformat(timespec="microseconds")[:-6] + "Z"
    if zone is None:
        raise ValueError("event timestamps must be timezone-aware")
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> datetime:
    # The exact shape format_time writes is read by fromisoformat, several times faster than
    # strptime (which still decides anything else, so what is accepted is unchanged).
    if (
        len(text) == 27
        and text.isascii()
        and text[10] == "T"
        and text[19] == "."
        and text[26] == "Z"
    ):
        try:
            return datetime.fromisoformat(text[:26]).replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@cache
def _created_kind(cls: Any) -> str | None:
    """The aggregate kind a created event of class ``cls`` must name (None for the other
    events): isinstance against the library's generic class, once per class."""
    kind = aggregate_kind(cls.TOPIC)
    return kind if issubclass(cls, CanInitAggregate) else None


def _where(stored: Stored) -> str:
    """How a check names a stored event it refuses (made only when it refuses one)."""
    return f"event {stored.topic} of aggregate {stored.originator_id} v{stored.originator_version}"


def _check_row_and_chain(stored: Stored, event: SignedEvent, known: bytes | None) -> None:
    """TamperedEvent unless the signed envelope names the row's (type, aggregate, version) and
    its ``prev`` is ``known``, the digest of the aggregate's previous version (where known)."""
    found = (event.type, event.aggregate, event.version)
    expected = (stored.topic, str(stored.originator_id), stored.originator_version)
    if found != expected:
        raise TamperedEvent(
            f"{_where(stored)}: the signed envelope names {found}, the row {expected}"
        )
    if known is not None and event.prev != known:
        raise TamperedEvent(
            f"{_where(stored)}: prev is {event.envelope['prev']}, "
            f"expected {known.hex()} (digest of v{event.version - 1})"
        )


def _link(aggregate: str, version: int) -> str:
    """The chain cache's key of an aggregate's version: ``"<aggregate>:<version>"``, one to one
    (a version's digits hold no colon). A string, not a tuple: a tuple the cache keeps is an
    object the garbage collector tracks, one more a save, and the collections they set off
    cost a one-event save several microseconds (a string is never tracked)."""
    return f"{aggregate}:{version}"


class _DigestCache:
    """A bounded, thread-safe map to event digests: by aggregate id and version (``_link``)
    for the chain, and by the leaf hash (SHA-256(0x00 ‖ record), as the sealer hashes it) of
    whole records for the records already vouched for.

    Reading an aggregate always passes through ``to_domain_event``, which overwrites entries
    with what is really stored, so an entry left by a save that lost a race is corrected by
    the next read that precedes any new command on that aggregate.
    """

    def __init__(self, maxsize: int = 100_000) -> None:
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            return self._items.get(key)

    def missing(self, pairs: Iterable[tuple[int, Hashable]]) -> dict[int, Any]:
        """Of (position, key) pairs, those whose key is not held, as {position: key}."""
        with self._lock:
            items = self._items
            return {p: k for p, k in pairs if k not in items}

    def put_many(self, items: Sequence[tuple[Hashable, bytes]]) -> None:
        """``put`` each of ``items`` in order, under one lock."""
        with self._lock:
            held, most = self._items, self._maxsize
            for key, digest in items:
                held[key] = digest
                held.move_to_end(key)
            while len(held) > most:
                held.popitem(last=False)

    def put(self, key: Hashable, digest: bytes) -> None:
        with self._lock:
            self._items[key] = digest
            self._items.move_to_end(key)
            if len(self._items) > self._maxsize:
                self._items.popitem(last=False)


class SigningMapper(Mapper[UUID]):
    """Signs events with the ledger key on write; checks form, signature and chain on read."""

    def __init__(
        self,
        transcoder: Transcoder,
        signer: SignerKey,
        verifiers: dict[bytes, VerifierKey],
    ) -> None:
        super().__init__(transcoder)
        self.signer = signer
        self.verifiers = dict(verifiers)
        self.verifiers.setdefault(signer.key_id, signer.verifier)
        self.recorder: ApplicationRecorder | None = None  # bound by the application
        self._digests = _DigestCache()
        # Leaf hashes of whole records (signature included) this process wrote or checked:
        # identical bytes give an identical verification result, so it is not repeated.
        self._vouched = _DigestCache(maxsize=200_000)
        # Leaf hashes of records this process wrote and its own sealer has not integrated yet
        # (only where it seals its own log: ``keep_unsealed``), however many a large import
        # writes at once; the sealer takes them out as it integrates them.
        self.keep_unsealed = False
        self._unsealed: set[bytes] = set()
        self._unsealed_lock = threading.Lock()
        self._encoder = BatchEncoder(signer)
        # Events whose records the helper is making: id(event) -> (event, job, index in job).
        self._ahead: dict[int, tuple[Any, Job, int]] = {}

    def close(self) -> None:
        """Stop the signing helper, if one was started."""
        self._encoder.close()

    # -- write ----------------------------------------------------------------------------

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        encoded = None
        if self._ahead:  # only inside a bulk command's session with the signing helper
            ahead = self._ahead.pop(id(domain_event), None)
            if ahead is not None and ahead[0] is domain_event:
                done = ahead[1].result()
                encoded = None if done is None else done[ahead[2]]
        aggregate_id = domain_event.originator_id
        version = domain_event.originator_version
        if encoded is None:
            envelope = self._envelope(domain_event)
            record, digest = encode_record(envelope, self.signer)
            seen = leaf_hash(record)
            aggregate = envelope["aggregate"]  # str(aggregate_id), made once
        else:
            record, digest, seen = encoded
            aggregate = str(aggregate_id)
        self._digests.put(_link(aggregate, version), digest)
        self._vouched.put(seen, digest)
        if self.keep_unsealed:
            with self._unsealed_lock:
                self._unsealed.add(seen)
        return StoredEvent(
            originator_id=aggregate_id,
            originator_version=version,
            topic=type(domain_event).TOPIC,
            state=record,
        )

    def _envelope(self, domain_event: Any) -> dict[str, Any]:
        """The event's envelope, checked against the format (not yet encoded or signed)."""
        cls: Any = type(domain_event)
        type_name = cls.TOPIC
        state = vars(domain_event)  # only read
        aggregate = str(state["originator_id"])
        version = int(state["originator_version"])
        kind = _created_kind(cls)
        if kind is not None and state["originator_topic"] != kind:
            raise ValueError(f"{type_name}: aggregate kind {state['originator_topic']!r}")
        payload = {k: v for k, v in state.items() if k not in _BASE_FIELDS}
        return make_envelope(
            type=type_name,
            aggregate=aggregate,
            version=version,
            time=format_time(state["timestamp"]),
            actor=state["actor"],
            payload=payload,
            prev=None if version == 1 else self._previous_digest(aggregate, version),
        )

    @contextmanager
    def signing_ahead(self) -> Iterator[bool]:
        """A bulk command's session with the signing helper (``signing.py``): inside it,
        ``sign_ahead`` hands one batch's events to the helper while the command prepares the
        next; the save that stores them picks the records up. Yields False when the helper is
        busy with another session (everything is then signed inline, as usual)."""
        with self._encoder.session() as available:
            try:
                yield available
            finally:
                self._ahead.clear()

    def sign_ahead(self, events: Sequence[Any]) -> None:
        """Start encoding and signing ``events`` (to be saved next) in the helper, when they
        are many and of distinct aggregates (a chain inside the batch needs each digest
        before the next envelope). Only inside ``signing_ahead``; otherwise nothing happens."""
        if len(events) < SIGN_AHEAD_MIN or len({e.originator_id for e in events}) < len(events):
            return
        job = self._encoder.submit([self._envelope(e) for e in events])
        if job is not None:
            for index, event in enumerate(events):
                self._ahead[id(event)] = (event, job, index)

    def _previous_digest(self, aggregate: str, version: int) -> bytes:
        digest = self._digests.get(_link(aggregate, version - 1))
        if digest is not None:
            return digest
        if self.recorder is None:
            raise RuntimeError("the signing mapper has no recorder to read previous digests")
        stored = self.recorder.select_events(
            UUID(aggregate), gt=version - 2, lte=version - 1, limit=1
        )
        if not stored:
            raise TamperedEvent(f"aggregate {aggregate}: version {version - 1} is not stored")
        return self.check(stored[0]).digest

    # -- read -----------------------------------------------------------------------------

    def vouched(self, leaf: bytes) -> bool:
        """Whether the record with this leaf hash was signed or checked by this process."""
        with self._unsealed_lock:
            if leaf in self._unsealed:
                return True
        return self._vouched.get(leaf) is not None

    def not_vouched(self, sequenced: Iterable[tuple[int, bytes]]) -> dict[int, bytes]:
        """Of (position, leaf hash) pairs, those whose records this process neither signed nor
        checked (``vouched``, for a whole sealing round under one lock each)."""
        with self._unsealed_lock:
            unsealed = self._unsealed
            left = [(p, h) for p, h in sequenced if h not in unsealed]
        if not left:
            return {}
        return self._vouched.missing(left)

    def integrated(self, leaves: Iterable[bytes]) -> None:
        """The sealer has taken these records in: no need to remember them as unsealed."""
        with self._unsealed_lock:
            self._unsealed.difference_update(leaves)

    def check(
        self, stored: Stored, *, sealed: bool = False, leaf: bytes | None = None
    ) -> SignedEvent:
        """Check one stored event: form, row metadata, digest, signature and (where the
        previous digest is known) the chain. Raises TamperedEvent saying what is wrong.
        ``sealed``: the caller vouched for these exact bytes through a signed checkpoint
        (``vouching.py``), so neither their signature nor their form is checked again.
        ``leaf``: the leaf hash of ``stored.state``, if the caller has just computed it."""
        seen = leaf_hash(stored.state) if leaf is None else leaf
        vouched = self._vouched.get(seen) is not None
        try:
            # A sealed record's form and signature were checked before it was sealed.
            event = decode_record(stored.state, form_known_good=vouched or sealed)
            if not vouched:
                if not sealed:
                    check_signature(event, self.verifiers)
                self._vouched.put(seen, event.digest)
        except VerifyError as e:
            raise TamperedEvent(f"{_where(stored)}: {e}") from None
        known = None
        if event.version > 1:
            known = self._digests.get(_link(event.aggregate, event.version - 1))
        _check_row_and_chain(stored, event, known)
        self._digests.put(_link(event.aggregate, event.version), event.digest)
        return event

    def check_history(
        self, stored: Sequence[StoredEvent], after: tuple[str, int, bytes] | None = None
    ) -> list[SignedEvent]:
        """Check one aggregate's whole history (its stored events, versions 1, 2, … in order,
        as a fold reads them): each record's form (unless vouched for), row metadata and
        chain link to the record before it, and the signature of the last one only (unless
        vouched for). Each signed envelope holds the digest of the envelope before it, so the
        last signature covers every earlier envelope too; checking each signature (``check``)
        costs one Ed25519 verification per earlier event, which made each re-sync of a large
        registry slower than the one before. Only once the whole history has passed do the
        caches learn its digests and the last record as vouched for; an earlier record is not
        vouched for (its envelope is checked through the chain, its own signature is not).
        TamperedEvent as ``check``: an edited earlier envelope breaks the chain at the next
        version, an edited last one its signature.

        ``after``: (aggregate, version, digest) of a record the caller holds for checked (a
        kept entry state's, ``registry/entry_states.py``): ``stored`` is then the history after
        it, from the next version on, chained to that digest; the caches learn it too."""
        events: list[SignedEvent] = []
        known: bytes | None = None
        first = 1
        if after is not None:
            first, known = after[1] + 1, after[2]
        leaf = b""
        for version, s in enumerate(stored, start=first):
            if s.originator_version != version:
                raise TamperedEvent(
                    f"{_where(s)}: expected version {version}: a version is missing from the store"
                )
            leaf = leaf_hash(s.state)
            try:
                event = decode_record(s.state, form_known_good=self._vouched.get(leaf) is not None)
            except VerifyError as e:
                raise TamperedEvent(f"{_where(s)}: {e}") from None
            _check_row_and_chain(s, event, known)
            known = event.digest
            events.append(event)
        if events and self._vouched.get(leaf) is None:
            try:
                check_signature(events[-1], self.verifiers)
            except VerifyError as e:
                raise TamperedEvent(f"{_where(stored[-1])}: {e}") from None
            self._vouched.put(leaf, events[-1].digest)
        learned = [(_link(e.aggregate, e.version), e.digest) for e in events]
        if after is not None:  # true of the stored record: the caller checked its leaf hash
            learned.insert(0, (_link(after[0], after[1]), after[2]))
        self._digests.put_many(learned)
        return events

    def check_sealed_page(
        self, stored: Sequence[Stored], leaves: Sequence[bytes]
    ) -> list[SignedEvent]:
        """``check(s, sealed=True, leaf=leaf)`` of each of a page of records in log order (whose
        bytes a signed checkpoint vouched for, ``vouching.py``), with the same checks (row
        metadata, chain) and the same caches left, each cache locked once for the page."""
        if len(stored) != len(leaves):
            raise ValueError("a leaf hash per record")
        events: list[SignedEvent] = []
        digests: dict[str, bytes] = {}  # this page's, in log order
        for s in stored:
            try:
                event = decode_record(s.state, form_known_good=True, loads=orjson.loads)
            except VerifyError as e:
                raise TamperedEvent(f"{_where(s)}: {e}") from None
            envelope = event.envelope
            aggregate, version = envelope["aggregate"], envelope["version"]
            known = None
            if version > 1:
                before = _link(aggregate, version - 1)
                known = digests.get(before) or self._digests.get(before)
            _check_row_and_chain(s, event, known)
            digests[_link(aggregate, version)] = event.digest
            events.append(event)
        self._digests.put_many(list(digests.items()))
        unknown = self._vouched.missing(enumerate(leaves))
        self._vouched.put_many([(leaves[i], events[i].digest) for i in unknown])
        return events

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return self.domain_event_of(self.check(stored_event))

    def domain_event_of(self, event: SignedEvent) -> Any:
        """The domain event of a checked record."""
        try:
            cls = event_class(event.type)
        except KeyError:
            raise TamperedEvent(f"unknown event type {event.type!r}") from None
        state: dict[str, Any] = dict(event.envelope["payload"])
        state["originator_id"] = UUID(event.aggregate)
        state["originator_version"] = event.version
        state["timestamp"] = parse_time(event.envelope["time"])
        state["actor"] = event.envelope["actor"]
        if issubclass(cls, CanInitAggregate):
            state["originator_topic"] = aggregate_kind(event.type)
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event
