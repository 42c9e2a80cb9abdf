"""Fixtures for the tamper suite: one sealed, exported ledger history, and the verifier's CLI.

The history is built once per session (SQLite) and each test edits its own copy of the bundle.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ledger.application import LedgerApp
from ledger.export import export_bundle
from ledger.storage import persistence_env
from verify.__main__ import main as verify_main
from verify.keys import SignerKey

from .history import write_history

ORIGIN = "drawledger.test/tamper"


def sqlite_ledger(directory: Path) -> tuple[SignerKey, LedgerApp]:
    """A new ledger on SQLite in ``directory`` under a new key: created, the default policy
    set (the caller closes it)."""
    signer = SignerKey.generate(ORIGIN)
    app = LedgerApp(persistence_env("sqlite:///ledger.sqlite", directory), signer, signer.name)
    app.create_ledger()
    app.set_default_policy()
    return signer, app


@dataclass(frozen=True)
class SealedHistory:
    """An exported ledger: the key that signed it, its notes and the bundle's bytes."""

    signer: SignerKey
    note_ids: list[UUID]
    bundle: bytes
    latest_checkpoint: str


def build_sealed_history(
    directory: Path, signer: SignerKey, *, notes: int, rounds: int, label: str = "note"
) -> SealedHistory:
    directory.mkdir(parents=True, exist_ok=True)
    # A checkpoint per command (seal_interval=0): many checkpoints for the tamperer to meet.
    env = persistence_env("sqlite:///ledger.sqlite", directory)
    app = LedgerApp(env, signer, signer.name, seal_interval=0)
    try:
        app.create_ledger()
        app.set_default_policy()
        note_ids = write_history(app, notes=notes, rounds=rounds, label=label)
        out = directory / "ledger.bundle"
        export_bundle(app, out)
        latest = app.sealer.latest()
        assert latest is not None
        return SealedHistory(signer, note_ids, out.read_bytes(), latest.note)
    finally:
        app.close()


@pytest.fixture(scope="session")
def ledger_key() -> SignerKey:
    """The ledger's real signing key (tests use it to forge as a key holder would)."""
    return SignerKey.generate(ORIGIN)


@pytest.fixture(scope="session")
def sealed_history(
    tmp_path_factory: pytest.TempPathFactory, ledger_key: SignerKey
) -> SealedHistory:
    """2 setup events + 5 notes × 6 versions, interleaved, + 2 adjacent amendments: 34 events."""
    return build_sealed_history(tmp_path_factory.mktemp("sealed"), ledger_key, notes=5, rounds=5)


@pytest.fixture
def bundle_path(tmp_path: Path, sealed_history: SealedHistory) -> Path:
    """A fresh copy of the exported bundle, for one test to edit."""
    path = tmp_path / "ledger.bundle"
    path.write_bytes(sealed_history.bundle)
    return path


VerifyRun = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture
def run_verify(capsys: pytest.CaptureFixture[str], ledger_key: SignerKey) -> VerifyRun:
    """Run ``python -m verify BUNDLE --json [args]`` in-process: (exit status, parsed report).

    As an auditor who holds the ledger's key does, it adds ``--key`` with the real key unless
    the arguments anchor the verification themselves or ``anchored=False``.
    """

    def run(path: Path, *args: str, anchored: bool = True) -> tuple[int, dict[str, Any]]:
        if anchored and not {"--key", "--trusted-checkpoint"} & set(args):
            args = (*args, "--key", str(ledger_key.verifier))
        capsys.readouterr()
        status = verify_main([str(path), "--json", *args])
        out = capsys.readouterr().out
        return status, json.loads(out)

    return run


@pytest.fixture
def sealed(ledger):  # type: ignore[no-untyped-def]
    """The demo bureau (40 targets, 10 inspectors), sealed."""
    from ledger.demo.bureau import build_demo

    build_demo(ledger, targets=40, inspectors=10)
    ledger.seal()
    return ledger
