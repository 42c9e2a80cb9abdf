"""``drawledger witness``, ``witness-key`` and ``witnesses``: the witness's process, its key,
and the ledger's list of witnesses.

``witness`` is an independent auditor's process (the ``witness`` package: it needs only the
ledger's URL and public key, never its data directory); ``witnesses add|remove`` records the
signed events that make a key a witness of this ledger or end that (docs/OPERATIONS.md,
"Running a witness").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_common import acting, add_data_and_acting, key_or_file, open_ledger


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "witness",
        help="run a witness: cosign the ledger's checkpoints that extend what it saw",
        description="Fetches the ledger's latest checkpoint and the consistency proof from the "
        "last one this witness cosigned; cosigns (cosignature/v1) and posts the cosignature, or "
        "refuses a split view and keeps its evidence in STATE/split-views/. Exit 1 when a "
        "round (with --once) refused or could not reach the ledger.",
    )
    p.add_argument("--ledger", required=True, metavar="URL", help="the ledger service's URL")
    p.add_argument("--key", required=True, type=Path, metavar="FILE", help="the witness key")
    p.add_argument("--state", required=True, type=Path, metavar="DIR", help="its state (0700)")
    p.add_argument(
        "--log-key",
        action="append",
        default=[],
        metavar="KEY",
        help="the ledger's public key (text or a file holding it); kept in the state, needed "
        "on the first run and to add a rotated key",
    )
    p.add_argument("--once", action="store_true", help="one round, then exit")
    p.add_argument("--interval", type=float, default=10.0, help="seconds between rounds")
    p.set_defaults(func=cmd_witness)

    p = sub.add_parser("witness-key", help="make a witness's cosignature/v1 key (mode 0600)")
    p.add_argument("--name", required=True, help="the witness's name, e.g. auditor.example/w1")
    p.add_argument("--out", required=True, type=Path, metavar="FILE")
    p.set_defaults(func=cmd_witness_key)

    p = sub.add_parser("witnesses", help="the ledger's witnesses: list, add, remove")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("list", help="the witnesses in force and every witness event")
    a.add_argument("--data", required=True, help="the ledger's data directory")
    a.set_defaults(func=cmd_list)
    for name, what in (("add", "record witness.added"), ("remove", "record witness.removed")):
        a = actions.add_parser(name, help=what)
        a.add_argument("key", help="the witness's cosignature/v1 verifier key")
        add_data_and_acting(a)
        a.add_argument("--reason", default="", required=name == "remove", help="recorded")
        a.set_defaults(func=cmd_add if name == "add" else cmd_remove)


def cmd_witness(args: argparse.Namespace) -> int:
    from witness.setup import WitnessSetupError, open_witness, run

    if args.interval <= 0:
        print("drawledger witness: 错误（bad_input）：--interval 应大于 0 秒", file=sys.stderr)
        return 1
    try:
        keys = [key_or_file(k, "--log-key") for k in args.log_key]
        witness = open_witness(args.ledger, args.key, args.state, keys)
    except WitnessSetupError as e:
        print(f"drawledger witness: {e}", file=sys.stderr)
        return 1

    def report(outcome):  # type: ignore[no-untyped-def]
        stream = sys.stdout if outcome.ok else sys.stderr
        print(f"{outcome.status}: {outcome.message}", file=stream, flush=True)

    try:
        last = run(witness, args.once, args.interval, report)
    except KeyboardInterrupt:
        return 0
    return 0 if last.ok else 1


def cmd_witness_key(args: argparse.Namespace) -> int:
    from witness.setup import WitnessSetupError, new_witness_key

    try:
        key = new_witness_key(args.name, args.out)
    except WitnessSetupError as e:
        print(f"drawledger witness-key: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} (keep it secret)")
    print(f"verifier key: {key.verifier}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ledger.witnesses import Witnesses

    witnesses = Witnesses(open_ledger(args))
    for event in witnesses.history():
        print(f"{event['position']}\t{event['type']}\t{event['key']}\t{event['reason']}")
    print(f"{len(witnesses.in_force())} witness(es) in force")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    return _change(args, "add", "added")


def cmd_remove(args: argparse.Namespace) -> int:
    return _change(args, "remove", "removed")


def _change(args: argparse.Namespace, command: str, done: str) -> int:
    """``witnesses add`` or ``remove``: the Witnesses command, by whoever the CLI acts as."""
    from ledger.witnesses import Witnesses

    app = open_ledger(args)
    with acting(args, app, "witness.manage") as by:
        key = getattr(Witnesses(app), command)(args.key, by, args.reason)
    print(f"witness {done}: {key}")
    return 0
