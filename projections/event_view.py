"""A checked record as a projection's handlers read it, without making its domain event.

A long read of the log (a rebuild, a long backlog: ``runner.py``) gives the handlers an
:class:`EventView` of each checked record instead of the ``eventsourcing`` domain event the
mapper would make of it (``LedgerApp.domain_event_of``): the same fields under the same names —
``type(view).TOPIC``, ``originator_id`` (a UUID), ``originator_version``, ``timestamp`` (an
aware datetime), ``actor`` and every payload member as an attribute — made from the decoded
envelope without copying the payload, parsing the id or parsing the time until a handler asks
(most ask only for the id's text and the time's text, ``entry_id`` and ``event_time``, which
the view has as the envelope wrote them). The payload is the view's ``__dict__``, so a member is
read by the interpreter's own attribute lookup, unless one of its names would hide an attribute
of the view class (``TOPIC``…): such a payload is read through ``__getattr__`` only. A member a
record lacks is the event class's default, as on the domain event (``policy.set``'s ``reason``:
versions recorded before reasons were kept have none). A test compares every field of the view
and of the domain event of each record of a demo log, and others compare a rebuild's tables with
read models fed domain events, row for row.
"""

from __future__ import annotations

import dataclasses
import inspect
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from ledger.aggregates import aggregate_kind
from ledger.catalogue import event_class
from ledger.mapper import parse_time
from verify.events import SignedEvent


class EventView:
    """One checked record's fields as its domain event has them (see the module docstring)."""

    # ``__dict__``: the payload itself, so that a payload member is found as an instance
    # attribute, by the interpreter's own lookup (``__getattr__`` only for the rest).
    __slots__ = (
        "payload",
        "aggregate",
        "originator_version",
        "time",
        "actor",
        "envelope_bytes",
        "__dict__",
    )
    TOPIC = ""  # each event type's view class says its type (``view_of``)
    DEFAULTS: dict[str, Any] = {}  # and its event class's defaults

    def __init__(self, envelope: dict[str, Any], envelope_bytes: bytes = b"") -> None:
        payload: dict[str, Any] = envelope["payload"]
        self.envelope_bytes = envelope_bytes  # the record's canonical envelope (``payload_bytes``)
        self.payload = payload
        self.aggregate: str = envelope["aggregate"]  # str(UUID): the check compared them
        self.originator_version: int = envelope["version"]
        self.time: str = envelope["time"]  # format_time(timestamp): the form it must have
        self.actor: dict[str, Any] = envelope["actor"]
        # A member that would hide a class attribute (``TOPIC``…) keeps the payload out of
        # ``__dict__``: every member is then found by ``__getattr__``, as the view's own
        # attributes come first (what a domain event's fields would not do is not done here).
        if _SHADOWING.isdisjoint(payload):
            self.__dict__ = payload

    def __getattr__(self, name: str) -> Any:  # a member the payload lacks, or a shadowing one
        try:
            return self.payload[name]
        except KeyError:
            pass
        try:
            return type(self).DEFAULTS[name]
        except KeyError:
            raise AttributeError(f"{type(self).TOPIC} has no field {name!r}") from None

    def payload_bytes(self) -> bytes | None:
        """The payload's canonical JSON (RFC 8785, UTF-8) cut out of the record's envelope
        bytes, as the record holds it: the envelope is ``{"actor":{…},"aggregate":"…","payload":{…},
        "prev":…,"time":…,"type":…,"version":…}`` in canonical form, so what follows the
        aggregate member up to the ``prev`` member is the payload's own canonical text (RFC 8785
        writes a member's value as it would the value alone). The actor's end is found by its
        text ``},"aggregate":"``, which only the end of an object followed by a member can
        hold (inside a string every quote is escaped), where the actor holds no ``{`` or
        ``[`` at all (no object or list in it: the ledger's actors are strings only); the
        ``prev`` member is the last but three, whose followers (a time, a type name, a
        version) cannot hold its text. None where the actor is not such (or the bytes are not
        those of this envelope): the payload is encoded then."""
        data = self.envelope_bytes
        actor_end = data.find(b'},"aggregate":"', 9)
        if (
            actor_end < 0
            or data.find(b"{", 10, actor_end) >= 0
            or data.find(b"[", 10, actor_end) >= 0
        ):
            return None
        start = actor_end + 51  # past ``},"aggregate":"`` and the id's 36 characters
        if (
            data[actor_end + 15 : start] != self.aggregate.encode()
            or data[start : start + 12] != b'","payload":'
        ):
            return None
        start += 12
        end = data.rfind(b',"prev":')
        if end <= start or data[start] != 0x7B or data[end - 1] != 0x7D:  # { … }
            return None
        return data[start:end]

    @property
    def originator_id(self) -> UUID:
        return UUID(self.aggregate)

    @property
    def timestamp(self) -> datetime:
        return parse_time(self.time)


# Names an instance attribute would hide: the view class's attributes that are not data
# descriptors (the slots and properties come first whatever ``__dict__`` holds).
_SHADOWING = frozenset(
    name
    for name in dir(EventView)
    if not hasattr(inspect.getattr_static(EventView, name), "__set__")
)


@cache
def _view_class(type_name: str) -> type[EventView]:
    try:
        cls = event_class(type_name)
    except KeyError:  # not in the catalogue: no projection follows it
        cls = None
    fields = dataclasses.fields(cls) if cls is not None else ()
    defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    if cls is not None and issubclass(cls, CanInitAggregate):  # as ``domain_event_of`` sets it
        defaults["originator_topic"] = aggregate_kind(type_name)
    return type(
        f"View[{type_name}]",
        (EventView,),
        {"__slots__": (), "TOPIC": type_name, "DEFAULTS": defaults},
    )


def view_of(event: SignedEvent) -> EventView:
    """The view of a checked record; it takes over the record's decoded payload (a record read
    for a view is not used otherwise)."""
    envelope = event.envelope
    return _view_class(envelope["type"])(envelope, event.envelope_bytes)
