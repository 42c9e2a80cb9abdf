"""The authorisation matrix (issue 11, part 3): every write endpoint, found from the app's
OpenAPI document, against every role of two divisions (ggc's and szc's), the bureau's own roles,
and no token. Each route is mapped to its act(s) in the rulebook (``verify/authority_rules.py``);
a route missing from the table fails the test, so a new one cannot be forgotten.

Each request names a real record of the demo year (a plan, a draw, a joint draw's partner, an
inspection, a publication, a target, an inspector, an item, an official, a token) and carries a
valid body, so that it reaches the authority check: whoever the rulebook refuses that act on
that record gets a 403 — never a 404 or a 422 that would hide the refusal, never a 2xx — and
whoever it permits gets past the check (a 2xx, or a 409 when an earlier allowed request already
moved the record on). The refused go first, the permitted last, and the routes that end a record
(withdrawals, deactivation, abandonment, erasure, the policy) come after the others.

The whole matrix runs on SQLite over one small demo year (60 targets, 24 inspectors); a sample
(the registry's routes) runs on PostgreSQL as well.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.application import LedgerApp
from ledger.demo.bureau import build_demo
from ledger.draws.aggregate import Draw
from ledger.inspections.aggregate import Inspection
from ledger.plans.aggregate import Plan
from ledger.publications.aggregate import Publication
from ledger.registry.inspectors import Inspector, inspector_id
from ledger.registry.officials import Official, official_id
from ledger.registry.service import Registry
from ledger.registry.targets import Target
from ledger.storage import persistence_env
from verify.authority_rules import (
    EVENT_ACTS,
    NONE,
    PERMISSIONS,
    charge_of,
    inspector_binders,
    policy_setters,
    role_for,
)
from verify.identity_rules import inspector_act_refusal
from verify.keys import SignerKey

from .test_import_support import credit_code
from .test_roles import official_operations

# "METHOD path" -> the acts (any one of which permits it) and whose records it touches.
ACTS: dict[str, tuple[str, ...]] = {
    "post /draws": ("draw.run",),
    "post /draws/{draw}/freeze": ("draw.run",),
    "post /draws/{draw}/reveal": ("draw.run",),
    "post /draws/{draw}/abandon": ("draw.abandon",),
    "post /draws/{draw}/select": ("draw.run",),
    "post /draws/{draw}/assign": ("draw.run",),
    "post /draws/{draw}/substitutions": ("draw.run",),
    "post /draws/non-random": ("draw.run",),
    "post /draws/{draw}/partners": ("draw.run",),
    "post /draws/{draw}/partners/{division}/accept": ("draw.run",),
    "post /draws/{draw}/partners/{division}/decline": ("draw.run",),
    "post /draws/{draw}/partners/{division}/assign": ("draw.run",),
    "post /draws/{draw}/partners/{division}/substitutions": ("draw.run",),
    "post /imports/{registry}": ("target.write",),
    "post /inspections": ("inspection.notify",),
    "post /inspections/{inspection}/carried-out": ("inspection.record",),
    "post /inspections/{inspection}/checklist": ("inspection.result",),
    "post /inspections/{inspection}/result": ("inspection.result",),
    "post /inspections/{inspection}/confirmation": ("inspection.record",),
    "post /inspections/{inspection}/follow-ups": ("inspection.record",),
    "post /inspections/{inspection}/evidence": ("inspection.record",),
    "post /inspections/{inspection}/close": ("inspection.record",),
    "post /publications": ("publication.publish",),
    "post /publications/{publication}/corrections": ("publication.publish",),
    "post /publications/{publication}/withdrawal": ("publication.publish",),
    "post /plans/rollover": ("plan.write", "plan.consolidate"),
    "post /plans": ("plan.write",),
    "post /plans/{plan}/review": ("plan.review",),
    "post /plans/{plan}/submit": ("plan.write",),
    "post /plans/{plan}/consolidate": ("plan.consolidate",),
    "post /plans/{plan}/upload": ("plan.consolidate",),
    "post /plans/{plan}/amendments": ("plan.write",),
    "post /plans/{plan}/withdraw": ("plan.write",),
    "post /policy": ("policy.set",),
    "post /divisions": ("division.manage",),
    "post /divisions/{code}/contact": ("division.manage",),
    "post /officials": ("official.manage",),
    "post /officials/{code}/roles": ("official.manage",),
    "post /officials/{code}/deactivate": ("official.manage",),
    "post /officials/{code}/inspector": ("official.bind",),
    "post /officials/{code}/tokens": ("token.manage",),
    "post /officials/{code}/tokens/{token_id}/revoke": ("token.manage",),
    "post /targets": ("target.write",),
    "post /targets/{target_id}/status": ("target.write",),
    "post /targets/{target_id}/corrections": ("target.write",),
    "post /targets/{target_id}/personal-data/erasure": ("personal_data.erase",),
    "post /inspectors": ("inspector.write",),
    "post /inspectors/{code}/corrections": ("inspector.write",),
    "post /inspectors/{code}/conflicts": ("inspector.write",),
    "post /inspectors/{code}/conflicts/{target_id}/withdraw": ("inspector.write",),
    "post /items": ("item.write",),
    "post /items/{code}/withdraw": ("item.write",),
    "post /item-lists": ("itemlist.publish",),
    "post /disputes": ("dispute.write",),  # not an event: writes a dispute file
}
WRITES = ("post", "put", "patch", "delete")
# The bureau's own acts (divisions, officials, tokens, the policy, the item list): no division's.
BUREAU = {act for acts, whose in EVENT_ACTS.values() if whose == NONE for act in acts}
# Acts whose roles the policy in force names (``authorise(..., roles=...)``).
NAMED_BY_POLICY = {"policy.set": policy_setters, "official.bind": inspector_binders}
# (official code, home division, roles): every role of ggc and szc, and the bureau's own.
OFFICIALS = [
    ("ggc-clerk", "ggc", ["clerk"]),
    ("ggc-head", "ggc", ["division_head"]),
    ("szc-clerk", "szc", ["clerk"]),
    ("szc-head", "szc", ["division_head"]),
    ("szc-aggregator", "szc", ["plan_aggregator"]),
    ("szc-legal", "szc", ["legal_office"]),
    ("bgs-auditor", "bgs", ["auditor"]),
    ("jld-leader-2", "jld", ["leader_in_charge"]),
    ("szjczd-inspector", "szjczd", ["inspector"]),
    ("bgs-admin", "bgs", ["admin"]),
]
# Routes that end or replace what later routes act on: sent after all the others.
LAST = ("withdraw", "deactivate", "abandon", "erasure", "revoke", "post /policy")
DAY = "2026-12-01"


@dataclass(frozen=True)
class Request:
    """One route's request: its url, its body (json or a file), and the divisions whose
    records it touches (empty: the bureau's own)."""

    url: str
    divisions: tuple[str, ...]
    json: Any = None
    files: Any = None


@dataclass
class World:
    app: LedgerApp
    ids: dict[str, Any]


def _world(app: LedgerApp) -> World:
    """The demo year, with one record of each kind named for the matrix."""
    summary = build_demo(
        app, targets=60, inspectors=24, plans_and_draws=True, today=date(2026, 11, 25)
    )
    year, results = summary.year, summary.results
    assert year is not None and results is not None
    ids = registry_ids(app)
    year_ids = _year_ids(app, year.plans, year.draws[0], year.joint_draw, results)
    return World(app, {**ids, **year_ids, "extra": ids["extra"] + year_ids["extra"]})


def _year_ids(app: LedgerApp, plans: Any, draw: str, joint: str, results: Any) -> dict[str, Any]:
    partner = next(
        e.envelope["payload"]["division"] for _, e in app.records(topics=["draw.partner_accepted"])
    )
    return {
        "plan": next(p for p in plans if app.get(UUID(p), Plan).division == "ggc"),
        "draw": draw,
        "joint": joint,
        "partner": partner,
        "inspection": results.awaiting_confirmation[0],
        "publication": results.corrected_publication,
        # Those the rulebook permits where none of OFFICIALS is: the joint draw's partner head,
        # an inspector's own account bound to one present at the inspection, ggc's leader.
        "extra": [
            (f"{partner}-head", partner, ["division_head"]),
            (_bound_account(app, results.awaiting_confirmation[0]), "szjczd", ["inspector"]),
            ("jld-leader-1", "jld", ["leader_in_charge"]),
        ],
    }


def registry_ids(app: LedgerApp) -> dict[str, Any]:
    registry = Registry(app)
    events = [e.envelope for _, e in app.records()]
    targets = {
        (e["payload"]["division"], e["payload"]["kind"]): e["aggregate"]
        for e in events
        if e["type"] == "target.registered"
    }
    inspector = next(
        e["payload"] for e in events if e["type"] == "inspector.registered"
    )  # any roster inspector
    conflict = next(e for e in events if e["type"] == "inspector.conflict_declared")
    spec = {"code": "matrix-subject", "name": "被管理的账号", "division": "nsc", "roles": ["clerk"]}
    registry.register_official(spec, by=None)
    token = registry.issue_token("matrix-subject", None)
    unbound = {"code": "matrix-inspector", "name": "待绑定", "division": "szjczd"}
    registry.register_official({**unbound, "roles": ["inspector"]}, by=None)
    detachment = next(
        e["payload"]
        for e in events
        if e["type"] == "inspector.registered" and e["payload"]["unit"] == "szjczd"
    )
    free = {  # a roster inspector of szjczd whom no official is bound to yet
        "code": "mx-free",
        "name": "未绑定检查员",
        "certificate_number": "苏水执 MX0002",
        "certificate_valid_until": "2028-12-31",
        "unit": "szjczd",
        "division": detachment["division"],
    }
    registry.register_inspector(free, by="szc-aggregator")
    return {
        "target": targets[("ggc", "enterprise")],
        "individual": next(a for (d, k), a in targets.items() if k == "individual"),
        "inspector": inspector["code"],
        "conflict": (
            app.get(UUID(conflict["aggregate"]), Inspector).code,
            conflict["payload"]["target"],
        ),
        "free_inspector": "mx-free",
        "extra": [],
        "token_id": token.split(".")[2],
    }


def _bound_account(app: LedgerApp, inspection: str) -> str:
    """The official account bound to the first inspector present at ``inspection``."""
    present = _team(app, inspection)[0]
    for _, event in app.records(topics=["official.bound_to_inspector"]):
        if event.envelope["payload"]["inspector"] == present:
            return str(app.get(UUID(event.envelope["aggregate"]), Official).code)
    raise AssertionError(f"no account is bound to inspector {present}")


def _division(app: LedgerApp, kind: type, key: str) -> str:
    return str(app.get(UUID(key), kind).division)


def _csv(division: str) -> Any:
    from .test_import_support import TARGET_HEADERS_ZH, csv_bytes, target_row

    row = target_row(90, division=division, items="hdjs")
    body = csv_bytes(TARGET_HEADERS_ZH, [row])
    return {"file": ("targets.csv", io.BytesIO(body), "text/csv")}


def _requests(w: World) -> dict[str, Request]:
    """Every route's request: the registry's always, the year's where the world has one."""
    year = _year_requests(w.app, w.ids) if "draw" in w.ids else {}
    return {**_registry_requests(w.app, w.ids), **year}


REASON = {"reason": "矩阵测试"}
REASON_SOURCE = {"reason": "矩阵测试", "source": "矩阵测试"}


def _registry_requests(app: LedgerApp, ids: dict[str, Any]) -> dict[str, Request]:
    target, d_target = ids["target"], "ggc"
    inspector = app.get(inspector_id(ids["inspector"]), Inspector)
    conflicted, conflict_target = ids["conflict"]
    conflict_inspector = app.get(inspector_id(conflicted), Inspector)
    reason, reason_source = REASON, REASON_SOURCE
    item = {
        "code": "mxsx",
        "name": "矩阵测试事项",
        "law": "《中华人民共和国水法》",
        "article": "第四十八条",
        "division": "ggc",
        "executing_units": [],
        "object_type": "取水单位和个人",
        "method": ["on_site"],
        "item_class": "general",
    }
    new_target = {
        "kind": "enterprise",
        "code": credit_code(91),
        "name": "矩阵测试公司",
        "address": "常州市新北区春江镇长江路9号",
        "district": "新北区",
        "division": "ggc",
        "items": ["hdjs"],
    }
    return {
        "post /disputes": Request(
            "/disputes", (d_target,), {"subject": {"kind": "target", "key": _key(app, target)}}
        ),
        "post /imports/{registry}": Request("/imports/targets", ("ggc",), files=_csv("ggc")),
        "post /divisions": Request(
            "/divisions", (), {"code": "mxc", "name": "矩阵处", "kind": "other_unit"}
        ),
        "post /divisions/{code}/contact": Request(
            "/divisions/ggc/contact", (), {"contact": "ggc-head", **reason}
        ),
        "post /officials": Request(
            "/officials",
            (),
            {"code": "matrix-new", "name": "新账号", "division": "ggc", "roles": ["clerk"]},
        ),
        "post /officials/{code}/roles": Request(
            "/officials/matrix-subject/roles",
            (),
            {"roles": ["clerk", "division_head"], "division": "nsc", **reason},
        ),
        "post /officials/{code}/deactivate": Request(
            "/officials/matrix-subject/deactivate", (), reason
        ),
        "post /officials/{code}/inspector": Request(
            "/officials/matrix-inspector/inspector",
            (),
            {"inspector": ids["free_inspector"], **reason},
        ),
        "post /officials/{code}/tokens": Request("/officials/matrix-subject/tokens", (), {}),
        "post /officials/{code}/tokens/{token_id}/revoke": Request(
            f"/officials/matrix-subject/tokens/{ids['token_id']}/revoke", (), reason
        ),
        "post /targets": Request("/targets", ("ggc",), new_target),
        "post /targets/{target_id}/status": Request(
            f"/targets/{target}/status", (d_target,), {"status": "closed", **reason_source}
        ),
        "post /targets/{target_id}/corrections": Request(
            f"/targets/{target}/corrections",
            (d_target,),
            {"changes": {"name": "矩阵测试更名公司"}, **reason_source},
        ),
        "post /targets/{target_id}/personal-data/erasure": Request(
            f"/targets/{ids['individual']}/personal-data/erasure",
            (_division(app, Target, ids["individual"]),),
            reason_source,
        ),
        "post /inspectors": Request(
            "/inspectors",
            (inspector.division,),
            {
                "code": "mx-insp",
                "name": "矩阵检查员",
                "certificate_number": "苏水执 MX0001",
                "certificate_valid_until": "2028-12-31",
                "unit": inspector.unit,
                "division": inspector.division,
            },
        ),
        "post /inspectors/{code}/corrections": Request(
            f"/inspectors/{inspector.code}/corrections",
            (inspector.division,),
            {"changes": {"name": "矩阵更名"}, **reason},
        ),
        "post /inspectors/{code}/conflicts": Request(
            f"/inspectors/{inspector.code}/conflicts",
            (inspector.division,),
            {"target_id": target, **reason},
        ),
        "post /inspectors/{code}/conflicts/{target_id}/withdraw": Request(
            f"/inspectors/{conflicted}/conflicts/{conflict_target}/withdraw",
            (conflict_inspector.division,),
            reason,
        ),
        "post /items": Request("/items", ("ggc",), item),
        "post /items/{code}/withdraw": Request("/items/fhyx/withdraw", ("ggc",), reason),
        "post /item-lists": Request("/item-lists", (), {}),
    }


def _year_requests(app: LedgerApp, ids: dict[str, Any]) -> dict[str, Request]:  # noqa: PLR0915
    draw, plan, inspection = ids["draw"], ids["plan"], ids["inspection"]
    target, publication = ids["target"], ids["publication"]
    d_draw = _division(app, Draw, draw)
    d_plan = _division(app, Plan, plan)
    d_insp = _division(app, Inspection, inspection)
    d_pub = _division(app, Inspection, str(app.get(UUID(publication), Publication).inspection))
    key = next(iter(app.get(UUID(draw), Draw).teams))  # a drawn target with its team
    joint, partner = ids["joint"], ids["partner"]
    partner_teams = app.get(UUID(joint), Draw).partners[partner]["teams"]
    joint_key, joint_team = next(iter(partner_teams.items()))
    partner_item = next(
        e.envelope["payload"]["code"]
        for _, e in app.records(topics=["item.registered"])
        if e.envelope["payload"]["division"] == partner
    )
    reason = REASON
    policy = {**app.policy_in_force(), "version": "matrix-test"}
    return {
        "post /draws": Request(
            "/draws",
            ("ggc",),
            {
                "division": "ggc",
                "items": ["hdjs"],
                "counts": {"all": 1},
                "ceremony": [
                    {"party": "ggc", "commitment": "0" * 64},
                    {"party": "szc-legal", "commitment": "1" * 64},
                ],
            },
        ),
        "post /draws/{draw}/freeze": Request(f"/draws/{draw}/freeze", (d_draw,), {}),
        "post /draws/{draw}/reveal": Request(f"/draws/{draw}/reveal", (d_draw,), {}),
        "post /draws/{draw}/abandon": Request(f"/draws/{draw}/abandon", (d_draw,), reason),
        "post /draws/{draw}/select": Request(f"/draws/{draw}/select", (d_draw,), {}),
        "post /draws/{draw}/assign": Request(f"/draws/{draw}/assign", (d_draw,), {}),
        "post /draws/{draw}/substitutions": Request(
            f"/draws/{draw}/substitutions",
            (d_draw,),
            {"target": key, "inspector": ids["inspector"], "reason": "回避"},
        ),
        "post /draws/non-random": Request(
            "/draws/non-random",
            ("ggc",),
            {
                "division": "ggc",
                "items": ["hdjs"],
                "targets": [_key(app, target)],
                "ground": "complaint",
                "reason": "12345 热线投诉",
                "legal_basis": "《中华人民共和国河道管理条例》第十一条",
            },
        ),
        "post /draws/{draw}/partners": Request(
            f"/draws/{joint}/partners", (_division(app, Draw, joint),), {"division": "ggc"}
        ),
        "post /draws/{draw}/partners/{division}/accept": Request(
            f"/draws/{joint}/partners/{partner}/accept", (partner,), {"items": [partner_item]}
        ),
        "post /draws/{draw}/partners/{division}/decline": Request(
            f"/draws/{joint}/partners/{partner}/decline", (partner,), reason
        ),
        "post /draws/{draw}/partners/{division}/assign": Request(
            f"/draws/{joint}/partners/{partner}/assign", (partner,), {}
        ),
        "post /draws/{draw}/partners/{division}/substitutions": Request(
            f"/draws/{joint}/partners/{partner}/substitutions",
            (partner,),
            {"target": joint_key, "inspector": joint_team["members"][0], "reason": "回避"},
        ),
        "post /inspections": Request(
            "/inspections",
            (d_draw,),
            {"source": draw, "target": key, "notified_on": DAY},
        ),
        "post /inspections/{inspection}/carried-out": Request(
            f"/inspections/{inspection}/carried-out",
            (d_insp,),
            {"on": DAY, "method": "现场检查", "present": list(_team(app, inspection))},
        ),
        "post /inspections/{inspection}/checklist": Request(
            f"/inspections/{inspection}/checklist",
            (d_insp,),
            {"answers": [{"question": q, "answer": "yes"} for q in _questions(app, inspection)]},
        ),
        "post /inspections/{inspection}/result": Request(
            f"/inspections/{inspection}/result", (d_insp,), {"category": "no_problem"}
        ),
        "post /inspections/{inspection}/confirmation": Request(
            f"/inspections/{inspection}/confirmation", (d_insp,), {"on": DAY}
        ),
        "post /inspections/{inspection}/follow-ups": Request(
            f"/inspections/{inspection}/follow-ups", (d_insp,), {"kind": "none", "on": DAY}
        ),
        "post /inspections/{inspection}/evidence": Request(
            f"/inspections/{inspection}/evidence",
            (d_insp,),
            files={"file": ("photo.txt", io.BytesIO(b"evidence"), "text/plain")},
        ),
        "post /inspections/{inspection}/close": Request(
            f"/inspections/{inspection}/close", (d_insp,), {"on": DAY}
        ),
        "post /publications": Request("/publications", (d_insp,), {"inspection": inspection}),
        "post /publications/{publication}/corrections": Request(
            f"/publications/{publication}/corrections", (d_pub,), reason
        ),
        "post /publications/{publication}/withdrawal": Request(
            f"/publications/{publication}/withdrawal", (d_pub,), reason
        ),
        "post /plans/rollover": Request(
            "/plans/rollover", ("ggc",), {"month": "2026-11", "division": "ggc"}
        ),
        "post /plans": Request(
            "/plans",
            ("ggc",),
            {
                "division": "ggc",
                "kind": "annual",
                "period": "2027",
                "items": ["hdjs"],
                "counts": {"all": 1},
            },
        ),
        "post /plans/{plan}/review": Request(
            f"/plans/{plan}/review", (d_plan,), {"approved": True}
        ),
        "post /plans/{plan}/submit": Request(f"/plans/{plan}/submit", (d_plan,), {}),
        "post /plans/{plan}/consolidate": Request(f"/plans/{plan}/consolidate", (d_plan,), {}),
        "post /plans/{plan}/upload": Request(f"/plans/{plan}/upload", (d_plan,), {}),
        "post /plans/{plan}/amendments": Request(
            f"/plans/{plan}/amendments", (d_plan,), {"changes": {"counts": {"all": 2}}, **reason}
        ),
        "post /plans/{plan}/withdraw": Request(f"/plans/{plan}/withdraw", (d_plan,), reason),
        "post /policy": Request("/policy", (), {"document": policy, **reason}),
    }


def _key(app: LedgerApp, target: str) -> str:
    from verify.registry_state import target_key

    record = app.get(UUID(target), Target)
    return target_key(record.kind, record.code)


def _questions(app: LedgerApp, inspection: str) -> list[str]:
    """The checklist the inspection's items ask (a body that answers it reaches the check)."""
    from ledger.inspections.service import Inspections

    return Inspections(app).questions(app.get(UUID(inspection), Inspection))


def _team(app: LedgerApp, inspection: str) -> list[str]:
    record = app.get(UUID(inspection), Inspection)
    return list(getattr(record, "present", None) or getattr(record, "team", []))


def _writes(app: Any) -> list[str]:
    return [f"{method} {path}" for method in WRITES for path, _ in official_operations(app, method)]


def _allowed(
    app: LedgerApp, code: str, home: str, roles: list[str], route: str, req: Request
) -> bool:
    """Whether the rulebook lets ``code`` make this request (the acts of the route on the
    divisions it touches; the policy's named roles; an inspector's binding and team)."""
    policy = app.policy_in_force()
    for act in ACTS[route]:
        if act in NAMED_BY_POLICY:
            if any(r in NAMED_BY_POLICY[act](policy) for r in roles):
                return True
            continue
        whose = None if act in BUREAU else req.divisions
        if role_for(roles, home, act, whose, charge_of(policy, code)) is None:
            continue
        if "inspector" in roles and act.startswith("inspection.") and "/inspections/" in req.url:
            bound = app.get(official_id(code), Official).inspector
            inspection = req.url.split("/")[2]
            if inspector_act_refusal(code, bound, _team(app, inspection)) is not None:
                continue
        return True
    return False


def bearers(app: LedgerApp, officials: list[tuple[str, str, list[str]]]) -> dict[str, Any]:
    """An Authorization header for each official, by code."""
    registry = Registry(app)
    return {
        code: {"Authorization": f"Bearer {registry.issue_token(code, None)}"}
        for code, _, _ in officials
    }


def run_matrix(
    world: World, routes: list[str], client: Any = None, bearer: dict[str, Any] | None = None
) -> tuple[int, int, list[str]]:
    """Send each route's request as nobody, then as every official the rulebook refuses, then as
    every official it permits; return (requests sent, 2xx answers, problems found). ``client``:
    another client of the same store (several workers), ``bearer`` the officials' headers for
    it; by default the app in process, with tokens issued now."""
    app = world.app
    officials = [*OFFICIALS, *world.ids["extra"]]
    bearer = bearer or bearers(app, officials)
    table = _requests(world)
    client = client or TestClient(create_app(app), raise_server_exceptions=False)
    sent, passed, problems = 0, 0, []
    order = sorted(routes, key=lambda r: any(word in r for word in LAST))
    for route in order:
        req = table[route]

        def send(headers: dict[str, str] | None, req: Request = req) -> Any:
            files = None
            if req.files is not None:  # a fresh stream per request
                files = {k: (n, io.BytesIO(f.getvalue()), t) for k, (n, f, t) in req.files.items()}
            data = {"sha256": _sha256(req.files)} if "evidence" in req.url else None
            return client.post(req.url, json=req.json, files=files, data=data, headers=headers)

        answer = send(None)
        sent += 1
        if answer.status_code != 401:
            problems.append(f"{route} without a token: {answer.status_code}")
        verdicts = [(c, _allowed(app, c, h, r, route, req)) for c, h, r in officials]
        reached = []
        for code, allowed in sorted(verdicts, key=lambda v: v[1]):  # the refused first
            answer = send(bearer[code])
            sent += 1
            status = answer.status_code
            if not allowed and status != 403:
                problems.append(
                    f"{route} by {code}: refused by the rulebook, got {status} {answer.text[:200]}"
                )
            if allowed:
                passed += 200 <= status < 300
                reached.append(status)
                if not (200 <= status < 300 or status == 409):
                    problems.append(
                        f"{route} by {code}: permitted, got {status} {answer.text[:200]}"
                    )
    return sent, passed, problems


def _sha256(files: Any) -> str:
    import hashlib

    return hashlib.sha256(files["file"][1].getvalue()).hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    directory = tmp_path_factory.mktemp("matrix")
    signer = SignerKey.generate("drawledger.test/matrix")
    env = persistence_env("sqlite:///ledger.sqlite", directory)
    app = LedgerApp(env, signer, signer.name, embedded_sealing=True, seal_interval=0)
    app.create_ledger()
    app.set_default_policy()
    try:
        yield _world(app)
    finally:
        app.close()


def test_every_write_endpoint_is_in_the_table_and_every_act_in_the_rulebook(world):
    writes = _writes(create_app(world.app))
    assert len(writes) >= 50
    assert sorted(set(writes) - set(ACTS)) == []  # a new route must be added to the table
    assert sorted(set(ACTS) - set(writes)) == []  # and a removed one taken out
    assert {act for acts in ACTS.values() for act in acts} <= set(PERMISSIONS)


def test_every_refusal_is_a_403_and_every_permitted_request_gets_past_the_check(world):
    sent, passed, problems = run_matrix(world, list(ACTS))
    assert not problems, "\n".join(problems)
    assert sent == len(ACTS) * (len(OFFICIALS) + len(world.ids["extra"]) + 1)
    assert passed >= len(ACTS) // 2  # most permitted requests are recorded: the bodies are valid


REGISTRY_ROUTES = [r for r in ACTS if not r.startswith(("post /draws", "post /inspections",
    "post /publications", "post /plans", "post /policy", "post /disputes"))]  # fmt: skip


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_a_sample_on_postgresql_the_registrys_routes(new_ledger):
    """The registry's 20 write routes on PostgreSQL, over the demo registry alone (no year)."""
    app = new_ledger()
    app.create_ledger()
    app.set_default_policy()
    build_demo(app, targets=20, inspectors=8, today=date(2026, 11, 25))
    world = World(app, registry_ids(app))

    sent, passed, problems = run_matrix(world, REGISTRY_ROUTES)

    assert not problems, "\n".join(problems)
    assert sent == len(REGISTRY_ROUTES) * (len(OFFICIALS) + 1)
    assert passed >= len(REGISTRY_ROUTES) // 2
