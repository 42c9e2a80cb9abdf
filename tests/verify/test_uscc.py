"""Credit codes against the GB 32100 worked example and the shared vectors."""

from __future__ import annotations

import json

import pytest

from verify.uscc import CreditCodeError, organisation_code_warning, validate


@pytest.fixture(scope="module")
def vectors(vectors_dir):
    return json.loads((vectors_dir / "uscc.json").read_text(encoding="utf-8"))


def test_every_valid_vector_is_accepted_unchanged(vectors):
    for code in vectors["valid"]:
        assert validate(code) == code


def test_every_invalid_vector_is_refused_with_its_reason(vectors):
    for case in vectors["invalid"]:
        with pytest.raises(CreditCodeError) as error:
            validate(case["code"])
        why = case["why"]
        if "expected" in why:  # "check character (expected 3)"
            assert f"expected {why.split('expected ')[1].rstrip(')')!r}" in str(error.value)


def test_normalisation_cases_reach_their_canonical_form(vectors):
    for case in vectors["normalise_then_valid"]:
        assert validate(case["input"]) == case["canonical"]


def test_the_gb_worked_example_passes_the_inner_organisation_code_check_too():
    assert organisation_code_warning("91350100M000100Y43") is None
