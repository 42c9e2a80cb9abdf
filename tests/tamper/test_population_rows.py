"""(9) A draw's population recomputed from the registry held as compact rows (steps 9-10 of the
verifier, verify/target_rows.py): a key holder who edits the population a freeze records — one
company left out, its digest and count recomputed to match, the event re-signed — is refused,
as with the plain fold; the untouched bundle verifies.
"""

from __future__ import annotations

import pytest

from ledger.draws.service import Draws
from ledger.export import export_bundle
from tests.ledger.workflow import with_ceremony
from tests.tamper.test_draw_table import _edit_freeze
from verify.bundle import read_bundle, scan_bundle
from verify.checks import verify_bundle
from verify.draw_rules import frozen_population
from verify.draws import population_digest

SPEC = {"division": "szc", "items": ["qsxk"], "counts": {"all": 3}, "team_size": 2}


@pytest.fixture
def frozen(demo_ledger, tmp_path):  # type: ignore[no-untyped-def]
    ledger, _ = demo_ledger(targets=200, inspectors=24)
    draws = Draws(ledger)
    draw = draws.open(with_ceremony(SPEC), "szc-clerk")
    facts = draws.freeze(draw, "szc-clerk")
    d = draws.get(draw)
    ids = frozen_population(d.params(), draws.registry_at(d.position)).ids
    path = tmp_path / "b.jsonl"
    export_bundle(ledger, path)
    return ledger, path, facts, ids


def test_a_freeze_re_signed_over_a_population_with_one_company_left_out_is_refused(frozen):
    ledger, path, facts, ids = frozen
    assert facts["digest"] == population_digest(ids) and len(ids) > 3
    for read in (read_bundle, scan_bundle):  # held whole, and scanned from the file
        assert verify_bundle(read(path)).steps[8].ok
    left_out = ids[len(ids) // 2]
    forged = population_digest([k for k in ids if k != left_out])

    position = _edit_freeze(
        path, ledger.signer, lambda p: {**p, "digest": forged, "count": len(ids) - 1}
    )

    for read in (read_bundle, scan_bundle):
        failures = verify_bundle(read(path)).steps[8].failures
        messages = [f.message for f in failures if f.position == position]
        assert any("总体 digest" in m and forged[:8] in m for m in messages), messages
        assert any("总体 count" in m for m in messages), messages
