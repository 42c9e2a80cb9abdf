"""The dispute file of a draw is written from the population kept at the freeze
(``ledger/draws/populations.py``) instead of the registry folded again; an operator with the
data directory who edits what is kept does not get a file that verifies with the edit in it."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from api.cli import main as drawledger
from ledger.application import LedgerApp
from ledger.draws import population_keeping
from ledger.draws.population_keeping import keep_recorded
from ledger.draws.populations import LEGACY_TABLE, TABLE, FrozenPopulation, FrozenPopulations
from ledger.draws.service import Draws
from verify.dispute import main as verify_dispute


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A demo year (SQLite) and one of its draws that selected targets and drew teams."""
    data = tmp_path_factory.mktemp("kept") / "ledger"
    assert drawledger(["demo", "--data", str(data), "--targets", "60"]) == 0
    app = LedgerApp.open(data)
    try:
        assigned = {e.aggregate for _, e in app.records(topics=["draw.inspectors_assigned"])}
        draw = sorted(assigned)[0]
    finally:
        app.close()
    return {"data": data, "draw": draw, "key": str(data / "keys" / "ledger.pub")}


def _write(demo: dict[str, Any], out: Path) -> int:
    return drawledger(
        ["dispute", "--data", str(demo["data"]), "--draw", demo["draw"], "--out", str(out)]
    )


def _check(out: Path, key: str) -> int:
    return verify_dispute([str(out), "--key", key])


def _file_population(out: Path, draw: str) -> dict[str, Any]:
    return json.loads((out / "draws" / f"{draw}.json").read_text(encoding="utf-8"))


def _kept(demo: dict[str, Any]) -> FrozenPopulation | None:
    app = LedgerApp.open(demo["data"])
    try:
        return FrozenPopulations(app).get(demo["draw"])
    finally:
        app.close()


def test_the_freeze_keeps_the_population_and_the_writer_reads_it_without_folding(
    demo, tmp_path, monkeypatch
):
    kept = _kept(demo)
    assert kept is not None and kept.eligible and kept.roster

    def no_fold(self: Draws, position: int | None) -> None:
        raise AssertionError("the writer folded the registry again")

    monkeypatch.setattr(Draws, "registry_at", no_fold)
    out = tmp_path / "draw"
    assert _write(demo, out) == 0
    assert _check(out, demo["key"]) == 0
    doc = _file_population(out, demo["draw"])
    assert [(r["target"], r["stratum"], r["weight"]) for r in doc["eligible"]] == kept.eligible
    assert kept.roster in doc["rosters"].values()


def _move_a_target(p: FrozenPopulation) -> FrozenPopulation:
    (target, stratum, weight), *rest = p.eligible
    return FrozenPopulation.from_rows(
        p.draw, [(target, stratum + "-其他", weight), *rest], p.roster, p.partner_rosters
    )


def _drop_a_target(p: FrozenPopulation) -> FrozenPopulation:
    return FrozenPopulation(p.draw, p.table.split(b"\n", 1)[1], p.roster, p.partner_rosters)


def _weigh_a_target(p: FrozenPopulation) -> FrozenPopulation:
    (target, stratum, weight), *rest = p.eligible
    return FrozenPopulation.from_rows(
        p.draw, [(target, stratum, weight + 4), *rest], p.roster, p.partner_rosters
    )


def _add_an_inspector(p: FrozenPopulation) -> FrozenPopulation:
    return FrozenPopulation(p.draw, p.table, sorted([*p.roster, "ZF-99999"]), p.partner_rosters)


def _drop_an_inspector(p: FrozenPopulation) -> FrozenPopulation:
    return FrozenPopulation(p.draw, p.table, p.roster[1:], p.partner_rosters)


EDITS = {
    "move a target to another stratum": _move_a_target,
    "drop a target": _drop_a_target,
    "weigh a target more": _weigh_a_target,
    "add an inspector to the roster": _add_an_inspector,
    "leave an inspector out of the roster": _drop_an_inspector,
}


@pytest.mark.parametrize("edit", [*EDITS, "garble the stored bytes", "delete the row"])
def test_an_operator_who_edits_the_kept_population_gets_the_true_one_in_the_file(
    demo, tmp_path, capsys, edit
):
    """The writer checks what is kept against the digests of the signed freeze: an edited row
    is ignored (the registry is folded again and the true population kept again), so the file
    holds the population the draw froze and verifies; the edited one, put in a file, does not."""
    good = tmp_path / "good"
    assert _write(demo, good) == 0
    true = _kept(demo)
    assert true is not None
    app = LedgerApp.open(demo["data"])
    try:
        store = FrozenPopulations(app)
        if edit in EDITS:
            store.save(EDITS[edit](true))
        else:
            with app.recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
                if edit == "delete the row":
                    c.execute(f"DELETE FROM {TABLE} WHERE draw = ?", (demo["draw"],))
                else:
                    c.execute(
                        f"UPDATE {TABLE} SET body = ? WHERE draw = ?",
                        (b"\x78garbled", demo["draw"]),
                    )
        edited = store.get(demo["draw"])
    finally:
        app.close()
    assert edited != true

    out = tmp_path / "written"
    assert _write(demo, out) == 0
    assert _file_population(out, demo["draw"]) == _file_population(good, demo["draw"])
    capsys.readouterr()
    assert _check(out, demo["key"]) == 0
    assert _kept(demo) == true  # kept again, as the freeze kept it

    if edited is not None:  # the edit itself, had a writer used it, fails the check
        doc = _file_population(good, demo["draw"])
        doc["eligible"] = [{"target": t, "stratum": s, "weight": w} for t, s, w in edited.eligible]
        lead = next(d for d, codes in doc["rosters"].items() if codes == true.roster)
        doc["rosters"][lead] = edited.roster
        (out / "draws" / f"{demo['draw']}.json").write_text(json.dumps(doc), encoding="utf-8")
        capsys.readouterr()
        assert _check(out, demo["key"]) == 1
        assert "失败：(5) 每次抽取均可由其冻结的总体重现" in capsys.readouterr().out


def test_a_writer_that_trusted_an_edited_cache_would_write_a_file_the_check_refuses(
    demo, tmp_path, capsys, monkeypatch
):
    """The checker is the guarantee, not the writer's care: with the writer's check of the kept
    bytes against the signed freeze switched off, an operator's edited population goes into the
    file — and ``python -m verify dispute`` refuses it."""
    true = _kept(demo)
    assert true is not None
    app = LedgerApp.open(demo["data"])
    try:
        FrozenPopulations(app).save(_move_a_target(true))
    finally:
        app.close()
    monkeypatch.setattr(population_keeping, "matches", lambda population, facts: True)
    out = tmp_path / "trusting"
    assert _write(demo, out) == 0
    written = _file_population(out, demo["draw"])["eligible"]
    assert [(r["target"], r["stratum"], r["weight"]) for r in written] != true.eligible
    capsys.readouterr()
    assert _check(out, demo["key"]) == 1
    assert "失败：(5) 每次抽取均可由其冻结的总体重现" in capsys.readouterr().out
    monkeypatch.undo()
    assert _write(demo, tmp_path / "again") == 0  # the edit is caught and the true one kept
    assert _kept(demo) == true


def _keep_in_the_form_before(demo: dict[str, Any], population: FrozenPopulation) -> None:
    """Put ``population`` only in the table the freeze kept it in before (rows as JSON)."""
    body = {
        "eligible": population.eligible,
        "roster": population.roster,
        "partner_rosters": population.partner_rosters,
    }
    app = LedgerApp.open(demo["data"])
    try:
        with app.recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
            c.execute(f"DELETE FROM {TABLE} WHERE draw = ?", (demo["draw"],))
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {LEGACY_TABLE} (draw TEXT PRIMARY KEY, body BLOB)"
            )
            c.execute(
                f"INSERT OR REPLACE INTO {LEGACY_TABLE} (draw, body) VALUES (?, ?)",
                (demo["draw"], zlib.compress(json.dumps(body).encode(), 1)),
            )
    finally:
        app.close()


@pytest.mark.parametrize("edited", [False, True])
def test_a_population_kept_in_the_form_before_is_converted_at_the_start_checked_first(
    demo, tmp_path, capsys, monkeypatch, edited
):
    """A ledger whose freezes kept their populations as JSON rows (before this form): the
    service's start (``keep_recorded``) converts each one that matches its signed freeze, so
    the first file copies the bytes without folding; one an operator edited is not converted
    but folded again from the registry, and the file holds the true population."""
    true = _kept(demo)
    assert true is not None
    _keep_in_the_form_before(demo, _drop_a_target(true) if edited else true)
    app = LedgerApp.open(demo["data"])
    try:
        assert FrozenPopulations(app).get(demo["draw"]) is None
        folds: list[int | None] = []
        real = Draws.registry_at
        monkeypatch.setattr(Draws, "registry_at", lambda s, p: folds.append(p) or real(s, p))
        assert keep_recorded(app) >= 1
        assert bool(folds) == edited  # only the edited one was folded again
        assert FrozenPopulations(app).get(demo["draw"]) == true
    finally:
        app.close()

    def no_fold(self: Draws, position: int | None) -> None:
        raise AssertionError("the writer folded the registry again")

    monkeypatch.setattr(Draws, "registry_at", no_fold)
    out = tmp_path / "after-start"
    assert _write(demo, out) == 0
    capsys.readouterr()
    assert _check(out, demo["key"]) == 0
