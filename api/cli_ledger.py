"""The ledger's own life: ``drawledger init``, ``export``, ``seal``, ``draw-record``,
``rebuild``, ``serve``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_common import DEFAULT_ORIGIN, ProgressBar, init_ledger, open_ledger


def cmd_init(args: argparse.Namespace) -> int:
    init_ledger(Path(args.data), args.origin, args.database)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ledger.export import export_bundle

    app = open_ledger(args)
    events, checkpoints = export_bundle(app, Path(args.out), ProgressBar("exported"))
    print(f"wrote {args.out}: {events} events, {checkpoints} checkpoints")
    return 0


def cmd_seal(args: argparse.Namespace) -> int:
    from ledger.sealing import follow

    app = open_ledger(args, embedded_sealing=False)
    if not args.follow:
        checkpoint = app.sealer.seal()
        if checkpoint is not None:
            print(f"sealed: tree size {checkpoint.size}", flush=True)
        return 0
    print(f"following the log: a sealing round every {args.interval} s", flush=True)
    follow(app.sealer, args.interval, say=lambda line: print(line, flush=True),
           warn=lambda line: print(line, file=sys.stderr, flush=True))  # fmt: skip
    return 0


def cmd_draw_record(args: argparse.Namespace) -> int:
    from ledger.draws.aggregate import draw_id
    from ledger.draws.record import write_draw_record
    from ledger.draws.service import Draws

    app = open_ledger(args)
    manifest, population = write_draw_record(Draws(app), draw_id(args.draw), Path(args.out))
    print(f"wrote {manifest.parent / 'record.json'}, {manifest} and {population}")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from ledger.as_of import resolve
    from projections.past import rebuild_read_models

    app = open_ledger(args)
    upto = resolve(app, args.upto) if args.upto is not None else None
    position, events = rebuild_read_models(app, upto, ProgressBar("rebuilt"))
    print(f"rebuilt the read models up to position {position}: {events} events read")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serving import serve

    serve(Path(args.data), args.host, args.port, args.workers)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this module's subcommands to the drawledger parser."""
    p = sub.add_parser("init", help="create a ledger: key, settings, ledger.created, policy.set")
    p.add_argument("--data", required=True, help="the data directory to create")
    p.add_argument("--origin", default=DEFAULT_ORIGIN, help="checkpoint origin and key name")
    p.add_argument("--database", help="database URL (default: SQLite file in the data dir)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("export", help="write a bundle for 'python -m verify'")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True, help="the bundle file to write")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("seal", help="seal new events and sign a checkpoint")
    p.add_argument("--data", required=True)
    p.add_argument("--follow", action="store_true", help="keep sealing (PostgreSQL follower)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between rounds")
    p.set_defaults(func=cmd_seal)

    p = sub.add_parser(
        "draw-record", help="write a draw's public record (what the API and the column serve)"
    )
    p.add_argument("draw", help="the draw id")
    p.add_argument("--data", required=True)
    p.add_argument(
        "--out", required=True, help="a directory for record.json, manifest.json, population.txt"
    )
    p.set_defaults(func=cmd_draw_record)

    p = sub.add_parser(
        "rebuild", help="drop the read models and fold them again from the log (to a position)"
    )
    p.add_argument("--data", required=True)
    p.add_argument(
        "--upto",
        metavar="POSITION",
        help="a ledger position, or a date / date and time in China time (2026-11-30, "
        "2026-11-30T10:00): fold up to it (default: the whole log); the service catches up "
        "to the head when it next reads them",
    )
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser("serve", help="start the HTTP service")
    p.add_argument("--data", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1); more than one needs PostgreSQL and a "
        "'drawledger seal --follow' beside them (docs/OPERATIONS.md)",
    )
    p.set_defaults(func=cmd_serve)
