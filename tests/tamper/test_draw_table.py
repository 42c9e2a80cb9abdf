"""(9) The freeze's table digest: the strata and weights a draw record publishes are those the
draw committed to, and the verifier recomputes them from the registry in the bundle.

A key holder who wants a published record with other weights (a friend's company weighted down)
must change the freeze's ``table_digest`` to match it, re-signing the event; the verifier folds
the registry from the bundle, recomputes the table and names the difference.
"""

from __future__ import annotations

import pytest

from ledger.draws.service import Draws
from ledger.export import export_bundle
from tests.ledger.workflow import reveal, with_ceremony
from verify.bundle import event_line, read_bundle
from verify.bundle_lines import line_event
from verify.checks import verify_bundle
from verify.draw_rules import population_table
from verify.draws import population_table_digest
from verify.events import decode_record, encode_record

SPEC = {"division": "szc", "items": ["qsxk"], "counts": {"all": 3}, "team_size": 2}


@pytest.fixture
def bureau(demo_ledger):
    ledger, _ = demo_ledger(targets=200, inspectors=24)
    return ledger


def _edit_freeze(path, signer, change) -> int:  # type: ignore[no-untyped-def]
    """Re-sign the bundle's freeze event with ``change(payload)``; its leaf index."""
    lines = path.read_bytes().split(b"\n")
    position = -1
    for n, line in enumerate(lines):
        found = line_event(line)
        if found is None:
            continue
        index, nid, stored = found
        event = decode_record(stored)
        if event.type == "draw.population_frozen":
            envelope = dict(event.envelope)
            envelope["payload"] = change(dict(envelope["payload"]))
            record, _ = encode_record(envelope, signer)
            lines[n] = event_line(index, nid, record)[:-1]
            position = index
    path.write_bytes(b"\n".join(lines))
    return position


def test_the_freeze_commits_to_the_table_the_record_lists(bureau):
    draws = Draws(bureau)
    draw = draws.open(with_ceremony({**SPEC, "weighted": True}), "szc-clerk")
    facts = draws.freeze(draw, "szc-clerk")
    d = draws.get(draw)
    rows = population_table(d.params(), draws.registry_at(d.position))
    assert facts["table_digest"] == population_table_digest(rows)
    assert any(weight > 1 for _, _, weight in rows)  # the demo's C and D classes weigh more
    lowered = [(t, s, 1) for t, s, _ in rows]
    assert population_table_digest(lowered) != facts["table_digest"]


def test_the_verifier_refuses_a_freeze_re_signed_over_other_weights(bureau, tmp_path):
    draws = Draws(bureau)
    draw = draws.open(with_ceremony({**SPEC, "weighted": True}), "szc-clerk")
    draws.freeze(draw, "szc-clerk")
    reveal(draws, draw, "szc-clerk")
    draws.select(draw, "szc-clerk")
    path = tmp_path / "b.jsonl"
    export_bundle(bureau, path)
    assert verify_bundle(read_bundle(path)).steps[8].ok
    d = draws.get(draw)
    rows = population_table(d.params(), draws.registry_at(d.position))
    forged = population_table_digest([(t, s, 1) for t, s, _ in rows])  # every weight 1

    position = _edit_freeze(path, bureau.signer, lambda p: {**p, "table_digest": forged})

    step9 = verify_bundle(read_bundle(path)).steps[8]
    assert any(
        f.position == position and "总体 table_digest" in f.message and forged[:8] in f.message
        for f in step9.failures
    ), [f.message for f in step9.failures]


def test_a_freeze_recorded_before_table_digests_still_verifies(bureau, tmp_path):
    """Old ledgers hold freezes without ``table_digest``; they verify as before."""
    draws = Draws(bureau)
    draw = draws.open(with_ceremony(SPEC), "szc-clerk")
    draws.freeze(draw, "szc-clerk")
    path = tmp_path / "b.jsonl"
    export_bundle(bureau, path)
    _edit_freeze(path, bureau.signer, lambda p: {k: v for k, v in p.items() if k != "table_digest"})
    assert verify_bundle(read_bundle(path)).steps[8].ok


def test_the_freeze_commits_to_the_rosters_and_the_verifier_recomputes_them(bureau, tmp_path):
    """Since dispute files carry rosters, the freeze commits to them (the whole roster the lead
    walks, each division's own a joint partner walks); a freeze re-signed over a roster without
    one inspector is refused by the bundle check, which recomputes them from the registry; a
    freeze recorded before it committed to rosters verifies as before."""
    from verify.draw_rules import roster, roster_digests
    from verify.draws import roster_digest

    draws = Draws(bureau)
    draw = draws.open(with_ceremony(SPEC), "szc-clerk")
    facts = draws.freeze(draw, "szc-clerk")
    state = draws.registry_at(draws.get(draw).position)
    assert facts["roster_digest"] == roster_digest(roster(state))
    assert facts["partner_roster_digests"]["szc"] == roster_digest(
        roster(state, {"division": "szc"})
    )
    assert {k: facts[k] for k in roster_digests(state)} == roster_digests(state)
    path = tmp_path / "b.jsonl"
    export_bundle(bureau, path)
    assert verify_bundle(read_bundle(path)).steps[8].ok
    forged = roster_digest(roster(state)[1:])  # its first inspector left out

    position = _edit_freeze(path, bureau.signer, lambda p: {**p, "roster_digest": forged})
    step9 = verify_bundle(read_bundle(path)).steps[8]
    assert any(
        f.position == position and "roster_digest：记录为" in f.message and forged[:8] in f.message
        for f in step9.failures
    ), [f.message for f in step9.failures]

    old = tmp_path / "old.jsonl"
    export_bundle(bureau, old)
    _edit_freeze(
        old,
        bureau.signer,
        lambda p: {
            k: v for k, v in p.items() if k not in ("roster_digest", "partner_roster_digests")
        },
    )
    assert verify_bundle(read_bundle(old)).steps[8].ok
