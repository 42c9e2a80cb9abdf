"""The demo year carried through inspections, results and publications: a problem corrected, a
case filed and its penalty in 双公示, a refusal to confirm, one late publication — all verified."""

from __future__ import annotations

from collections import Counter
from datetime import date

from ledger.demo.bureau import build_demo
from ledger.export import export_bundle
from projections import open_read_models
from projections.queries import search_publications
from projections.staff import awaiting_confirmation
from verify.bundle import read_bundle
from verify.checks import verify_bundle
from verify.events import decode_record


def _payloads(ledger, topic):
    return [
        decode_record(n.state).envelope["payload"] for n in ledger.notifications(topics=[topic])
    ]


def test_the_demo_year_is_inspected_published_and_verified(ledger, tmp_path):
    summary = build_demo(
        ledger, targets=120, inspectors=20, today=date(2026, 11, 25), plans_and_draws=True
    )
    results = summary.results
    assert results is not None
    counts = Counter(n.topic for n in ledger.notifications())
    assert counts["inspection.notified"] == results.inspections
    assert counts["publication.published"] == results.publications
    assert counts["publication.corrected"] == 1
    assert results.awaiting_confirmation and results.unpublished

    categories = Counter(p["category"] for p in _payloads(ledger, "inspection.result_recorded"))
    assert {"problem_corrected", "problem_pending", "serious_refusal"} <= set(categories)
    kinds = [p["kind"] for p in _payloads(ledger, "inspection.followed_up")]
    assert {"order_to_correct", "corrected", "case_filed", "penalty_decided", "transferred"} <= set(
        kinds
    )
    refusals = [
        p for p in _payloads(ledger, "inspection.confirmation_recorded") if not p["confirmed"]
    ]
    assert len(refusals) == 1 and refusals[0]["note"]
    published = _payloads(ledger, "publication.published")
    assert [p["on_time"] for p in published].count(False) == 1
    assert Counter(p["channel"] for p in published)["double_publicity"] == 1
    # The joint inspection's partner recorded its own result with its own team.
    divisions = Counter(p["division"] for p in _payloads(ledger, "inspection.notified"))
    assert len(divisions) >= 3  # szc, ggc and the accepting partner

    rm = open_read_models(ledger, attach=False)
    try:
        assert search_publications(rm.engine)["total"] == results.publications
        waiting = {r["id"] for r in awaiting_confirmation(rm.engine)}
        assert waiting == set(results.awaiting_confirmation)
    finally:
        rm.close()

    export_bundle(ledger, tmp_path / "demo.jsonl")
    report = verify_bundle(
        read_bundle(tmp_path / "demo.jsonl"), pinned_keys=[str(ledger.signer.verifier)]
    )
    assert report.ok, report.to_json()
    assert report.steps[9].detail.startswith(
        f"{results.inspections} 次检查，{results.publications} 次公示（逾期 1 次；"
    )
