"""The system clock stepped backwards: the log's last event was signed at a time this machine's
clock has not reached again. The ledger records what comes (refusing every command until the
clock caught up with a time set wrongly ahead would stop the bureau), and the operator is told:
``/health`` carries a ``clock_behind`` warning in Chinese naming both times and what it puts at
risk (an ``as_of`` given as a time), and the service's start logs it. Nothing recorded changes;
the log still verifies."""

from __future__ import annotations

import logging
from datetime import timedelta

import eventsourcing.domain as domain
from fastapi.testclient import TestClient

from api.app import create_app
from ledger import clock
from ledger.application import LedgerApp
from ledger.clock import clock_warnings
from ledger.registry.service import Registry
from ledger.setup import create_data_dir


def _division(app: LedgerApp, code: str) -> None:
    Registry(app).add_division({"code": code, "name": f"处室{code}", "kind": "other_unit"}, by=None)


def test_a_clock_behind_the_last_event_is_a_health_warning_and_a_start_line(
    tmp_path, monkeypatch, caplog
):
    data = tmp_path / "ledger"
    create_data_dir(data, "drawledger.test/clock")
    app = LedgerApp.open(data)
    try:
        _division(app, "now")
        assert clock_warnings(app) == []  # a clock in step: nothing said
        real = domain.datetime_now_with_tzinfo
        with monkeypatch.context() as ahead:  # an event signed by a clock a day ahead
            ahead.setattr(domain, "datetime_now_with_tzinfo", lambda: real() + timedelta(days=1))
            _division(app, "ahead")
        ahead_at = app.recorder.max_notification_id()
        # the clock set right again (stepped back a day): said before the next event ...
        [warning] = clock_warnings(app)
        assert warning["code"] == "clock_behind"
        assert f"早于账本位置 {ahead_at} 的事件的签名时间" in warning["zh"]
        assert "as_of" in warning["zh"] and "NTP" in warning["zh"]
        with caplog.at_level(logging.WARNING), TestClient(create_app(app)) as client:
            health = client.get("/health").json()
            assert "clock_behind" in [w["code"] for w in health["warnings"]]
            assert any("服务器时钟" in r.getMessage() for r in caplog.records)  # at the start
        caplog.clear()
        # ... and after it: recorded as it comes (nothing refused), timed before the one it
        # follows, and said when it happens
        _division(app, "later")
        assert app.recorder.max_notification_id() == ahead_at + 1
        assert any("早于其前一事件" in r.getMessage() for r in caplog.records)
        [warning] = clock_warnings(app)  # still said, though the last event is not ahead
        assert f"早于账本位置 {ahead_at} 的事件的签名时间" in warning["zh"]
    finally:
        app.close()


def test_a_clock_check_that_fails_never_fails_the_command_it_follows(tmp_path, monkeypatch):
    """The check reads the event before the one recorded, after the commit: a store that fails
    then (gone, or a fault) must not turn a recorded command into an error its client retries."""
    from eventsourcing.persistence import OperationalError

    data = tmp_path / "ledger"
    create_data_dir(data, "drawledger.test/clock")
    app = LedgerApp.open(data)
    try:
        import ledger.clock as clock

        def gone(*args: object, **kwargs: object) -> None:
            raise OperationalError("the server closed the connection")

        before = app.recorder.max_notification_id() or 0
        monkeypatch.setattr(clock, "decode_record", gone)  # what the check reads fails
        _division(app, "kept")  # no error
        assert (app.recorder.max_notification_id() or 0) > before
    finally:
        app.close()


def test_the_clock_check_reads_the_log_only_for_an_event_another_process_recorded(
    tmp_path, monkeypatch, caplog
):
    """After a command, the time of the event before is this process's own when it recorded
    that event (no read of the log: a read and a decode per command cost a quarter of a small
    command's save); an event another process recorded in between is read, and a clock behind
    it is still said."""
    data = tmp_path / "ledger"
    create_data_dir(data, "drawledger.test/clock-reads")
    app, other = LedgerApp.open(data), LedgerApp.open(data)
    try:
        _division(app, "first")
        reads: list[int] = []
        decode = clock.decode_record  # what the check runs on an event it reads

        def counted(*args: object, **kwargs: object) -> object:
            reads.append(1)
            return decode(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(clock, "decode_record", counted)
        _division(app, "second")
        assert reads == []  # its predecessor was this process's own
        real = domain.datetime_now_with_tzinfo
        with monkeypatch.context() as ahead:  # another process, its clock a day ahead
            ahead.setattr(domain, "datetime_now_with_tzinfo", lambda: real() + timedelta(days=1))
            _division(other, "elsewhere")
        with caplog.at_level(logging.WARNING):
            _division(app, "third")
        assert reads  # the event before was the other process's: read
        assert any("早于其前一事件" in r.getMessage() for r in caplog.records)
    finally:
        other.close()
        app.close()
