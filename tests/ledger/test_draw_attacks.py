"""Insiders who want a given company in (or out of) a draw, and fail.

The operator reads everything in the data directory and the database after the freeze; the
division draws the same plan again until the result suits; a clerk draws another division's
item; a forger re-signs a bundle whose ceremony contribution does not match its commitment.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from eventsourcing import domain

from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.draws.service import Draws
from ledger.errors import BadInput, ConfigurationError, Conflict, Forbidden
from ledger.export import export_bundle
from tests.ledger.test_plans import PLAN
from tests.ledger.workflow import CONTRIBUTIONS, reveal, uploaded_plan, with_ceremony
from verify.bundle import event_line, read_bundle
from verify.bundle_lines import line_event
from verify.checks import verify_bundle
from verify.draw_rules import frozen_population, selection
from verify.entropy import contribution_commitment, derive_seed_v2
from verify.events import decode_record, encode_record

SPEC = {"division": "szc", "items": ["qsxk"], "counts": {"all": 3}, "team_size": 2}
CLERK = "szc-clerk"


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=200, inspectors=24)
    return ledger


@pytest.fixture
def clock(monkeypatch):
    """The events' clock, moved by the test (beacon rounds are scheduled in the future)."""
    now = [datetime.now(UTC)]
    monkeypatch.setattr(domain, "datetime_now_with_tzinfo", lambda: now[0])
    return now


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_operator_reading_the_whole_data_directory_after_the_freeze_cannot_choose(tmp_path):
    data = tmp_path / "bureau"
    assert drawledger(["demo", "--data", str(data), "--targets", "120", "--inspectors", "20"]) == 0
    app = LedgerApp.open(data)
    draws = Draws(app)
    draw = draws.open(with_ceremony(SPEC), "szc-clerk")
    draws.freeze(draw, "szc-clerk")

    # Everything on disk, as a backup reader or DBA would see it: no nonce in clear.
    nonce_rows = sqlite3.connect(data / "ledger.sqlite").execute("SELECT nonce FROM draw_nonces")
    stored = [row[0] for row in nonce_rows]
    assert stored and all(text.startswith("v1:") for text in stored)
    disk = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    nonce = draws.nonces.get(draw)  # what only the key's holder can unseal
    assert nonce.hex().encode() not in disk and nonce not in disk

    # Even holding the nonce (the key file is in the directory), grinding gets nowhere: the
    # parties committed to their contributions at open, and any other contribution is refused.
    state = draws.registry_at(draws.get(draw).position)
    eligible = frozen_population(draws.get(draw).params(), state).ids
    wanted = next(t for t in eligible if t not in _chosen(draws, draw))
    for n in range(200):
        forged = {**CONTRIBUTIONS, "szc": f"{n:064x}"}
        params = {**draws.get(draw).params(), "seed": derive_seed_v2(nonce, "", forged)}
        if wanted in [s["target"] for s in selection(params, state)[0]["selected"]]:
            break
    else:
        pytest.fail("no forged contribution selects the wanted target in 200 tries")
    with pytest.raises(BadInput, match="contribution of szc hashes to .* committed to"):
        draws.reveal(draw, None, forged, "szc-clerk")
    assert draws.get(draw).step == "frozen"
    reveal(draws, draw, "szc-clerk")
    outcome = [s["target"] for s in draws.select(draw, "szc-clerk")[0]["selected"]]
    assert outcome == _chosen(draws, draw) and wanted not in outcome


def _chosen(draws, draw):
    """What the honest reveal selects, computed from the committed contributions."""
    d = draws.get(draw)
    seed = derive_seed_v2(draws.nonces.get(draw), "", CONTRIBUTIONS)
    state = draws.registry_at(d.position)
    return [s["target"] for s in selection({**d.params(), "seed": seed}, state)[0]["selected"]]


def test_a_data_directory_others_can_read_is_refused_at_start(tmp_path):
    from api.app import create_app

    data = tmp_path / "ledger"
    assert drawledger(["init", "--data", str(data), "--origin", "example.gov.cn/ledger"]) == 0
    assert oct(data.stat().st_mode & 0o777) == "0o700"
    assert all(p.stat().st_mode & 0o077 == 0 for p in data.rglob("*"))
    (data / "ledger.sqlite").chmod(0o644)
    with pytest.raises(ConfigurationError, match=r"readable by others: .*ledger.sqlite \(0644\)"):
        create_app(LedgerApp.open(data))
    assert drawledger(["serve", "--data", str(data)]) == 1  # refused before listening


def test_a_beacon_round_must_be_after_the_freeze_and_its_value_given(bureau, clock):
    draws = Draws(bureau)
    scheduled = clock[0] + timedelta(hours=2)
    beacon = {"source": "drand quicknet", "round": "9876543", "scheduled_at": _utc(scheduled)}
    past = {**beacon, "scheduled_at": _utc(clock[0] - timedelta(hours=1))}
    with pytest.raises(BadInput, match="not after now"):
        draws.open({**SPEC, "beacon": past}, "szc-clerk")
    with pytest.raises(
        BadInput,
        match="beacon=None: a draw commits to a public beacon round scheduled after the freeze",
    ):
        draws.open(SPEC, "szc-clerk")
    draw = draws.open({**SPEC, "beacon": beacon}, "szc-clerk")
    draws.freeze(draw, "szc-clerk")
    with pytest.raises(Conflict, match="precedes the beacon round"):
        draws.reveal(draw, "a1" * 32, {}, "szc-clerk")  # a value typed before it exists
    clock[0] = scheduled + timedelta(minutes=1)
    with pytest.raises(BadInput, match="give the value published by drand quicknet"):
        draws.reveal(draw, "", {}, "szc-clerk")
    revealed = draws.reveal(draw, "A1 " * 32, {}, "szc-head")
    assert revealed["beacon"]["value"] == "A1" * 32


def test_a_beacon_round_already_past_at_the_freeze_stops_the_freeze(bureau, clock):
    draws = Draws(bureau)
    scheduled = clock[0] + timedelta(hours=1)
    beacon = {"source": "中国福利彩票双色球", "round": "2026031", "scheduled_at": _utc(scheduled)}
    draw = draws.open({**SPEC, "beacon": beacon}, "szc-clerk")
    clock[0] = scheduled + timedelta(seconds=1)  # the result is public: freezing now could steer
    with pytest.raises(Conflict, match="not after the freeze"):
        draws.freeze(draw, "szc-clerk")
    with pytest.raises(Forbidden, match="division_head"):
        draws.abandon(draw, "开奖已过，未及冻结", "szc-clerk")
    assert draws.abandon(draw, "开奖已过，未及冻结", "szc-head")["overdue"] is False
    with pytest.raises(Conflict, match="abandoned"):
        draws.freeze(draw, "szc-clerk")


def test_a_draw_not_revealed_in_time_can_only_be_abandoned_as_overdue(bureau, clock):
    draws = Draws(bureau)
    draw = draws.open(with_ceremony(SPEC), "szc-clerk")
    draws.freeze(draw, "szc-clerk")
    clock[0] += timedelta(days=8)
    with pytest.raises(Conflict, match="due to be revealed by .* only be abandoned"):
        reveal(draws, draw, "szc-clerk")
    assert draws.abandon(draw, "法制科未按时揭示", "szc-head")["overdue"] is True
    types = [s.topic for s in bureau.recorder.select_events(draw)]
    assert types == ["draw.opened", "draw.population_frozen", "draw.abandoned"]


def test_a_plan_bounds_its_draws_and_a_population_is_drawn_again_only_after_abandoning(bureau):
    plan = uploaded_plan(
        bureau,
        {
            "division": "szc",
            "kind": "annual",
            "period": "2027",
            "items": ["qsxk"],
            "counts": {"all": 4},
            "team_size": 2,
        },
        date(2026, 12, 1),
    )
    draws = Draws(bureau)
    planned = with_ceremony({**SPEC, "plan": str(plan)})
    with pytest.raises(Conflict, match=r"stratum 'all': 5 drawn, the plan allows 4"):
        draws.open({**planned, "counts": {"all": 5}}, "szc-clerk")
    with pytest.raises(Conflict, match=r"stratum 'a': 1 drawn, the plan allows 0"):
        draws.open({**planned, "stratify_by": "credit_class", "counts": {"a": 1}}, "szc-clerk")
    first = draws.open(planned, "szc-clerk")
    with pytest.raises(Conflict, match="drew this population already"):
        draws.open({**planned, "counts": {"all": 1}}, "szc-clerk")
    draws.freeze(first, "szc-clerk")
    reveal(draws, first, "szc-clerk")
    draws.abandon(first, "复核发现检查事项填写错误", "szc-head")  # after the outcome was known
    with pytest.raises(Conflict, match=r"stratum 'all': 5 drawn, the plan allows 4"):
        draws.open({**planned, "counts": {"all": 2}}, "szc-clerk")  # its 3 still count
    second = draws.open({**planned, "counts": {"all": 1}}, "szc-clerk")
    before = len(list(bureau.notifications()))
    with pytest.raises(Conflict, match="abandoned"):
        draws.abandon(first, "again", "szc-head")
    assert len(list(bureau.notifications())) == before
    assert draws.get(second).plan == str(plan)


def test_a_draw_of_another_divisions_item_is_refused(bureau):
    with pytest.raises(BadInput, match="item hdjs belongs to division ggc"):
        Draws(bureau).open(with_ceremony({**SPEC, "items": ["hdjs"]}), "szc-clerk")


def test_the_verifier_catches_a_contribution_that_does_not_match_its_commitment(bureau, tmp_path):
    draws = Draws(bureau)
    draw = draws.open(with_ceremony(SPEC), "szc-clerk")
    draws.freeze(draw, "szc-clerk")
    reveal(draws, draw, "szc-clerk")
    draws.select(draw, "szc-clerk")
    export_bundle(bureau, tmp_path / "b.jsonl")
    # The forger holds the ledger key: swaps a contribution, re-derives the seed and re-signs.
    forged = {**CONTRIBUTIONS, "szc-legal": "ab" * 32}
    lines = (tmp_path / "b.jsonl").read_bytes().split(b"\n")
    for n, line in enumerate(lines):
        found = line_event(line)
        if found is None:
            continue
        index, nid, stored = found
        event = decode_record(stored)
        if event.type == "draw.seed_revealed":
            envelope = dict(event.envelope)
            payload = dict(envelope["payload"], contributions=forged)
            payload["seed"] = derive_seed_v2(bytes.fromhex(payload["nonce"]), "", forged)
            envelope["payload"] = payload
            record, _ = encode_record(envelope, bureau.signer)
            lines[n] = event_line(index, nid, record)[:-1]
            position = index
    (tmp_path / "b.jsonl").write_bytes(b"\n".join(lines))
    step9 = verify_bundle(read_bundle(tmp_path / "b.jsonl")).steps[8]
    assert any(
        f.position == position
        and f"contribution of szc-legal hashes to {contribution_commitment('ab' * 32)}" in f.message
        for f in step9.failures
    )


def test_the_verifier_lists_beacon_rounds_and_abandoned_draws(bureau, clock, tmp_path):
    draws = Draws(bureau)
    scheduled = clock[0] + timedelta(hours=2)
    beacon = {"source": "drand quicknet", "round": "9876543", "scheduled_at": _utc(scheduled)}
    draw = draws.open(with_ceremony({**SPEC, "beacon": beacon}), "szc-clerk")
    draws.freeze(draw, "szc-clerk")
    clock[0] = scheduled + timedelta(minutes=1)
    draws.reveal(draw, "c0ffee" * 8, CONTRIBUTIONS, "szc-clerk")
    other = draws.open(with_ceremony({**SPEC, "counts": {"all": 1}}), "szc-clerk")
    draws.abandon(other, "误选检查事项", "szc-head")
    export_bundle(bureau, tmp_path / "b.jsonl")
    report = verify_bundle(
        read_bundle(tmp_path / "b.jsonl"), pinned_keys=[str(bureau.signer.verifier)]
    )
    assert report.ok, report.to_json()
    notes = [n.message for n in report.steps[8].notes]
    assert f"请查证：抽取 {draw}：信标 drand quicknet 第 9876543 轮（预定于 " in notes[0]
    assert f"值 {'c0ffee' * 8}" in notes[0]
    assert f"规则审查发现：抽取 {other} 在揭示种子之前终止：误选检查事项" in notes


def test_malformed_entropy_sources_are_refused_naming_each_problem(bureau):
    draws = Draws(bureau)
    one_party = [{"party": "szc", "commitment": "00" * 32}]
    with pytest.raises(BadInput, match="ceremony=.*at least 2 distinct parties"):
        draws.open({**SPEC, "ceremony": one_party}, "szc-clerk")
    short = [{"party": "szc", "commitment": "abc"}, {"party": "fzc", "commitment": "00" * 32}]
    with pytest.raises(BadInput, match="the commitment is the 64 lowercase hex digits"):
        draws.open({**SPEC, "ceremony": short}, "szc-clerk")
    with pytest.raises(BadInput, match="beacon=.*exactly source, round and scheduled_at"):
        draws.open({**SPEC, "beacon": {"source": "drand"}}, "szc-clerk")
    draw = draws.open(with_ceremony(SPEC), "szc-clerk")
    draws.freeze(draw, "szc-clerk")
    with pytest.raises(BadInput, match=r"parties \['szc'\] given, the draw committed to"):
        draws.reveal(draw, None, {"szc": CONTRIBUTIONS["szc"]}, "szc-clerk")
    with pytest.raises(BadInput, match="this draw named no beacon round"):
        draws.reveal(draw, "123", CONTRIBUTIONS, "szc-clerk")
    assert [s.topic for s in bureau.recorder.select_events(draw)][-1] == "draw.population_frozen"


def test_a_friends_company_changed_out_of_a_draw_just_before_it_is_named_in_its_record(bureau):
    """szc's clerk wants a friend's company left out of the next draw of its district: just
    before the freeze, the clerk moves the company to another district in the registry (and
    makes another company's status one that is not drawn). Neither is then in scope or
    drawable, so neither was in the record's ``excluded`` list: the draw said nothing. Now its
    record lists both under ``changed_out``, with each change's type, position, time and
    fields; a correction that left a company drawable (a name) is not listed."""
    from ledger.draws.record import draw_record
    from ledger.registry.service import Registry
    from verify.eligibility import matches

    registry, draws = Registry(bureau), Draws(bureau)
    state = draws.registry_at(None)
    district = "新北区"
    criteria = {"division": "szc", "items": ["qsxk"], "districts": [district]}
    drawable = sorted(
        (t.key, agg)
        for agg, t in state.targets.items()
        if matches(t, criteria) and t.status == "in_business"
    )
    (friend_key, friend), (closed_key, closed), (renamed_key, renamed) = drawable[:3]
    registry.update_target(UUID(friend), {"district": "武进区"}, "地址更正", "工商登记", CLERK)
    moved_at = bureau.recorder.max_notification_id()
    registry.change_target_status(UUID(closed), "closed", "停业", "现场核实", CLERK)
    registry.update_target(UUID(renamed), {"name": "改名后的公司"}, "更名", "工商登记", CLERK)

    draw = draws.open(with_ceremony({**SPEC, "districts": [district]}), CLERK)
    draws.freeze(draw, CLERK)
    manifest, population = draw_record(draws, draw)

    assert friend_key not in population and closed_key not in population
    assert renamed_key in population
    assert friend_key not in {e["target"] for e in manifest["excluded"]}  # out of scope
    listed = {t["target"]: t["changes"] for t in manifest["changed_out"]}
    # (the demo's own status changes of the last days are listed too: they are as recent)
    assert {friend_key, closed_key} <= set(listed) and renamed_key not in listed
    [moved] = listed[friend_key]
    assert (moved["type"], moved["position"], moved["changed"]) == (
        "target.updated",
        moved_at,
        ["district"],
    )
    assert [(c["type"], c["changed"]) for c in listed[closed_key]] == [
        ("target.status_changed", ["status"])
    ]


def test_a_change_made_before_the_recent_window_is_not_listed(bureau, clock):
    """A district changed more than RECENT_DAYS before the freeze is not listed: the record
    names the recent steering; the target's trail keeps every change."""
    from ledger.draws.record import draw_record
    from ledger.registry.service import Registry
    from verify.eligibility import matches
    from verify.recent_changes import DEFAULT_DAYS as RECENT_DAYS

    registry, draws = Registry(bureau), Draws(bureau)
    state = draws.registry_at(None)
    criteria = {"division": "szc", "items": ["qsxk"], "districts": ["新北区"]}
    [(_, early), *_] = sorted(
        (t.key, agg) for agg, t in state.targets.items() if matches(t, criteria)
    )
    registry.update_target(UUID(early), {"district": "武进区"}, "地址更正", "工商登记", CLERK)
    clock[0] += timedelta(days=RECENT_DAYS, hours=1)
    draw = draws.open(with_ceremony({**SPEC, "districts": ["新北区"]}), CLERK)
    draws.freeze(draw, CLERK)
    manifest, _ = draw_record(draws, draw)
    assert manifest["changed_out"] == []


ANNUAL = {**PLAN, "counts": {"all": 3}}  # szc's plan for 2027


def test_a_plan_whose_draw_revealed_its_seed_cannot_be_withdrawn_to_draw_again(bureau):
    """The division sees its draw's outcome, withdraws the plan, uploads the same plan again and
    draws anew: each plan bounds only its own draws, so the re-draw went through. Now a plan
    one of whose draws revealed its seed cannot be withdrawn (in Chinese, nothing recorded); a
    plan whose draw was abandoned before its reveal still can."""
    from api.errors import refusal_text
    from ledger.plans.service import Plans

    plans, draws = Plans(bureau, today=date(2026, 12, 2)), Draws(bureau)
    plan = uploaded_plan(bureau, ANNUAL, date(2026, 12, 1))
    drawn = draws.open(with_ceremony({**SPEC, "plan": str(plan)}), CLERK)
    draws.freeze(drawn, CLERK)
    reveal(draws, drawn, CLERK)
    before = bureau.recorder.max_notification_id()
    with pytest.raises(Conflict, match=f"its draw {drawn} revealed its seed") as refused:
        plans.withdraw(plan, "计划有误", CLERK)
    assert "结果已知" in refusal_text(refused.value)
    draws.abandon(drawn, "复核发现错误", "szc-head")  # abandoning after the reveal frees nothing
    with pytest.raises(Conflict, match="revealed its seed"):
        plans.withdraw(plan, "计划有误", CLERK)
    assert plans.get(plan).status == "uploaded"

    other = uploaded_plan(bureau, {**ANNUAL, "period": "2028"}, date(2027, 12, 1))
    unrevealed = draws.open(with_ceremony({**SPEC, "plan": str(other)}), CLERK)
    draws.freeze(unrevealed, CLERK)
    draws.abandon(unrevealed, "参数有误", "szc-head")
    plans.withdraw(other, "并入联合检查", CLERK)
    assert plans.get(other).status == "withdrawn"
    assert bureau.recorder.max_notification_id() > before


def test_the_verifier_finds_a_plan_withdrawn_after_its_draw_revealed_its_seed(bureau, tmp_path):
    from ledger.plans.service import Plans

    plans, draws = Plans(bureau, today=date(2026, 12, 2)), Draws(bureau)
    plan = uploaded_plan(bureau, ANNUAL, date(2026, 12, 1))
    drawn = draws.open(with_ceremony({**SPEC, "plan": str(plan)}), CLERK)
    draws.freeze(drawn, CLERK)
    reveal(draws, drawn, CLERK)
    record = plans.get(plan)  # the insider's ledger code skips the check
    record.withdraw("计划有误", {"official": CLERK, "role": "clerk", "department": "szc"})
    bureau.save(record)
    export_bundle(bureau, tmp_path / "b.jsonl")
    report = verify_bundle(
        read_bundle(tmp_path / "b.jsonl"), pinned_keys=[str(bureau.signer.verifier)]
    )
    assert report.ok, report.to_json()
    notes = [n.message for n in report.steps[8].notes]
    assert (
        f"规则审查发现：计划 {plan} 在其抽取 {drawn} 揭示种子之后撤回：另行计划再抽即为重抽"
        in notes
    )


def test_directed_inspections_do_not_use_up_a_companys_yearly_cap(bureau):
    """A clerk records bogus directed (non-random) inspections of a friend's company, hoping to
    use up its yearly cap so that the next draw leaves it out: the cap counts random
    selections only, so the company stays in the population (and the directed records are in
    its trail, each with its ground and legal basis). Already so; not tested before."""
    import copy

    from ledger.demo.bureau import ADMIN
    from ledger.draws.record import draw_record
    from ledger.policies import Policies

    document = copy.deepcopy(bureau.policy_in_force())
    document["version"] = "v-cap-1"
    document["frequency"]["max_inspections_per_entity_per_year"] = 1
    Policies(bureau).set(document, ADMIN)
    draws = Draws(bureau)
    state = draws.registry_at(None)
    friend = next(
        t.key
        for t in state.target_by_key().values()
        if t.division == "szc" and "qsxk" in t.items and t.status == "in_business"
        and not t.risk_flags
    )  # fmt: skip
    directed = {
        "division": "szc", "items": ["qsxk"], "targets": [friend], "ground": "complaint",
        "reason": "投诉", "legal_basis": "《中华人民共和国水法》第四十八条",
    }  # fmt: skip
    for _ in range(2):
        draws.record_non_random(directed, CLERK)
    draw = draws.open(with_ceremony(SPEC), CLERK)
    draws.freeze(draw, CLERK)
    manifest, population = draw_record(draws, draw)
    assert friend in population
    assert friend not in {e["target"] for e in manifest["excluded"]}
