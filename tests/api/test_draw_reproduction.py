"""A draw reproduced by an outsider from its public record alone, and the attacks on that record.

The outside script (api/public_column/static/reproduce_draw.py, which the column serves at
/column/static/reproduce_draw.py) is run as the public would run it: a separate Python
(`-I`: no PYTHONPATH, no current directory on the path) in an empty directory, on the record.json
the column serves, for draws of every kind the demo bureau records — plain, stratified, weighted,
stratified and weighted, team walks with recusals and substitutions, a joint partner's walks.
"""

from __future__ import annotations

import ast
import base64
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.demo.bureau import build_demo
from ledger.draws.service import Draws
from ledger.registry.service import Registry
from tests.ledger.workflow import reveal, with_ceremony
from verify.eligibility import population
from verify.merkle import leaf_hash, verify_inclusion

SCRIPT = Path(__file__).resolve().parents[2] / "api/public_column/static/reproduce_draw.py"
CLERK = "szc-clerk"
KINDS = {
    "stratified": {"stratify_by": "district", "weighted": False},
    "weighted": {"stratify_by": None, "weighted": True},
    "stratified_weighted": {"stratify_by": "credit_class", "weighted": True},
}


def _draw(draws: Draws, kind: str) -> UUID:
    """A draw of the kind, carried to its teams, with counts that each stratum can give."""
    spec = KINDS[kind]
    counts = {"all": 4}
    if spec["stratify_by"]:
        state = draws.registry_at(None)
        criteria = {"division": "szc", "items": ["qsxk"]}
        year = draws.today().year
        pop = population(state, criteria, state.policy or {}, year, spec["stratify_by"])
        counts = {s: 1 for s, keys in pop.strata.items() if len(keys) >= 3}
        assert len(counts) > 1, pop.strata
    draw = draws.open(
        with_ceremony(
            {"division": "szc", "items": ["qsxk"], "counts": counts, "team_size": 2, **spec}
        ),
        CLERK,
    )
    draws.freeze(draw, CLERK)
    reveal(draws, draw, CLERK)
    draws.select(draw, CLERK)
    draws.assign(draw, CLERK)
    return draw


@pytest.fixture(scope="module")
def bureau(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo bureau with its year of draws (plain ones, one with a substitution, one joint),
    three inspectors who declared an interest in every szc target before the new draws froze,
    and one draw of each kind in KINDS."""
    data = tmp_path_factory.mktemp("reproduction") / "bureau"
    assert drawledger(["demo", "--data", str(data), "--targets", "200", "--inspectors", "24"]) == 0
    app = LedgerApp.open(data, seal_interval=0)
    draws = Draws(app)
    state = draws.registry_at(None)
    qualified = sorted(c for c, i in state.inspectors.items() if "qsxk" in i.qualifications)
    registry = Registry(app)
    # Three inspectors with interests, so that some walk surely reaches one (with one, about
    # one build in eight had no walk reach them, and the recusal test had nothing to clear).
    assert len(qualified) >= 5, qualified
    for recusing in qualified[:3]:
        for target in state.targets.values():
            if (
                target.division == "szc"
                and target.aggregate not in state.inspectors[recusing].conflicts
            ):
                registry.declare_conflict(
                    recusing, UUID(target.aggregate), "本人配偶在该单位任职", by="szc-aggregator"
                )
    made = {kind: _draw(draws, kind) for kind in KINDS}
    # The seeds are random: the recusal test needs a weighted draw whose walks reached one of
    # the three (about one build in a few hundred has none), so draw again until one does.
    for _ in range(20):
        if _walks_reached(app, made["weighted"], set(qualified[:3])):
            break
        made["weighted"] = _draw(draws, "weighted")
    app.sealer.seal()
    yield app, made
    app.close()


def _walks_reached(app: LedgerApp, draw: UUID, codes: set[str]) -> bool:
    """Whether a walk of the draw's teams skipped one of the codes (a recusal)."""
    teams = next(
        e.envelope["payload"]["teams"]
        for _, e in app.records(topics=["draw.inspectors_assigned"])
        if e.envelope["aggregate"] == str(draw)
    )
    return any(s["inspector"] in codes for team in teams for s in team["skips"])


@pytest.fixture(scope="module")
def visitor(bureau):  # type: ignore[no-untyped-def]
    app, _ = bureau
    return TestClient(create_app(app), headers={"Authorization": ""})


def _all_draws(app: LedgerApp) -> list[UUID]:
    return [UUID(str(n.originator_id)) for n in app.notifications(topics=["draw.opened"])]


def _record(visitor: TestClient, draw: UUID) -> dict[str, Any]:
    response = visitor.get(f"/column/draws/{draw}/record.json")
    assert response.status_code == 200, response.text
    return response.json()


def _outside(record: dict[str, Any], where: Path) -> subprocess.CompletedProcess[str]:
    """Run the outside script as the public does: isolated, in a directory of its own."""
    where.mkdir(parents=True, exist_ok=True)
    path = where / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(path)],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_outside_script_imports_only_the_standard_library_and_consistent_sampler():
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    outside = imported - set(sys.stdlib_module_names) - {"__future__"}
    assert outside == {"consistent_sampler"}, outside


def test_the_outside_script_reproduces_every_draw_of_every_kind_from_the_column(
    bureau, visitor, tmp_path
):
    app, made = bureau
    seen = {"plain": 0, "weighted": 0, "stratified": 0, "substituted": 0, "partner": 0}
    recused = 0
    for draw in _all_draws(app):
        record = _record(visitor, draw)
        m = record["manifest"]
        done = _outside(record, tmp_path / str(draw))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "通过：记录重现了该次抽取" in done.stdout
        if "targets_selected" not in m:
            continue
        assert "抽中对象：" in done.stdout
        if m["opened"]["weighted"]:
            seen["weighted"] += 1
        else:  # the independent implementation agreed as well
            assert "consistent-sampler 1.0.10 得出相同的抽中对象" in done.stdout
        seen["stratified" if m["opened"]["stratify_by"] else "plain"] += 1
        seen["substituted"] += bool(m.get("inspector_substituted"))
        seen["partner"] += bool(m.get("partner_inspectors_assigned"))
        if "inspectors_assigned" in m:
            assert "次检查组轮选（含替换）" in done.stdout
            recused += sum(
                s["reason"].startswith("recused")
                for t in m["inspectors_assigned"]["teams"]
                for s in t["skips"]
            )
    assert all(seen.values()), seen
    assert recused, "no walk met the inspector who declared an interest"
    for kind, draw in made.items():  # each kind's weights and strata are in its record
        eligible = _record(visitor, draw)["manifest"]["eligible"]
        assert all("weight" in e for e in eligible) == KINDS[kind]["weighted"]
        assert len({e["stratum"] for e in eligible}) > 1 or not KINDS[kind]["stratify_by"]


def _selected(m: dict[str, Any]) -> list[str]:
    return [s["target"] for st in m["targets_selected"]["strata"] for s in st["selected"]]


def test_a_record_whose_weights_were_altered_does_not_reproduce_and_names_the_target(
    bureau, visitor, tmp_path
):
    """A clerk favouring a friend's company: in the published record, the friend's weight is
    lowered (so that its selection looks unlikely) — or a rival's raised."""
    _, made = bureau
    record = _record(visitor, made["weighted"])
    m = record["manifest"]
    chosen = _selected(m)[0]
    lowered = copy.deepcopy(record)
    for e in lowered["manifest"]["eligible"]:
        if e["target"] == chosen and e["weight"] > 1:
            e["weight"] = 1
        elif e["target"] == chosen:
            e["weight"] = 0  # weight 1 already: the attacker removes its virtual ids
    done = _outside(lowered, tmp_path / "lowered")
    assert done.returncode == 1 and "不一致：" in done.stdout, done.stdout
    # Named if the lowered weight changes the outcome; else the freeze's table digest breaks.
    assert chosen in done.stdout or "总体表" in done.stdout
    rival = next(e["target"] for e in m["eligible"] if e["target"] not in _selected(m))
    raised = copy.deepcopy(record)
    for e in raised["manifest"]["eligible"]:
        if e["target"] == rival:
            e["weight"] = 10_000
    done = _outside(raised, tmp_path / "raised")
    assert done.returncode == 1, done.stdout
    assert f"应抽中 {rival}" in done.stdout  # the script names the target the weights favour


def test_a_weight_that_changes_no_outcome_is_still_caught_by_the_freezes_table_digest(
    bureau, visitor, tmp_path
):
    """An altered record that still selects the same targets (here: weights added to an
    unweighted draw's list) breaks the digest of the table the freeze committed to."""
    _, made = bureau
    record = _record(visitor, made["stratified"])
    assert "table_digest" in record["manifest"]["population_frozen"]
    assert _outside(record, tmp_path / "as-served").returncode == 0
    padded = copy.deepcopy(record)
    padded["manifest"]["eligible"][-1]["weight"] = 3
    done = _outside(padded, tmp_path / "padded")
    assert done.returncode == 1, done.stdout
    assert "不一致：总体表" in done.stdout


def test_a_record_whose_strata_were_altered_does_not_reproduce(bureau, visitor, tmp_path):
    _, made = bureau
    record = _record(visitor, made["stratified"])
    m = record["manifest"]
    chosen = _selected(m)[0]
    moved = copy.deepcopy(record)
    strata = sorted({e["stratum"] for e in m["eligible"]})
    for e in moved["manifest"]["eligible"]:
        if e["target"] == chosen:
            e["stratum"] = next(s for s in strata if s != e["stratum"])
    done = _outside(moved, tmp_path / "moved")
    assert done.returncode == 1 and "不一致：" in done.stdout, done.stdout
    assert "各层大小" in done.stdout  # the freeze signed each stratum's size
    # Swapping two targets between strata keeps the sizes; the selection then differs.
    swapped = copy.deepcopy(record)
    other = next(
        e for e in m["eligible"] if e["stratum"] != _stratum(m, chosen) and e["target"] != chosen
    )
    for e in swapped["manifest"]["eligible"]:
        if e["target"] == chosen:
            e["stratum"] = other["stratum"]
        elif e["target"] == other["target"]:
            e["stratum"] = _stratum(m, chosen)
    done = _outside(swapped, tmp_path / "swapped")
    assert done.returncode == 1 and "不一致：" in done.stdout, done.stdout
    assert "层 " in done.stdout and "应抽中" in done.stdout


def _stratum(m: dict[str, Any], target: str) -> str:
    return next(e["stratum"] for e in m["eligible"] if e["target"] == target)


def test_a_record_with_a_roster_or_team_altered_does_not_reproduce(bureau, visitor, tmp_path):
    """The clerk hides the recusal that put a friend on a team, or drops a rival inspector
    from the roster: the walk then gives another team, and the script names the target."""
    app, made = bureau
    record = _record(visitor, made["weighted"])
    division = record["manifest"]["opened"]["division"]
    cleared = copy.deepcopy(record)
    roster = cleared["manifest"]["rosters"][division]
    recusals = roster["recusals"]
    assert recusals, "no inspector with declared interests was reached by a walk"
    target = next(iter(recusals))
    roster["recusals"] = {}
    done = _outside(cleared, tmp_path / "cleared")
    assert done.returncode == 1 and f"检查对象 {target}" in done.stdout, done.stdout
    team = record["manifest"]["inspectors_assigned"]["teams"][0]
    swapped = copy.deepcopy(record)
    swapped["manifest"]["inspectors_assigned"]["teams"][0]["members"] = list(
        reversed(team["members"])
    )
    done = _outside(swapped, tmp_path / "swapped")
    assert done.returncode == 1 and f"检查对象 {team['target']}" in done.stdout, done.stdout


def test_a_forged_seed_or_population_does_not_reproduce(bureau, visitor, tmp_path):
    _, made = bureau
    record = _record(visitor, made["stratified"])
    extra = copy.deepcopy(record)  # a friend's company slipped into the population listed
    extra["manifest"]["eligible"].append(
        {"target": "91320400000000000X", "stratum": record["manifest"]["eligible"][0]["stratum"]}
    )
    extra["manifest"]["eligible"].sort(key=lambda e: e["target"])
    extra["population"] = sorted([*extra["population"], "91320400000000000X"])
    done = _outside(extra, tmp_path / "extra")
    assert done.returncode == 1 and "总体摘要" in done.stdout, done.stdout
    forged = copy.deepcopy(record)
    forged["manifest"]["seed_revealed"]["contributions"]["szc"] = "0" * 64
    done = _outside(forged, tmp_path / "forged")
    assert done.returncode == 1 and "的贡献值与其承诺不符" in done.stdout


def test_a_file_that_is_not_a_draw_record_is_refused_in_one_line(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[1, 2]", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(path)], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("不是抽取记录") and "Traceback" not in done.stderr


def test_the_columns_record_matches_the_ledgers_events_and_their_proofs(bureau, visitor):
    """Every step the column's record lists is the ledger's event at that position: its type,
    its digest, its facts (less what is kept private); the inclusion proof at the record's
    proof path verifies that event's record bytes against the signed checkpoint."""
    app, _ = bureau
    lines = visitor.get("/checkpoint").text.splitlines()
    size, root = int(lines[1]), base64.b64decode(lines[2])
    stored = {n.id: n for n in app.notifications()}
    for draw in _all_draws(app):
        m = _record(visitor, draw)["manifest"]
        assert m == visitor.get(f"/draws/{draw}/record").json()["manifest"]
        counted: dict[str, int] = {}
        for step in m["steps"]:
            n = stored[step["position"]]
            event = app.checked(n, "test")
            assert (event.type, event.digest.hex()) == (step["type"], step["digest"])
            assert UUID(event.aggregate) == draw
            name = step["type"].split(".", 1)[1]
            k = counted.get(name, 0)
            counted[name] = k + 1
            facts = m[name] if isinstance(m[name], list) else [m[name]]
            payload = {
                key: value
                for key, value in event.envelope["payload"].items()
                if not (name.endswith("inspector_substituted") and key == "reason")
            }
            assert facts[k] == {"time": event.envelope["time"], **payload}
            proof = visitor.get(step["proof"]).json()
            assert (proof["position"], proof["tree_size"]) == (step["position"], size)
            path = [base64.b64decode(h) for h in proof["proof"]]
            # raises ProofError unless the step's record is in the signed tree
            verify_inclusion(leaf_hash(n.state), proof["index"], size, path, root)


def test_what_the_public_may_not_see_stays_out_of_the_record_and_the_page(bureau, visitor):
    """A substitution's reason ("回避：与该单位负责人系近亲属" in the demo), an interest's
    reason, the officials who acted and the inspectors' names stay out; codes are in."""
    app, _ = bureau
    state = Draws(app).registry_at(None)
    names = {i.name for i in state.inspectors.values()}
    certificates = {i.certificate.get("number") for i in state.inspectors.values()} - {None}
    substituted = 0
    for draw in _all_draws(app):
        text = visitor.get(f"/draws/{draw}/record").text
        page = visitor.get(f"/column/draws/{draw}").text
        for private in ("近亲属", "本人配偶", '"actor"', *names, *certificates):
            assert private not in text
            assert private not in page
        m = json.loads(text)["manifest"]
        for s in m.get("inspector_substituted", []):
            substituted += 1
            assert set(s) == {"time", "target", "replaced", "substitute", "skips", "walked"}
            assert f'{s["substitute"]}</span> 替换 <span class="mono">{s["replaced"]}' in page
        if "inspectors_assigned" in m:
            for team in m["inspectors_assigned"]["teams"]:
                assert all(code in page for code in team["members"])
            roster = page.split('class="roster"')[1].split("</table>")[0]
            assert "<td>在岗</td>" in roster and "on_duty" not in roster  # statuses in Chinese
    assert substituted
    for feed in ("/column/feed.json", "/column/feed.rss"):  # the feeds agree: publications only
        body = visitor.get(feed).text
        assert "<item>" in body or '"items":[{' in body  # the demo's publications are there
        for private in ("近亲属", "本人配偶", *names):
            assert private not in body


def test_the_cli_writes_the_record_the_api_and_the_column_serve(bureau, visitor, tmp_path):
    app, made = bureau
    draw = made["stratified_weighted"]
    out = tmp_path / "out"
    assert (
        drawledger(["draw-record", str(draw), "--data", str(app.data_dir), "--out", str(out)]) == 0
    )
    written = (out / "record.json").read_bytes()
    assert written == visitor.get(f"/draws/{draw}/record").content
    assert written == visitor.get(f"/column/draws/{draw}/record.json").content
    assert json.loads(written)["manifest"] == json.loads((out / "manifest.json").read_text())


def test_the_column_serves_the_script_and_a_guide_that_walks_through_it(bureau, visitor, tmp_path):
    """An outsider needs nothing from the repository: the guide (in Chinese) names the record
    and the script, and the script the column serves is the one CI runs."""
    _, made = bureau
    served = visitor.get("/column/static/reproduce_draw.py")
    assert served.status_code == 200 and served.content == SCRIPT.read_bytes()
    guide = visitor.get("/column/guide").text
    for words in (
        'href="/column/static/reproduce_draw.py"',
        "python3 reproduce_draw.py record.json",
        "/column/draws/抽取编号/record.json",
        "table_digest",
        "drawledger/seed/v2",
        "种子/partner-inspectors/部门/对象代码",
        "position",
    ):
        assert words in guide, words
    assert "docs/" not in guide and "github" not in guide.lower()
    page = visitor.get(f"/column/draws/{made['weighted']}").text
    assert f'href="/column/draws/{made["weighted"]}/record.json"' in page
    weights = _record(visitor, made["weighted"])["manifest"]["weights"]
    shown = page.split('id="weights"')[1].split("</p>")[0]
    assert weights["policy_version"] in shown and weights["policy_digest"] in shown


def test_the_scripts_own_sampler_equals_consistent_sampler_on_random_cases():
    """The script's shortcut (buckets by the tickets' first digits) against the PyPI package,
    on populations small and large enough to fill many buckets."""
    import importlib.util
    import random

    from consistent_sampler import sampler

    spec = importlib.util.spec_from_file_location("reproduce_draw", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    rng = random.Random(20261202)
    for case in range(60):
        n = rng.choice([1, 2, 5, 40, 300, 3000])
        ids = sorted({f"9132{rng.randrange(10**14):014d}" for _ in range(n)})
        k = rng.randint(0, len(ids))
        seed = f"{rng.getrandbits(256):064x}/targets"
        digits = rng.choice([9, 18])
        theirs = sampler(ids, seed=seed, take=k, digits=digits, output="tuple")
        assert script.sample(ids, seed, k, digits) == [(t, i) for t, i, _ in theirs], case


def test_a_draw_on_either_store_is_reproduced_and_its_steps_proved_by_position(ledger, tmp_path):
    """The same on SQLite and on PostgreSQL (whose positions may skip): a draw through the API,
    its record reproduced outside, each step's proof fetched by the record's position."""
    build_demo(ledger, targets=120, inspectors=20)
    client = TestClient(create_app(ledger))
    draws = Draws(ledger)
    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 3}, "team_size": 2}
    draw = draws.open(with_ceremony({**spec, "weighted": True}), CLERK)
    draws.freeze(draw, CLERK)
    reveal(draws, draw, CLERK)
    draws.select(draw, CLERK)
    draws.assign(draw, CLERK)
    ledger.sealer.seal()
    record = client.get(f"/draws/{draw}/record").json()
    done = _outside(record, tmp_path / "outside")
    assert done.returncode == 0 and "次检查组轮选（含替换）" in done.stdout, done.stdout
    lines = client.get("/checkpoint").text.splitlines()
    size, root = int(lines[1]), base64.b64decode(lines[2])
    stored = {n.id: n for n in ledger.notifications()}
    for step in record["manifest"]["steps"]:
        n = stored[step["position"]]
        assert ledger.checked(n, "test").digest.hex() == step["digest"]
        proof = client.get(step["proof"]).json()
        assert (proof["position"], proof["tree_size"]) == (step["position"], size)
        path = [base64.b64decode(h) for h in proof["proof"]]
        verify_inclusion(leaf_hash(n.state), proof["index"], size, path, root)


def test_a_roster_without_one_inspector_is_caught_by_the_freezes_roster_digest(
    bureau, visitor, tmp_path
):
    """A record whose roster leaves out an inspector (to hide one who should have been walked,
    or whom a walk reached and skipped) no longer hashes to the roster the freeze committed to;
    the script says so before it replays the walks."""
    _, made = bureau
    record = _record(visitor, made["stratified"])
    m = record["manifest"]
    assert "roster_digest" in m["population_frozen"]
    division = m["opened"]["division"]
    cut = copy.deepcopy(record)
    roster = cut["manifest"]["rosters"][division]["inspectors"]
    roster.pop()
    done = _outside(cut, tmp_path / "cut")
    assert done.returncode == 1, done.stdout
    assert f"不一致：处室 {division} 的名录：所列 {len(roster)} 个代码" in done.stdout
