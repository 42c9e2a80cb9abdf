"""``drawledger dispute``: write the dispute file of one target, draw, inspection or official
(docs/DISPUTE.md); ``python -m verify dispute DIR --key KEY`` checks it offline.

The operator writes it for the legal office or a court: every act the responsibility trail links
to the subject up to ``--as-of`` (default: the last signed checkpoint), with the whole chain of
each record involved, inclusion proofs, the signed checkpoint and a report in Chinese.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli_common import open_ledger


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``dispute`` command to the drawledger parser."""
    p = sub.add_parser(
        "dispute",
        help="write a self-contained, checkable dispute file about one subject",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", required=True, help="the ledger's data directory")
    p.add_argument("--target", metavar="CODE", help="a target, by credit code (or key)")
    p.add_argument("--draw", metavar="ID", help="a draw, by id")
    p.add_argument("--inspection", metavar="ID", help="an inspection, by id")
    p.add_argument("--official", metavar="CODE", help="every act of one official")
    p.add_argument("--as-of", type=int, metavar="POSITION", help="as the ledger stood then")
    p.add_argument(
        "--consistent-with",
        action="append",
        default=[],
        metavar="NOTE",
        help="a signed checkpoint of this ledger the requester keeps (a file holding the note): "
        "the file carries a consistency proof from it (repeatable)",
    )
    p.add_argument("--out", required=True, help="a new directory for the dispute file")
    p.set_defaults(func=cmd_dispute)


def cmd_dispute(args: argparse.Namespace) -> int:
    from ledger.errors import BadInput
    from projections import open_read_models
    from projections.dispute import write_dispute

    named = [
        (kind, key)
        for kind, key in (
            ("target", args.target),
            ("draw", args.draw),
            ("inspection", args.inspection),
            ("official", args.official),
        )
        if key
    ]
    if len(named) != 1:
        raise BadInput("name exactly one of --target, --draw, --inspection, --official")
    [(kind, key)] = named
    try:
        notes = [Path(f).read_text(encoding="utf-8") for f in args.consistent_with]
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"--consistent-with: {e}") from None
    app = open_ledger(args)
    app.seal()  # a one-shot command: what the log holds now is covered by a checkpoint
    read_models = open_read_models(app, attach=False)
    try:
        manifest = write_dispute(
            app, read_models.engine, kind, key, Path(args.out), args.as_of, notes
        )
    finally:
        read_models.close()
    print(
        f"wrote {args.out}: {len(manifest['records'])} records about {kind} {key}, as of "
        f"position {manifest['as_of']}, checkpoint of size {manifest['checkpoint']['size']}"
    )
    print(f"check it: python -m verify dispute {args.out} --key {args.data}/keys/ledger.pub")
    return 0
