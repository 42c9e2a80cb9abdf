"""Erasing an individual's personal data (个人信息保护法): the legal office asks, the row goes, the
erasure is a signed event, and every signature and proof still holds — on SQLite and PostgreSQL."""

# ruff: noqa: F811 - the fixtures imported below are used by name as test arguments

from __future__ import annotations

import pytest

from ledger.errors import BadInput, Conflict, Forbidden, NotFound
from ledger.export import export_bundle
from ledger.registry.targets import Target, target_id
from verify.bundle import read_bundle
from verify.checks import verify_bundle

from .test_registry import WATER_USER, registry, water_user  # noqa: F401 - the fixture

PERSON = {"kind": "individual", "code": "DEMO320481000001", "name": "张三"}


@pytest.fixture
def person(registry):  # type: ignore[no-untyped-def]
    """An individual water user of szc, and the legal office that may erase their data."""
    registry.register_official(
        {"code": "fzc-legal", "name": "法制处", "division": "bgs", "roles": ["legal_office"]},
        by="admin",
    )
    tid, _ = registry.register_target(water_user(**PERSON), by="szc-clerk")
    return tid


def test_the_legal_office_erases_an_individual_s_data_and_the_erasure_is_recorded(registry, person):
    ref = registry.people.reference(PERSON["code"])
    commitment = registry.app.get(person, Target).person["commitment"]

    erased = registry.erase_personal_data(person, "本人申请删除", "申请书 2026-001", "fzc-legal")
    assert erased == ref

    with pytest.raises(NotFound, match="erased"):
        registry.people.reveal(ref)
    target = registry.app.get(person, Target)
    assert target.personal_data_erased
    assert target.person["commitment"] == commitment  # the log keeps the commitment
    [*_, erased] = registry.app.recorder.select_events(person)
    event = registry.app.mapper.to_domain_event(erased)
    assert type(event).TOPIC == "target.personal_data_erased"
    assert (event.ref, event.reason, event.actor["official"]) == (ref, "本人申请删除", "fzc-legal")
    assert "张三".encode() not in erased.state


def test_after_an_erasure_the_bundle_still_verifies_and_the_authority_replay_is_clean(
    registry, person, tmp_path
):
    registry.erase_personal_data(person, "本人申请删除", "申请书 2026-001", "fzc-legal")
    export_bundle(registry.app, tmp_path / "b.jsonl")
    report = verify_bundle(
        read_bundle(tmp_path / "b.jsonl"), pinned_keys=[str(registry.app.signer.verifier)]
    )
    assert report.ok, report.lines()
    assert report.authority.findings == []


@pytest.mark.parametrize("who", ["szc-clerk", "ggc-clerk", "auditor", "admin"])
def test_nobody_but_the_legal_office_erases_and_a_refusal_keeps_the_data(registry, person, who):
    ref = registry.people.reference(PERSON["code"])
    with pytest.raises(Forbidden):
        registry.erase_personal_data(person, "删掉他", "口头", who)
    assert registry.people.reveal(ref)[0]["name"] == "张三"
    assert not registry.app.get(person, Target).personal_data_erased


def test_a_company_has_no_personal_data_to_erase(registry, person):
    company, _ = registry.register_target(water_user(), by="szc-clerk")
    with pytest.raises(Conflict, match="only an individual"):
        registry.erase_personal_data(company, "删除", "申请书", "fzc-legal")
    assert company == target_id("enterprise", WATER_USER)


def test_a_second_erasure_is_refused_and_finishes_one_a_crash_cut_off(registry, person):
    ref = registry.people.reference(PERSON["code"])
    registry.erase_personal_data(person, "本人申请删除", "申请书 2026-001", "fzc-legal")
    # A crash between the event and the delete: the row is back (as if never deleted).
    _, row = registry.people.commit(ref, {"name": "张三", "identity": PERSON["code"]})
    registry.people.store([row])
    events = registry.app.recorder.max_notification_id()

    with pytest.raises(Conflict, match="erased already"):
        registry.erase_personal_data(person, "再次申请", "申请书 2026-002", "fzc-legal")
    with pytest.raises(NotFound):
        registry.people.reveal(ref)
    assert registry.app.recorder.max_notification_id() == events  # nothing more recorded


@pytest.mark.parametrize("reason", ["", "   ", "\x1b[2J", "\u200b"])
def test_an_erasure_without_a_readable_reason_is_refused(registry, person, reason):
    with pytest.raises(BadInput, match="reason"):
        registry.erase_personal_data(person, reason, "申请书", "fzc-legal")
    assert not registry.app.get(person, Target).personal_data_erased


def test_a_failed_save_erases_nothing(registry, person, monkeypatch):
    ref = registry.people.reference(PERSON["code"])

    def broken_save(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(registry.app, "save", broken_save)
    with pytest.raises(OSError):
        registry.erase_personal_data(person, "本人申请删除", "申请书", "fzc-legal")
    assert registry.people.reveal(ref)[0]["name"] == "张三"
