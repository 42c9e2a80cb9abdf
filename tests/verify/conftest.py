"""Fixtures for the verifier tests: the outside test vectors in `shared/vectors/`.

The vectors live beside the project root (`../shared/vectors`), are facts from public sources
and are never edited here. Tests that take one of the arguments named in `_PARAMETRIZED`
are parametrized with one case per vector, named after the vector so a failure says which.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

VECTORS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The `shared/vectors` folder beside the project root."""
    assert VECTORS_DIR.is_dir(), f"test vectors not found at {VECTORS_DIR}"
    return VECTORS_DIR


def _load(name: str) -> Any:
    return json.loads((VECTORS_DIR / name).read_text(encoding="utf-8"))


def _probes(kind: str) -> list[tuple[str, dict[str, Any]]]:
    """(path relative to merkle_probes/, content) of every probe file of one kind."""
    root = VECTORS_DIR / "merkle_probes"
    files = sorted((root / kind).rglob("*.json"))
    assert files, f"no {kind} probes under {root}"
    return [(f.relative_to(root).as_posix(), json.loads(f.read_text())) for f in files]


def _rfc6962(section: str, id_fields: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    cases = _load("merkle_rfc6962.json")[section]
    return [("-".join(f"{k}{c[k]}" for k in id_fields), c) for c in cases]


def _notes() -> list[tuple[str, dict[str, Any]]]:
    return [(n["name"], n) for n in _load("signed_note.json")["notes"]]


_PARAMETRIZED = {
    "inclusion_probe": lambda: _probes("inclusion"),
    "consistency_probe": lambda: _probes("consistency"),
    "rfc6962_inclusion": lambda: _rfc6962("inclusion", ("index", "size")),
    "rfc6962_consistency": lambda: _rfc6962("consistency", ("old_size", "new_size")),
    "signed_note_vector": _notes,
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for arg, cases in _PARAMETRIZED.items():
        if arg in metafunc.fixturenames:
            loaded = cases()
            metafunc.parametrize(arg, [c for _, c in loaded], ids=[i for i, _ in loaded])
