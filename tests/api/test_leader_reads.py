"""The leader in charge of a division reads what its own officials read of it — its plans and
inspections by id, the lists of its records, its trail, its work lists — and nothing of a
division the policy in force does not put in their charge (issue 11: roles that decide).

Played as insiders: a leader of other divisions, a leader whose charge a new policy version
takes away, a deactivated leader; and the read leaves the leader as they were (their division,
their acts still judged by their own charge).
"""

from __future__ import annotations

import copy
from datetime import date
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.demo.bureau import ADMIN
from ledger.draws.service import Draws
from ledger.errors import Forbidden
from ledger.plans.service import Plans
from ledger.policies import Policies
from ledger.registry.service import Registry

from ..ledger.test_plans import PLAN
from ..ledger.test_registry import WATER_USER, water_user

LEADER, OTHER = "jld-leader-1", "jld-leader-2"  # the demo: szc, ggc, hhc / szyc, nsc


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=20, inspectors=8, today=date(2026, 11, 25))
    plans = Plans(ledger, today=date(2026, 12, 10))
    plan = plans.draft({**PLAN, "division": "szc"}, "szc-clerk")
    return ledger, str(plan)


def _client(ledger, code):  # type: ignore[no-untyped-def]
    client = TestClient(create_app(ledger))
    client.headers["Authorization"] = f"Bearer {Registry(ledger).issue_token(code, None)}"
    return client


def _reads(plan: str, division: str = "szc") -> list[str]:
    d = f"division={division}"
    return [
        f"/plans/{plan}",
        f"/plans?{d}",
        f"/draws?{d}",
        f"/inspections?{d}",
        f"/publications?{d}",
        f"/trail?{d}",
        f"/trail/officials/{division}-clerk",
        f"/trail/plans/{plan}",
        f"/staff/awaiting-confirmation?{d}",
        f"/staff/publications-due?{d}",
        f"/divisions/{division}/coverage",
    ]


def test_the_leader_in_charge_reads_the_lists_trail_and_work_lists_of_their_division(bureau):
    ledger, plan = bureau
    leader = _client(ledger, LEADER)
    for url in _reads(plan):
        assert leader.get(url).status_code == 200, (url, leader.get(url).text)
    listed = leader.get("/plans?division=szc").json()["items"]
    assert plan in [p["id"] for p in listed]
    trail = leader.get("/trail?division=szc").json()
    assert trail["divisions"] == ["szc"] and trail["items"]
    acts = leader.get(f"/trail/plans/{plan}").json()
    # an entity's trail: their own division and every one in their charge, together
    assert acts["divisions"] == ["jld", "szc", "ggc", "hhc"]
    assert acts["items"][0]["type"] == "plan.drafted"
    assert leader.get("/trail/officials/szc-clerk").json()["items"]


def test_a_leader_of_other_divisions_reads_none_of_it(bureau):
    ledger, plan = bureau
    other = _client(ledger, OTHER)
    for url in _reads(plan):
        answer = other.get(url)
        assert answer.status_code == 403, (url, answer.text)
    # nor does the leader of szc read a division outside their charge
    nsc = Plans(ledger, today=date(2026, 12, 10)).draft({**PLAN, "division": "nsc"}, "nsc-clerk")
    leader = _client(ledger, LEADER)
    for url in _reads(str(nsc), "nsc"):
        answer = leader.get(url)
        assert answer.status_code == 403, (url, answer.text)


def test_a_policy_that_takes_the_division_away_ends_the_reads_at_once(bureau):
    ledger, plan = bureau
    leader = _client(ledger, LEADER)
    assert leader.get("/plans?division=szc").status_code == 200
    document = copy.deepcopy(ledger.policy_in_force())
    document["version"] = "v-szc-moved"
    document["leaders"] = {LEADER: ["ggc", "hhc"], OTHER: ["szyc", "nsc", "szc"]}
    Policies(ledger).set(document, ADMIN, "分管调整")
    for url in _reads(plan):
        assert leader.get(url).status_code == 403, url
    now = _client(ledger, OTHER)
    assert all(now.get(url).status_code == 200 for url in _reads(plan))


def test_a_deactivated_leader_reads_nothing(bureau):
    ledger, plan = bureau
    leader = _client(ledger, LEADER)
    Registry(ledger).deactivate_official(LEADER, "调离", by=ADMIN)
    for url in _reads(plan):
        assert leader.get(url).status_code in (401, 403), url


def test_reading_as_the_leader_in_charge_leaves_the_leader_as_they_were(bureau):
    ledger, plan = bureau
    leader = _client(ledger, LEADER)
    home = leader.get(f"/officials/{LEADER}").json()["division"]
    for url in _reads(plan):
        leader.get(url)
    assert leader.get(f"/officials/{LEADER}").json()["division"] == home
    # by default, their own division and every one in their charge
    assert leader.get("/trail").json()["divisions"] == [home, "szc", "ggc", "hhc"]
    # Their acts are still judged by their own division and charge.
    plans = Plans(ledger, today=date(2026, 12, 10))
    nsc = plans.draft({**PLAN, "division": "nsc"}, "nsc-clerk")
    with pytest.raises(Forbidden):
        plans.review(nsc, True, "同意", LEADER)
    plans.review(UUID(plan), True, "同意", LEADER)
    (event,) = [e for _, e in ledger.records(topics=["plan.reviewed"])]
    assert event.envelope["actor"]["department"] == home


# -- an entity's and an official's trail: every division in the charge together ----------------


def _charge(ledger, divisions: list[str]) -> None:  # type: ignore[no-untyped-def]
    """The policy in force, with ``LEADER`` in charge of ``divisions`` only."""
    document = copy.deepcopy(ledger.policy_in_force())
    document["version"] = f"v-{'-'.join(divisions)}"
    document["leaders"] = {LEADER: divisions, OTHER: ["szyc", "nsc"]}
    Policies(ledger).set(document, ADMIN, "分管调整")


def _moved_target(ledger) -> str:  # type: ignore[no-untyped-def]
    """A target registered in hhc, moved to ggc, corrected there, moved to szc and corrected
    there. An act is in its actor's division and those of the records it touches, its record's
    creating event's included (docs/TRAIL.md): its registration is in hhc alone, the rest in
    hhc and ggc, then in hhc and szc."""
    before = ledger.policy_in_force()  # a reorganisation: the operator moves the target
    document = copy.deepcopy(before)
    document["version"] = "v-operator-moves-targets"
    document.setdefault("authority", {})["operator"] = ["target.write"]
    Policies(ledger).set(document, ADMIN, "机构调整：检查对象移交")
    registry = Registry(ledger)
    tid, _ = registry.register_target(water_user(division="hhc"), "hhc-clerk")
    registry.update_target(tid, {"division": "ggc"}, "移交", "api", None)
    registry.update_target(tid, {"grid": "新北区春江镇第2网格"}, "网格调整", "api", "ggc-clerk")
    registry.update_target(tid, {"division": "szc"}, "移交", "api", None)
    registry.update_target(tid, {"grid": "新北区春江镇第3网格"}, "网格调整", "api", "szc-clerk")
    Policies(ledger).set({**before, "version": "v-after-moves"}, ADMIN, "移交完毕")
    return WATER_USER


def _divisions_of(act: dict) -> set[str]:  # type: ignore[type-arg]
    return set(act["touches"].get("division", []))


def test_a_leader_reads_an_entitys_acts_in_every_division_in_their_charge_together(bureau):
    """A target that moved between two divisions both in the leader's charge: its whole story
    in those, in ledger order, paged and as_of; never its acts in a division outside it."""
    ledger, _ = bureau
    code = _moved_target(ledger)
    _charge(ledger, ["szc", "ggc"])
    every = _client(ledger, "szc-legal").get(f"/trail/targets/{code}?limit=500").json()
    leader = _client(ledger, LEADER)
    home = leader.get(f"/officials/{LEADER}").json()["division"]
    mine = {home, "szc", "ggc"}
    expected = [a["position"] for a in every["items"] if _divisions_of(a) & mine]
    answer = leader.get(f"/trail/targets/{code}?limit=500").json()
    got = [a["position"] for a in answer["items"]]
    assert got == expected and answer["total"] == len(expected)
    assert set(answer["divisions"]) == mine
    in_szc = {a["position"] for a in every["items"] if "szc" in _divisions_of(a)}
    in_ggc = {a["position"] for a in every["items"] if "ggc" in _divisions_of(a)}
    assert in_szc - in_ggc and in_ggc - in_szc  # both halves of its story, not one
    assert in_szc | in_ggc <= set(got)
    # The attacker's question: its registration, an act of the same target in hhc alone.
    hhc_only = [a for a in every["items"] if _divisions_of(a) == {"hhc"}]
    assert hhc_only and not {a["position"] for a in hhc_only} & set(got)
    for act in answer["items"]:
        assert _divisions_of(act) & mine, act
    # Pages: two at a time, the same acts in the same order.
    paged: list[int] = []
    while len(paged) < len(expected):
        page = leader.get(f"/trail/targets/{code}?limit=2&offset={len(paged)}").json()
        assert page["items"], page
        paged += [a["position"] for a in page["items"]]
    assert paged == expected
    # as_of: as the trail stood before the move to hhc.
    before = expected[2]
    then = leader.get(f"/trail/targets/{code}?as_of={before}").json()
    assert [a["position"] for a in then["items"]] == [p for p in expected if p <= before]


def test_a_leader_reads_an_officials_acts_in_every_division_in_their_charge(bureau):
    """The administrator (of bgs, in nobody's charge), whose acts touch every division: the
    leader reads those in their own division and every division in their charge, together,
    and none in a division outside it, whichever divisions the policy gives them."""
    ledger, _ = bureau
    _moved_target(ledger)
    _charge(ledger, ["szc", "ggc"])
    every = _client(ledger, "szc-legal").get(f"/trail/officials/{ADMIN}?limit=500").json()
    in_szc = {a["position"] for a in every["items"] if "szc" in _divisions_of(a)}
    in_ggc = {a["position"] for a in every["items"] if "ggc" in _divisions_of(a)}
    assert in_szc - in_ggc and in_ggc - in_szc  # acts in one of them and not the other
    leader = _client(ledger, LEADER)
    home = leader.get(f"/officials/{LEADER}").json()["division"]
    for charge in (["szc", "ggc"], ["hhc"], ["ggc", "hhc", "szc"]):
        _charge(ledger, charge)
        every = _client(ledger, "szc-legal").get(f"/trail/officials/{ADMIN}?limit=500").json()
        mine = {home, *charge}
        expected = [a["position"] for a in every["items"] if _divisions_of(a) & mine]
        answer = leader.get(f"/trail/officials/{ADMIN}?limit=500").json()
        assert [a["position"] for a in answer["items"]] == expected, charge
        assert set(answer["divisions"]) == mine


# -- the lists and a division's trail without ?division=: the whole charge, together -----------

LISTS = ("/plans", "/draws", "/inspections", "/publications")


@pytest.fixture
def year(demo_ledger):  # type: ignore[no-untyped-def]
    """The demo year (szc's and ggc's records, in jld-leader-1's charge; szyc's, in
    jld-leader-2's), with a plan drafted in hhc (in the charge, nothing else of it), and a plan
    and a directed record in nsc (outside it): every list has a record of a division outside
    the charge."""
    ledger, _ = demo_ledger(targets=60, inspectors=24, today=date(2026, 11, 25),
                            plans_and_draws=True)  # fmt: skip
    plans = Plans(ledger, today=date(2026, 12, 10))
    for division in ("hhc", "nsc"):
        plans.draft({**PLAN, "division": division}, f"{division}-clerk")
    legal = _client(ledger, "szc-legal")
    target = legal.get("/targets?division=nsc&limit=1").json()["items"][0]
    directed = {
        "division": "nsc",
        "items": target["items"][:1],
        "targets": [target["code"]],
        "ground": "complaint",
        "reason": "12345 热线投诉",
        "legal_basis": "《中华人民共和国水法》第四十八条",
    }
    Draws(ledger).record_non_random(directed, "nsc-clerk")
    return ledger


def _every(client: TestClient, path: str, query: str = "") -> list[dict]:  # type: ignore[type-arg]
    """Every row of a list or trail, page after page of 500."""
    rows: list[dict] = []  # type: ignore[type-arg]
    while True:
        sep = "&" if query else ""
        page = client.get(f"{path}?{query}{sep}limit=500&offset={len(rows)}").json()
        rows += page["items"]
        if len(page["items"]) < 500:
            return rows


def _ids(rows: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [row["id"] if "id" in row else row["position"] for row in rows]


def _in(rows: list[dict], divisions: set[str]) -> list[dict]:  # type: ignore[type-arg]
    """The rows of a list (by the record's division) or a trail (by the divisions an act is
    in) in any of ``divisions``, as the legal office's list has them."""
    if rows and "division" in rows[0]:
        return [row for row in rows if row["division"] in divisions]
    return [row for row in rows if _divisions_of(row) & divisions]


def test_a_leader_lists_their_own_division_and_their_whole_charge_by_default(year):
    """Fails before: without ?division= the leader's lists and /trail were of jld alone."""
    legal, leader = _client(year, "szc-legal"), _client(year, LEADER)
    home = leader.get(f"/officials/{LEADER}").json()["division"]
    charge = ["szc", "ggc", "hhc"]
    mine = {home, *charge}
    for path in (*LISTS, "/trail"):
        every = _every(legal, path)
        answer = leader.get(f"{path}?limit=500").json()
        expected = _ids(_in(every, mine))
        assert answer["divisions"] == [home, *charge], path
        assert _ids(_every(leader, path)) == expected and answer["total"] == len(expected), path
        # one list in ledger order: the merge of the lists of each division read on its own
        one_by_one = sorted(
            (row for d in mine for row in _every(leader, path, f"division={d}")),
            key=lambda row: row["created"]["position"] if "created" in row else row["position"],
        )
        if path != "/trail":  # an act in two divisions is in the trail once
            assert _ids(one_by_one) == expected, path
        # and nothing of a division outside the charge, which the legal office's list has
        outside = [row for row in every if row not in _in(every, mine)]
        assert outside and not set(_ids(outside)) & set(expected), path
    plans = leader.get("/plans?limit=500").json()["items"]
    assert {p["division"] for p in plans} == {"szc", "ggc", "hhc"}  # three divisions, one list


def test_a_leaders_combined_list_pages_filters_and_as_of_leak_nothing(year):
    legal, leader = _client(year, "szc-legal"), _client(year, LEADER)
    mine = {leader.get(f"/officials/{LEADER}").json()["division"], "szc", "ggc", "hhc"}
    # Pages: three at a time, the same rows in the same order.
    for path in (*LISTS, "/trail"):
        expected = _ids(_in(_every(legal, path), mine))
        paged: list[str] = []
        while len(paged) < len(expected):
            page = leader.get(f"{path}?limit=3&offset={len(paged)}").json()
            assert page["items"] and page["total"] == len(expected), (path, page)
            paged += _ids(page["items"])
        assert paged == expected, path
    # Filters: a status, a year, a target of a division outside the charge and one inside.
    inspections = _every(legal, "/inspections")
    szyc = next(i for i in inspections if i["division"] == "szyc")
    szc = next(i for i in inspections if i["division"] == "szc")
    codes = {}
    for row in (szyc, szc):
        acts = _every(legal, f"/trail/inspections/{row['id']}")
        codes[row["division"]] = next(
            k for a in acts for k in a["touches"].get("target", []) if "person-" not in k
        )
    for query in (
        f"target={codes['szyc'].split(':')[-1]}",
        f"target={codes['szc'].split(':')[-1]}",
        f"status={szyc['status']}",
        "status=closed",
        "year=2026",
    ):
        for path in LISTS:
            every = _every(legal, path, query)
            expected = _ids(_in(every, mine))
            answer = leader.get(f"{path}?{query}&limit=500&total=exact").json()
            assert _ids(answer["items"]) == expected, (path, query)
            assert answer["total"] == len(expected), (path, query)  # no count of another's rows
            assert {row["division"] for row in answer["items"]} <= mine
    # the szyc inspection's target: the legal office lists it, the leader never
    szyc_target = f"target={codes['szyc'].split(':')[-1]}"
    assert szyc["id"] in _ids(_every(legal, "/inspections", szyc_target))
    assert szyc["id"] not in _ids(_every(leader, "/inspections", szyc_target))
    assert _every(leader, "/inspections", f"target={codes['szc'].split(':')[-1]}")
    # as_of: a past position, the rows of the charge as they stood then.
    head = int(legal.get("/policy").headers["Ledger-As-Of"])
    for at in (head // 3, 2 * head // 3):
        for path in (*LISTS, "/trail"):
            every = _every(legal, path, f"as_of={at}")
            answer = leader.get(f"{path}?as_of={at}&limit=500").json()
            assert _ids(answer["items"]) == _ids(_in(every, mine)), (path, at)
            assert answer["as_of"] == at and answer["divisions"][1:] == ["szc", "ggc", "hhc"]


def test_a_policy_that_takes_a_division_away_shrinks_the_default_list_at_once(year):
    leader = _client(year, LEADER)
    home = leader.get(f"/officials/{LEADER}").json()["division"]
    before = leader.get("/inspections?limit=500").json()
    assert "ggc" in {i["division"] for i in before["items"]}
    head = int(leader.get("/policy").headers["Ledger-As-Of"])
    document = copy.deepcopy(year.policy_in_force())  # ggc moves to the other leader
    document["version"] = "v-ggc-moved"
    document["leaders"] = {LEADER: ["szc", "hhc"], OTHER: ["szyc", "nsc", "ggc"]}
    Policies(year).set(document, ADMIN, "分管调整")
    newly = _client(year, OTHER)  # reads ggc's past, as of before they were put in charge
    past = newly.get(f"/inspections?as_of={head}&limit=500").json()
    assert "ggc" in past["divisions"] and "ggc" in {i["division"] for i in past["items"]}
    for path in (*LISTS, "/trail"):
        now = leader.get(f"{path}?limit=500").json()
        assert now["divisions"] == [home, "szc", "hhc"], path
        if path == "/trail":
            assert all(_divisions_of(a) & {home, "szc", "hhc"} for a in now["items"])
        else:
            assert "ggc" not in {row["division"] for row in now["items"]}, path
        # the charge is the policy's now, for a past position too: ggc's past is closed to them
        then = leader.get(f"{path}?as_of={head}&limit=500").json()
        assert then["divisions"] == [home, "szc", "hhc"], path
        assert leader.get(f"{path}?division=ggc").status_code == 403, path
        assert leader.get(f"{path}?division=ggc&as_of={head}").status_code == 403, path


def test_a_deactivated_leader_lists_nothing_and_a_clerk_only_their_own(year):
    leader, clerk = _client(year, LEADER), _client(year, "szc-clerk")
    Registry(year).deactivate_official(LEADER, "调离", by=ADMIN)
    for path in (*LISTS, "/trail"):
        assert leader.get(path).status_code in (401, 403), path
        answer = clerk.get(f"{path}?limit=500").json()
        assert answer["divisions"] == ["szc"], path
        if path != "/trail":
            assert {row["division"] for row in answer["items"]} == {"szc"}, path
        for other in ("ggc", "szyc", "jld"):
            refused = clerk.get(f"{path}?division={other}")
            assert refused.status_code == 403 and "trail.read" in refused.text, (path, other)


def test_the_divisions_field_says_what_a_named_division_covered(year):
    """An auditor naming a division reads that one (it said "all" before, for one division's
    acts); a leader naming one in their charge reads that one alone."""
    auditor, leader = _client(year, "bgs-auditor"), _client(year, LEADER)
    for path in (*LISTS, "/trail"):
        assert auditor.get(path).json()["divisions"] == "all", path
        named = auditor.get(f"{path}?division=ggc&limit=500").json()
        assert named["divisions"] == ["ggc"], path
        assert leader.get(f"{path}?division=ggc&limit=500").json() == named, path
