"""The ledger "as of" a position: what ``as_of`` means, resolved once, and the ledger as it
stood then.

``as_of`` is a ledger position (``1234``) or a time in China time (Asia/Shanghai): a date
(``2026-11-30``, meaning the end of that day) or a date and time (``2026-11-30T10:00``,
``2026-11-30T10:00:05``, ``2026-11-30 10:00:05.250``; an explicit ``Z`` or ``+08:00`` offset is
also taken). A time is resolved to the position of the last event whose signed time is at or
before it, by a binary search over the log, each event read through the checked reader. Event
times follow the log's order: each is taken as its command is made and stored in the order
commands are saved; two commands made within the same moment by different threads or
processes may be stored in the other order, and the search then lands on one of them.

``ledger_as_of(app, position)`` is the ledger as it stood at ``position``: a read-only view of
the application whose recorder ends there, so that every service built on it (``Plans``,
``Draws``, ``Coverage``, ``Policies``, ...) reads the log, its aggregates and the policy in force
as they were, unchanged. What lives beside the log (personal data that may be erased, draw
nonces, checkpoints) is read as it is now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import LocalNotificationLog, Repository
from eventsourcing.persistence import EventStore, Notification, StoredEvent

from .application import LedgerApp
from .clock import china_time
from .errors import BadInput
from .mapper import parse_time
from .storage import for_driver, is_postgres, stored_id

CHINA = ZoneInfo("Asia/Shanghai")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|[+-]\d{2}:\d{2})?"
)
_POSITION = re.compile(r"[+-]?\d{1,30}")
FORMS = (
    "a ledger position (1, 2, ...), a date (2026-11-30) "
    "or a date and time in China time (2026-11-30T10:00)"
)


@dataclass(frozen=True)
class Moment:
    """What ``as_of`` asked for: a position, or a time (UTC) and how it was written."""

    text: str
    position: int | None = None
    at: datetime | None = None


def parse_as_of(text: str) -> Moment:
    """``as_of`` as written: a position or a time. BadInput naming what is wrong."""
    raw = text.strip()
    if _POSITION.fullmatch(raw):
        return Moment(raw, position=int(raw))
    if _DATE.fullmatch(raw):
        day = _date(raw, text)
        end = datetime.combine(day + timedelta(days=1), time(), CHINA) - timedelta(microseconds=1)
        return Moment(raw, at=end.astimezone(UTC))
    found = _DATE_TIME.fullmatch(raw)
    if found:
        day = _date(found.group(1), text)
        clock, zone = found.group(2), found.group(3)
        try:
            moment = datetime.fromisoformat(f"{day.isoformat()}T{clock}")
        except ValueError:
            raise BadInput(f"as_of {text!r}: {clock} is not a time of day") from None
        if zone is None:
            moment = moment.replace(tzinfo=CHINA)
        else:
            moment = moment.replace(tzinfo=UTC if zone == "Z" else _offset(zone, text))
        return Moment(raw, at=moment.astimezone(UTC))
    raise BadInput(f"as_of {_shown(text)}: not {FORMS}")


def _date(raw: str, text: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"as_of {text!r}: {raw} is not a date") from None


def _offset(zone: str, text: str) -> Any:
    try:
        return datetime.fromisoformat(f"2000-01-01T00:00{zone}").tzinfo
    except ValueError:
        raise BadInput(f"as_of {text!r}: {zone} is not a UTC offset") from None


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def resolve(app: LedgerApp, text: str, now: datetime | None = None) -> int:
    """The ledger position that ``as_of`` stands for. BadInput when it is outside the log:
    a position before 1 or beyond the head, a time before the ledger's first event or in the
    future, or text that is neither."""
    moment = parse_as_of(text)
    head = app.recorder.max_notification_id() or 0
    if moment.position is not None:
        position = moment.position
        if position < 1:
            raise BadInput(
                f"as_of {position}: the log has positions 1 to {head}; positions start at 1"
            )
        if position > head:
            raise BadInput(
                f"as_of {position}: the log has positions 1 to {head}; "
                f"{position} is beyond its head"
            )
        return position
    assert moment.at is not None
    now = now or datetime.now(UTC)
    if moment.at > now:
        raise BadInput(
            f"as_of {moment.text}: {china_time(moment.at)} is in the future "
            f"(now is {china_time(now)}); the ledger can answer only for what is recorded"
        )
    if head == 0:
        raise BadInput(f"as_of {moment.text}: the ledger holds no event yet")
    first_id, first_time = _event_time(app, 1)
    if first_time > moment.at:
        raise BadInput(
            f"as_of {moment.text}: {china_time(moment.at)} is before the ledger existed "
            f"(its first event, at position {first_id}, was recorded at {china_time(first_time)})"
        )
    return _last_at_or_before(app, moment.at, first_id, head)


def time_at(app: LedgerApp, position: int) -> datetime:
    """The signed time (UTC) of the event at ``position`` or, where the position is a gap (a
    PostgreSQL sequence skips the numbers of rolled-back inserts), of the last one before it."""
    for start in range(position, 0, -1):
        for _, event in app.records(start=start, stop=position, batch=1):
            return parse_time(event.envelope["time"])
    raise BadInput(f"the log holds no event at or before position {position}")


def first_after(app: LedgerApp, moment: datetime, stop: int) -> int:
    """The first position up to ``stop`` whose event was recorded after ``moment`` (``stop +
    1`` when none was): a binary search whose probes each read one event, checked, without a
    pass over the sealed prefix (as ``_event_time`` from position 1 makes)."""
    low, high = 1, stop
    while low <= high:
        middle = (low + high) // 2
        probed = next(app.records(start=middle, stop=stop, batch=1, vouch=False), None)
        if probed is not None and parse_time(probed[1].envelope["time"]) <= moment:
            low = probed[0] + 1
        else:  # recorded after it, or only gaps from the middle to ``stop``
            high = middle - 1
    return low


def _event_time(app: LedgerApp, start: int) -> tuple[int, datetime]:
    """The position and signed time of the first event at or after ``start`` (checked)."""
    for position, event in app.records(start=start, batch=1):
        return position, parse_time(event.envelope["time"])
    raise BadInput(f"the log holds no event at or after position {start}")  # pragma: no cover


def _last_at_or_before(app: LedgerApp, moment: datetime, low: int, head: int) -> int:
    """The greatest position whose event's time is at or before ``moment`` (binary search; the
    event at ``low`` is known to be at or before it). Positions may have gaps (a PostgreSQL
    sequence skips numbers a rolled-back insert took): a probe reads the next event."""
    found, high = low, head
    low += 1
    while low <= high:
        middle = (low + high) // 2
        position, at = _event_time(app, middle)
        if at <= moment:
            found, low = position, position + 1
        else:
            high = middle - 1
    return found


# -- the ledger as it stood at a position ---------------------------------------------------------


class _CappedRecorder:
    """Mixed into the store's own recorder class (so that ``is_postgres`` and every attribute
    hold): the log and each aggregate's events end at ``cap``; writing is refused."""

    cap: int

    def max_notification_id(self) -> int:
        head: int = super().max_notification_id() or 0  # type: ignore[misc]
        return min(head, self.cap)

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Any = (),
        *,
        inclusive_of_start: bool = True,
    ) -> list[Notification]:
        stop = self.cap if stop is None else min(stop, self.cap)
        if start is not None and start > stop:
            return []
        found: list[Notification] = super().select_notifications(  # type: ignore[misc]
            start, limit, stop, topics, inclusive_of_start=inclusive_of_start
        )
        return [n for n in found if n.id <= self.cap]

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[StoredEvent]:
        last = self._last_version(originator_id)
        if last == 0:
            return []
        lte = last if lte is None else min(lte, last)
        return super().select_events(  # type: ignore[misc, no-any-return]
            originator_id, gt=gt, lte=lte, desc=desc, limit=limit
        )

    def _last_version(self, originator_id: UUID | str) -> int:
        """The aggregate's last version stored at or before the cap (0: none yet). An
        aggregate's versions are stored in order, so its events up to the cap are versions 1
        to this one."""
        recorder: Any = self
        postgres = is_postgres(recorder)
        aggregate = UUID(str(originator_id))
        column = "notification_id" if postgres else "rowid"
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(
                for_driver(
                    f"SELECT MAX(originator_version) AS v FROM {recorder.events_table_name} "
                    f"WHERE originator_id = ? AND {column} <= ?",
                    postgres,
                ),
                (stored_id(aggregate, postgres), self.cap),
            )
            row = c.fetchone()
        return int(row["v"] or 0) if row is not None else 0

    def insert_events(self, *args: Any, **kwargs: Any) -> Any:
        raise BadInput("the ledger as of a past position is read-only")


_CAPPED_CLASSES: dict[type, type] = {}


def _capped(recorder: Any, cap: int) -> Any:
    cls = type(recorder)
    capped_cls = _CAPPED_CLASSES.get(cls)
    if capped_cls is None:
        capped_cls = type(f"Capped{cls.__name__}", (_CappedRecorder, cls), {})
        _CAPPED_CLASSES[cls] = capped_cls
    capped: Any = object.__new__(capped_cls)
    capped.__dict__.update(recorder.__dict__)
    capped.cap = cap
    return capped


class LedgerAsOf(LedgerApp):
    """A ledger application as it stood at ``position``: reads only (see the module)."""

    position: int
    source: LedgerApp

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        raise BadInput(f"the ledger as of position {self.position} is read-only")

    def close(self) -> None:  # the view shares the application's connections: nothing to close
        return None


def ledger_as_of(app: LedgerApp, position: int) -> LedgerAsOf:
    """``app`` as it stood at ``position`` (a position of its log, 1 to its head)."""
    if isinstance(app, LedgerAsOf):
        app = app.source
    view = object.__new__(LedgerAsOf)
    view.__dict__.update(app.__dict__)
    recorder = _capped(app.recorder, position)
    view.position = position
    view.source = app
    view.recorder = recorder
    view.events = EventStore(mapper=app.mapper, recorder=recorder)
    view._repository = Repository(event_store=view.events)
    view._notification_log = LocalNotificationLog(recorder, section_size=app.log_section_size)
    view.after_save = []
    view.sealer = _SealerAsOf(app.sealer, position)  # type: ignore[assignment]
    return view


class _SealerAsOf:
    """The sealer as a ledger as of ``position`` sees it: its latest checkpoint is the newest
    one that covers no event after the position (a checked read vouches for the sealed prefix
    through it, ``vouching.py``); everything else is the sealer's own."""

    def __init__(self, sealer: Any, position: int) -> None:
        self._sealer = sealer
        self._position = position

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sealer, name)

    def latest(self) -> Any:
        covered = [
            c for c in self._sealer.checkpoints() if c.last_notification_id <= self._position
        ]
        return covered[-1] if covered else None
