"""The events' times against the log's order and the witnesses' clocks (the rule audit's
``event_time_order`` and ``witnessed_time``, verify/audit_times.py): the operator who sets the
server's clock back to record a late act "in time", or whose clock runs ahead, is found by
``python -m verify BUNDLE --rules``; an honest ledger and its witness give no finding."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from ledger.export import export_bundle
from verify.__main__ import EXIT_OK, EXIT_RULE_FINDINGS
from verify.__main__ import main as verify_main
from verify.audit_times import CLOCK_SLACK_SECONDS, WITNESS_LAG_SECONDS
from verify.bundle import read_bundle
from verify.keys import ALG_COSIGNATURE_V1, SignerKey
from verify.note import Signature, add_signatures, cosign, parse_note
from verify.rule_audit import RuleAudit, audit_bundle

from ..api.test_one_numbering import _on_postgres, _skip_ids
from ..tamper.bundle_edits import EditableBundle, resealed
from .conftest import grow

DAY = 86_400
TIME_RULES = ("event_time_order", "witnessed_time")


def _audit(path: Path) -> RuleAudit:
    return audit_bundle(read_bundle(path))


def _times(audit: RuleAudit) -> list[Any]:
    return [f for f in audit.findings if f.rule in TIME_RULES]


def _rules(path: Path, ledger: Any, capsys: Any) -> tuple[int, dict[str, Any]]:
    key = str(ledger.signer.verifier)
    status = verify_main([str(path), "--key", key, "--rules", "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_an_honest_ledger_and_its_witness_give_no_time_finding(
    served, make_witness, tmp_path, capsys
):
    ledger, client = served
    witness = make_witness(client, ledger)
    for _ in range(3):
        grow(ledger, 2)
        assert witness.round().ok
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)

    audit = _audit(out)

    assert _times(audit) == []
    assert audit.checked["event_time_order"] > 0 and audit.checked["witnessed_time"] > 0
    assert _rules(out, ledger, capsys)[0] == EXIT_OK


def test_an_act_recorded_with_the_clock_set_back_is_found_by_the_witness_time(
    served, make_witness, tmp_path, capsys
):
    """The witness's clock is right; the server's runs a day behind (set back to record a late
    publication "before its deadline"). The witness saw a checkpoint without the act a day
    after the time the act claims."""
    ledger, client = served
    witness = make_witness(client, ledger, clock=lambda: time.time() + DAY)
    grow(ledger)
    assert witness.round().ok
    seen = ledger.sealer.latest().size
    grow(ledger)  # the "late" act: timed now, a day before the witness saw the log without it
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)

    [finding] = _times(_audit(out))

    assert finding.rule == "witnessed_time" and finding.kind == "timed_before_witnessed"
    assert [e.position for e in finding.events] == [seen]  # the first event after it
    assert finding.facts["lag"] == "23 小时"
    status, report = _rules(out, ledger, capsys)
    assert status == EXIT_RULE_FINDINGS
    [said] = [f for f in report["rule_audit"]["findings"] if f["rule"] == "witnessed_time"]
    assert said["events"][0]["event"] == seen


def test_a_lag_within_the_witness_rounds_is_no_finding(served, make_witness, tmp_path):
    ledger, client = served
    ahead = WITNESS_LAG_SECONDS - 60  # a witness round later than the sealing, within the lag
    witness = make_witness(client, ledger, clock=lambda: time.time() + ahead)
    grow(ledger)
    assert witness.round().ok
    grow(ledger)
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)

    assert _times(_audit(out)) == []


def test_a_clock_running_ahead_of_the_witness_is_found(served, make_witness, tmp_path):
    """The server's clock is a day ahead: the witness cosigned, at its right time, a checkpoint
    holding events that claim to be a day later."""
    ledger, client = served
    witness = make_witness(client, ledger, clock=lambda: time.time() - DAY)
    grow(ledger, 2)
    assert witness.round().ok
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)

    findings = _times(_audit(out))

    assert [f.kind for f in findings] == ["timed_after_witnessed"]
    assert findings[0].events[0].position == ledger.sealer.latest().size - 1  # the latest-timed


def test_a_time_only_a_stranger_or_an_altered_cosignature_vouches_for_is_not_taken(
    served, make_witness, tmp_path
):
    """A cosignature by a key the log never added as its witness (anyone can make one) with a
    time a day later bounds nothing; nor does the witness's own with its time altered (its
    signature then fails: step 12's failure, not a time)."""
    ledger, client = served
    grow(ledger)
    assert make_witness(client, ledger).round().ok
    grow(ledger)
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)
    bundle = EditableBundle.from_bytes(out.read_bytes())
    stranger = SignerKey.generate("stranger.example/w9", alg=ALG_COSIGNATURE_V1)
    [cosigned] = [n for n, c in enumerate(bundle.checkpoints) if "auditor.example/w1" in c]
    note = parse_note(bundle.checkpoints[cosigned])
    *own, real = note.signatures
    later = int.from_bytes(real.signature[:8], "big") + DAY
    altered = Signature(real.name, real.key_id, later.to_bytes(8, "big") + real.signature[8:])
    made_up = cosign(note.text, stranger, int(time.time()) + DAY)
    bundle.checkpoints[cosigned] = add_signatures(
        note.text + "\n" + "".join(s.to_line() for s in own), [altered, made_up]
    )
    out.write_bytes(bundle.to_bytes())

    assert _times(_audit(out)) == []


def test_an_event_timed_before_the_one_it_follows_is_found(ledger, tmp_path):
    """As the holder of the ledger's key would write it (every signature and checkpoint made
    again): one event an hour before its predecessor, another within the clocks' slack."""
    grow(ledger, 4)
    out = tmp_path / "b.jsonl"
    export_bundle(ledger, out)
    bundle = EditableBundle.from_bytes(out.read_bytes())
    last = len(bundle.events) - 1
    hour_back = _shifted(bundle.envelope(last - 1)["time"], -3600)
    within = _shifted(hour_back, -(CLOCK_SLACK_SECONDS - 1))
    resealed(bundle, ledger.signer, {last - 1: {"time": hour_back}, last: {"time": within}})
    out.write_bytes(bundle.to_bytes())

    [finding] = _times(_audit(out))

    assert finding.kind == "clock_stepped_back"
    assert [e.position for e in finding.events] == [last - 1, last - 2]
    assert "服务器时钟被调回" in finding_text(finding)


def _shifted(stamp: str, seconds: int) -> str:
    from datetime import UTC, datetime, timedelta

    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return (moment + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def finding_text(finding: Any) -> str:
    from verify.finding_texts import finding_text as text

    return text(finding)


def test_the_legal_offices_findings_name_the_backdated_act_too(served, make_witness):
    """The legal office's findings page audits the live ledger with the witnesses'
    cosignatures the ledger keeps: the act recorded with the clock set back is named there,
    by its ledger position, as the verifier names it in an export."""
    ledger, client = served
    oversight, reader = _legal_office(ledger)
    head = ledger.recorder.max_notification_id()
    assert [
        f for f in oversight.findings(reader, head)["findings"] if f["rule"] in TIME_RULES
    ] == []

    witness = make_witness(client, ledger, clock=lambda: time.time() + DAY)
    assert witness.round().ok
    seen = ledger.sealer.latest().size
    grow(ledger)
    head = ledger.recorder.max_notification_id()
    audit = oversight.findings(reader, head)

    [finding] = [f for f in audit["findings"] if f["rule"] in TIME_RULES]
    assert finding["rule"] == "witnessed_time"
    assert finding["events"][0]["event"] == seen + 1  # its ledger position (leaf seen)
    assert audit["names"]["witnessed_time"] == "事件时间与见证方所见相符（未倒签）"


def test_the_legal_offices_findings_match_events_to_leaves_where_positions_have_gaps(
    served, make_witness
):
    """On PostgreSQL the ledger's positions skip ids a rolled-back transaction took: the
    findings page matches each event to the checkpoints by its leaf index (how many events came
    before it), not by its position − 1, so an act in a checkpoint a witness cosigned an hour
    after it is not called backdated."""
    ledger, client = served
    if not _on_postgres(ledger):
        pytest.skip("SQLite's positions have no gaps")
    oversight, reader = _legal_office(ledger)
    grow(ledger)
    _skip_ids(ledger, 3)
    grow(ledger)  # its position is its leaf index + 4
    witness = make_witness(client, ledger, clock=lambda: time.time() + 3_600)
    assert witness.round().ok  # the checkpoint holding it, cosigned "an hour" after it
    head = ledger.recorder.max_notification_id()
    assert ledger.sealer.latest().size < head  # the gap is there

    audit = oversight.findings(reader, head)

    assert audit["rules"]["witnessed_time"]["checked"] > 0
    assert [f for f in audit["findings"] if f["rule"] in TIME_RULES] == []


def _legal_office(ledger: Any) -> tuple[Any, Any]:
    """The findings page's reader (an auditor of the legal office) and its Oversight."""
    from ledger.registry.service import Registry
    from projections.oversight import Oversight

    registry = Registry(ledger)
    registry.add_division({"code": "fzc", "name": "法制处", "kind": "other_unit"}, by=None)
    auditor = {"code": "fzc-auditor", "name": "审计员", "division": "fzc", "roles": "auditor"}
    registry.register_official(auditor, None)
    return Oversight(ledger), registry.official("fzc-auditor")
