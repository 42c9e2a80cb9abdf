"""``python -m verify`` streams the bundle: its memory does not grow with the bundle's size.

A bundle of about 40 MiB (a ledger.created and 1,599 signed events of 20 KB each, one checkpoint
over all) is verified in a child process whose address space is limited to what it uses once
everything is imported plus 20 MiB: less than the bundle's records alone, which the verifier
held in memory before it streamed (run the same way, that verifier stopped with a MemoryError
traceback while reading the bundle, exit 1)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from verify.authority_rules import OPERATOR
from verify.bundle import checkpoint_line, end_line, event_line, header_line
from verify.events import encode_record, make_envelope
from verify.keys import SignerKey
from verify.merkle import CompactTree, leaf_hash
from verify.note import Checkpoint, sign_note

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "drawledger.test/ledger"
TIME = "2026-12-02T00:00:00.000000Z"
HEADROOM = 20 << 20


def write_bundle(path: Path, events: int, pad: int, tamper_at: int | None = None) -> str:
    """A bundle of ``events`` events (a genesis, then padded ones); the ledger's key as text.
    ``tamper_at``: that event's stored bytes are changed after signing."""
    signer = SignerKey.generate(ORIGIN)
    key = str(signer.verifier)
    tree = CompactTree()
    with open(path, "wb") as f:
        f.write(header_line(ORIGIN, [key], TIME))
        for i in range(events):
            kind, payload = (
                ("ledger.created", {"verifier_key": key, "origin": ORIGIN})
                if i == 0
                else ("test.padded", {"n": i, "pad": "x" * pad})
            )
            envelope = make_envelope(
                type=kind,
                aggregate=f"agg-{i}",
                version=1,
                time=TIME,
                actor=dict(OPERATOR),
                payload=payload,
                prev=None,
            )
            record, _ = encode_record(envelope, signer)
            tree.append(leaf_hash(record))
            if i == tamper_at:
                record = record.replace(b'"n":', b'"m":', 1)
            f.write(event_line(i, i + 1, record))
        note = sign_note(Checkpoint(ORIGIN, tree.size, tree.root()).to_text(), [signer])
        f.write(checkpoint_line(note))
        f.write(end_line(events, 1))
    return key


_CHILD = textwrap.dedent(
    """
    import resource, sys
    import verify.__main__ as cli  # everything the verifier imports, before the limit

    def vm() -> int:
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
        raise SystemExit("no VmSize")

    limit = vm() + int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.exit(cli.main(sys.argv[2:]))
    """
)


def run_limited(bundle: Path, key: str, *extra: str, headroom: int = HEADROOM):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-c", _CHILD, str(headroom), str(bundle), "--key", key, *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


@pytest.fixture(scope="module")
def big_bundle(tmp_path_factory) -> tuple[Path, str]:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("bounded") / "big.jsonl"
    key = write_bundle(path, events=1600, pad=20_000)
    return path, key


def test_a_bundle_larger_than_the_memory_allowed_verifies(big_bundle):  # type: ignore[no-untyped-def]
    path, key = big_bundle
    assert path.stat().st_size > HEADROOM * 1.4  # the records alone would not fit
    done = run_limited(path, key, "--rules")  # the rule audit reads the file as a stream too
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1600 条记录中 1600 条核验通过" in done.stdout


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_tampered_record_in_a_streamed_bundle_is_still_named(tmp_path, jobs):  # type: ignore[no-untyped-def]
    """With ``--jobs 2`` the records are checked in two processes, a few chunks in flight
    (their threads and pools reserve address space: more headroom, still far below a copy of
    everything)."""
    path = tmp_path / "tampered.jsonl"
    key = write_bundle(path, events=1500, pad=200, tamper_at=1234)
    headroom = HEADROOM if jobs == 1 else HEADROOM + (256 << 20)
    done = run_limited(path, key, "--jobs", str(jobs), headroom=headroom)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1234" in done.stdout and "失败" in done.stdout
