"""The read matrix (issue 11, part 3: "roles that decide"): every GET route of the app's OpenAPI
document, classified as docs/POLICY.md's table of reads does, against the tokens of a clerk of
the owning division (szc), a clerk of another (ggc), an official bound to an inspector on the
team of one of szc's inspections and one bound to an inspector not on it, the auditor, the legal
office, a leader in charge of szc and one in charge of other divisions, and no token. The
expected answer is worked out from the rulebook (``verify/authority_rules.py``) and the policy
in force (``[leaders]``), not written per cell; a GET route missing from ``READS`` fails the
test, so a new one cannot be left unclassified.

Every division-scoped request names szc's records (a plan, a draft, a draw, an inspection);
``as_of`` reads are asked as well and judged the same way. Played as an insider: whoever the
rule refuses gets a 403 (no token: 401), never the record. The lists and the trail asked
without a division cover, for each reader, the divisions the rule gives them (``_covers``: a
leader in charge their own and each in their charge), the same set as an entity's trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.application import LedgerApp
from ledger.inspections.aggregate import Inspection
from ledger.plans.aggregate import Plan
from ledger.registry.officials import Official, official_id
from ledger.registry.service import Registry
from verify.authority_rules import CROSS_DIVISION, charge_of, role_for

OWNER = "szc"
# GET path -> how it is read (docs/POLICY.md, "Who reads what"):
#   public      anyone, no token
#   official    any official with a valid token
#   record      the division's internal record: trail.read on its division, or the leader in
#               charge of it (the policy's [leaders])
#   inspection  as a record, and the officials bound to an inspector of its team
#   trail       as a record (the lists of records and the trail itself)
#   entity trail  as trail, and each official the acts of their own division on the record
#               (a leader in charge: of their own and every division in their charge)
#   official trail  as entity trail, for the acts the official performed
#   worklist    worklist.read on the division (the staff's to-do lists), or its leader in charge
#   assessment  assessment.read on the division
#   export      target.write on the division (the file holds ID numbers: keepers only)
READS: dict[str, str] = {
    "/checkpoint": "public",
    "/checkpoints/{size}": "public",
    "/witnesses": "public",
    "/proofs/inclusion": "public",
    "/proofs/consistency": "public",
    "/health": "public",
    "/public/item-list": "public",
    "/policy": "public",
    "/policy/versions": "public",
    "/draws/{draw}/record": "public",  # the public draw record (the column publishes it too)
    "/divisions": "official",
    "/officials": "official",
    "/targets": "official",
    "/inspectors": "official",
    "/items": "official",
    "/item-lists": "official",
    "/targets/{ref}": "official",
    "/targets/{ref}/history": "official",
    "/inspectors/{code}": "official",
    "/inspectors/{code}/history": "official",
    "/items/{code}": "official",
    "/items/{code}/history": "official",
    "/item-lists/{number}": "official",
    "/officials/{code}": "official",
    "/officials/{code}/history": "official",
    "/divisions/{code}": "official",
    "/divisions/{code}/history": "official",
    "/imports/templates/{registry}": "official",
    "/exports/{registry}": "export",
    "/plans/{plan}": "record",
    "/plans/{plan}/coverage": "record",
    "/divisions/{division}/coverage": "record",
    "/inspections/{inspection}": "inspection",
    "/plans": "trail",
    "/draws": "trail",
    "/inspections": "trail",
    "/publications": "trail",
    "/trail": "trail",
    "/trail/officials/{code}": "official trail",
    "/trail/{entity}/{key}": "entity trail",
    "/staff/awaiting-confirmation": "worklist",
    "/staff/publications-due": "worklist",
    "/assessment": "assessment",
}
ACTS = {
    "record": "trail.read",
    "inspection": "trail.read",
    "trail": "trail.read",
    "entity trail": "trail.read",
    "official trail": "trail.read",
    "worklist": "worklist.read",
    "assessment": "assessment.read",
    "export": "target.write",
}

# What the leader in charge of a division reads of it (the policy's [leaders]), as its own
# officials do: its records by id, their lists, its trail and its work lists — every
# division-scoped read but the assessment and the registry file (those are not its records).
IN_CHARGE_READS = ("record", "inspection", "trail", "entity trail", "official trail", "worklist")


@dataclass(frozen=True)
class Reader:
    label: str
    code: str | None  # None: no token


@pytest.fixture
def year(demo_ledger):  # type: ignore[no-untyped-def]
    ledger, _ = demo_ledger(targets=60, inspectors=24, today=date(2026, 11, 25),
                            plans_and_draws=True)  # fmt: skip
    return ledger


def _records(ledger: LedgerApp) -> tuple[Plan, Inspection]:
    """szc's first plan and an szc inspection of a drawn target (it has a team)."""
    plans = [p for p in _all(ledger, Plan) if p.division == OWNER]
    inspections = [i for i in _all(ledger, Inspection) if i.division == OWNER and i.random]
    assert plans and inspections, "the demo year has szc plans and drawn inspections"
    return plans[0], inspections[0]


def _all(ledger: LedgerApp, kind: type) -> list[Any]:
    topic = {Plan: "plan.drafted", Inspection: "inspection.notified"}[kind]
    return [
        ledger.get(UUID(event.envelope["aggregate"]), kind)
        for _, event in ledger.records(topics=[topic])
    ]


def _team(ledger: LedgerApp, inspection: Inspection) -> list[str]:
    from ledger.inspections.service import Inspections

    members = Inspections(ledger)._may_take_part(inspection) or []
    return [*members, *getattr(inspection, "present", [])]


def _touched(client: TestClient, registry: Registry, url: str) -> set[str]:
    """The divisions the acts of a trail are in, as every division's reader (the legal office)
    reads them: the read model's own links, every page."""
    headers = {"Authorization": f"Bearer {registry.issue_token('szc-legal', None)}"}
    found: set[str] = set()
    offset = 0
    while True:
        page = client.get(f"{url}?limit=500&offset={offset}", headers=headers).json()
        for act in page["items"]:
            found |= set(act["touches"].get("division", []))
        offset += len(page["items"])
        if len(page["items"]) < 500:
            return found


def _readers(ledger: LedgerApp, team: list[str]) -> list[Reader]:
    """The tokens of the matrix; the two inspectors' officials are found by their binding."""
    bound = {}
    for _, event in ledger.records(topics=["official.bound_to_inspector"]):
        official = ledger.get(UUID(event.envelope["aggregate"]), Official)
        bound[official.inspector] = official
    on = next(o for code, o in bound.items() if code in team and o.division != OWNER)
    off = next(o for code, o in bound.items() if code not in team and o.division != OWNER)
    charge = charge_of(ledger.policy_in_force(), "jld-leader-1")
    leader_of, leader_not = (
        ("jld-leader-1", "jld-leader-2") if OWNER in charge else ("jld-leader-2", "jld-leader-1")
    )
    return [
        Reader("clerk of the owning division", f"{OWNER}-clerk"),
        Reader("clerk of another division", "ggc-clerk"),
        Reader("inspector on the team", on.code),
        Reader("inspector not on the team", off.code),
        Reader("auditor", "bgs-auditor"),
        Reader("legal office", "szc-legal"),
        Reader("leader in charge of the division", leader_of),
        Reader("leader in charge of other divisions", leader_not),
        Reader("no token", None),
    ]


def _expected(
    kind: str,
    official: Official | None,
    team: list[str],
    charge: tuple[str, ...],
    acted: dict[str, set[str]] | None = None,
) -> int:
    if kind == "public":
        return 200
    if official is None:
        return 401
    if kind == "official":
        return 200
    allowed = role_for(official.roles, official.division, ACTS[kind], OWNER) is not None
    leads = charge if "leader_in_charge" in official.roles else ()
    if kind in IN_CHARGE_READS:
        allowed = allowed or OWNER in leads  # a leader reads the divisions they lead
    if kind in ("entity trail", "official trail"):  # and each official their own division's
        # acts on it; a leader in charge those of every division in their charge too
        allowed = allowed or bool({official.division, *leads} & (acted or {}).get(kind, set()))
    if kind == "inspection" and "inspector" in official.roles:
        allowed = allowed or official.inspector in team
    return 200 if allowed else 403


def _urls(client: TestClient, ledger: LedgerApp, plan: Plan, inspection: Inspection) -> dict:
    size = int(client.get("/checkpoint").text.splitlines()[1])
    target = inspection.target.split(":")[-1]
    d = OWNER
    return {
        "/checkpoint": "/checkpoint",
        "/checkpoints/{size}": f"/checkpoints/{size}",
        "/witnesses": "/witnesses",
        "/proofs/inclusion": f"/proofs/inclusion?position=1&size={size}",
        "/proofs/consistency": f"/proofs/consistency?old=1&new={size}",
        "/health": "/health",
        "/public/item-list": "/public/item-list",
        "/policy": "/policy",
        "/policy/versions": "/policy/versions",
        "/draws/{draw}/record": f"/draws/{inspection.source}/record",
        "/divisions": "/divisions",
        "/officials": "/officials",
        "/targets": "/targets",
        "/inspectors": "/inspectors",
        "/items": "/items",
        "/item-lists": "/item-lists",
        "/targets/{ref}": f"/targets/{target}",
        "/targets/{ref}/history": f"/targets/{target}/history",
        "/inspectors/{code}": f"/inspectors/{_team(ledger, inspection)[0]}",
        "/inspectors/{code}/history": f"/inspectors/{_team(ledger, inspection)[0]}/history",
        "/items/{code}": f"/items/{inspection.items[0]}",
        "/items/{code}/history": f"/items/{inspection.items[0]}/history",
        "/item-lists/{number}": "/item-lists/1",
        "/officials/{code}": f"/officials/{d}-clerk",
        "/officials/{code}/history": f"/officials/{d}-clerk/history",
        "/divisions/{code}": f"/divisions/{d}",
        "/divisions/{code}/history": f"/divisions/{d}/history",
        "/imports/templates/{registry}": "/imports/templates/targets",
        "/exports/{registry}": f"/exports/targets?division={d}",
        "/plans/{plan}": f"/plans/{plan.id}",
        "/plans/{plan}/coverage": f"/plans/{plan.id}/coverage",
        "/divisions/{division}/coverage": f"/divisions/{d}/coverage",
        "/inspections/{inspection}": f"/inspections/{inspection.id}",
        "/plans": f"/plans?division={d}",
        "/draws": f"/draws?division={d}",
        "/inspections": f"/inspections?division={d}",
        "/publications": f"/publications?division={d}",
        "/trail": f"/trail?division={d}",
        "/trail/officials/{code}": f"/trail/officials/{d}-clerk",
        "/trail/{entity}/{key}": f"/trail/inspections/{inspection.id}",
        "/staff/awaiting-confirmation": f"/staff/awaiting-confirmation?division={d}",
        "/staff/publications-due": f"/staff/publications-due?division={d}",
        "/assessment": f"/assessment?division={d}",
    }


def _get_paths(client: TestClient) -> set[str]:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {path for path, operations in paths.items() if "get" in operations}


def unclassified(client: TestClient) -> list[str]:
    """The GET routes of the app that ``READS`` does not classify."""
    return sorted(_get_paths(client) - set(READS))


def run_matrix(ledger: LedgerApp) -> tuple[int, list[str]]:
    """(requests made, the cells that answered otherwise than the rule says)."""
    client = TestClient(create_app(ledger))
    missing = unclassified(client)
    assert not missing, f"GET routes with no read classification (docs/POLICY.md): {missing}"
    plan, inspection = _records(ledger)
    team = _team(ledger, inspection)
    urls = _urls(client, ledger, plan, inspection)
    policy = ledger.policy_in_force()
    registry = Registry(ledger)
    wrong, made = [], 0
    head = int(client.get("/policy").headers["Ledger-As-Of"])
    acted = {
        "entity trail": {
            event.envelope["actor"]["department"] for event in ledger.records_of(inspection.id)
        },
        "official trail": _touched(client, registry, urls["/trail/officials/{code}"]),
    }
    for reader in _readers(ledger, team):
        official = ledger.get(official_id(reader.code), Official) if reader.code else None
        headers = {}
        if reader.code is not None:
            headers = {"Authorization": f"Bearer {registry.issue_token(reader.code, None)}"}
        charge = charge_of(policy, reader.code) if reader.code else ()
        for path, kind in READS.items():
            expected = _expected(kind, official, team, charge, acted)
            asked = [urls[path]]
            if kind not in ("public", "official"):  # as_of: judged the same way
                asked.append(f"{urls[path]}{'&' if '?' in urls[path] else '?'}as_of={head}")
            for url in asked:
                answer = client.get(url, headers=headers)
                made += 1
                if answer.status_code != expected:
                    wrong.append(
                        f"{reader.label} ({reader.code}) GET {url}: {answer.status_code}, "
                        f"expected {expected}: {answer.text[:160]}"
                    )
    return made, wrong


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_every_get_route_answers_each_reader_as_the_rule_says(year):
    made, wrong = run_matrix(year)
    scoped = sum(kind not in ("public", "official") for kind in READS.values())
    assert made == (len(READS) + scoped) * 9
    assert wrong == []


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_the_matrix_on_postgresql(year):
    made, wrong = run_matrix(year)
    assert made > len(READS) * 9
    assert wrong == []


# The division-scoped lists a reader may ask for without naming a division.
UNNAMED = ("/plans", "/draws", "/inspections", "/publications", "/trail")


def _covers(official: Official, charge: tuple[str, ...]) -> list[str] | str:
    """The divisions a list or trail without ``division`` covers for ``official``, worked out
    from the rulebook and the policy: "all" for a role that reads every division's trail; their
    own division, then each in their charge for a leader in charge; their own for anyone else."""
    if any(r in CROSS_DIVISION["trail.read"] for r in official.roles):
        return "all"
    leads = charge if "leader_in_charge" in official.roles else ()
    return [official.division, *(d for d in leads if d != official.division)]


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_without_a_division_each_list_and_trail_covers_what_the_reader_reads(year):
    """Each reader of the matrix, asking every list and the trail without ``division`` (now
    and as of a past position), reads the divisions the rule gives them and nothing else, and
    an entity's trail the same set: one scope for the lists, the trail and an entity."""
    client = TestClient(create_app(year))
    plan, inspection = _records(year)
    registry, policy = Registry(year), year.policy_in_force()
    head = int(client.get("/policy").headers["Ledger-As-Of"])
    seen: dict[str, set[str]] = {}
    for reader in _readers(year, _team(year, inspection)):
        if reader.code is None:
            assert all(client.get(path).status_code == 401 for path in UNNAMED)
            continue
        official = year.get(official_id(reader.code), Official)
        expected = _covers(official, charge_of(policy, reader.code))
        headers = {"Authorization": f"Bearer {registry.issue_token(reader.code, None)}"}
        for path in UNNAMED:
            for query in ("limit=500", f"limit=500&as_of={head // 2}"):
                answer = client.get(f"{path}?{query}", headers=headers)
                assert answer.status_code == 200, (reader.label, path, answer.text[:160])
                body = answer.json()
                assert body["divisions"] == expected, (reader.label, path, query)
                for row in body["items"]:
                    found = {row["division"]} if "division" in row else _act_divisions(row)
                    assert expected == "all" or found & set(expected), (reader.label, row)
                    seen.setdefault(reader.label, set()).update(found)
        entity = client.get(f"/trail/plans/{plan.id}", headers=headers)
        if entity.status_code == 200:
            assert entity.json()["divisions"] == expected, reader.label
    leader = "leader in charge of the division"
    assert len(seen[leader] & {OWNER, "ggc"}) == 2  # more than one division in one list


def _act_divisions(act: dict[str, Any]) -> set[str]:
    return set(act["touches"].get("division", []))


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_new_get_route_without_a_classification_fails_the_matrix(new_ledger):
    app = create_app(new_ledger())

    @app.get("/inspections/{inspection}/summary")
    def summary(inspection: str) -> dict[str, str]:  # an insider's new read, left open
        return {"id": inspection}

    assert unclassified(TestClient(app)) == ["/inspections/{inspection}/summary"]
