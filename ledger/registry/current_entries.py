"""Each row's entry as it stands, read for an import (``importer.py``): a batch of entries in one
query, each checked by the signing mapper and folded, from its kept state where it has one
(``entry_states.py``), so a changed row's read stays a few records whatever the entry's history.
"""

from __future__ import annotations

import hmac
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from verify.merkle import leaf_hash

from ..application import LedgerApp
from ..errors import TamperedEvent
from ..mapper import SigningMapper
from ..storage import for_driver, is_postgres, stored_id
from .bulk import BATCH, Checked
from .entry_states import KEEP_AFTER, EntryStates
from .entry_states import TABLE as KEPT_TABLE


def current_records(
    app: LedgerApp, valid: list[Checked], cls: type[Any], kept: EntryStates | None = None
) -> None:
    """Each row's entry as it stands, if it exists: the events of a batch of entries read in
    one query, each entry's history checked by the signing mapper (form, chain, its last
    signature: ``_folded``) and folded in version order, from the entry's kept state where it
    has one that passes its checks (``entry_states.py``: only the records from its version on
    are read); a gap in an entry's versions or an event of another kind is TamperedEvent. (One
    ``app.get`` per row read each entry apart: most of an unchanged re-import's time.) An
    import makes its ``kept`` before it holds its transaction (the table made if need be)."""
    kept = EntryStates(app) if kept is None else kept
    for start in range(0, len(valid), BATCH):
        batch = valid[start : start + BATCH]
        states = _folded(app, [c.uid for c in batch if c.uid is not None and not c.same], cls, kept)
        for checked in batch:
            state = states.get(checked.uid)  # type: ignore[arg-type]
            if state is not None and not isinstance(state, cls):
                raise TamperedEvent(f"aggregate {checked.uid} is not a {cls.TOPIC}")
            checked.record = state


def _folded(
    app: LedgerApp, ids: list[UUID], cls: type[Any], kept: EntryStates | None = None
) -> dict[UUID, Any]:
    """The current state of each of these aggregates that has events: each aggregate's history
    checked by the signing mapper (``SigningMapper.check_history``: form, chain, the last
    signature; one Ed25519 verification per entry however many events it has), then folded in
    version order. An entry with a kept state whose seal matches (``EntryStates.load``) is
    read from its kept version on: that record must hash to the sealed leaf, the later ones
    are checked chained to the sealed digest and folded onto the kept state; a kept state
    that fails is logged and the entry read whole. A fold that went through ``KEEP_AFTER``
    records or more keeps its state (``EntryStates.keep``), so a changed row's read stays a
    few records whatever the entry's history."""
    if not ids:
        return {}
    kept = EntryStates(app) if kept is None else kept
    mapper = cast(SigningMapper, app.mapper)
    states: dict[UUID, Any] = {}
    keep: list[tuple[Any, bytes, bytes]] = []  # folded states to keep (``EntryStates.keep``)
    starts = kept.load(ids, cls)
    try:
        whole = _histories(app, [uid for uid in ids if uid not in starts])
        later = _histories(app, list(starts), from_kept=True)
        refused: list[UUID] = []
        for uid, start in starts.items():
            history = later.get(uid, [])
            if (
                not history
                or history[0].originator_version != start.version
                or not hmac.compare_digest(leaf_hash(history[0].state), start.leaf)
            ):
                why = f"the log's record v{start.version} is not the one it was folded from"
                kept.refuse(uid, why)
                refused.append(uid)
                continue
            after = (str(uid), start.version, start.digest)
            _fold(mapper, uid, history, start.entry, after, states, keep)
        whole.update(_histories(app, refused))  # read whole, in one more query if any
        for uid, history in whole.items():
            _fold(mapper, uid, history, None, None, states, keep)
    finally:
        kept.log_refused()  # a TamperedEvent above included
    kept.keep([k for k in keep if isinstance(k[0], cls)])
    return states


def _fold(
    mapper: SigningMapper,
    uid: UUID,
    history: list[StoredEvent],
    state: Any,
    after: tuple[str, int, bytes] | None,
    states: dict[UUID, Any],
    keep: list[tuple[Any, bytes, bytes]],
) -> None:
    """Check and fold one entry's ``history`` onto ``state`` (None: the whole history; else
    the kept state, ``history`` starting at its record, ``after`` its version and digest) into
    ``states``; a fold through ``KEEP_AFTER`` records or more goes to ``keep``."""
    events = mapper.check_history(history if after is None else history[1:], after)
    for event in events:
        state = mapper.domain_event_of(event).mutate(state)
    states[uid] = state
    if len(events) >= KEEP_AFTER:
        keep.append((state, history[-1].state, events[-1].digest))


def _histories(
    app: LedgerApp, ids: list[UUID], from_kept: bool = False
) -> dict[UUID, list[StoredEvent]]:
    """The stored events of each of these aggregates that has any, in version order, in one
    query: all of them, or (``from_kept``) those from the version of its kept state on."""
    if not ids:
        return {}
    pg = is_postgres(app.recorder)
    marks = for_driver(", ".join(["?"] * len(ids)), pg)
    params = [stored_id(i, pg) for i in ids]
    events = app.events_table
    # From the kept states on: each kept row (found by its key) joined to its entry's records
    # from its version on (a range of the events table's key).
    source, named = (
        (
            f"{KEPT_TABLE} k JOIN {events} e ON e.originator_id = k.entry "
            "AND e.originator_version >= k.version",
            "k.entry",
        )
        if from_kept
        else (f"{events} e", "e.originator_id")
    )
    datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
    with datastore.transaction(commit=False) as c:
        c.execute(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state "
            f"FROM {source} WHERE {named} IN ({marks}) "
            "ORDER BY e.originator_id, e.originator_version",
            params,
        )
        rows = c.fetchall()
    histories: dict[UUID, list[StoredEvent]] = {}
    for row in rows:
        uid = UUID(str(row["originator_id"]))
        stored = StoredEvent(uid, int(row["originator_version"]), row["topic"], bytes(row["state"]))
        histories.setdefault(uid, []).append(stored)
    return histories
