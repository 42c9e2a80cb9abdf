"""``python -m bench.profiles WHAT``: cProfile of one benchmark's timed section, for finding
bottlenecks (the figures in docs/PERFORMANCE.md come from ``python -m bench``, never from here:
the profiler slows Python code far more than C code, so its ratios are not the real ones).

    .venv/bin/python -m bench.profiles append-signed [--backend postgres] [-n 2000]
    .venv/bin/python -m bench.profiles append-sealed [--backend postgres]
    .venv/bin/python -m bench.profiles append-plain  [--backend postgres]
    .venv/bin/python -m bench.profiles verify [-n 20000] [--checkpoint-per-event]
    .venv/bin/python -m bench.profiles seal [--backend postgres] [-n 30000]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

from .common import (
    Config,
    maybe_pg,
    new_signer,
    payloads,
    pg_params_from_env,
    save_in_batches,
    save_one_by_one,
    store,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profiles", description=__doc__)
    parser.add_argument(
        "what", choices=["append-plain", "append-signed", "append-sealed", "verify", "seal"]
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("-n", type=int, help="events (default: the full benchmark's size)")
    parser.add_argument(
        "--checkpoint-per-event", action="store_true", help="verify: embedded-mode bundle"
    )
    parser.add_argument("--top", type=int, default=30, help="rows of each listing")
    parser.add_argument("--output", metavar="FILE", help="also save the raw profile (pstats)")
    args = parser.parse_args(argv)

    pg, reason = pg_params_from_env()
    if args.backend == "postgres" and pg is None:
        parser.error(f"no PostgreSQL: {reason}")
    config = Config(pg=pg if args.backend == "postgres" else None)
    profile = cProfile.Profile()

    if args.what.startswith("append-"):
        from .append import WARMUP, _open

        n = args.n or 3000
        with maybe_pg(config) as scratch, store(config, args.backend, scratch) as env:
            app = _open(args.what.removeprefix("append-"), env)
            try:
                save_one_by_one(app, payloads(WARMUP, seed=1))
                workload = payloads(n)
                profile.runcall(save_one_by_one, app, workload)
            finally:
                app.close()
    elif args.what == "seal":
        from ledger.application import LedgerApp

        n = args.n or 50_000
        with maybe_pg(config) as scratch, store(config, args.backend, scratch) as env:
            signer = new_signer()
            app = LedgerApp(env, signer, signer.name, embedded_sealing=False)
            try:
                save_in_batches(app, n, per_save=200)
                profile.runcall(app.sealer.seal)
            finally:
                app.close()
    else:
        from .verify_rate import _cli, build_bundle

        n = args.n or (2000 if args.checkpoint_per_event else 20_000)
        with tempfile.TemporaryDirectory(prefix="drawledger-bench-") as d:
            path = build_bundle(Path(d), n, seal_every=None if args.checkpoint_per_event else 1000)
            from verify.bundle import read_bundle

            profile.runcall(_cli, path, 1, read_bundle(path).keys[0])

    stats = pstats.Stats(profile, stream=sys.stdout)
    print(f"== {args.what} ({args.backend}, n={n}): by cumulative time")
    stats.sort_stats("cumulative").print_stats(args.top)
    print(f"== {args.what} ({args.backend}, n={n}): by own time")
    stats.sort_stats("tottime").print_stats(args.top)
    if args.output:
        stats.dump_stats(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
