"""The server's clock against the log's times (docs/OPERATIONS.md, "The clock").

Every event carries the time it was signed, from this machine's clock. A clock stepped back (set
by hand, a bad NTP source) does not stop the ledger — it records what comes; refusing every
command until a clock set wrongly ahead was caught up would stop the bureau — but it is said:
``stepped_back`` after each command (a warning in Chinese in the log, kept on the application),
``clock_warnings`` for ``/health`` and the service's start. Nothing recorded changes; what is at
risk is an ``as_of`` given as a time, which takes times to grow with positions.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from verify.audit_times import CLOCK_SLACK_SECONDS
from verify.events import decode_record
from verify.workdays import CHINA

from .mapper import format_time, parse_time

if TYPE_CHECKING:
    from .application import LedgerApp

log = logging.getLogger(__name__)

# How far an event may be timed before the one it follows before it is said: clocks of several
# workers differ by milliseconds, a clock stepped back by an operator or a bad NTP source by
# seconds to years. The verifier's rule audit finds the same afterwards (``event_time_order``).
CLOCK_SLACK = timedelta(seconds=CLOCK_SLACK_SECONDS)


def stepped_back(
    app: LedgerApp, recording: Any, last: tuple[int, datetime] | None = None
) -> dict[str, Any] | None:
    """``{position, time, before}`` and a warning in the log when the event just recorded is
    timed more than ``CLOCK_SLACK`` before the one it follows; None otherwise (or when the
    position before it is a gap: a rolled-back insert). ``last`` is the position and time of
    the last event this process recorded: when it is the one just before, its time is compared
    without reading the log (a read and a decode per command cost a quarter of a small
    command's save); otherwise the event before is read."""
    position = int(recording.notification.id)
    if position <= 1:
        return None
    if last is not None and last[0] == position - 1:
        earlier = last[1]
    else:
        found = app.recorder.select_notifications(start=position - 1, limit=1)
        before = found[0] if found else None
        if before is None or before.id != position - 1:
            return None
        earlier = parse_time(decode_record(before.state).envelope["time"])
    timed = recording.domain_event.timestamp
    if timed >= earlier - CLOCK_SLACK:
        return None
    log.warning(
        "账本位置 %d 的事件时间（%s）早于其前一事件（%s）：服务器时钟被调回了，请校准（NTP）"
        "(the clock stepped back: an event timed before the one it follows)",
        position,
        format_time(timed),
        format_time(earlier),
    )
    return {"position": position, "time": timed, "before": earlier}


def _time_at(app: LedgerApp, position: int) -> datetime:
    """The signed time of the event at ``position`` (the log's last: there is one)."""
    [notification] = app.recorder.select_notifications(start=position, limit=1)
    return parse_time(decode_record(notification.state).envelope["time"])


def china_time(moment: datetime) -> str:
    """``moment`` in China time, to the microsecond (as the operator's messages give it)."""
    return moment.astimezone(CHINA).isoformat(timespec="microseconds")


def clock_warnings(app: LedgerApp, now: datetime | None = None) -> list[dict[str, str]]:
    """``[]``, or one warning (Chinese and English) when this machine's clock is behind the
    signed time of the log's last event, or this process recorded an event timed before the
    one it follows (``LedgerApp.clock_stepped_back``): the clock stepped back."""
    head = app.recorder.max_notification_id() or 0
    if head == 0:
        return []
    last = _time_at(app, head)
    now = now or datetime.now(UTC)
    stepped = app.clock_stepped_back
    if now >= last - CLOCK_SLACK and stepped is None:
        return []
    if now >= last - CLOCK_SLACK:  # this process recorded an event timed before its predecessor
        assert stepped is not None
        head, now, last = stepped["position"] - 1, stepped["time"], stepped["before"]
    return [
        {
            "code": "clock_behind",
            "last_event_at": china_time(last),
            "now": china_time(now),
            "zh": (
                f"服务器时钟（{china_time(now)}）早于账本位置 {head} 的事件的签名时间"
                f"（{china_time(last)}）：时钟被调回了，此时记录的事件时间早于其前一事件，按时间查询历史"
                "（as_of 为日期或时间）可能对应到错误的位置。请校准服务器时钟（NTP）；"
                "已记录的事件不会改变。"
            ),
            "en": (
                f"This machine's clock ({china_time(now)}) is behind the signed time of the "
                f"event at position {head} ({china_time(last)}): the clock stepped back, events "
                "recorded then are timed before the ones they follow, and an as_of given as a "
                "time may stand for the wrong position. Set the clock right (NTP); nothing "
                "recorded changes."
            ),
        }
    ]
