"""The embedded mode's sealing task: rounds that integrate everything new, one checkpoint each,
that lose nothing at shutdown and report and retry a failure."""

from __future__ import annotations

import threading

import pytest

from ledger.actors import Actor
from ledger.config import Settings
from ledger.errors import ConfigurationError
from verify.merkle import leaf_hash, verify_inclusion
from verify.note import parse_checkpoint, verify_note

ADMIN = Actor("admin-1", "admin", "水政处")
WAIT = 30.0  # seconds: a bound on waiting for a round, never a measured time


def _policy(app, version):  # type: ignore[no-untyped-def]
    app.set_policy({**app.policy_in_force(), "version": version}, ADMIN)


@pytest.fixture
def batched(new_ledger):  # type: ignore[no-untyped-def]
    """A ledger sealed by its background task every minute (so, in a test, only by the first
    round and the last); its first two events are stored and not sealed yet."""
    app = new_ledger(seal_interval=60)
    app.create_ledger()
    app.set_default_policy()
    return app


def test_commands_are_not_sealed_one_by_one_but_by_the_next_round(batched):
    _policy(batched, "v2")
    assert batched.sealer.latest() is None  # recorded and acknowledged, not sealed yet
    checkpoint = batched.seal()
    assert checkpoint.size == 3 and len(batched.sealer.checkpoints()) == 1


def test_a_burst_of_concurrent_commands_is_covered_by_one_checkpoint(batched):
    batched.seal()
    errors: list[Exception] = []

    def command(n: int) -> None:
        try:
            _policy(batched, f"burst-{n}")
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=command, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    head = batched.recorder.max_notification_id()
    assert batched.sealer.latest().last_notification_id == 2  # the burst waits for a round

    batched.start_sealing()  # its first round integrates the whole burst
    checkpoint = batched.wait_sealed(head, WAIT)
    assert checkpoint is not None and checkpoint.size == 14
    assert [c.size for c in batched.sealer.checkpoints()] == [2, 14]
    text, _ = verify_note(checkpoint.note, [batched.signer.verifier])
    signed = parse_checkpoint(text.text)
    for n in batched.notifications():
        index = batched.sealer.leaf_index(n.id)
        _, proof = batched.sealer.inclusion_proof(index, signed.size)
        verify_inclusion(leaf_hash(n.state), index, signed.size, proof, signed.root)
    batched.stop_sealing()


def test_stopping_the_task_seals_the_tail_in_a_last_round(batched):
    batched.start_sealing()
    assert batched.wait_sealed(2, WAIT) is not None  # the first round has run
    _policy(batched, "v2")
    _policy(batched, "v3")
    assert batched.sealer.latest().size == 2  # the next round is a minute away
    last = batched.stop_sealing()
    assert last is not None and last.size == 4
    assert not batched.sealing.running


def test_closing_the_ledger_stops_the_task_with_a_last_round(batched, new_ledger):
    batched.start_sealing()
    assert batched.wait_sealed(2, WAIT) is not None
    _policy(batched, "v2")
    batched.close()
    assert not batched.sealing.running
    assert new_ledger(seal_interval=60).sealer.latest().size == 3


def test_a_failed_round_is_reported_and_the_next_round_retries(batched, monkeypatch):
    real_seal = batched.sealer.seal
    calls = {"n": 0}

    def fails_once():  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk full")
        return real_seal()

    monkeypatch.setattr(batched.sealer, "seal", fails_once)
    assert batched.sealing.run_round() is None
    assert batched.sealing.last_error == "OSError: disk full"
    assert batched.sealer.latest() is None

    checkpoint = batched.sealing.run_round()
    assert checkpoint is not None and checkpoint.size == 2
    assert batched.sealing.last_error is None


def test_waiting_for_a_position_no_round_covers_gives_up_after_the_timeout(batched):
    assert batched.wait_sealed(2, 0.05) is None
    batched.seal()
    assert batched.wait_sealed(2, 0.05).size == 2


def test_a_ledger_that_seals_within_each_command_needs_no_task(new_ledger):
    app = new_ledger(seal_interval=0)
    app.create_ledger()
    app.set_default_policy()
    assert [c.size for c in app.sealer.checkpoints()] == [1, 2]


@pytest.mark.parametrize("value", ["1s", -1, 61, True, float("nan")])
def test_a_sealing_interval_that_is_not_0_to_60_seconds_is_refused(tmp_path, value):
    settings = Settings(tmp_path, "drawledger.test/x", "sqlite:///l.sqlite", tmp_path / "k")
    settings.write()
    text = (tmp_path / "drawledger.toml").read_text(encoding="utf-8")
    spelled = {"1s": '"1s"', True: "true"}.get(value, repr(value))  # type: ignore[call-overload]
    text = text.replace("seal_interval = 1.0", f"seal_interval = {spelled}")
    (tmp_path / "drawledger.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="seal_interval"):
        Settings.load(tmp_path)


def test_the_sealing_interval_is_read_from_the_settings(tmp_path):
    settings = Settings(tmp_path, "drawledger.test/x", "sqlite:///l.sqlite", tmp_path / "k")
    settings.write()
    assert Settings.load(tmp_path).seal_interval == 1.0
    text = (tmp_path / "drawledger.toml").read_text(encoding="utf-8")
    (tmp_path / "drawledger.toml").write_text(
        text.replace("seal_interval = 1.0", "seal_interval = 0.25"), encoding="utf-8"
    )
    assert Settings.load(tmp_path).seal_interval == 0.25


def test_the_follower_tells_a_failed_round_and_its_recovery_in_chinese(batched, monkeypatch):
    """`drawledger seal --follow` (docs/OPERATIONS.md): a failed round once on stderr, then the
    recovery and each checkpoint, in Chinese as the command's other lines; the store's own
    words marked 原文. They were English ("sealing round failed", "sealing again")."""
    from ledger.sealing import follow

    real_seal = batched.sealer.seal
    calls = {"n": 0}

    def fails_twice():  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OSError("disk full")
        return real_seal()

    monkeypatch.setattr(batched.sealer, "seal", fails_twice)
    said: list[str] = []
    warned: list[str] = []
    follow(batched.sealer, 0, say=said.append, warn=warned.append, rounds=3)
    assert warned == ["封存失败，每 0 秒重试一次（原文：OSError: disk full）"]  # once, not twice
    assert said == ["已恢复封存", "已封存：树大小 2"]
