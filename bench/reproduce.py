"""The outside script reproducing a weighted, stratified draw of 100,000 targets (issue 10).

Compared in the same run, interleaved: the selection step of the column's outside script
(``api/public_column/static/reproduce_draw.py``, standard library only) on a record of N targets
in four credit-class strata weighted 1, 1, 2, 3 (k = 25 a stratum), against PyPI
``consistent-sampler`` 1.0.10 alone selecting k from each stratum's ids (unweighted: the package
has no weights). Target: the script within 2× of the package (reported as package / script,
≥ 0.5). Every repeat also checks the script's selection against ``verify.draws.select_targets``.
"""

from __future__ import annotations

import importlib.util
import random
import time
from pathlib import Path
from typing import Any

from consistent_sampler import sampler

from verify.draws import select_targets

from .common import Config, Figure, median

SCRIPT = Path(__file__).resolve().parents[1] / "api/public_column/static/reproduce_draw.py"
WEIGHTS = {"A": 1, "B": 1, "C": 2, "D": 3}
SEED = "ab" * 32


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("reproduce_draw", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(config: Config) -> list[Figure]:
    n, k = (20_000, 25) if config.quick else (100_000, 25)
    rng = random.Random(2018)
    ids = [f"9132{i:014d}" for i in range(n)]
    credit = {i: rng.choice("ABCD") for i in ids}
    strata = {s: [i for i in ids if credit[i] == s] for s in WEIGHTS}
    manifest: dict[str, Any] = {
        "eligible": [
            {"target": i, "stratum": credit[i], "weight": WEIGHTS[credit[i]]} for i in ids
        ],
        "opened": {"counts": {s: k for s in WEIGHTS}, "weighted": True},
    }
    script = _script()
    expected = select_targets(
        strata, manifest["opened"]["counts"], SEED, weights={i: WEIGHTS[credit[i]] for i in ids}
    )
    want = [[{"target": s.target, "ticket": s.ticket} for s in r.selected] for r in expected]
    ours: list[float] = []
    package: list[float] = []
    for repeat in range(config.repeats):
        t = time.perf_counter()
        got = script.selection(manifest, SEED)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        for keys in strata.values():
            list(sampler(keys, seed=f"{SEED}/targets", take=k, digits=18, output="tuple"))
        package.append(time.perf_counter() - t)
        if [s["selected"] for s in got] != want:
            raise AssertionError("the outside script and verify.draws disagree")
        config.log(
            f"  reproduce repeat {repeat + 1}/{config.repeats}: script {ours[-1]:.2f} s, "
            f"consistent-sampler {package[-1]:.2f} s"
        )
    ratios = [p / o for p, o in zip(package, ours, strict=True)]
    detail = (
        f"N={n:,} in 4 weighted strata, k={k} each; script {median(ours):.2f} s, "
        f"consistent-sampler alone (unweighted, same ids) {median(package):.2f} s; "
        "selection equal to verify.draws"
    )
    return [
        Figure(
            "reproduce",
            "-",
            "consistent-sampler alone / outside script, weighted+stratified (≥ 0.5× = within 2×)",
            median(ratios),
            target=0.5,
            detail=detail,
            spread=(min(ratios), max(ratios)),
        )
    ]
