"""The sampler is byte-compatible with PyPI consistent-sampler 1.0.10, an outside reference."""

from __future__ import annotations

import json
import random

import pytest
from consistent_sampler import sampler as reference_sampler

from verify.sampler import SamplerError, sample, seed_hash, ticket_number, trim


@pytest.fixture(scope="module")
def vectors(vectors_dir):
    return json.loads((vectors_dir / "sampler_consistent.json").read_text(encoding="utf-8"))[
        "vectors"
    ]


def test_every_shared_vector_is_reproduced_exactly(vectors):
    checked = 0
    for v in vectors:
        options = {"with_replacement": v["with_replacement"], "digits": v["digits"]}
        if "ids" in v:  # one draw over a list of ids
            got = sample(v["ids"], v["seed"], v["k"], **options)
            assert [list(t) for t in got] == v["expected"], v["name"]
        elif "draws" in v:  # a team per target, seed '<seed>/inspectors/<target>'
            for draw in v["draws"]:
                got = sample(v["roster"], draw["seed"], v["k"], **options)
                assert [list(t) for t in got] == draw["expected"], (v["name"], draw["target"])
        else:  # Arlo's ids are tuples hashed as str(tuple): check each published ticket
            hashed = seed_hash(v["seed"])
            for ticket, (batch, position), generation in v["expected_first3"]:
                assert generation == 1
                full = ticket_number(str((batch, position)), hashed)
                assert trim(full, v["digits"]) == ticket, v["name"]
        checked += 1
    assert checked == len(vectors) == 6


def _reference(ids, seed, k, with_replacement, digits):
    return list(
        reference_sampler(
            ids, seed=seed, take=k, with_replacement=with_replacement, digits=digits, output="tuple"
        )
    )


@pytest.mark.parametrize("case", range(300))
def test_random_cases_match_the_reference_package(case):
    rnd = random.Random(case)
    n = rnd.choice([1, 2, 5, 30, 200, 1500])
    ids = sorted({f"{rnd.choice(['T', 'AB-', '9132'])}{rnd.randrange(10**6)}" for _ in range(n)})
    rnd.shuffle(ids)
    seed = "".join(rnd.choice("0123456789") for _ in range(rnd.choice([1, 20, 24])))
    with_replacement = rnd.random() < 0.25
    k = rnd.randrange(0, len(ids) * (3 if with_replacement else 1) + 2)
    if with_replacement:
        k = min(k, 60)
    digits = rnd.choice([9, 9, 4, 12, 20])
    expected = _reference(ids, seed, k, with_replacement, digits)
    assert sample(ids, seed, k, with_replacement=with_replacement, digits=digits) == expected


def test_unicode_ids_and_seeds_match_the_reference_package():
    ids = ["常州某水务公司", "ｆｕｌｌ", "a#1", "a#2", "\U0001f600"]
    assert sample(ids, "种子 2026", 5) == _reference(ids, "种子 2026", 5, False, 9)


def test_sampling_a_subset_keeps_the_relative_order_of_the_rest():
    ids = [f"id-{i}" for i in range(500)]
    whole = [t[1] for t in sample(ids, "42", 500)]
    subset = set(ids[::3])
    assert [t[1] for t in sample(sorted(subset), "42", len(subset))] == [
        i for i in whole if i in subset
    ]


def test_duplicate_ids_and_negative_counts_are_refused():
    with pytest.raises(SamplerError, match="编号重复"):
        sample(["a", "b", "a"], "1", 1)
    with pytest.raises(SamplerError, match="抽取个数"):
        sample(["a"], "1", -1)


def test_the_sample_command_prints_ticket_tab_id_like_the_reference(tmp_path):
    import subprocess
    import sys

    ids = [f"9132{n:014d}" for n in range(50)]
    (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "verify",
            "sample",
            "--seed",
            "2018",
            "--count",
            "7",
            "--ids",
            str(tmp_path / "ids.txt"),
            "--digits",
            "12",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = "".join(f"{t}\t{i}\n" for t, i, _ in _reference(ids, "2018", 7, False, 12))
    assert out == expected


def test_the_sample_command_reads_standard_input_and_refuses_duplicates():
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "verify", "sample", "--seed", "1", "--count", "1"],
        input="a\nb\na\n",
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "编号重复" in run.stderr and "Traceback" not in run.stderr
