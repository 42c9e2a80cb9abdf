"""``drawledger demo --data DIR``: a ledger holding the Changzhou water bureau demo registry."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .cli_common import DEFAULT_ORIGIN, init_ledger, open_ledger, stage_bars


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``demo`` subcommand to the drawledger parser."""
    p = sub.add_parser(
        "demo",
        help="record a realistic demo registry (Changzhou water bureau) and print an admin token",
    )
    p.add_argument("--data", required=True, help="the data directory (created if it is new)")
    p.add_argument("--origin", default=DEFAULT_ORIGIN, help="origin of a new ledger")
    p.add_argument("--targets", type=int, default=2000, help="how many targets (default 2000)")
    p.add_argument("--inspectors", type=int, default=60, help="how many inspectors (default 60)")
    p.add_argument("--seed", type=int, default=2018, help="the random seed (default 2018)")
    p.add_argument(
        "--registry-only",
        action="store_true",
        help="without the year (2026) of plans, draws and results recorded on top of the registry",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="where 'serve' will listen, for the hint printed last"
    )
    p.add_argument("--port", type=int, default=8000, help="the port 'serve' will listen on")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from ledger.demo.bureau import build_demo

    data = Path(args.data)
    if not (data / "drawledger.toml").exists():
        init_ledger(data, args.origin)
    app = open_ledger(args)
    started = time.perf_counter()
    s = build_demo(
        app,
        targets=args.targets,
        inspectors=args.inspectors,
        seed=args.seed,
        progress=stage_bars("demo:"),
        plans_and_draws=not args.registry_only,
    )
    seconds = time.perf_counter() - started
    print(f"demo registry recorded in {data} in {seconds:.1f} s:")
    print(f"  {s.divisions} divisions and units, {s.officials} officials, {s.items} items")
    print(
        f"  {s.targets} targets ({s.projects} projects, {s.individuals} individuals), "
        f"{s.status_changes} status changes, {s.corrections} corrections"
    )
    print(
        f"  {s.inspectors} inspectors ({s.inspector_moves} transferred, suspended or retired), "
        f"{s.conflicts} declared conflicts of interest"
    )
    print(f"  item list no. {s.item_list_number} published, digest {s.item_list_digest}")
    if s.year is not None:
        print(
            f"  {len(s.year.plans)} plans of 2026, {len(s.year.draws)} draws (a recusal, a joint "
            f"inspection, a rollover), {len(s.year.directed)} complaint-driven inspection"
        )
    if s.results is not None:
        r = s.results
        print(
            f"  {r.inspections} inspections, {r.publications} publications (a problem corrected, "
            f"a case filed and its penalty in 双公示, a refusal to confirm, one late), "
            f"{len(r.awaiting_confirmation)} awaiting confirmation, "
            f"{len(r.unpublished)} unpublished"
        )
    print(f"  ledger size {s.ledger_size}")
    print(f"API token of the admin {s.admin} (shown once, stored hashed):")
    print(f"  {s.admin_token}")
    site = f"http://{args.host}:{args.port}"
    print(f"try: drawledger serve --data {data} --host {args.host} --port {args.port}")
    print(f"  then open {site}/column (the public column) or {site}/docs (the API)")
    return 0
