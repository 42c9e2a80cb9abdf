"""Selecting k = 100 of N = 1,000,000 ids (issue "Plans and verifiable draws").

Compared in the same run, interleaved: ``verify.sampler.sample`` against PyPI
``consistent-sampler`` 1.0.10 on the same ids and seed (target: ≥ 4× faster), and against a bare
hashlib loop computing SHA-256 of every id (target: within 2×, i.e. ours / bare ≤ 2, reported
as bare / ours ≥ 0.5). The selections are compared for equality on every repeat.
"""

from __future__ import annotations

import hashlib
import time

from consistent_sampler import sampler as reference_sampler

from verify.sampler import sample

from .common import Config, Figure, median

SEED = "09175059342981586505"


def _bare(ids: list[str]) -> None:
    prefix = hashlib.sha256(SEED.encode()).hexdigest()
    for item in ids:
        hashlib.sha256((prefix + item).encode()).digest()


def run(config: Config) -> list[Figure]:
    n, k = (100_000, 100) if config.quick else (1_000_000, 100)
    ids = [f"9132{i:014d}" for i in range(n)]
    ours: list[float] = []
    package: list[float] = []
    bare: list[float] = []
    for repeat in range(config.repeats):
        t = time.perf_counter()
        got = sample(ids, SEED, k)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        expected = list(reference_sampler(ids, seed=SEED, take=k, output="tuple"))
        package.append(time.perf_counter() - t)
        t = time.perf_counter()
        _bare(ids)
        bare.append(time.perf_counter() - t)
        if got != expected:
            raise AssertionError("verify.sampler and consistent-sampler disagree")
        config.log(
            f"  sample repeat {repeat + 1}/{config.repeats}: ours {ours[-1]:.2f} s, "
            f"consistent-sampler {package[-1]:.2f} s, bare hashlib {bare[-1]:.2f} s"
        )
    speedups = [p / o for p, o in zip(package, ours, strict=True)]
    closeness = [b / o for b, o in zip(bare, ours, strict=True)]
    detail = (
        f"k={k} of N={n:,}; ours {median(ours):.2f} s, consistent-sampler {median(package):.2f} s, "
        f"bare SHA-256 loop {median(bare):.2f} s; selections identical"
    )
    return [
        Figure(
            "sample",
            "-",
            "verify.sampler / consistent-sampler 1.0.10 (speed-up)",
            median(speedups),
            target=4.0,
            detail=detail,
            spread=(min(speedups), max(speedups)),
        ),
        Figure(
            "sample",
            "-",
            "bare hashlib SHA-256 loop / verify.sampler (≥ 0.5× = within 2×)",
            median(closeness),
            target=0.5,
            detail=detail,
            spread=(min(closeness), max(closeness)),
        ),
    ]
