"""The policy through the product: the bureau adds the 2027 working-day table as a new signed
version, and a result whose deadline falls in 2027 can be published; nobody else can change
the rules, and a bad version is refused whole with every problem named."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from ledger.demo.bureau import ADMIN
from ledger.draws.service import Draws
from ledger.errors import BadInput, Conflict, Forbidden, NotFound
from ledger.export import export_bundle
from ledger.fields import InvalidFields
from ledger.inspections.evidence import EvidenceStore
from ledger.inspections.service import Inspections
from ledger.policies import Policies, calendar_warnings
from ledger.policy import default_policy
from ledger.publications.aggregate import Publication
from verify.__main__ import main as verify_main
from verify.authority_rules import policy_setters
from verify.bundle import read_bundle
from verify.checks import verify_bundle
from verify.workdays import WorkingCalendar

from .test_draws import run_draw

# Made-up dates for tests only (1 and 4 January off, Saturday 9 January worked): never ship
# invented holidays; the real table is typed in from the State Council's notice.
FIXTURE_2027 = {
    "source": "test fixture: made-up dates, not the State Council's schedule",
    "holidays": ["2027-01-01", "2027-01-04"],
    "workdays": ["2027-01-09"],
}
END_OF_2026 = date(2026, 12, 28)


def with_2027(version: str = "changzhou-water-2018/2") -> dict:
    document = copy.deepcopy(default_policy())
    document["version"] = version
    document["calendar"] = {"years": {"2027": copy.deepcopy(FIXTURE_2027)}}
    return document


def problems(error: InvalidFields) -> dict[str, str]:
    return {f"{p.field}={p.value}": p.message for p in error.problems}


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=200, inspectors=24, today=date(2026, 11, 25))
    return ledger


@pytest.fixture
def late_december(monkeypatch):
    """The ledger's clock in the last days of 2026: events recorded from now on carry times
    from 28 December 2026 (China time) on, a millisecond apart."""
    import eventsourcing.domain

    ticks = itertools.count()
    start = datetime(2026, 12, 28, 1, 0, tzinfo=UTC)
    monkeypatch.setattr(
        eventsourcing.domain,
        "datetime_now_with_tzinfo",
        lambda: start + timedelta(milliseconds=next(ticks)),
    )


def _confirmed_on_23_december(bureau, tmp_path):
    """A drawn target inspected on 21 December 2026, its result confirmed on the 23rd."""
    from ledger.registry.identities import bound_official

    draw, teams = run_draw(Draws(bureau, today=date(2026, 11, 1)))
    team = teams[0]
    evidence = EvidenceStore(tmp_path / "evidence")
    inspections = Inspections(bureau, evidence, today=lambda: END_OF_2026)
    inspection = inspections.notify(
        {"source": str(draw), "target": team["target"], "notified_on": "2026-12-14"}, "szc-clerk"
    )
    inspections.carry_out(
        inspection,
        {"on": "2026-12-21", "method": "现场检查", "present": team["members"]},
        "szc-clerk",
    )
    recorder = bound_official(bureau, team["members"][0])  # the inspector's own account
    inspections.record_result(inspection, {"category": "no_problem"}, recorder)
    inspections.record_confirmation(inspection, {"on": "2026-12-23"}, "szc-clerk")
    return inspection


def _publishing(bureau):
    from ledger.publications.service import Publishing

    return Publishing(bureau, today=lambda: END_OF_2026)


# -- the proof: the 2027 table through the product --------------------------------------------


def test_a_deadline_in_2027_is_refused_until_the_bureau_records_the_2027_table(
    bureau, tmp_path, late_december
):
    inspection = _confirmed_on_23_december(bureau, tmp_path)
    # 23 Dec 2026 + 7 working days runs into 2027, which chinesecalendar does not know.
    with pytest.raises(Conflict, match="no working-day calendar for 2027"):
        _publishing(bureau).publish(inspection, "results", "szc-clerk")
    assert not list(bureau.notifications(topics=["publication.published"]))

    outcome = Policies(bureau).set(with_2027(), ADMIN, "2027年部分节假日安排")
    assert outcome.recorded
    publication = _publishing(bureau).publish(inspection, "results", "szc-clerk")
    record = bureau.mapper.to_domain_event(bureau.recorder.select_events(publication)[0])
    # Thu 24 .. Thu 31 Dec are 6 working days; 1 and 4 Jan are the fixture's holidays; the 7th
    # working day is Tue 5 Jan (weekends alone would have given Mon 4 Jan).
    assert (record.deadline, record.on_time) == ("2027-01-05", True)
    assert record.policy_version == "changzhou-water-2018/2"

    # The verifier replays that deadline with the version in force at the publication.
    path = tmp_path / "ledger.bundle"
    export_bundle(bureau, path)
    report = verify_bundle(read_bundle(path), pinned_keys=[str(bureau.signer.verifier)])
    assert report.ok, [f.message for s in report.steps for f in s.failures]
    assert report.steps[9].detail.startswith("1 次检查，1 次公示")
    assert verify_main([str(path), "--key", str(bureau.signer.verifier)]) == 0


def test_the_verifier_refuses_a_publication_naming_a_version_not_yet_in_force(
    bureau, tmp_path, late_december
):
    """An operator with the key writes a publication that claims the 2027 version before that
    version is recorded (and records the version afterwards): every signature is good, and the
    verifier still refuses it at the publication's position."""
    inspection = _confirmed_on_23_december(bureau, tmp_path)
    honest = _publishing(bureau)
    content = honest.content(bureau.get(inspection), "results")
    from verify.results import content_digest

    forged = Publication.publish(
        {
            "inspection": str(inspection),
            "channel": "results",
            "content": content,
            "content_digest": content_digest(content),
            "start": "2026-12-23",
            "published_on": "2026-12-28",
            "deadline": "2027-01-05",
            "working_days_allowed": 7,
            "on_time": True,
            "policy_version": "changzhou-water-2018/2",
        },
        {"official": "szc-clerk", "role": "clerk", "department": "szc"},
    )
    bureau.save(forged)
    at = bureau.recorder.max_notification_id()
    in_force = bureau.policy_in_force()["version"]  # the demo's, naming its leaders in charge
    Policies(bureau).set(with_2027(), ADMIN)
    path = tmp_path / "ledger.bundle"
    export_bundle(bureau, path)
    report = verify_bundle(read_bundle(path))
    step10 = report.steps[9]
    assert [(f.position + 1, f.message) for f in step10.failures] == [
        (
            at,
            f"采用的制度版本为 'changzhou-water-2018/2'，但其位置时的现行版本为 {in_force!r}",
        )
    ]
    assert verify_main([str(path), "--key", str(bureau.signer.verifier)]) == 1


# -- who may set the policy --------------------------------------------------------------------


@pytest.mark.parametrize("official", ["szc-clerk", "jld-leader-1", "szc-aggregator"])
def test_only_the_roles_the_policy_names_may_set_the_next_version(bureau, official):
    head = bureau.recorder.max_notification_id()
    in_force = bureau.policy_in_force()["version"]
    with pytest.raises(Forbidden, match="needs one of the roles admin"):
        Policies(bureau).set(with_2027(), official)
    assert bureau.recorder.max_notification_id() == head
    assert bureau.policy_in_force()["version"] == in_force


def test_the_version_in_force_names_who_sets_the_next_one(bureau):
    policies = Policies(bureau)
    handed_over = {**with_2027("v2"), "authority": {"set_policy": ["plan_aggregator"]}}
    policies.set(handed_over, ADMIN)
    with pytest.raises(Forbidden, match="needs one of the roles plan_aggregator"):
        policies.set(with_2027("v3"), ADMIN)
    assert policies.set(with_2027("v3"), "szc-aggregator").recorded
    setter = policies.in_force()["set_by"]
    assert setter == {"official": "szc-aggregator", "role": "plan_aggregator", "department": "szc"}


def test_the_verifier_judges_a_policy_version_by_the_setters_the_version_before_it_named(
    bureau, tmp_path
):
    policies = Policies(bureau)
    policies.set({**with_2027("v2"), "authority": {"set_policy": ["plan_aggregator"]}}, ADMIN)
    policies.set(with_2027("v3"), "szc-aggregator")  # v3 names nobody: admin again
    path = tmp_path / "b.bundle"
    export_bundle(bureau, path)
    keys = [str(bureau.signer.verifier)]
    report = verify_bundle(read_bundle(path), pinned_keys=keys)
    assert report.ok and report.authority.findings == [], report.to_json()


def test_who_sets_the_next_version_is_one_rule_for_ledger_and_verifier():
    assert policy_setters({}) == ("admin",)  # a policy that names nobody
    assert policy_setters({"authority": {"set_policy": ["legal_office"]}}) == ("legal_office",)
    assert policy_setters({"authority": {"set_policy": "admin"}}) == ("admin",)  # not a list


def test_the_operator_sets_a_version_only_on_an_admins_written_request(bureau):
    from ledger.actors import Request, on_request
    from ledger.registry.officials import Official, official_id

    with pytest.raises(Forbidden, match=r"only on a written request.*operator_on_request"):
        Policies(bureau).set(with_2027(), None, "on nobody's request")
    admin = bureau.get(official_id(ADMIN), Official)
    with on_request(Request(admin, "局办公会纪要〔2026〕9号")):
        Policies(bureau).set(with_2027(), None, "  typed in from the notice  ")
    version = Policies(bureau).in_force()
    assert version["set_by"] == {
        "official": "drawledger",
        "role": "system",
        "department": "drawledger",
        "on_request_of": ADMIN,
        "request": "局办公会纪要〔2026〕9号",
    }
    assert version["reason"] == "typed in from the notice"


# -- a version is checked whole ------------------------------------------------------------------


def test_a_bad_version_is_refused_whole_with_every_problem_named(bureau):
    document = with_2027("changzhou-water-2018/1")  # not new
    document["publication"]["deadline_working_days"] = 21
    document["teams"]["min_inspector"] = 3  # a typo
    document["colour"] = "red"
    document["calendar"]["years"]["2027"] = {
        "holidays": ["2027-10-01", "2028-01-01", "2027-02-06"],
        "workdays": ["2027-02-06", "2027-02-08"],
    }
    head = bureau.recorder.max_notification_id()
    with pytest.raises(InvalidFields) as refused:
        Policies(bureau).set(document, ADMIN)
    found = problems(refused.value)
    assert found.pop("colour=red").startswith("unknown key")
    assert found == {
        "teams.min_inspector=3": "unknown key (known: min_inspectors)",
        "publication.deadline_working_days=21": "must be from 1 to 20",
        "calendar.years.2027.holidays=2028-01-01": "is not in 2027",
        "calendar.years.2027=2027-02-06": (
            "is listed both as a holiday and as a make-up working day"
        ),
        "calendar.years.2027.workdays=2027-02-08": (
            "is a weekday: workdays lists only the weekend days worked (调休)"
        ),
        "version=changzhou-water-2018/1": (
            "is recorded already with another document; a new version needs a new name"
        ),
    }
    assert bureau.recorder.max_notification_id() == head


def test_a_year_chinesecalendar_knows_is_replaced_only_by_an_explicit_override(bureau):
    """A 2026 table that marks 2026 differently (a typo, or a forged holiday that stretches a
    deadline) is refused unless it says override = true; with it, it replaces the year."""
    policies = Policies(bureau)
    document = with_2027("v2")
    document["calendar"]["years"]["2026"] = {"holidays": ["2026-12-24"], "workdays": []}
    with pytest.raises(InvalidFields, match="chinesecalendar already knows 2026"):
        policies.set(document, ADMIN)
    document["calendar"]["years"]["2026"]["override"] = True
    document["calendar"]["years"]["2026"]["source"] = "国务院办公厅通知（更正）"
    policies.set(document, ADMIN)
    calendar = WorkingCalendar.from_policy(bureau.policy_in_force())
    assert not calendar.is_working_day(date(2026, 12, 24))


def test_a_year_table_must_list_its_holidays_and_its_workdays(bureau):
    document = with_2027("v2")
    document["calendar"]["years"]["2027"] = {"holidays": [], "override": "yes"}
    with pytest.raises(InvalidFields) as refused:
        Policies(bureau).set(document, ADMIN)
    assert problems(refused.value) == {
        "calendar.years.2027.override=yes": "must be true or false",
        "calendar.years.2027.workdays=None": "is missing (write [] for none)",
        "calendar.years.2027.holidays=[]": "must list the year's holidays (元旦 at least)",
    }


def test_setting_the_document_in_force_again_records_nothing_and_says_so(bureau):
    head = bureau.recorder.max_notification_id()
    in_force = bureau.policy_in_force()
    outcome = Policies(bureau).set(in_force, ADMIN)
    assert (outcome.recorded, outcome.version) == (False, in_force["version"])
    assert bureau.recorder.max_notification_id() == head


# -- reading the versions ------------------------------------------------------------------------


def test_the_policy_is_read_as_it_stood_at_any_position(bureau):
    policies = Policies(bureau)
    before = bureau.recorder.max_notification_id()
    policies.set(with_2027(), ADMIN, "2027")
    now = policies.in_force()
    assert (now["version"], now["position"], now["as_of"]) == (
        "changzhou-water-2018/2",
        before + 1,
        before + 1,
    )
    assert now["document"]["calendar"]["years"]["2027"] == FIXTURE_2027
    then = policies.in_force(as_of=before)
    assert (then["version"], then["as_of"]) == ("changzhou-water-2018/1+leaders", before)
    assert [(v["version"], v["position"]) for v in policies.versions()] == [
        ("changzhou-water-2018/1", 2),
        ("changzhou-water-2018/1+leaders", then["position"]),
        ("changzhou-water-2018/2", before + 1),
    ]
    for wrong in (0, before + 2):
        with pytest.raises(
            BadInput, match=f"as_of {wrong}: the log has positions 1 to {before + 1}"
        ):
            policies.in_force(as_of=wrong)
    with pytest.raises(NotFound, match="no policy was in force at position 1"):
        policies.in_force(as_of=1)


# -- the warning before the calendar runs out ------------------------------------------------------


def test_the_calendar_warning_shows_from_60_days_before_the_calendar_ends():
    policy = default_policy()
    assert WorkingCalendar.from_policy(policy).known_until() == date(2026, 12, 31)
    assert calendar_warnings(policy, date(2026, 11, 1)) == calendar_warnings(
        policy, date(2026, 12, 2)
    )
    (warning,) = calendar_warnings(policy, date(2026, 12, 2))  # today, as this was written
    assert warning["known_until"] == "2026-12-31"
    assert warning["year_to_add"] == "2027"
    assert '[calendar.years."2027"]' in warning["zh"] and "国务院" in warning["zh"]
    assert '[calendar.years."2027"]' in warning["en"] and "drawledger policy set" in warning["en"]
    assert calendar_warnings(policy, date(2026, 10, 31)) == []


def test_once_the_calendar_has_ended_the_warning_says_so_and_names_every_missing_year():
    policy = default_policy()
    for today in (date(2027, 1, 1), date(2027, 1, 4), date(2027, 6, 15)):
        (warning,) = calendar_warnings(policy, today)
        assert (warning["code"], warning["known_until"]) == ("calendar_ended", "2026-12-31")
        assert (warning["year_to_add"], warning["years_to_add"]) == ("2027", "2027")
        assert "工作日历已于 2026-12-31 结束" in warning["zh"] and "现在都被拒绝" in warning["zh"]
        for text in (warning["zh"], warning["en"]):
            assert "drawledger policy set" in text and "docs/POLICY.md" in text
            assert '[calendar.years."2027"]' in text and "2028" not in text
    (warning,) = calendar_warnings(policy, date(2026, 12, 31))  # its last day: not ended yet
    assert warning["code"] == "calendar_ends"
    # Late in 2027 the next year is due too; in 2028 both are missing.
    for today in (date(2027, 11, 15), date(2028, 2, 1)):
        (warning,) = calendar_warnings(policy, today)
        assert warning["years_to_add"] == "2027, 2028", today
        assert '[calendar.years."2027"]、[calendar.years."2028"]' in warning["zh"]
    # With 2027 recorded, February 2028 names 2028 alone.
    (warning,) = calendar_warnings(with_2027(), date(2028, 2, 1))
    assert (warning["code"], warning["years_to_add"]) == ("calendar_ended", "2028")


def test_a_deadline_in_an_unknown_year_is_refused_in_chinese_naming_policy_set(
    bureau, tmp_path, late_december
):
    from ledger.error_texts import error_text

    inspection = _confirmed_on_23_december(bureau, tmp_path)
    with pytest.raises(Conflict) as refused:
        _publishing(bureau).publish(inspection, "results", "szc-clerk")
    assert "'drawledger policy set' (docs/POLICY.md)" in str(refused.value)
    zh = error_text(str(refused.value))
    assert zh is not None and zh.startswith("无法计算公示期限：没有 2027 年的工作日历"), zh
    assert "drawledger policy set" in zh and "docs/POLICY.md" in zh
    assert "no working-day" not in zh


def test_a_recorded_2027_table_moves_the_warning_to_the_end_of_2027():
    policy = with_2027()
    assert WorkingCalendar.from_policy(policy).known_until() == date(2027, 12, 31)
    assert calendar_warnings(policy, date(2026, 12, 2)) == []
    gap = {"calendar": {"years": {"2028": {"holidays": ["2028-01-01"], "workdays": []}}}}
    assert WorkingCalendar.from_policy(gap).known_until() == date(2026, 12, 31)  # 2027 missing
