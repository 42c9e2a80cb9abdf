"""``drawledger keys rotate | revoke | end-overlap | list``: the ledger's signing keys
(``ledger/key_rotation.py``; docs/OPERATIONS.md, "Rotating a key"). Stop ``serve`` and the
sealer first, and start them again after: a running process keeps signing with the key it
started with."""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli_common import key_or_file, open_ledger


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("keys", help="the ledger's keys: rotate, revoke, end the overlap, list")
    actions = p.add_subparsers(dest="action", required=True)

    a = actions.add_parser(
        "rotate",
        help="a new signing key, introduced by an event the old key signs",
        description="Records ledger.key_rotated (signed by the key in use), switches the data "
        "directory to the new key and keeps the old one co-signing checkpoints until "
        "'keys end-overlap'.",
    )
    a.add_argument("--data", required=True, help="the ledger's data directory")
    a.add_argument("--reason", required=True, help="why (recorded)")
    a.set_defaults(func=cmd_rotate)

    a = actions.add_parser(
        "revoke",
        help="no longer trust a (compromised) key from a ledger position on",
        description="Records ledger.key_revoked: events the key signed at that position or "
        "later fail verification. The key in use cannot be revoked: rotate first.",
    )
    a.add_argument("key", help="the verifier key to revoke (text, or a file holding it)")
    a.add_argument("--from", dest="position", type=int, required=True, metavar="POSITION")
    a.add_argument("--data", required=True, help="the ledger's data directory")
    a.add_argument("--reason", required=True, help="why (recorded)")
    a.set_defaults(func=cmd_revoke)

    a = actions.add_parser("end-overlap", help="the old key stops co-signing checkpoints")
    a.add_argument("--data", required=True, help="the ledger's data directory")
    a.set_defaults(func=cmd_end_overlap)

    a = actions.add_parser("list", help="every key of the ledger, the one in use first")
    a.add_argument("--data", required=True, help="the ledger's data directory")
    a.set_defaults(func=cmd_list)


def cmd_rotate(args: argparse.Namespace) -> int:
    from ledger.key_rotation import rotate

    old, new, position = rotate(Path(args.data), args.reason)
    print(f"rotated at ledger position {position}: {old} -> {new}")
    print("the old key co-signs checkpoints until 'drawledger keys end-overlap'")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from ledger.key_rotation import revoke

    key = key_or_file(args.key, "key")
    index = revoke(Path(args.data), key, args.position, args.reason)
    print(f"revoked {key} from ledger position {args.position} (leaf index {index})")
    return 0


def cmd_end_overlap(args: argparse.Namespace) -> int:
    from ledger.key_rotation import end_overlap

    ended = end_overlap(Path(args.data))
    print("the old key no longer co-signs" if ended else "no overlap: nothing to end")
    return 0


def cmd_list(args: argparse.Namespace) -> int:

    app = open_ledger(args)
    print(f"in use: {app.signer.verifier}")
    for key in app.key_history:
        if str(key) != str(app.signer.verifier):
            print(f"earlier: {key}")
    for signer in app.sealer.overlap:
        print(f"co-signing checkpoints (overlap): {signer.verifier}")
    return 0
