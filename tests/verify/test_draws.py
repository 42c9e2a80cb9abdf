"""The draw protocol functions, checked against outside tools: coreutils, consistent-sampler."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

import pytest
from consistent_sampler import sampler as reference_sampler

from verify.draws import (
    DrawError,
    assign_team,
    check_entropy,
    derive_seed,
    inspector_order,
    next_inspector,
    normalise_entropy,
    population_digest,
    select_targets,
)


def test_population_digest_equals_sort_unique_sha256sum(tmp_path):
    ids = ["91320411MA1MB3K8XT", "常州项目-2", "12320400466377512W", "b", "B", "91320411MA1MB3K8XT"]
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(ids) + "\n", encoding="utf-8")
    out = subprocess.run(
        f"sort -u {path} | sha256sum",
        shell=True,
        capture_output=True,
        check=True,
        env={**os.environ, "LC_ALL": "C"},
    ).stdout.decode()
    assert population_digest(ids) == out.split()[0]


def test_a_ceremony_commitment_is_what_docs_draws_md_tells_a_party_to_compute():
    """docs/DRAWS.md: a party's commitment is `printf %s CONTRIBUTION | sha256sum`, the hash of
    the 64 hex digits as text. It said only "hex SHA-256 of its contribution", and a party that
    hashed the 32 bytes was refused at the reveal."""
    from pathlib import Path

    from verify.entropy import contribution_commitment

    docs = (Path(__file__).resolve().parents[2] / "docs" / "DRAWS.md").read_text("utf-8")
    assert "`printf %s CONTRIBUTION | sha256sum`" in docs
    contribution = "3f" * 32
    out = subprocess.run(
        ["sh", "-c", 'printf %s "$1" | sha256sum', "sh", contribution],
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert contribution_commitment(contribution) == out.split()[0]
    assert out.split()[0] != hashlib.sha256(bytes.fromhex(contribution)).hexdigest()


def test_entropy_is_nfkc_normalised_and_stripped_and_must_have_enough_digits():
    assert normalise_entropy(" １２３ 45\t6\n") == "123456"
    check_entropy("1" * 20, 20)
    with pytest.raises(DrawError, match="19 digits"):
        check_entropy("1" * 19, 20)


def test_the_seed_depends_on_both_entropy_and_nonce():
    a = derive_seed("12345678901234567890", b"\x01" * 32)
    assert a != derive_seed("12345678901234567891", b"\x01" * 32)
    assert a != derive_seed("12345678901234567890", b"\x02" * 32)
    assert len(a) == 64


def test_strata_select_the_k_smallest_tickets_like_the_reference():
    strata = {"天宁区": [f"T{n}" for n in range(40)], "钟楼区": [f"Z{n}" for n in range(25)]}
    results = select_targets(strata, {"天宁区": 3, "钟楼区": 2}, "seed-1", digits=18)
    for result in results:
        expected = list(
            reference_sampler(
                strata[result.stratum],
                seed="seed-1/targets",
                take=result.count,
                digits=18,
                output="tuple",
            )
        )
        assert [(s.ticket, s.target) for s in result.selected] == [(t, i) for t, i, _ in expected]
        assert result.threshold == expected[-1][0]


def test_weights_give_virtual_ids_and_the_first_k_distinct_targets():
    ids = [f"T{n}" for n in range(30)]
    weights = {"T3": 3, "T7": 2}
    result = select_targets({"all": ids}, {"all": 6}, "w", weights=weights, digits=18)[0]
    virtual = [f"{t}#{n}" for t in ids for n in range(1, weights.get(t, 1) + 1)]
    expected, seen = [], set()
    for ticket, vid, _ in reference_sampler(virtual, seed="w/targets", digits=18, output="tuple"):
        target = vid.rsplit("#", 1)[0]
        if target not in seen:
            seen.add(target)
            expected.append((ticket, target))
        if len(expected) == 6:
            break
    assert [(s.ticket, s.target) for s in result.selected] == expected


def test_asking_more_targets_than_eligible_is_refused():
    with pytest.raises(DrawError, match="3 targets asked, only 2 eligible"):
        select_targets({"s": ["a", "b"]}, {"s": 3}, "x")


def test_team_orders_match_the_shared_vector_per_target(vectors_dir):
    vector = next(
        v
        for v in json.loads((vectors_dir / "sampler_consistent.json").read_text())["vectors"]
        if v["name"] == "TV3_inspectors_per_target"
    )
    seed = vector["draws"][0]["seed"].split("/inspectors/")[0]
    for draw in vector["draws"]:
        order = inspector_order(vector["roster"], seed, draw["target"])
        team = assign_team(order, draw["target"], vector["k"], lambda _: None)
        assert team.members == [item for _, item, _ in draw["expected"]]


def test_ineligible_inspectors_are_skipped_with_their_reason_and_substitutes_follow_the_order():
    order = ["A", "B", "C", "D", "E", "F"]
    reasons = {"A": "recused: declared conflict", "C": "not qualified for item water-intake"}
    team = assign_team(order, "T1", 2, reasons.get)
    assert team.members == ["B", "D"]
    assert [(s.inspector, s.reason) for s in team.skips] == [
        ("A", "recused: declared conflict"),
        ("C", "not qualified for item water-intake"),
    ]
    substitute, skips = next_inspector(order, team, {"E": "absent"}.get)
    assert substitute == "F"
    assert [(s.inspector, s.reason) for s in skips] == [("E", "absent")]
    with pytest.raises(DrawError, match="no eligible inspector is left"):
        next_inspector(order, team, lambda _: None)


def test_a_team_is_never_smaller_than_asked():
    with pytest.raises(
        DrawError, match=r"only 1 eligible inspectors for a team of 2 \(skipped: A: retired\)"
    ):
        assign_team(["A", "B"], "T9", 2, {"A": "retired"}.get)


def test_whoever_is_on_another_divisions_team_for_the_target_is_skipped_with_that_reason():
    from verify.draw_rules import assignment, taken_by
    from verify.registry_state import InspectorState, RegistryState, TargetState

    state = RegistryState()
    state.targets["t-1"] = TargetState(
        aggregate="t-1",
        key="91320400MA1X000000",
        kind="enterprise",
        name="常州某取水单位",
        district="武进区",
        grid=None,
        division="szc",
        items=["qsxk"],
        credit_class="A",
        risk_flags=[],
    )
    for code in "ABCDEF":
        state.inspectors[code] = InspectorState(
            code=code,
            name=code,
            certificate={"valid_until": "2030-12-31"},
            unit="szjczd",
            division="ggc",
            agency_staff=False,
            qualifications=["qsxk"],
            status="on_duty",
        )
    lead_teams = {"szc": [{"target": "91320400MA1X000000", "members": ["C", "X"]}]}
    taken = taken_by(lead_teams, "szjczd")
    params = {"items": ["qsxk"], "team_size": 2, "seed": "s"}
    partner = {"division": "szjczd", "items": ["qsxk"], "team_size": 5}
    [team] = assignment(params, state, ["91320400MA1X000000"], "2026-04-09", partner, taken)
    assert sorted(team["members"]) == ["A", "B", "D", "E", "F"]  # never C
    # Asking for the whole roster walks it all, and the refusal names C's reason.
    with pytest.raises(
        DrawError,
        match=r"only 5 eligible inspectors for a team of 6 "
        r"\(skipped: C: on division szc's team for this target\)",
    ):
        assignment(
            params, state, ["91320400MA1X000000"], "2026-04-09", {**partner, "team_size": 6}, taken
        )
