"""The records' times in a dispute file, bounded by the witnesses (verify/dispute_witnessed.py):
a court holding only the file finds an act recorded with the server's clock set back, from the
cosigned checkpoints around it — those the file carries, or, when the bureau's file leaves them
out, those the witness gave the court itself."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from ledger.registry.service import Registry
from ledger.witnesses import Witnesses
from projections import dispute as writer
from projections.dispute import write_dispute
from verify.dispute import main as verify_dispute
from verify.dispute_witnessed import WITNESSED, check_witnessed
from verify.note import parse_checkpoint, parse_note, verify_note

DAY = 86_400


@pytest.fixture
def bureau(demo_ledger, witness_key) -> tuple[Any, TestClient, str]:  # type: ignore[no-untyped-def]
    """A small demo bureau with ``witness_key`` added as its witness, and one target's code."""
    ledger, _ = demo_ledger(targets=12, inspectors=6)
    Witnesses(ledger).add(str(witness_key.verifier), None, "审计局")
    client = TestClient(create_app(ledger))
    code = next(ledger.records(topics=["target.registered"]))[1].envelope["payload"]["code"]
    return ledger, client, code


def _late_act(ledger: Any, code: str) -> int:
    """The act in dispute: the target recorded as moved out by its division's clerk; its
    position."""
    [registered] = [
        r.envelope["payload"]
        for _, r in ledger.records(topics=["target.registered"])
        if r.envelope["payload"]["code"] == code
    ]
    clerk = f"{registered['division']}-clerk"
    Registry(ledger).change_target_status(code, "moved", "迁出本市", "测试", clerk)
    return int(ledger.recorder.max_notification_id())


def _write(ledger: Any, client: TestClient, code: str, out: Path) -> dict[str, Any]:
    client.app.state.read_models.runner.catch_up()  # type: ignore[attr-defined]
    return write_dispute(ledger, client.app.state.read_models.engine, "target", code, out)  # type: ignore[attr-defined]


def _check(out: Path, ledger: Any, capsys: Any, *more: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    status = verify_dispute([str(out), "--key", str(ledger.signer.verifier), "--json", *more])
    return status, json.loads(capsys.readouterr().out)


def _witnessed_file(
    bureau: tuple[Any, TestClient, str], make_witness: Any, tmp_path: Path, ahead: float = 0
) -> tuple[Any, Path, int]:
    """A witness round, the act, a round, and the target's file: (ledger, the file, the act's
    position). ``ahead``: how far the witness's clock runs ahead of the server's."""
    ledger, client, code = bureau
    witness = make_witness(client, ledger, clock=lambda: time.time() + ahead)
    assert witness.round().ok
    act = _late_act(ledger, code)
    assert witness.round().ok
    out = tmp_path / "file"
    _write(ledger, client, code, out)
    return ledger, out, act


def _time_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["rules"]["findings"] if f["rule"] == "witnessed_time"]


def test_an_honest_file_carries_the_witnessed_checkpoints_and_gives_no_time_finding(
    bureau, make_witness, tmp_path, capsys
):
    ledger, out, _ = _witnessed_file(bureau, make_witness, tmp_path)

    status, report = _check(out, ledger, capsys)

    assert status == 0 and report["integrity"]["ok"]
    assert (out / WITNESSED).exists()
    [step] = [s for s in report["integrity"]["steps"] if "见证方联署" in s["name"]]
    assert step["ok"] and step["step"] == 6  # after the five, no trusted checkpoint given
    rules = report["rules"]
    assert rules["rules"]["witnessed_time"]["checked"] > 0
    assert rules["rules"]["event_time_order"]["checked"] > 0
    assert "witnessed_time" not in rules["not_judgeable"]
    assert _time_findings(report) == []


def test_an_act_recorded_with_the_clock_set_back_is_found_from_the_file_alone(
    bureau, make_witness, tmp_path, capsys
):
    """The server's clock runs a day behind the witness's (set back to record the act "on
    time"): the file's checkpoint without the act, cosigned a day after the act's time, shows
    it was recorded at least that long after the time it claims."""
    ledger, out, act = _witnessed_file(bureau, make_witness, tmp_path, ahead=DAY)

    status, report = _check(out, ledger, capsys)

    assert status == 0  # a finding is not an integrity failure
    [finding] = _time_findings(report)
    assert "before witness" in finding["message"] and "does not hold it" in finding["message"]
    assert [e["event"] for e in finding["events"]] == [act]
    capsys.readouterr()
    verify_dispute([str(out), "--key", str(ledger.signer.verifier)])
    assert "尚不包含它" in capsys.readouterr().out
    assert "尚不包含它" in (out / "report.html").read_text(encoding="utf-8")


def test_a_file_that_leaves_the_witnessed_checkpoints_out_is_caught_by_the_witness_s_own(
    bureau, make_witness, tmp_path, capsys, monkeypatch
):
    """The bureau writes the file without the checkpoint that exposes the act: the file alone
    cannot judge the times (and says so); the checkpoint the witness cosigned, given to the
    check by the court with its consistency proof, finds the act again."""
    ledger, client, code = bureau
    witness = make_witness(client, ledger, clock=lambda: time.time() + DAY)
    assert witness.round().ok
    seen = ledger.sealer.latest().size
    act = _late_act(ledger, code)
    monkeypatch.setattr(writer.Witnesses, "cosigned_around", lambda *_: [])  # dishonest writer
    out = tmp_path / "file"
    _write(ledger, client, code, out)

    status, report = _check(out, ledger, capsys)
    assert status == 0 and not (out / WITNESSED).exists()
    assert _time_findings(report) == []
    assert "witnessed_time" in report["rules"]["not_judgeable"]

    # what the witness gives the court from its own record (drawledger witness-notes, for the
    # act's leaf as the file lists it): the checkpoint it cosigned without the act; and the
    # bureau's public answer to GET /proofs/consistency from it to the file's
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    leaf = next(r["index"] for r in manifest["records"] if r["position"] == act)
    notes = tmp_path / "from-the-witness"
    state = str(tmp_path / "witness-state")
    args = ["witness-notes", "--state", state, "--leaf", str(leaf), "--out", str(notes)]
    assert drawledger(args) == 0
    [held] = list(notes.iterdir())  # it never cosigned one holding the act
    assert held.name == f"{seen}.note"
    size = manifest["checkpoint"]["size"]
    proof = tmp_path / "proof.json"
    proof.write_text(client.get(f"/proofs/consistency?old={seen}&new={size}").text)

    status, report = _check(
        out, ledger, capsys, "--trusted-checkpoint", str(held), "--consistency-proof", str(proof)
    )
    assert status == 0 and report["integrity"]["ok"]
    [finding] = _time_findings(report)
    assert [e["event"] for e in finding["events"]] == [act]


def test_the_witness_keeps_each_checkpoint_it_cosigned_once_and_gives_the_bounding_ones(
    bureau, make_witness, tmp_path, capsys
):
    """Its own record: every new checkpoint, cosigned, once (a round that finds nothing new
    posts again but records nothing); for a leaf, the latest without it and the earliest with
    it; with nothing recorded, a clear refusal."""
    from witness.state import State

    ledger, client, code = bureau
    state = tmp_path / "witness-state"
    args = ["witness-notes", "--state", str(state), "--leaf", "0", "--out", str(tmp_path / "n")]
    assert drawledger(args) == 1
    assert "没有任何已联署的检查点" in capsys.readouterr().err
    witness = make_witness(client, ledger)
    assert witness.round().ok
    first = ledger.sealer.latest().size
    assert witness.round().ok  # nothing new
    _late_act(ledger, code)
    assert witness.round().ok
    second = ledger.sealer.latest().size
    kept = dict(State(state).cosigned())
    assert sorted(kept) == [first, second]
    assert len((state / "cosigned.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    for size, note in kept.items():  # each the ledger's checkpoint, with the witness's line
        assert parse_checkpoint(verify_note(note, [ledger.signer.verifier])[0].text).size == size
        assert len(parse_note(note).signatures) >= 2
    args = [
        "witness-notes",
        "--state",
        str(state),
        "--leaf",
        str(first),
        "--out",
        str(tmp_path / "n"),
    ]
    assert drawledger(args) == 0
    assert sorted(p.name for p in (tmp_path / "n").iterdir()) == [f"{first}.note", f"{second}.note"]


def test_a_witnessed_checkpoint_that_is_not_the_ledger_s_history_fails_the_check(
    bureau, make_witness, tmp_path
):
    """Step 7 on its own (the signed manifest would catch an edited line first): a checkpoint
    whose consistency proof does not lead to the file's, or signed by another key, fails."""
    ledger, out, _ = _witnessed_file(bureau, make_witness, tmp_path)
    own = parse_checkpoint(
        verify_note((out / "checkpoint.note").read_text(), [ledger.signer.verifier])[0].text
    )
    notes, failures = check_witnessed(out, own, ledger.signer.verifier)
    assert notes and not failures

    lines = [json.loads(x) for x in (out / WITNESSED).read_text().splitlines()]
    lines[0]["proof"] = [base64.b64encode(b"\0" * 32).decode()] + lines[0]["proof"][1:]
    (out / WITNESSED).write_text("".join(json.dumps(x) + "\n" for x in lines))
    _, failures = check_witnessed(out, own, ledger.signer.verifier)
    assert len(failures) == 1 and "不一致" in failures[0]

    lines[0]["note"] = lines[0]["note"].replace(own.origin, "another.example/log")
    (out / WITNESSED).write_text("".join(json.dumps(x) + "\n" for x in lines))
    _, failures = check_witnessed(out, own, ledger.signer.verifier)
    assert len(failures) == 1 and "有效签名" in failures[0]


def test_the_bounding_checkpoints_are_the_nearest_cosigned_on_each_side_of_a_record(
    served, make_witness
):
    """``Witnesses.cosigned_around``, what the writer puts in ``witnessed.jsonl``: of the
    checkpoints a witness cosigned, the largest without the record and the smallest with it."""
    from ledger.witnesses import Witnesses

    from .conftest import grow

    ledger, client = served
    witness = make_witness(client, ledger)
    sizes = []
    for _ in range(3):
        grow(ledger, 2)
        assert witness.round().ok
        sizes.append(ledger.sealer.latest().size)
    a, b, c = sizes
    around = Witnesses(ledger).cosigned_around
    assert around(a) == [a, b]  # leaf a: not in the checkpoint of size a, in b
    assert around(a - 1) == [a]  # in a already, and no cosigned checkpoint lacks it
    assert around(b + 1) == [b, c]
    assert around(c) == [c]  # in none yet


def test_the_witness_s_record_gives_the_nearest_checkpoints_on_each_side_and_skips_a_cut_line(
    tmp_path,
):
    from witness.evidence import notes_around
    from witness.state import State

    state = State(tmp_path / "w")
    for size in (5, 3, 13, 8):  # the record in the order cosigned; sizes as it found them
        state.keep_cosigned(size, f"note {size}\n")
    with (tmp_path / "w" / "cosigned.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"size": 21, "note": "cut sh')  # a crash in the middle of a line
    assert sorted(p.name for p in notes_around(tmp_path / "w", 4, tmp_path / "a")) == [
        "3.note",
        "5.note",
    ]
    assert (tmp_path / "a" / "5.note").read_text(encoding="utf-8") == "note 5\n"
    assert [p.name for p in notes_around(tmp_path / "w", 20, tmp_path / "b")] == ["13.note"]
    assert [p.name for p in notes_around(tmp_path / "w", 0, tmp_path / "c")] == ["3.note"]
    with pytest.raises(ValueError, match="叶子序号应为 0 或更大"):  # said in Chinese
        notes_around(tmp_path / "w", -1, tmp_path / "d")
