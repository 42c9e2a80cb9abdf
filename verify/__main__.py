"""``python -m verify BUNDLE``: check an exported bundle offline.

Prints ``OK``/``FAIL`` per numbered step (docs/FORMAT.md, "Verification"), with the event
position and what was expected and found, then the authority replay's findings and, with
``--rules``, the rule audit's (``verify/rule_audit.py``); ``--json`` prints the same as JSON.
Exit status: 0 the bundle verifies (intact, the rules kept, the key anchored); 1 a check failed
or a rule of authority was broken; 2 the input is unusable; 3 nothing failed but no ``--key`` or
``--trusted-checkpoint`` anchors the ledger's key, so the result proves only that the bundle is
internally consistent; 4 (only with ``--rules``) the bundle verifies, but the rule audit found
rules not kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .bundle import BundleError
from .bundle_tail import open_bundle
from .checks import verify_bundle
from .keys import read_key_text
from .report import Report
from .rule_audit import audit_bundle
from .sampler import SamplerError, sample

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE, EXIT_UNANCHORED, EXIT_RULE_FINDINGS = 0, 1, 2, 3, 4
EPILOG = """exit status: 0 the bundle verifies: every step passed, every act was within its actor's
authority, and the ledger's key is anchored; 1 a check failed or a rule of authority was broken;
2 the input is unusable; 3 nothing failed, but neither --key nor --trusted-checkpoint anchors the
ledger's key: the result proves only that the bundle is internally consistent (anyone holding any
key can write such a bundle); 4 (only with --rules) the bundle verifies (intact, within authority,
anchored) but the rule audit found rules not kept (a late plan or publication, a recusal not
honoured, coverage or participation short): findings, not integrity failures. 1 and 3 take
precedence over 4; without --rules the audit does not run and 4 never occurs."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sample"]:
        return sample_main(argv[1:])
    if argv[:1] == ["dispute"]:
        from .dispute import main as dispute_main

        return dispute_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m verify",
        description="Verify a drawledger export bundle offline. The other command, "
        "'python -m verify sample --seed S --count K', draws ids by consistent sampling as a "
        "draw does (see 'python -m verify sample --help'); 'python -m verify dispute DIR --key "
        "KEY' checks a dispute file (see 'python -m verify dispute --help').",
        epilog=EPILOG,
    )
    parser.add_argument("bundle", help="the bundle file written by 'drawledger export'")
    parser.add_argument(
        "--trusted-checkpoint",
        action="append",
        default=[],
        metavar="FILE",
        help="a signed checkpoint you kept earlier; the bundle must extend it, and the key that "
        "signed it is anchored (repeatable)",
    )
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="KEY",
        help="the ledger's key, obtained outside the bundle (name+hexid+base64, or a file "
        "holding it such as DIR/keys/ledger.pub): it anchors the verification; without it or "
        "--trusted-checkpoint the bundle is only checked against itself (exit 3)",
    )
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        metavar="KEY",
        help="a witness's cosignature/v1 verifier key (or a file holding it) whose cosignatures "
        "you trust (repeatable); see --min-cosignatures",
    )
    parser.add_argument(
        "--min-cosignatures",
        type=int,
        metavar="N",
        help="require every event to be covered by a checkpoint with N counted cosignatures by "
        "the --witness keys (default: 1 with --witness, else 0)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="processes for signature checks")
    parser.add_argument(
        "--evidence",
        metavar="DIR",
        help="a directory of evidence files (DIR/sha256/ab/abcd… or DIR/abcd…) to check",
    )
    parser.add_argument(
        "--rules",
        action="store_true",
        help="also audit the rules of the policy (caps, teams, recusals, qualifications, "
        "certificates, deadlines, coverage, participation): findings, apart from integrity "
        "(exit 4 when the bundle verifies but rules were not kept)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)

    try:
        # The file is read as a stream: its header and tail now, its lines in step 3's pass
        # (which is also the structural scan), again for each later pass: memory independent
        # of its size.
        bundle = open_bundle(args.bundle)
        trusted = [_read_text(f) for f in args.trusted_checkpoint]
        pinned = [_key_text(k) for k in args.key]
        witnesses = [_key_text(k) for k in args.witness]
    except BundleError as e:
        return _unusable(str(e), args.json)
    minimum = args.min_cosignatures if args.min_cosignatures is not None else min(1, len(witnesses))
    if not 0 <= minimum <= len(witnesses):
        return _unusable(
            f"--min-cosignatures {minimum}: give at least that many --witness keys "
            f"(given: {len(witnesses)})",
            args.json,
        )
    if args.jobs < 1:
        return _unusable("--jobs must be at least 1", args.json)
    if args.evidence is not None and not Path(args.evidence).is_dir():
        return _unusable(f"--evidence {args.evidence}: not a directory", args.json)
    try:
        report = verify_bundle(
            bundle,
            pinned_keys=pinned,
            trusted_checkpoints=trusted,
            jobs=args.jobs,
            evidence_dir=args.evidence,
            witnesses=witnesses,
            min_cosignatures=minimum,
        )
        if args.rules:
            report.rule_audit = audit_bundle(bundle)
    except BundleError as e:  # found by the pass that scans the file, or the file changed
        return _unusable(str(e), args.json)
    except Exception as e:  # noqa: BLE001 - a verifier bug must not pass for "a check failed"
        return _unusable(f"the verifier could not process this bundle: {e!r}", args.json)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(report.lines()))
    return exit_status(report)


def exit_status(report: Report) -> int:
    if not (report.intact and report.authority.ok):
        return EXIT_FAILED
    if not report.anchored:
        return EXIT_UNANCHORED
    return EXIT_OK if report.rules_kept else EXIT_RULE_FINDINGS


def sample_main(argv: list[str]) -> int:
    """``python -m verify sample``: the auditor's sampler, one line per draw: ticket TAB id."""
    parser = argparse.ArgumentParser(
        prog="python -m verify sample",
        description="Draw ids by consistent sampling (compatible with consistent-sampler 1.0.10).",
    )
    parser.add_argument("--seed", required=True, help="the published seed string")
    parser.add_argument("--count", type=int, required=True, help="how many to draw")
    parser.add_argument("--ids", help="file with one id per line (default: standard input)")
    parser.add_argument("--with-replacement", action="store_true")
    parser.add_argument("--digits", type=int, default=9, help="ticket digits to print")
    args = parser.parse_args(argv)
    try:
        text = Path(args.ids).read_text(encoding="utf-8") if args.ids else sys.stdin.read()
    except (OSError, UnicodeDecodeError) as e:
        print(f"unusable input: {args.ids}: {e}", file=sys.stderr)
        return EXIT_UNUSABLE
    ids = [line.rstrip("\r") for line in text.split("\n") if line.rstrip("\r")]
    try:
        draws = sample(
            ids,
            args.seed,
            args.count,
            with_replacement=args.with_replacement,
            digits=args.digits,
        )
    except SamplerError as e:
        print(f"unusable input: {e}", file=sys.stderr)
        return EXIT_UNUSABLE
    sys.stdout.write("".join(f"{ticket}\t{item}\n" for ticket, item, _ in draws))
    return EXIT_OK


def _key_text(value: str) -> str:
    """A verifier key given as itself or as the path of a file holding it (one line)."""
    try:
        return read_key_text(value)
    except FileNotFoundError:
        raise BundleError(f"{value}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BundleError(f"{value}: cannot read: {e}") from None


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BundleError(f"{path}: cannot read: {e}") from None


def _unusable(reason: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"ok": False, "unusable": reason}, ensure_ascii=False))
    else:
        print(f"unusable input: {reason}", file=sys.stderr)
    return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
