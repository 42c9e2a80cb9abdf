"""A person's data is stored only once the event committing to it is saved: a save that fails
leaves no row behind, and a create that loses a race never replaces the winner's data."""

from __future__ import annotations

import pytest

from ledger.errors import Conflict, NotFound
from ledger.registry import current_entries
from tests.ledger.test_registry import registry, water_user  # noqa: F401 - the fixture

PERSON = {"kind": "individual", "code": "DEMO320481000001", "name": "张三"}


def test_a_failed_save_leaves_no_personal_data(registry, monkeypatch):  # noqa: F811
    def failing_save(*_: object) -> None:
        raise Conflict("the store refused the save")

    monkeypatch.setattr(registry.app, "save", failing_save)
    with pytest.raises(Conflict):
        registry.import_targets([water_user(**PERSON)], "szc-clerk", "import.csv")

    ref = registry.people.reference(PERSON["code"])
    with pytest.raises(NotFound):
        registry.people.reveal(ref)


def test_a_create_that_loses_the_race_keeps_the_winners_personal_data(
    registry,  # noqa: F811
    monkeypatch,
):
    registry.import_targets([water_user(**PERSON)], "szc-clerk", "first.csv")
    ref = registry.people.reference(PERSON["code"])
    before = registry.people.reveal(ref)
    # The loser read the registry before the winner's save: it believes the person is new.
    monkeypatch.setattr(current_entries, "current_records", lambda *_: {})
    with pytest.raises(Conflict, match="nothing of this import was recorded"):
        registry.import_targets([water_user(**{**PERSON, "name": "李四"})], "szc-clerk", "b.csv")

    assert registry.people.reveal(ref) == before
    assert before[0]["name"] == "张三"


def test_personal_data_is_kept_once_the_save_succeeds(registry):  # noqa: F811
    registry.import_targets([water_user(**PERSON)], "szc-clerk", "import.csv")
    data, _ = registry.people.reveal(registry.people.reference(PERSON["code"]))
    assert data == {"identity": PERSON["code"], "name": "张三"}
