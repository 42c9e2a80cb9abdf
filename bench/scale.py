"""Scale (issue 15 part 3): one registry of N targets, and what each cost becomes at that size,
each against a bare baseline measured in the same run.

    .venv/bin/python -m bench.scale --targets 100000 [--backend sqlite|postgres] [--tmp DIR]
    .venv/bin/python -m bench --only scale [--quick]      # 20,000 targets (quick: 2,000)

Set-up (timed, reported as a rate, no baseline): the demo bureau (``ledger.demo.bureau``) with
N targets and 60 inspectors, sealed. Then, on that ledger:

- **append**: K = 500 signed saves, one event each, sealed in rounds by the sealing task (what
  the service does), against the same K saves into a fresh plain ``eventsourcing`` store;
- **seal**: sealing K events written unsealed, against hashing their K records (SHA-256 leaf
  hashes, the sealer's bare work) and one Ed25519 signature;
- **freeze**: a draw's freeze in a restarted service, cold without the persisted registry state
  (a checked fold of the whole log), cold with it (``ledger/registry/state_store.py``), and
  warm (a second freeze in the same service), against a bare fold (every record decoded with no
  check, folded into a ``RegistryState``); the cold freezes' population digests are compared;
- **verify**: ``python -m verify``'s streamed verification (``--jobs 1``) of the exported
  bundle in a fresh process (time and peak resident memory), against bare Ed25519 over the same
  records (one core);
- **rebuild**: every read model rebuilt from the log in a fresh read database, against reading
  the raw log (every stored record decoded, no check).

Absolute times depend on the machine and its load; the ratios are the figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import (
    Config,
    Figure,
    PgScratch,
    maybe_pg,
    new_signer,
    payloads,
    run_on,
    store,
)
from .import_targets import _in_fresh_process, _rss_mib

K = 500
CONTRIBUTIONS = {"szc": "58" * 32, "szc-legal": "20" * 32}


def _bare_fold(app: Any) -> float:
    from verify.events import decode_record
    from verify.registry_state import RegistryState

    started = time.perf_counter()
    state = RegistryState()
    for n in app.notifications(batch=5000):
        state.apply(decode_record(n.state, form_known_good=True).envelope)
    return time.perf_counter() - started


def _freeze(draws: Any) -> tuple[float, str]:
    """One draw opened and frozen by ``draws``; the freeze's seconds and its population
    digest."""
    from verify.entropy import contribution_commitment

    ceremony = [
        {"party": p, "commitment": contribution_commitment(c)} for p, c in CONTRIBUTIONS.items()
    ]
    spec = {"division": "szc", "items": ["qsxk"], "counts": {"all": 20}, "team_size": 2}
    draw = draws.open({**spec, "ceremony": ceremony}, "szc-clerk")
    started = time.perf_counter()
    facts = draws.freeze(draw, "szc-clerk")
    seconds = time.perf_counter() - started
    return seconds, str(facts["digest"])


def _verify(path: str, key: str) -> dict[str, Any]:
    """In a fresh process: the verifier's time and peak memory (what ``python -m verify``
    runs, less printing), and bare Ed25519 over the same records (read before, untimed)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from verify.bundle import scan_bundle
    from verify.checks import verify_bundle
    from verify.events import decode_record
    from verify.keys import parse_verifier_key

    baseline = _rss_mib()
    started = time.perf_counter()
    report = verify_bundle(scan_bundle(path), pinned_keys=[key], jobs=1)  # python -m verify's
    seconds = time.perf_counter() - started
    peak = _rss_mib()
    if not report.intact:  # the bench's own saves are outside every rule of authority
        raise RuntimeError(f"the scale bundle is not intact: {report.lines()[-20:]}")
    items = [(e.signature, e.digest) for e in map(decode_record, scan_bundle(path).iter_records())]
    verifier = Ed25519PublicKey.from_public_bytes(parse_verifier_key(key).public_key).verify
    started = time.perf_counter()
    for signature, digest in items:
        verifier(signature, digest)
    bare = time.perf_counter() - started
    return {"seconds": seconds, "bare": bare, "baseline": baseline, "peak": peak}


def measure(config: Config, backend: str, pg: PgScratch | None, targets: int) -> list[Figure]:
    from eventsourcing.application import Application

    from ledger.application import LedgerApp
    from ledger.demo.bureau import build_demo
    from ledger.export import export_bundle
    from projections import open_read_models
    from verify.merkle import leaf_hash

    from .append import plain_env
    from .common import save_one_by_one

    figures: list[Figure] = []
    where = f"{backend}, {targets:,} targets"

    def figure(name: str, value: float, detail: str, unit: str = "×") -> None:
        figures.append(Figure("scale", backend, f"{name} ({targets:,} targets)", value, unit,
                              detail=detail))  # fmt: skip
        config.log(f"  scale/{where}: {name}: {value:,.2f}{unit} — {detail}")

    work = payloads(K)
    with store(config, backend, pg) as plain_store:  # first: PostgreSQL's scratch is reset after
        plain = Application(env=plain_env(plain_store))
        started = time.perf_counter()
        save_one_by_one(plain, work)
        bare = time.perf_counter() - started
        plain.close()
    with store(config, backend, pg) as env, tempfile.TemporaryDirectory(dir=config.tmp) as tmp:
        signer = new_signer()

        def open_app(**kwargs: Any) -> Any:
            kwargs.setdefault("embedded_sealing", True)
            kwargs.setdefault("seal_interval", 0)
            return LedgerApp(env, signer, signer.name, **kwargs)

        app = open_app(seal_interval=60)  # no task runs: sealed at the end of the build
        app.create_ledger()
        app.set_default_policy()
        started = time.perf_counter()
        build_demo(app, targets=targets, inspectors=60)
        app.seal()
        built = time.perf_counter() - started
        head = int(app.recorder.max_notification_id() or 0)
        figure("set-up: demo bureau built and sealed, events/s", head / built,
               f"{head:,} events in {built:.0f} s", unit=" ev/s")  # fmt: skip

        # append: the service's signed, sealed saves against plain eventsourcing
        app.start_sealing()
        started = time.perf_counter()
        save_one_by_one(app, work)
        app.stop_sealing()
        signed = time.perf_counter() - started
        figure("append: signed and sealed / plain eventsourcing, rate", bare / signed,
               f"{K} saves: {K / signed:,.0f} ev/s on a log of {head:,} against "
               f"{K / bare:,.0f} ev/s into an empty plain store")  # fmt: skip

        # seal: K unsealed events sealed at once, against their leaf hashes and one signature
        save_one_by_one(app, payloads(K, seed=7))  # no sealing task runs: nothing sealed
        first = app.sealer.latest().last_notification_id + 1
        records = [bytes(n.state) for n in app.notifications(start=first)]
        started = time.perf_counter()
        app.seal()
        sealing = time.perf_counter() - started
        started = time.perf_counter()
        for record in records:
            leaf_hash(record)
        signer.sign(b"checkpoint")
        hashing = time.perf_counter() - started
        figure("seal: one round over K events / their leaf hashes and one signature, time",
               sealing / hashing, f"{len(records)} events sealed in {sealing * 1000:.0f} ms, "
               f"hashed in {hashing * 1000:.1f} ms")  # fmt: skip
        app.close()

        # freeze: cold without and with the persisted state, warm; a bare fold beside them
        from ledger.draws.service import Draws
        from ledger.registry.state_store import TABLE

        fold = _bare_fold(open_app())
        restarted = open_app()
        service = Draws(restarted)  # creates the state table if need be: empty it
        with restarted.recorder.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {TABLE}")
        cold, digest_log = _freeze(service)
        warm, _ = _freeze(service)
        if service.states.saving is not None:
            service.states.saving.join()  # the state the cold freeze persisted (if far enough)
        service.states.persist()  # the newest, as a service persists it after a freeze
        restarted.close()
        persisted_app = open_app()
        kept, digest_kept = _freeze(Draws(persisted_app))
        persisted_app.close()
        same = "identical" if digest_log == digest_kept else "DIFFERENT"
        detail = (f"cold {cold:.2f} s, cold with the persisted state {kept:.2f} s, warm "
                  f"{warm:.3f} s, bare fold {fold:.2f} s; population digests {same}")  # fmt: skip
        figure("freeze cold, no persisted state / bare fold, time", cold / fold, detail)
        figure("freeze cold, persisted state / bare fold, time", kept / fold, detail)
        figure("freeze warm / bare fold, time", warm / fold, detail)
        if digest_log != digest_kept:
            raise RuntimeError(f"population digests differ: {digest_log} vs {digest_kept}")

        # verify: the exported bundle in a fresh process
        reader = open_app()
        bundle = Path(tmp) / "scale.jsonl"
        export_bundle(reader, bundle)
        size = bundle.stat().st_size / 2**20
        m = _in_fresh_process(_verify, str(bundle), str(signer.verifier))
        figure("verify --jobs 1 / bare Ed25519 on one core, rate", m["bare"] / m["seconds"],
               f"{size:.0f} MiB bundle verified in {m['seconds']:.1f} s (bare Ed25519 "
               f"{m['bare']:.1f} s); peak {m['peak']:.0f} MiB, {m['peak'] - m['baseline']:.0f} "
               f"MiB above the interpreter's {m['baseline']:.0f} MiB")  # fmt: skip
        figure("verify: peak memory above the interpreter, MiB", m["peak"] - m["baseline"],
               f"{size:.0f} MiB bundle", unit=" MiB")  # fmt: skip

        # rebuild: every read model from the log, against reading the raw log
        from verify.events import decode_record

        started = time.perf_counter()
        for n in reader.notifications(batch=5000):
            decode_record(n.state, form_known_good=True)
        raw = time.perf_counter() - started
        events = int(reader.recorder.max_notification_id() or 0)
        rm = open_read_models(reader, f"sqlite:///{Path(tmp) / 'rm.sqlite'}", attach=False,
                              first=1)  # fmt: skip
        fresh = open_app()
        rm.runner.app = fresh  # nothing vouched for in memory, as after a restart
        started = time.perf_counter()
        rm.runner.rebuild()
        rebuilt = time.perf_counter() - started
        rm.close()
        fresh.close()
        reader.close()
        figure("rebuild every read model / reading the raw log, time", rebuilt / raw,
               f"{events:,} events: rebuild {events / rebuilt:,.0f} ev/s, raw read "
               f"{events / raw:,.0f} ev/s")  # fmt: skip
    return figures


def run(config: Config) -> list[Figure]:
    targets = 2_000 if config.quick else 20_000
    figures = measure(config, "sqlite", None, targets)
    with maybe_pg(config) as pg:
        if pg is not None:
            figures += measure(config, "postgres", pg, targets)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--tmp", help="where the stores and the bundle go")
    args = parser.parse_args(argv)
    config = Config(quick=False, repeats=1)
    if args.tmp:
        config.tmp = Path(args.tmp)
    return run_on(config, args.backend, lambda pg: measure(config, args.backend, pg, args.targets))


if __name__ == "__main__":
    sys.exit(main())
