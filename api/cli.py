"""The ``drawledger`` command: the composition root. Each command is a few lines over the ledger.

Exit status: 0 done, 1 the ledger refused (bad input, a broken rule, a missing key), 2 usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ledger.errors import LedgerError

DEFAULT_ORIGIN = "drawledger.local/water-bureau"


def _progress(label: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if sys.stderr.isatty() or done == total:
            pct = 100 * done // total if total else 100
            end = "\n" if done == total else "\r"
            print(f"{label}: {done}/{total} ({pct}%)", end=end, file=sys.stderr, flush=True)

    return report


def cmd_init(args: argparse.Namespace) -> int:
    from ledger.config import DEFAULT_DATABASE, Settings
    from ledger.datadir import secure
    from ledger.keyfile import create_key
    from ledger.setup import create_ledger

    data = Path(args.data)
    settings = Settings(
        data_dir=data,
        origin=args.origin,
        database=args.database or DEFAULT_DATABASE,
        key_file=data / "keys" / "ledger.key",
    )
    if (data / "drawledger.toml").exists():
        raise LedgerError(f"{data} holds a ledger already (drawledger.toml exists)")
    secure(data)  # 0700, and every file created from here on 0600
    key = create_key(settings.key_file, settings.origin)
    settings.write()
    create_ledger(data)
    print(f"created ledger {settings.origin!r} in {data}")
    print(f"public key: {key.verifier}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ledger.application import LedgerApp
    from ledger.export import export_bundle

    app = LedgerApp.open(Path(args.data))
    events, checkpoints = export_bundle(app, Path(args.out), _progress("exported"))
    print(f"wrote {args.out}: {events} events, {checkpoints} checkpoints")
    return 0


def cmd_seal(args: argparse.Namespace) -> int:
    from ledger.application import LedgerApp

    app = LedgerApp.open(Path(args.data), embedded_sealing=False)
    while True:
        checkpoint = app.sealer.seal()
        if checkpoint is not None:
            print(f"sealed: tree size {checkpoint.size}", flush=True)
        if not args.follow:
            return 0
        time.sleep(args.interval)


def cmd_draw_record(args: argparse.Namespace) -> int:
    from ledger.application import LedgerApp
    from ledger.draws.aggregate import draw_id
    from ledger.draws.record import write_draw_record
    from ledger.draws.service import Draws

    app = LedgerApp.open(Path(args.data))
    manifest, population = write_draw_record(Draws(app), draw_id(args.draw), Path(args.out))
    print(f"wrote {manifest} and {population}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from ledger.application import LedgerApp

    app = LedgerApp.open(Path(args.data))
    uvicorn.run(create_app(app), host=args.host, port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="drawledger", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

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

    p = sub.add_parser("draw-record", help="write a draw's manifest and population list")
    p.add_argument("draw", help="the draw id")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True, help="a directory for manifest.json, population.txt")
    p.set_defaults(func=cmd_draw_record)

    p = sub.add_parser("serve", help="start the HTTP service")
    p.add_argument("--data", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    from . import cli_demo, cli_plans, cli_registry

    cli_registry.add_commands(sub)
    cli_demo.add_commands(sub)
    cli_plans.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except LedgerError as e:
        print(f"drawledger {args.command}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
