"""The read models follow each command as it is recorded (embedded mode: ``after_save``)."""

from __future__ import annotations

from projections import queries
from projections.tables import official_tokens

from .world import PERSON_ID, PERSON_NAME, VECTOR_CODES, change_things, text_of


def test_a_registered_target_is_readable_as_soon_as_the_command_returns(world, read_models):
    target = queries.get_entry(read_models.engine, "target", VECTOR_CODES[0])
    assert target["name"] == "常州自来水公司"
    assert target["items"] == ["qsxk"]
    assert target["status"] == "in_business"
    assert target["permit"]["valid_until"] == "2028-12-31"
    assert target["version"] == 1
    assert read_models.runner.last_error is None


def test_every_position_is_tracked_up_to_the_head_of_the_log(world, read_models, ledger):
    head = ledger.recorder.max_notification_id()
    assert set(read_models.runner.positions().values()) == {head}


def test_corrections_status_changes_and_conflicts_show_in_the_current_state(world, read_models):
    change_things(world)
    engine = read_models.engine
    moved = queries.get_entry(engine, "target", VECTOR_CODES[1])
    assert (moved["district"], moved["items"], moved["version"]) == (
        "新北区",
        ["hdjs", "qsxk"],
        3,
    )
    assert queries.get_entry(engine, "target", VECTOR_CODES[2])["status"] == "closed"
    insp1 = queries.get_entry(engine, "inspector", "insp-01")
    assert insp1["status"] == "transferred"
    assert insp1["conflicts"] == [{"target": str(world.targets["project"]), "reason": "曾参与设计"}]
    assert queries.get_entry(engine, "inspector", "insp-02")["conflicts"] == []
    assert queries.get_entry(engine, "official", "agg")["roles"] == ["auditor", "plan_aggregator"]
    assert queries.get_entry(engine, "official", "admin1")["active"] is False
    assert queries.get_entry(engine, "official", "clerk-ggc")["token_ids"] == []
    assert queries.get_entry(engine, "division", "szc")["contact"] == "clerk-szc"
    assert queries.get_entry(engine, "item", "hdjs")["withdrawn"] is True
    published = queries.item_list(engine, 1)
    assert [i["code"] for i in published["items"]] == ["qsxk"]
    assert published["published_by"] == "agg"


def test_an_individual_target_is_known_only_by_its_pseudonymous_reference(world, read_models):
    person = queries.get_entry(read_models.engine, "target", str(world.targets["person"]))
    assert person["name"] is None
    assert person["person_ref"].startswith("person-")
    assert person["code"] == person["person_ref"]
    everything = text_of(read_models.engine)
    assert PERSON_NAME not in everything
    assert PERSON_ID not in everything


def test_officials_token_ids_are_kept_but_never_their_hashes(world, read_models, registry):
    official = queries.get_entry(read_models.engine, "official", "clerk-szc")
    assert official["token_ids"] == [world.token.split(".")[2]]
    hashes = list(registry.official("clerk-szc").tokens.values())
    assert hashes and all(h not in text_of(read_models.engine) for h in hashes)
    assert "token_hash" not in text_of(read_models.engine)
    columns = {c.name for c in official_tokens.columns}
    assert columns == {
        "official_id",
        "token_id",
        "issued_at",
        "issued_position",
        "issued_by",
        "expires_at",
        "label",
    }


def test_a_store_down_for_many_rounds_is_logged_once_and_its_recovery_once(caplog, monkeypatch):
    """The follower retries every second while the store is down: one warning with its trace
    when it starts failing, one line when it catches up again — not a trace a second."""
    import logging
    import threading

    from projections import follower as following

    monkeypatch.setattr(following, "IDLE_SECONDS", 0.01)
    rounds = {"n": 0}
    recovered = threading.Event()

    class DownThenUp:  # the runner's catch_up fails 20 rounds, then succeeds
        batch = 10

        def catch_up(self, most: int) -> int:
            rounds["n"] += 1
            if rounds["n"] <= 20:
                raise ConnectionError("the database server is not running")
            recovered.set()
            return 0

    runner = DownThenUp()
    watcher = following.Follower(runner)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger=following.__name__):
        watcher.start()
        assert recovered.wait(10)
        watcher.stop()
    said = [r.getMessage() for r in caplog.records if r.name == following.__name__]
    assert rounds["n"] > 20
    assert len([m for m in said if "读取模型无法追赶账本" in m]) == 1, said
    assert len([m for m in said if "读取模型已恢复追赶账本" in m]) == 1, said
    assert watcher.last_error is None


def test_a_projection_ahead_of_the_batch_start_is_given_only_the_events_after_its_position(
    world, read_models
):  # type: ignore[no-untyped-def]
    """The trail emptied: the next catch-up reads from the log's start, and every other
    projection, already at the old head, is given only the events after it (each once: given
    again, a registered target would be inserted twice). The result is a rebuild's."""
    runner = read_models.runner
    runner.reset(["trail"])
    before = runner.head()
    assert runner.positions()["trail"] == 0
    change_things(world)  # followed as each command is recorded: one batch from position 0
    assert runner.last_error is None
    assert set(runner.positions().values()) == {runner.head()} != {before}
    engine = read_models.engine
    followed = [text_of(engine), queries.get_entry(engine, "target", VECTOR_CODES[1])]
    runner.rebuild()
    assert [text_of(engine), queries.get_entry(engine, "target", VECTOR_CODES[1])] == followed
