"""One numbering of ledger positions (docs/FORMAT.md, "Positions: one numbering"), walked.

A company disputing its selection reads a position in one place (the answer to a write, the
draw's record on the API or the column, the trail, the dispute file, the verifier's report) and
looks it up in another. Each place must name the same event by the same number, and the
inclusion proof for that number must prove exactly that event's record. On PostgreSQL the test
first makes the store skip notification ids (as a rolled-back insert does), so a position that
had quietly become "leaf index + 1" somewhere would show.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.demo.bureau import build_demo
from ledger.export import export_bundle
from ledger.registry.service import Registry
from projections.dispute import write_dispute
from tests.ledger.workflow import CEREMONY, CONTRIBUTIONS
from verify.bundle import read_bundle
from verify.checks import verify_bundle
from verify.merkle import leaf_hash, verify_inclusion
from verify.rule_audit import audit_bundle


def ledger_targets(ledger: Any) -> Any:
    from ledger.draws.service import Draws

    return Draws(ledger).registry_at(None).targets


def ledger_key(ledger: Any, aggregate: str) -> str:
    return str(ledger_targets(ledger)[aggregate].key)


def _on_postgres(ledger: Any) -> bool:
    """Whether the ledger's store is PostgreSQL (its recorder, ``ledger.storage``'s, is an
    eventsourcing.postgres one: the module of its own class does not say so)."""
    return any("postgres" in c.__module__ for c in type(ledger.recorder).__mro__)


def _skip_ids(ledger: Any, n: int) -> None:
    """On PostgreSQL, use up ``n`` notification ids without storing events (a gap)."""
    if not _on_postgres(ledger):
        return
    table = ledger.recorder.events_table_name
    with ledger.recorder.datastore.transaction(commit=True) as c:
        for _ in range(n):
            c.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'notification_id'))")


@pytest.fixture
def walked(ledger, tmp_path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    build_demo(ledger, targets=40, inspectors=12)
    _skip_ids(ledger, 3)
    client = TestClient(create_app(ledger))
    registry = Registry(ledger)
    clerk = {"Authorization": f"Bearer {registry.issue_token('szc-clerk', None)}"}
    head = {"Authorization": f"Bearer {registry.issue_token('szc-head', None)}"}
    positions: dict[str, int] = {}
    # a company closed just before the freeze, after a gap: the freeze's changed_out names the
    # change by its position, and the verifier's recomputation must name it alike
    closing = sorted(
        (t.key, agg)
        for agg, t in ledger_targets(ledger).items()
        if t.division == "szc" and t.status == "in_business"
    )[0][1]
    registry.change_target_status(UUID(closing), "closed", "注销", "工商登记", "szc-clerk")
    _skip_ids(ledger, 2)

    def post(name: str, path: str, body: Any, who: dict[str, str]) -> Any:
        response = client.post(path, json=body, headers=who)
        assert response.status_code < 300, response.text
        positions[name] = int(response.headers["Ledger-Position"])
        _skip_ids(ledger, 2)  # every step after a gap
        return response.json()

    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 3}, "team_size": 2}
    draw = post("opened", "/draws", {**spec, "ceremony": CEREMONY}, clerk)["id"]
    post("population_frozen", f"/draws/{draw}/freeze", None, clerk)
    post("seed_revealed", f"/draws/{draw}/reveal", {"contributions": CONTRIBUTIONS}, clerk)
    post("targets_selected", f"/draws/{draw}/select", None, clerk)
    post("inspectors_assigned", f"/draws/{draw}/assign", None, clerk)
    other = post("other_opened", "/draws", {**spec, "ceremony": CEREMONY}, clerk)["id"]
    post("abandoned", f"/draws/{other}/abandon", {"reason": "抽取范围有误，重新抽取"}, head)
    frozen = ledger.records_of(UUID(draw))[1].envelope["payload"]
    [closed] = [t for t in frozen["changed_out"] if t["target"] == ledger_key(ledger, closing)]
    positions["closed"] = closed["changes"][0]["position"]
    yield {
        "app": ledger,
        "client": client,
        "draw": draw,
        "other": other,
        "at": positions,
        "tmp": tmp_path,
    }
    client.close()


def _proven(client: TestClient, app: Any, position: int) -> int:
    """The leaf index ``/proofs/inclusion?position=`` gives, after checking that its proof
    proves the record stored at ``position`` against the latest signed checkpoint."""
    lines = client.get("/checkpoint").text.splitlines()
    size, root = int(lines[1]), base64.b64decode(lines[2])
    proof = client.get(f"/proofs/inclusion?position={position}").json()
    assert proof["position"] == position and proof["tree_size"] == size
    (stored,) = app.recorder.select_notifications(start=position, limit=1, stop=position)
    path = [base64.b64decode(h) for h in proof["proof"]]
    verify_inclusion(leaf_hash(stored.state), proof["index"], size, path, root)  # or raises
    back = client.get(f"/proofs/inclusion?index={proof['index']}&size={size}").json()
    assert back["position"] == position  # the two doors name the same event
    return int(proof["index"])


def test_every_place_names_an_event_by_the_same_position_and_its_proof_proves_it(walked):
    app, client, draw, at = walked["app"], walked["client"], walked["draw"], walked["at"]
    index = {name: _proven(client, app, p) for name, p in at.items()}
    gaps = _on_postgres(app)
    if gaps:  # the store skipped ids: a position is not "leaf index + 1" here
        assert any(at[n] != index[n] + 1 for n in at)
    else:
        assert all(at[n] == index[n] + 1 for n in at)  # SQLite: no gaps

    # the draw's record, on the officials' API and on the public column: the same positions
    steps = [
        "opened",
        "population_frozen",
        "seed_revealed",
        "targets_selected",
        "inspectors_assigned",
    ]
    for url in (f"/draws/{draw}/record", f"/column/draws/{draw}/record.json"):
        manifest = client.get(url, headers={"Authorization": ""}).json()["manifest"]
        shown = {s["type"].split(".", 1)[1]: s for s in manifest["steps"]}
        assert {n: shown[n]["position"] for n in steps} == {n: at[n] for n in steps}, url
        for n in steps:
            assert shown[n]["proof"] == f"/proofs/inclusion?position={at[n]}"
        # the freeze counts events: the registry as the first N events, leaves 0..N-1
        frozen = manifest["population_frozen"]["position"]
        assert frozen <= index["population_frozen"]

    # the draw's page: each step links its proof by the same position; the freeze is a count
    page = client.get(f"/column/draws/{draw}").text
    assert all(f'href="/proofs/inclusion?position={at[n]}">{at[n]}<' in page for n in steps)
    assert f"账本前 {frozen} 个事件" in page and f"于账本位置 {frozen} " not in page

    # the trail of the draw, with its proofs
    clerk = {"Authorization": f"Bearer {Registry(app).issue_token('szc-clerk', None)}"}
    trail = client.get(f"/trail/draws/{draw}?proofs=true", headers=clerk).json()
    acts = {a["position"]: a for a in trail["items"]}
    for n in steps:
        assert acts[at[n]]["type"] == f"draw.{n}"
        assert acts[at[n]]["proof"]["leaf_index"] == index[n]

    # the dispute file of the draw
    read_models = client.app.state.read_models  # type: ignore[attr-defined]
    out = walked["tmp"] / "dispute"
    write_dispute(app, read_models.engine, "draw", draw, out)
    records = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["records"]
    listed = {r["position"]: r["index"] for r in records}
    assert {at[n]: index[n] for n in steps}.items() <= listed.items()

    # the verifier: its report names each event by the same position (and leaf)
    bundle_path = walked["tmp"] / "ledger.bundle"
    export_bundle(app, bundle_path)
    report = verify_bundle(read_bundle(bundle_path), pinned_keys=[str(app.signer.verifier)])
    assert report.intact
    assert all(report.positions[index[n]] == at[n] for n in at)
    notes = [n for s in report.to_json()["steps"] for n in s["notes"]]
    (abandoned,) = [n for n in notes if "终止" in n["message"]]
    assert (abandoned["event"], abandoned["position"]) == (index["abandoned"], at["abandoned"])
    printed = "\n".join(report.lines())
    assert f"位置 {at['abandoned']}（叶子 {index['abandoned']}）：" in printed

    # the rule audit, once the year is over: the three targets the draw selected and nobody
    # visited, each named at the selection by the same position
    report.rule_audit = audit_bundle(read_bundle(bundle_path), as_of=date(2027, 1, 2))
    unvisited = [
        f for f in report.to_json()["rule_audit"]["findings"] if f["rule"] == "selection_inspected"
    ]
    assert len(unvisited) == 3 and all(draw in f["message"] for f in unvisited)
    selection = {"event": index["targets_selected"], "position": at["targets_selected"]}
    assert all(selection.items() <= f["events"][0].items() for f in unvisited)
