"""The ledger itself refuses the operator's acts that the policy in force does not allow
(issue 11): a service method called with ``by=None`` — the operator, no official — goes
through the one authority check (``registry.authority.authorise``) like every other path,
so an act outside ``[authority] operator`` (on its own) or ``operator_on_request`` (on an
entitled official's written request) is a Forbidden naming the rule, with nothing recorded,
whether it comes from a service called directly, the CLI (tests/api/test_cli_identity.py)
or the demo. On both stores.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from ledger.actors import SYSTEM, Request, on_request
from ledger.demo.bureau import build_demo
from ledger.draws.service import Draws
from ledger.errors import Conflict, Forbidden
from ledger.inspections.service import Inspections
from ledger.plans.rollover import MonthlyRollover
from ledger.policies import Policies
from ledger.registry.officials import Official, official_id
from ledger.registry.service import Registry
from ledger.witnesses import Witnesses
from verify.keys import ALG_COSIGNATURE_V1, SignerKey

CLOSED = {"operator": [], "operator_on_request": []}
RULE = "[authority] operator"


def _head(app: Any) -> int:
    return int(app.recorder.max_notification_id() or 0)


def _refused(app: Any, act: Any, *words: str) -> str:
    """Run ``act``: Forbidden whose message holds ``words``, and nothing recorded."""
    before = _head(app)
    with pytest.raises(Forbidden) as refused:
        act()
    message = str(refused.value)
    for word in words:
        assert word in message, message
    assert _head(app) == before, "a refused act recorded something"
    return message


def _bureau(app: Any) -> Registry:
    """The operator sets up the office and its admin (its default acts); the admin the rest."""
    registry = Registry(app)
    registry.add_division({"code": "bgs", "name": "办公室", "kind": "other_unit"}, None)
    admin = {"code": "admin", "name": "周敏", "division": "bgs", "roles": ["admin"]}
    registry.register_official(admin, None)
    registry.add_division({"code": "ggc", "name": "工管处", "kind": "other_unit"}, "admin")
    for code, roles in [("ggc-clerk", ["clerk"]), ("ggc-head", ["division_head"])]:
        official = {"code": code, "name": code, "division": "ggc", "roles": roles}
        registry.register_official(official, "admin")
    return registry


def _target(code: str = "91320402MA9YK0GN3P") -> dict[str, Any]:
    return {"code": code, "name": "常州市某水利工程有限公司", "district": "新北区",
            "division": "ggc", "items": []}  # fmt: skip


def _close(app: Any, by: str = "admin") -> None:
    document = {**app.policy_in_force(), "version": "closed-operator", "authority": CLOSED}
    Policies(app).set(document, by, "运维人员不得自行操作")


def test_a_service_called_directly_by_the_operator_is_refused_outside_its_acts(ledger):
    """Default policy: acts that are no operator's at all, and acts only on a written request."""
    registry = _bureau(ledger)

    _refused(
        ledger,
        lambda: Draws(ledger).record_non_random(
            {
                "division": "ggc",
                "items": ["x"],
                "targets": ["y"],
                "ground": "complaint",
                "reason": "投诉",
                "legal_basis": "条例",
            },
            None,
        ),  # fmt: skip
        "the ledger's operator may not record draw.run",
        RULE,
    )
    _refused(
        ledger,
        lambda: registry.bind_inspector("ggc-clerk", "insp-001", "任命", None),
        "may not record official.bind",
        RULE,
    )
    for act in (
        lambda: registry.register_target(_target(), None),
        lambda: Policies(ledger).set({**ledger.policy_in_force(), "version": "v2"}, None),
    ):
        _refused(ledger, act, "only on a written request", "[authority] operator_on_request")

    # On an entitled official's written request the same act is recorded, naming it.
    head = ledger.get(official_id("ggc-head"), Official)
    with on_request(Request(head, "工管处函〔2026〕1号")):
        registry.register_target(_target(), None)
    # ... and a request by someone not entitled lends nothing.
    admin = ledger.get(official_id("admin"), Official)
    with on_request(Request(admin, "函")):
        _refused(
            ledger,
            lambda: registry.register_target(_target("91320402MA9YK0GN4T"), None),
            "the operator acts on the request of admin, who may not",
        )


def test_a_policy_that_closes_the_operator_refuses_its_default_acts_on_every_service(ledger):
    registry = _bureau(ledger)
    _close(ledger)
    witness = SignerKey.generate("auditor.example/witness", alg=ALG_COSIGNATURE_V1)
    acts = {
        "division.manage": lambda: registry.add_division({"code": "hhc", "name": "河湖处"}, None),
        "official.manage": lambda: registry.register_official(
            {"code": "x", "name": "某人", "division": "ggc", "roles": ["clerk"]}, None
        ),
        "token.manage": lambda: registry.issue_token("ggc-clerk", None),
        "witness.manage": lambda: Witnesses(ledger).add(str(witness.verifier), None),
        "plan.rollover": lambda: MonthlyRollover(ledger, date(2026, 4, 2)).roll_over(
            "2026-03", None
        ),
    }
    for act, do in acts.items():
        message = _refused(ledger, do, f"the ledger's operator may not record {act}", RULE)
        assert "on its own" in message and "nothing" in message
    # The officials the policy names still act.
    registry.add_division({"code": "hhc", "name": "河湖处", "kind": "other_unit"}, "admin")


def test_the_operator_cannot_reopen_itself_by_setting_the_policy_again(ledger):
    """Neither through the policy service nor by re-recording the default as at set-up."""
    _bureau(ledger)
    _close(ledger)
    admin = ledger.get(official_id("admin"), Official)
    opened = {**ledger.policy_in_force(), "version": "open-again", "authority": {}}
    with on_request(Request(admin, "局办公会纪要")):
        _refused(ledger, lambda: Policies(ledger).set(opened, None), "policy.set", RULE)
    before = _head(ledger)
    with pytest.raises(Conflict, match="the ledger has its policy already"):
        ledger.set_default_policy()
    assert _head(ledger) == before


def test_the_operators_inspection_acts_are_refused(demo_ledger):
    """The demo year's inspections: the operator records no result and no evidence (no
    policy lets it: the inspection acts are not operator acts)."""
    app, _ = demo_ledger(targets=60, inspectors=24, plans_and_draws=True)
    inspections = Inspections(app)
    [first, *_] = app.notifications(topics=["inspection.notified"])
    inspection = UUID(str(first.originator_id))
    acts = {
        "inspection.result": lambda: inspections.record_result(
            inspection, {"category": "no_problem", "recorded_by": "insp-001"}, None
        ),
        "inspection.record": lambda: inspections.add_evidence(
            inspection, b"%PDF-1.4", "0" * 64, "application/pdf", "笔录.pdf", None
        ),
    }
    for act, do in acts.items():
        _refused(app, do, f"the ledger's operator may not record {act}", RULE)


def test_the_demo_path_goes_through_the_same_check(new_ledger):
    """The demo's own operator steps (the office and its admin) are refused, nothing recorded,
    on a ledger whose first policy (the set-up's) closes the operator."""
    from ledger.policy import default_policy

    app = new_ledger()
    app.create_ledger()
    app.set_policy({**default_policy(), "version": "closed-operator", "authority": CLOSED}, SYSTEM)
    _refused(
        app,
        lambda: build_demo(app, targets=10, inspectors=4),
        "the ledger's operator may not record division.manage",
        RULE,
    )


def test_the_deprecated_witness_setting_is_migrated_only_where_the_policy_lets_the_operator(
    ledger,
):
    """``witnesses`` in drawledger.toml becomes ``witness.added`` by the operator at start
    (``ledger/witness.migrate_settings``): the same rule, so a closed operator records none."""
    from ledger.witness import migrate_settings

    _bureau(ledger)
    _close(ledger)
    witness = SignerKey.generate("auditor.example/witness", alg=ALG_COSIGNATURE_V1)
    _refused(
        ledger,
        lambda: migrate_settings(ledger, [str(witness.verifier)]),
        "the ledger's operator may not record witness.manage",
        RULE,
    )
