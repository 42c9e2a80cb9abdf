"""An insider with the ledger's key re-signs a bundle so that an act names a credential that
was not its official's to use then: another official's token, one revoked before the act, one
that had expired, one never issued, or any token on an act of the operator. Every signature,
chain and checkpoint holds; the authority replay's credential check names the event
(``verify/credential_replay.py``). Acts done with a token name it; the operator's name none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ledger.actors import acting_with
from ledger.export import export_bundle
from ledger.registry.service import Registry
from tests.ledger.test_registry import ITEM, water_user
from verify.keys import SignerKey

from .bundle_edits import EditableBundle, last_of, resealed, verified
from .conftest import sqlite_ledger

CLERK = {"official": "szc-clerk", "role": "clerk", "department": "szc"}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[SignerKey, bytes, dict[str, Any]]:
    """A bureau whose admin issues two clerks of 水政处 a token each (and the first one a second,
    then revoked); the first clerk registers a target with their live token."""
    directory = tmp_path_factory.mktemp("credential")
    signer, app = sqlite_ledger(directory)
    try:
        registry = Registry(app)
        registry.add_division({"code": "szc", "name": "水政处", "kind": "aggregator"}, by=None)
        for code, roles in (
            ("admin", ["admin"]),
            ("szc-clerk", ["clerk"]),
            ("szc-other", ["clerk"]),
        ):
            official = {"code": code, "name": code, "division": "szc", "roles": roles}
            registry.register_official(official, by=None)
        own = registry.issue_token("szc-clerk", "admin", days=30).split(".")[2]
        other = registry.issue_token("szc-other", "admin").split(".")[2]
        revoked = registry.issue_token("szc-clerk", "admin").split(".")[2]
        registry.revoke_token("szc-clerk", revoked, "遗失", "admin")
        registry.register_item({**ITEM, "executing_units": ["szc"]}, by="szc-clerk")
        with acting_with("szc-clerk", own):
            registry.register_target(water_user(), by="szc-clerk")
        out = directory / "ledger.bundle"
        export_bundle(app, out)
        tokens = {"own": own, "other": other, "revoked": revoked}
        return signer, out.read_bytes(), tokens
    finally:
        app.close()


def _bundle(history: tuple[SignerKey, bytes, dict[str, Any]]) -> EditableBundle:
    return EditableBundle.from_bytes(history[1])


def _finding(run_verify: Any, tmp_path: Path, bundle: EditableBundle, history: Any) -> Any:
    status, report = verified(run_verify, tmp_path, bundle, history[0])
    assert status == 1 and report["intact"] is True
    [finding] = report["authority"]["findings"]
    return finding


def test_an_act_names_the_token_it_was_done_with_and_the_untouched_bundle_passes(
    history, run_verify, tmp_path
):
    bundle = _bundle(history)
    act = bundle.envelope(last_of(bundle, "target.registered"))
    assert act["actor"] == {**CLERK, "token": history[2]["own"]}
    issued = bundle.envelope(last_of(bundle, "official.token_issued"))
    assert "token" not in issued["actor"]  # the admin's act, by a service without a token
    status, report = verified(run_verify, tmp_path, bundle, history[0])
    assert status == 0, report
    assert report["authority"]["findings"] == []


@pytest.mark.parametrize(
    ("named", "why"),
    [
        ("other", "从未签发给工作人员 szc-clerk"),  # a colleague's token
        ("revoked", "吊销"),
        ("never", "从未签发给工作人员 szc-clerk"),
    ],
)
def test_an_act_naming_a_token_not_live_for_its_official_is_a_finding(
    history, run_verify, tmp_path, named, why
):
    bundle = _bundle(history)
    position = last_of(bundle, "target.registered")
    token = history[2].get(named, "deadbeef")
    resealed(bundle, history[0], {position: {"actor": {**CLERK, "token": token}}})
    finding = _finding(run_verify, tmp_path, bundle, history)
    assert finding["event"] == position and why in finding["message"]
    assert finding["actor"]["token"] == token


def test_an_act_after_its_tokens_expiry_is_a_finding(history, run_verify, tmp_path):
    """The token's issue rewritten to expire at once: the act, later, was done with a dead
    token."""
    bundle = _bundle(history)
    own = history[2]["own"]
    issue = next(
        i
        for i in range(len(bundle.events))
        if bundle.envelope(i)["type"] == "official.token_issued"
        and bundle.envelope(i)["payload"]["token_id"] == own
    )
    envelope = bundle.envelope(issue)
    payload = {**envelope["payload"], "expires": envelope["time"]}
    resealed(bundle, history[0], {issue: {"payload": payload}})
    finding = _finding(run_verify, tmp_path, bundle, history)
    assert finding["event"] == last_of(bundle, "target.registered")
    assert f"已于 {envelope['time']} 过期" in finding["message"]


def test_an_operators_act_naming_a_token_is_a_finding(history, run_verify, tmp_path):
    bundle = _bundle(history)
    position = last_of(bundle, "official.token_revoked")  # recorded by the admin: make it system's
    operator = {"official": "drawledger", "role": "system", "department": "drawledger"}
    actor = {**operator, "token": history[2]["own"]}
    resealed(bundle, history[0], {position: {"actor": actor}})
    finding = _finding(run_verify, tmp_path, bundle, history)
    assert finding["event"] == position and "账本运营方的行为不使用访问令牌" in finding["message"]


def test_an_act_naming_no_token_is_judged_as_before(history, run_verify, tmp_path):
    """Events written before acts named tokens (and acts of services called by code) carry
    none: they stay valid."""
    bundle = _bundle(history)
    position = last_of(bundle, "target.registered")
    resealed(bundle, history[0], {position: {"actor": CLERK}})
    status, report = verified(run_verify, tmp_path, bundle, history[0])
    assert status == 0 and report["authority"]["findings"] == []
