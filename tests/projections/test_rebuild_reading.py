"""A long read of the log gives the projections light views of the checked records, not domain
events, each record's leaf hash computed once and each sealed page checked in one step
(``projections/event_view.py``, ``ledger/vouching.py``). The views say what the domain events
say, field for field; the operator with the data directory who edits what the checkpoint does
not hash (a row's type column) is refused before anything is reported current."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.catalogue import event_class
from ledger.errors import TamperedEvent
from projections import queries
from projections.event_view import EventView, view_of
from projections.history import kept_payload
from projections.runner import ProjectionRunner
from projections.tracking import entry_id, event_time, payload
from verify.events import SignedEvent, canonical

from ..tamper.test_store_tampering import _drop_append_only_triggers, _execute
from .world import change_things


def _same(view: EventView, domain: object) -> None:
    cls = type(domain)
    assert type(view).TOPIC == cls.TOPIC  # type: ignore[attr-defined]
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        assert getattr(view, field.name) == getattr(domain, field.name), field.name
    assert type(view.originator_id) is type(domain.originator_id)  # type: ignore[attr-defined]
    assert entry_id(view) == entry_id(domain)
    assert event_time(view) == event_time(domain)
    assert payload(view) == payload(domain)


def test_every_view_says_what_its_domain_event_says(world, ledger):  # type: ignore[no-untyped-def]
    change_things(world)
    ledger.seal()
    seen = set()
    for _, page in zip(range(10**6), ledger.record_pages(batch=50), strict=False):
        for _, event, _ in page:
            domain = ledger.domain_event_of(event)
            _same(view_of(event), domain)  # the domain event has its own copy of the payload
            seen.add(event.type)
    assert {"target.registered", "target.updated", "item.withdrawn", "policy.set"} <= seen


def test_a_member_a_record_lacks_is_the_event_class_default_as_on_the_domain_event(ledger):  # type: ignore[no-untyped-def]
    """A policy version recorded before reasons were kept has none: both say ``""``."""
    n = next(iter(ledger.notifications(topics=["policy.set"])))
    event = ledger.checked(n, "test")
    del event.envelope["payload"]["reason"]
    domain = ledger.domain_event_of(event)
    assert domain.reason == "" == dataclasses.fields(event_class("policy.set"))[-1].default
    _same(view_of(event), domain)
    with pytest.raises(AttributeError, match="policy.set has no field 'nothing'"):
        view_of(event).nothing  # noqa: B018


def test_a_row_whose_type_column_was_edited_stops_the_rebuild_before_anything_is_current(
    world, read_models, ledger, new_ledger
):  # type: ignore[no-untyped-def]
    """The checkpoint hashes the records, not the rows' other columns: the operator with the
    data directory relabels a sealed target registration as an update. The page check compares
    each row with its signed envelope and stops the rebuild naming the position: no projection
    reaches it (the batches before it, genuine records vouched for by the checkpoint, stay) and
    the target is not served."""
    change_things(world)
    ledger.seal()
    n = next(iter(ledger.notifications(topics=["target.registered"])))
    _drop_append_only_triggers(ledger)
    _execute(
        ledger,
        f"UPDATE {ledger.events_table} SET topic = ? WHERE topic = ? AND originator_version = 1 "
        "AND state = ?",
        ("target.updated", "target.registered", n.state),
    )
    runner = ProjectionRunner(new_ledger(), read_models.engine, batch=7)
    with pytest.raises(TamperedEvent, match=rf"^ledger position {n.id}: .*the signed envelope"):
        runner.rebuild()
    assert max(runner.positions().values()) < n.id
    code = ledger.checked(n, "test").envelope["payload"]["code"]
    served = queries.search_targets(read_models.engine, limit=500)["items"]
    assert code not in {row["code"] for row in served}


def test_a_payload_member_named_like_the_views_own_attributes_hides_none_of_them(ledger):  # type: ignore[no-untyped-def]
    """A view finds payload members in its ``__dict__`` (the payload itself), unless one would
    hide a class attribute: a signed payload with members ``TOPIC``, ``DEFAULTS``,
    ``__init__``, ``aggregate`` and ``originator_id`` still has the view's type, defaults, id
    and version, and its members, as a view found them through ``__getattr__``."""
    n = next(iter(ledger.notifications(topics=["policy.set"])))
    event = ledger.checked(n, "test")
    data = event.envelope["payload"]
    plain = view_of(event)
    assert plain.version == data["version"] and vars(plain) is data
    odd = {"TOPIC": "target.registered", "DEFAULTS": {}, "__init__": 1, "aggregate": "x"}
    data.update(odd, originator_id="y", timestamp="z")
    del data["reason"]
    view = view_of(event)
    assert view.TOPIC == type(view).TOPIC == "policy.set"
    assert view.DEFAULTS == type(view).DEFAULTS and view.reason == ""  # the class's default
    assert view.aggregate == event.envelope["aggregate"] != "x"
    assert str(view.originator_id) == event.envelope["aggregate"]
    assert view.timestamp.year > 2000
    assert view.version == data["version"] and view.__init__ != 1  # noqa: PLC2801
    assert vars(view) == {}  # every member through ``__getattr__``
    # A member that hides nothing of the view's is found as an attribute, as before.
    del data["TOPIC"], data["DEFAULTS"], data["__init__"]
    again = view_of(event)
    assert again.aggregate == event.envelope["aggregate"] and again.reason == ""
    assert vars(again) is data and type(again).TOPIC == "policy.set"


def test_every_payload_text_cut_from_a_record_is_the_canonical_text_of_its_payload(world, ledger):  # type: ignore[no-untyped-def]
    """A rebuild stores each act's payload as cut out of its record (``payload_bytes``), not
    encoded again: for every record of a log it is the payload's own RFC 8785 text, and the
    text a domain event's payload is stored as (the live path) is the same."""
    change_things(world)
    ledger.seal()
    records = 0
    for page in ledger.record_pages(batch=50):
        for _, event, _ in page:
            view = view_of(event)
            expected = canonical(event.envelope["payload"])
            assert view.payload_bytes() == expected
            if event.type not in ("official.token_issued",):  # (its token hash withheld)
                assert kept_payload(view)[1] == expected
                assert kept_payload(ledger.domain_event_of(event))[1] == expected
            records += 1
    assert records == ledger.recorder.max_notification_id()


_TEXT = st.lists(  # strings of the envelope's own member texts, quotes and escapes
    st.sampled_from(['","payload":', ',"prev":', '"aggregate":', "{", "}", '"', "\\", "中"])
    | st.characters(exclude_categories=("Cs",)),
    max_size=8,
).map("".join)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _TEXT,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["prev", "payload", "aggregate", "actor", "time", "a"]) | _TEXT,
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_AGGREGATE = "0b8f3a9e-5c1d-4e7a-9f2b-3c4d5e6f7a8b"


def _record(payload: object, actor: dict, prev: str | None = None) -> SignedEvent:  # type: ignore[type-arg]
    envelope = {
        "type": "target.updated",
        "aggregate": _AGGREGATE,
        "version": 2 if prev else 1,
        "time": "2026-12-06T01:02:03.000004Z",
        "actor": actor,
        "payload": payload,
        "prev": prev,
    }
    data = canonical(envelope)
    return SignedEvent(envelope, data, b"", b"", b"")


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["prev", "payload", "aggregate", "version", "x"]) | _TEXT, _JSON, max_size=5
    ),
    st.dictionaries(
        st.sampled_from(["official", "role", "department", "request", "a", "aggregate", "payload"])
        | _TEXT,
        _TEXT,
    ),
    st.sampled_from([None, "ab" * 32]),
)
def test_a_payload_holding_the_envelopes_own_member_texts_is_cut_out_whole(payload, actor, prev):  # type: ignore[no-untyped-def]
    """Payloads and actors whose strings and members read like the envelope's own members
    (``","payload":``, ``},"aggregate":"``, ``,"prev":`` …): the text cut is the payload's,
    exactly, wherever the actor's text holds no ``{`` or ``[`` (the ledger's actors are flat
    strings of codes); elsewhere nothing is cut (the payload is encoded)."""
    view = view_of(_record(payload, actor, prev))
    actor_text = canonical(actor)[1:]
    cut = b"{" not in actor_text and b"[" not in actor_text
    assert view.payload_bytes() == (canonical(payload) if cut else None)


def test_a_record_whose_actor_holds_an_object_or_a_brace_has_its_payload_encoded():  # type: ignore[no-untyped-def]
    """An object in the actor could end with the text that ends the actor, before the actor
    itself: nothing is cut where the actor holds ``{`` or ``[`` at all; the payload is encoded
    (and the same text stored). A flat actor naming ``aggregate`` and ``payload`` members of
    its own is cut exactly."""
    payload = {"items": ["a"], "reason": "中"}
    decoy = {"a": 1, "aggregate": _AGGREGATE, "payload": {"x": 1}}
    for actor in (
        {"official": "o", "role": "clerk", "department": "d", "request": decoy},
        {"official": "o", "request": f'}},"aggregate":"{_AGGREGATE}","payload":{{'},
        {"official": "o", "request": "[补充]"},
    ):
        view = view_of(_record(payload, actor))
        assert view.payload_bytes() is None
        assert kept_payload(view)[1] == canonical(payload)
    flat = {"a": "x", "aggregate": _AGGREGATE, "official": "o", "payload": "y"}
    assert view_of(_record(payload, flat)).payload_bytes() == canonical(payload)
